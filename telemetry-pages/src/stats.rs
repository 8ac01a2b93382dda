//! The interval arithmetic behind every published number, in one place. The sampling
//! model, the estimators and their assumptions are written down for people in
//! `docs/SERVER.md` ("How sure a number is"); this file is that text in code.
//!
//! A week's reports of a program are a sample of its reporting installations: each
//! installation's report carries a name when the report's own random `x` is at most the
//! name's rate `p`, independently of every other installation (Poisson sampling). So
//! the number of reports carrying a name, among the `K` installations that had it, is
//! binomial with `K` trials and probability `p`; every estimator below is a
//! Horvitz-Thompson sum (each report weighted by `1 / p`) and every interval is a score
//! interval on the binomial count behind it, which stays honest for small counts and
//! collapses to the exact value when nothing was sampled away (`p = 1`).

/// The default level of every interval.
pub const LEVEL: f64 = 0.95;

/// The levels a reader may ask for: from 50% to 99.9%.
pub const LEVELS: std::ops::RangeInclusive<f64> = 0.5..=0.999;

/// The standard normal distribution function Φ, from the Taylor series of `erf`: exact
/// to about 1e-12 for |x| up to 4, which covers every level in [`LEVELS`].
fn normal_cdf(x: f64) -> f64 {
    let t = x / std::f64::consts::SQRT_2;
    if t.abs() > 5.0 {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    // erf(t) = 2/√π Σ (-1)^k t^(2k+1) / (k! (2k+1))
    let mut term = t; // (-1)^k t^(2k+1) / k!
    let mut sum = t;
    for k in 1..200 {
        term *= -t * t / k as f64;
        let next = term / (2 * k + 1) as f64;
        sum += next;
        if next.abs() < 1e-17 * sum.abs().max(1e-300) {
            break;
        }
    }
    0.5 * (1.0 + sum * 2.0 / std::f64::consts::PI.sqrt())
}

/// The two-sided normal quantile of `level`: the `z` with Φ(z) − Φ(−z) = `level`
/// (1.959964 for 95%). A level outside [`LEVELS`] is clamped to it.
pub fn z(level: f64) -> f64 {
    let level = clamp_level(level);
    // A page computes thousands of intervals at one level: the last answer is kept.
    thread_local! {
        static LAST: std::cell::Cell<(u64, f64)> = const { std::cell::Cell::new((0, 0.0)) };
    }
    let (bits, z) = LAST.with(std::cell::Cell::get);
    if bits == level.to_bits() {
        return z;
    }
    let z = quantile(level);
    LAST.with(|last| last.set((level.to_bits(), z)));
    z
}

/// [`z`], computed: the root of Φ(z) = (1 + level) / 2 by bisection.
fn quantile(level: f64) -> f64 {
    let target = 0.5 + level / 2.0;
    let (mut low, mut high) = (0.0_f64, 6.0_f64);
    for _ in 0..80 {
        let mid = (low + high) / 2.0;
        if normal_cdf(mid) < target {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

/// `level` within [`LEVELS`] ([`LEVEL`] when it is not a number).
pub fn clamp_level(level: f64) -> f64 {
    if level.is_nan() {
        LEVEL
    } else {
        level.clamp(*LEVELS.start(), *LEVELS.end())
    }
}

/// The two-sided Student t quantile of `level` with `df` degrees of freedom: exact for
/// one and two, the Cornish-Fisher expansion in 1/df (Abramowitz and Stegun 26.7.5)
/// above, within 0.005 of the tables from three on.
pub fn t(level: f64, df: u64) -> f64 {
    let level = clamp_level(level);
    let p = 0.5 + level / 2.0;
    match df {
        0 => f64::INFINITY,
        1 => (std::f64::consts::PI * (p - 0.5)).tan(),
        2 => (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(),
        _ => {
            let z = z(level);
            let n = df as f64;
            let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
            let g1 = (z3 + z) / 4.0;
            let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
            let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
            let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
            z + g1 / n + g2 / (n * n) + g3 / n.powi(3) + g4 / n.powi(4)
        }
    }
}

/// A level read from a query (`0.9`, `90` or `90%`), if it is one of [`LEVELS`].
pub fn parse_level(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, percent) = match text.strip_suffix('%') {
        Some(n) => (n, true),
        None => (text, false),
    };
    let value: f64 = number.parse().ok()?;
    let value = if percent || value > 1.0 {
        // Rounded, so that 99.9% is 0.999 and not a hair above it.
        (value / 100.0 * 1e9).round() / 1e9
    } else {
        value
    };
    LEVELS.contains(&value).then_some(value)
}

/// An estimate and its interval. `high` is `None` when no upper bound follows from the
/// data: a total of counts when no report carried the name says nothing of how large
/// the counts of those who were sampled away could be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub estimate: f64,
    /// The lower bound.
    pub low: f64,
    /// The upper bound, if one follows from the data.
    pub high: Option<f64>,
}

impl Estimate {
    /// A number with no sampling error: its interval is itself.
    pub fn exact(value: f64) -> Estimate {
        Estimate {
            estimate: value,
            low: value,
            high: Some(value),
        }
    }

    /// Whether the interval is the estimate itself (nothing was sampled away).
    pub fn is_exact(&self) -> bool {
        self.high == Some(self.low) && self.low == self.estimate
    }

    /// Whether `value` lies within the interval.
    pub fn covers(&self, value: f64) -> bool {
        let slack = 1e-9 * value.abs().max(1.0);
        value >= self.low - slack && self.high.is_none_or(|high| value <= high + slack)
    }
}

/// The score interval for `M`, the number of units of which `x` were drawn, each
/// independently with probability `p`: the `M` with (x − Mp)² ≤ z² M p (1 − p). Its
/// lower bound is never below `x` (the units seen exist); with `p = 1` it is `[x, x]`.
pub fn binomial_total(x: f64, p: f64, z: f64) -> (f64, f64) {
    if !(p > 0.0 && p < 1.0) {
        return (x, x);
    }
    let q = 1.0 - p;
    let b = 2.0 * x + z * z * q;
    let root = z * (q * (4.0 * x + z * z * q)).max(0.0).sqrt();
    let low = ((b - root) / (2.0 * p)).max(x);
    let high = ((b + root) / (2.0 * p)).max(low);
    (low, high)
}

/// The Wilson score interval of a proportion: `k` successes in `m` draws, without
/// replacement from a finite population of which a share `fraction` was drawn (the
/// finite-population correction scales the variance by `1 − fraction`: when every
/// unit was drawn the proportion is known exactly). `m` and `k` may be weighted
/// (non-integer). With no draw at all the interval is [0, 1].
pub fn wilson(k: f64, m: f64, fraction: f64, z: f64) -> Estimate {
    share(k, m, fraction, z)
}

/// The Wilson interval, from the score equation
/// (r̂ − r)² ≤ z² r (1 − r) (1 − fraction) / m.
fn share(k: f64, m: f64, fraction: f64, z: f64) -> Estimate {
    if m.is_nan() || m <= 0.0 {
        return Estimate {
            estimate: 0.0,
            low: 0.0,
            high: Some(1.0),
        };
    }
    let r = (k / m).clamp(0.0, 1.0);
    let a = (1.0 - fraction.clamp(0.0, 1.0)) / m;
    if a <= 0.0 {
        return Estimate::exact(r);
    }
    let z2 = z * z * a;
    let denominator = 1.0 + z2;
    let center = (r + z2 / 2.0) / denominator;
    let half = (z2 * (r * (1.0 - r) + z2 / 4.0)).sqrt() / denominator;
    Estimate {
        estimate: r,
        low: (center - half).clamp(0.0, r),
        high: Some((center + half).clamp(r, 1.0)),
    }
}

/// A Horvitz-Thompson sum and what its interval is computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sum {
    /// Units seen (reports carrying it).
    pub seen: f64,
    /// The estimate: the sum of `y / p` over the units seen.
    pub estimate: f64,
    /// The estimated variance: the sum of `y² (1 − p) / p²` over the units seen.
    pub variance: f64,
    /// The sum of `y` over the units seen: the true value is at least this.
    pub observed: f64,
}

/// What the interval of a total of counts is computed from: the count of units having
/// it (a [`Sum`] of ones) and the sums that give the spread of their counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Total {
    /// The units having it: seen, estimated, and the estimate's variance.
    pub units: Sum,
    /// The estimated total: the sum of `y / p`.
    pub estimate: f64,
    /// The sum of `y² (1 − p) / p²`.
    pub square_var: f64,
    /// The sum of `y (1 − p) / p²`.
    pub cross_var: f64,
    /// The sum of `y` over the units seen.
    pub observed: f64,
}

/// The interval of a total of counts over the units having it, the total being their
/// number times their mean count: the number's score interval ([`interval`] of
/// `units`), the mean's Student t interval on the log scale (its variance the
/// linearized variance of the ratio of the two sums, with `seen − 1` degrees of
/// freedom), their distances from the estimates added in quadrature on the log scale
/// (MOVER), so that the interval is wider above than below as a total of skewed counts
/// is. One unit seen says nothing of how counts spread: no upper bound then, unless
/// nothing was sampled away.
pub fn total_interval(total: Total, seen_none: Option<f64>, level: f64) -> Estimate {
    let z = z(level);
    let units = interval(total.units, seen_none, true, z);
    if total.units.seen <= 0.0 || total.estimate <= 0.0 {
        return match seen_none {
            Some(p) if p >= 1.0 => Estimate::exact(0.0),
            _ => Estimate {
                estimate: 0.0,
                low: 0.0,
                high: None,
            },
        };
    }
    let n = total.units.estimate;
    let mean = total.estimate / n;
    let spread = (total.square_var - 2.0 * mean * total.cross_var
        + mean * mean * total.units.variance)
        .max(0.0);
    if units.is_exact() && spread <= 0.0 {
        return Estimate::exact(total.estimate);
    }
    if total.units.seen < 2.0 {
        return Estimate {
            estimate: total.estimate,
            low: total.observed.min(total.estimate),
            high: None,
        };
    }
    let se = spread.sqrt() / n;
    let half = t(level, total.units.seen as u64 - 1) * se / mean;
    let below = (n / units.low).ln();
    let above = (units.high.unwrap_or(n) / n).ln();
    Estimate {
        estimate: total.estimate,
        low: (total.estimate * (-(below * below + half * half).sqrt()).exp())
            .max(total.observed)
            .min(total.estimate),
        high: Some(total.estimate * (above * above + half * half).sqrt().exp()),
    }
}

/// The interval of a Horvitz-Thompson sum, by the binomial it stands for. A sum of
/// `y / p` over units drawn with probability `p` varies like `a` times a binomial count
/// `X` scaled by `1 / p`; `a` and `X` are the ones that give the sum its estimate and
/// its estimated variance (for a count of units, `a = 1` and `X` is the number seen;
/// for a sum of counts, `X` is Kish's effective number of units). The interval is `a`
/// times [`binomial_total`] of `X`. `p` is the units' probability of being seen, their
/// harmonic mean when they differ.
///
/// `seen_none` is the probability with which a unit would have been seen, used when
/// none was: then a count of units has the upper bound of a zero count, and a sum of
/// counts none (`high: None`).
pub fn interval(sum: Sum, seen_none: Option<f64>, counts_units: bool, z: f64) -> Estimate {
    if sum.seen <= 0.0 || sum.estimate <= 0.0 {
        return match seen_none {
            Some(p) if counts_units => {
                let (_, high) = binomial_total(0.0, p, z);
                Estimate {
                    estimate: 0.0,
                    low: 0.0,
                    high: Some(high),
                }
            }
            Some(p) if p >= 1.0 => Estimate::exact(0.0),
            _ => Estimate {
                estimate: 0.0,
                low: 0.0,
                high: None,
            },
        };
    }
    let p = (sum.seen / sum.estimate).min(1.0);
    if sum.variance <= 0.0 || p >= 1.0 {
        return Estimate::exact(sum.estimate);
    }
    let q = 1.0 - p;
    let scale = sum.variance * p / (sum.estimate * q);
    if !(scale.is_finite() && scale > 0.0) {
        return Estimate::exact(sum.estimate);
    }
    let x = sum.estimate * p / scale;
    let (low, high) = binomial_total(x, p, z);
    Estimate {
        estimate: sum.estimate,
        low: (low * scale).max(sum.observed).min(sum.estimate),
        high: Some((high * scale).max(sum.estimate)),
    }
}

/// The interval of a difference of two proportions from their own intervals
/// (Newcombe's hybrid score method), as if the two were independent: for shares of two
/// weeks of mostly the same installations the true interval is narrower, so this one
/// errs on the side of saying "within noise".
pub fn difference(before: &Estimate, after: &Estimate) -> Estimate {
    let d = after.estimate - before.estimate;
    let high_of = |e: &Estimate| e.high.unwrap_or(1.0);
    let low = d
        - ((after.estimate - after.low).powi(2) + (high_of(before) - before.estimate).powi(2))
            .sqrt();
    let high = d
        + ((high_of(after) - after.estimate).powi(2) + (before.estimate - before.low).powi(2))
            .sqrt();
    Estimate {
        estimate: d,
        low,
        high: Some(high),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn normal_quantiles_match_the_tables() {
        assert!(close(z(0.95), 1.959_964, 1e-6), "{}", z(0.95));
        assert!(close(z(0.90), 1.644_854, 1e-6), "{}", z(0.90));
        assert!(close(z(0.99), 2.575_829, 1e-6), "{}", z(0.99));
        assert!(close(z(0.5), 0.674_490, 1e-6), "{}", z(0.5));
        assert!(close(z(0.999), 3.290_527, 1e-6), "{}", z(0.999));
        // Out of range is clamped, not extrapolated.
        assert_eq!(z(1.0), z(0.999));
        assert_eq!(z(f64::NAN), z(LEVEL));
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        for (df, table) in [
            (1, 12.706),
            (2, 4.303),
            (3, 3.182),
            (5, 2.571),
            (10, 2.228),
            (30, 2.042),
        ] {
            assert!(close(t(0.95, df), table, 0.005), "{df}: {}", t(0.95, df));
        }
        assert!(close(t(0.99, 4), 4.604, 0.02), "{}", t(0.99, 4));
        assert!(close(t(0.95, 1_000_000), z(0.95), 1e-5));
        assert_eq!(t(0.95, 0), f64::INFINITY);
    }

    #[test]
    fn totals_are_wider_above_and_unbounded_from_one_unit() {
        // 20 units seen at p = 0.5, counts 1 and 9 alternating.
        let p: f64 = 0.5;
        let w2 = (1.0 - p) / (p * p);
        let counts: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 1.0 } else { 9.0 })
            .collect();
        let total = Total {
            units: Sum {
                seen: 20.0,
                estimate: 40.0,
                variance: 20.0 * w2,
                observed: 20.0,
            },
            estimate: counts.iter().sum::<f64>() / p,
            square_var: counts.iter().map(|c| c * c * w2).sum(),
            cross_var: counts.iter().map(|c| c * w2).sum(),
            observed: counts.iter().sum(),
        };
        let e = total_interval(total, Some(p), 0.95);
        assert_eq!(e.estimate, 200.0);
        let high = e.high.unwrap();
        assert!(e.low < 200.0 && high > 200.0);
        assert!(high - 200.0 > 200.0 - e.low, "{e:?}");
        assert!(e.low >= 100.0);
        let one = Total {
            units: Sum {
                seen: 1.0,
                estimate: 2.0,
                variance: w2,
                observed: 1.0,
            },
            estimate: 10.0,
            square_var: 25.0 * w2,
            cross_var: 5.0 * w2,
            observed: 5.0,
        };
        assert_eq!(
            total_interval(one, Some(p), 0.95),
            Estimate {
                estimate: 10.0,
                low: 5.0,
                high: None
            }
        );
        // Nothing sampled away: exact, whatever the counts.
        let exact = Total {
            units: Sum {
                seen: 2.0,
                estimate: 2.0,
                variance: 0.0,
                observed: 2.0,
            },
            estimate: 10.0,
            square_var: 0.0,
            cross_var: 0.0,
            observed: 10.0,
        };
        assert!(total_interval(exact, Some(1.0), 0.95).is_exact());
    }

    #[test]
    fn levels_are_read_as_fractions_or_percents() {
        assert_eq!(parse_level("0.9"), Some(0.9));
        assert_eq!(parse_level("90"), Some(0.9));
        assert_eq!(parse_level("99.9%"), Some(0.999));
        assert_eq!(parse_level("1"), None);
        assert_eq!(parse_level("0.2"), None);
        assert_eq!(parse_level("ninety"), None);
    }

    #[test]
    fn wilson_matches_a_worked_example() {
        // 10 of 100, infinite population, 95%: [0.0552, 0.1744] (Wilson 1927; any
        // statistics text's example).
        let e = wilson(10.0, 100.0, 0.0, z(0.95));
        assert_eq!(e.estimate, 0.1);
        assert!(close(e.low, 0.05523, 1e-4), "{e:?}");
        assert!(close(e.high.unwrap(), 0.17437, 1e-4), "{e:?}");
        // None of 100: the upper bound is z²/(m + z²).
        let none = wilson(0.0, 100.0, 0.0, z(0.95));
        assert_eq!(none.low, 0.0);
        assert!(close(none.high.unwrap(), 3.8415 / 103.8415, 1e-6));
        // Drawing everyone leaves no doubt; drawing nobody leaves all of it.
        assert!(wilson(10.0, 100.0, 1.0, z(0.95)).is_exact());
        assert_eq!(
            wilson(0.0, 0.0, 0.0, z(0.95)),
            Estimate {
                estimate: 0.0,
                low: 0.0,
                high: Some(1.0)
            }
        );
        // Half the population drawn: narrower than without the correction.
        let half = wilson(10.0, 100.0, 0.5, z(0.95));
        assert!(half.low > e.low && half.high < e.high);
    }

    #[test]
    fn the_binomial_total_solves_the_score_equation() {
        let z = z(0.95);
        let (low, high) = binomial_total(10.0, 0.5, z);
        for m in [low, high] {
            let lhs = (10.0 - m * 0.5_f64).powi(2);
            let rhs = z * z * m * 0.25;
            assert!(close(lhs, rhs, 1e-6), "{m}: {lhs} vs {rhs}");
        }
        assert!(low < 20.0 && 20.0 < high);
        // Nothing sampled away: exact. Nothing seen: from zero up.
        assert_eq!(binomial_total(7.0, 1.0, z), (7.0, 7.0));
        let (low, high) = binomial_total(0.0, 0.1, z);
        assert_eq!(low, 0.0);
        assert!(close(high, z * z * 0.9 / 0.1, 1e-9));
        // Never below what was seen.
        assert_eq!(binomial_total(1.0, 0.99, z).0, 1.0);
    }

    #[test]
    fn a_sum_of_ones_has_the_interval_of_its_count() {
        let z = z(0.95);
        // 10 units seen at p = 0.25: estimate 40, variance 10 · 0.75 / 0.0625.
        let sum = Sum {
            seen: 10.0,
            estimate: 40.0,
            variance: 120.0,
            observed: 10.0,
        };
        let e = interval(sum, Some(0.25), true, z);
        let (low, high) = binomial_total(10.0, 0.25, z);
        assert!(
            close(e.low, low, 1e-9) && close(e.high.unwrap(), high, 1e-9),
            "{e:?}"
        );
        // Counts of 3 each: the same interval, three times larger.
        let triple = Sum {
            seen: 10.0,
            estimate: 120.0,
            variance: 1080.0,
            observed: 30.0,
        };
        let t = interval(triple, Some(0.25), false, z);
        assert!(close(t.low, 3.0 * low, 1e-6) && close(t.high.unwrap(), 3.0 * high, 1e-6));
    }

    #[test]
    fn unsampled_sums_are_exact_and_empty_ones_bounded_only_when_they_can_be() {
        let z = z(0.95);
        let exact = Sum {
            seen: 3.0,
            estimate: 3.0,
            variance: 0.0,
            observed: 3.0,
        };
        assert!(interval(exact, Some(1.0), true, z).is_exact());
        let units = interval(Sum::default(), Some(0.5), true, z);
        assert_eq!(units.low, 0.0);
        assert!(close(units.high.unwrap(), z * z, 1e-9));
        assert_eq!(interval(Sum::default(), Some(0.5), false, z).high, None);
        assert!(interval(Sum::default(), Some(1.0), false, z).is_exact());
    }

    #[test]
    fn a_difference_is_within_noise_when_the_intervals_overlap_enough() {
        let z = z(0.95);
        let before = wilson(50.0, 100.0, 0.0, z);
        let after = wilson(55.0, 100.0, 0.0, z);
        let d = difference(&before, &after);
        assert!(close(d.estimate, 0.05, 1e-12));
        assert!(d.low < 0.0 && d.high.unwrap() > 0.0);
        let moved = difference(&before, &wilson(90.0, 100.0, 0.0, z));
        assert!(moved.low > 0.0);
    }
}
