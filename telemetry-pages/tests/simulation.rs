//! The intervals are honest: synthetic populations of installations with known truth,
//! each installation's week turned into a report and filtered exactly as a client
//! filters it before upload (`telemetry_formats::upload::filter`, one random `x` per
//! report, a counter kept when `x` is within its rate and the sample rate), aggregated
//! as the server aggregates, over many weeks and several sample rates. For every
//! number with an interval (a counter's estimated total, its share of reporting
//! installations, a program's reporting installations, a version's share) the 95%
//! interval must cover the population's true value in 93–97% of the cases that had
//! any sampling error, and the estimates must be unbiased: pooled over all cases, the
//! estimates' sum within 2% of the truth's, and per name the mean error within four of
//! its standard errors. Deterministic (seeded), and about a second in a release
//! build.

use std::collections::BTreeMap;

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig, StackConfig};
use telemetry_formats::date;
use telemetry_formats::report::{FORMAT, ProgramReport, Report};
use telemetry_formats::upload;
use telemetry_pages::rates::{ConfigRates, RatesByKey};
use telemetry_pages::series::{self, Kind};
use telemetry_pages::{Aggregate, stats};
use test_support::Rng;

const PROGRAM: &str = "sim";

/// A counter of the synthetic program: the share of installations that have it, the
/// mean of its count when they do (a geometric count, or a log-normal one when
/// `spread` is set), and its rate in the config.
struct Counter {
    name: &'static str,
    share: f64,
    mean: f64,
    spread: bool,
    rate: f64,
}

const COUNTERS: &[Counter] = &[
    Counter {
        name: "sim/start",
        share: 0.97,
        mean: 6.0,
        spread: false,
        rate: 1.0,
    },
    Counter {
        name: "sim/open",
        share: 0.6,
        mean: 3.0,
        spread: false,
        rate: 1.0,
    },
    Counter {
        name: "sim/save",
        share: 0.3,
        mean: 10.0,
        spread: true,
        rate: 1.0,
    },
    Counter {
        name: "sim/export",
        share: 0.1,
        mean: 2.0,
        spread: false,
        rate: 0.5,
    },
    Counter {
        name: "sim/import",
        share: 0.4,
        mean: 4.0,
        spread: true,
        rate: 0.5,
    },
    Counter {
        name: "sim/sync",
        share: 0.05,
        mean: 20.0,
        spread: false,
        rate: 0.2,
    },
    Counter {
        name: "sim/plugin",
        share: 0.25,
        mean: 5.0,
        spread: false,
        rate: 0.2,
    },
    Counter {
        name: "sim/legacy",
        share: 0.01,
        mean: 3.0,
        spread: false,
        rate: 1.0,
    },
    Counter {
        name: "sim/macro",
        share: 0.15,
        mean: 8.0,
        spread: true,
        rate: 0.1,
    },
    Counter {
        name: "sim/print",
        share: 0.02,
        mean: 1.5,
        spread: false,
        rate: 0.5,
    },
];

/// A family of exclusive labels: each installation has at most one.
const EDITORS: &[(&str, f64)] = &[
    ("sim/editor:vim", 0.3),
    ("sim/editor:emacs", 0.1),
    ("sim/editor:vscode", 0.45),
    ("sim/editor:other", 0.05),
];
const EDITOR_RATE: f64 = 0.5;

/// A histogram: an installation with requests has each bucket with a probability,
/// and a count in it of a mean.
const LATENCY: &[(&str, f64, f64)] = &[
    ("sim/latency:<1ms", 0.9, 10.0),
    ("sim/latency:<10ms", 0.7, 6.0),
    ("sim/latency:<100ms", 0.4, 3.0),
    ("sim/latency:>=100ms", 0.15, 2.0),
];
const LATENCY_SHARE: f64 = 0.7;
const LATENCY_RATE: f64 = 1.0;

/// A rare bug counted by a stack counter, in one of two chains.
const BUG: &str = "sim/bug";
const CHAINS: &[&str] = &["sim/bug\nsim/open", "sim/bug\nsim/save"];
const BUG_SHARE: f64 = 0.03;
const BUG_RATE: f64 = 0.5;

const VERSIONS: &[(&str, f64)] = &[("1.2.0", 0.55), ("1.1.0", 0.35), ("1.0.0", 0.1)];

fn config(version: u64, sample_rate: f64) -> Config {
    let mut counters: Vec<CounterConfig> = COUNTERS
        .iter()
        .map(|c| CounterConfig {
            name: c.name.into(),
            rate: c.rate,
            expires: None,
        })
        .collect();
    counters.push(CounterConfig {
        name: "sim/editor:{vim,emacs,vscode,other}".into(),
        rate: EDITOR_RATE,
        expires: None,
    });
    counters.push(CounterConfig {
        name: "sim/latency:{<1ms,<10ms,<100ms,>=100ms}".into(),
        rate: LATENCY_RATE,
        expires: None,
    });
    Config {
        format: 1,
        version,
        sample_rate,
        programs: vec![ProgramConfig {
            name: PROGRAM.into(),
            versions: ">=1".into(),
            os: vec!["linux".into(), "macos".into(), "windows".into()],
            arch: vec!["x86_64".into(), "aarch64".into()],
            counters,
            stacks: vec![StackConfig {
                name: BUG.into(),
                depth: 4,
                rate: BUG_RATE,
                expires: None,
            }],
        }],
    }
}

/// A count with the given mean: geometric, or log-normal (σ = 1) when `spread`.
fn count(rng: &mut Rng, mean: f64, spread: bool) -> u64 {
    if spread {
        // Box-Muller; exp(μ + Z) has mean exp(μ + 1/2).
        let z = (-2.0 * rng.unit().ln()).sqrt() * (std::f64::consts::TAU * rng.unit()).cos();
        let mu = mean.ln() - 0.5;
        (mu + z).exp().ceil() as u64
    } else {
        let p = 1.0 / mean;
        1 + (rng.unit().ln() / (1.0 - p).ln()).floor() as u64
    }
}

fn pick<'a>(rng: &mut Rng, weights: &[(&'a str, f64)]) -> Option<&'a str> {
    let mut u = rng.unit();
    for (name, w) in weights {
        if u < *w {
            return Some(name);
        }
        u -= w;
    }
    None
}

/// One installation's week: what its local report holds (unfiltered), and its `x`.
struct Installation {
    x: f64,
    version: &'static str,
    os: &'static str,
    arch: &'static str,
    counters: Vec<(&'static str, u64)>,
    stacks: Vec<(&'static str, u64)>,
}

impl Installation {
    fn draw(rng: &mut Rng) -> Installation {
        let mut counters = Vec::new();
        for c in COUNTERS {
            if rng.unit() < c.share {
                counters.push((c.name, count(rng, c.mean, c.spread)));
            }
        }
        if let Some(editor) = pick(rng, EDITORS) {
            counters.push((editor, count(rng, 12.0, false)));
        }
        if rng.unit() < LATENCY_SHARE {
            for (bucket, share, mean) in LATENCY {
                if rng.unit() < *share {
                    counters.push((bucket, count(rng, *mean, false)));
                }
            }
        }
        let mut stacks = Vec::new();
        if rng.unit() < BUG_SHARE {
            stacks.push((CHAINS[rng.below(CHAINS.len())], count(rng, 2.0, false)));
        }
        Installation {
            x: rng.unit(),
            version: pick(rng, VERSIONS).unwrap_or("1.2.0"),
            os: ["linux", "linux", "linux", "macos", "windows"][rng.below(5)],
            arch: if rng.unit() < 0.3 {
                "aarch64"
            } else {
                "x86_64"
            },
            counters,
            stacks,
        }
    }

    /// Its local report of `week`.
    fn report(&self, week: &str) -> Report {
        let owned =
            |pairs: &[(&str, u64)]| pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        Report {
            format: FORMAT,
            week: week.into(),
            last_week: String::new(),
            x: self.x,
            config: String::new(),
            programs: vec![ProgramReport {
                program: PROGRAM.into(),
                version: self.version.into(),
                toolchain: "1.95.0".into(),
                os: self.os.into(),
                arch: self.arch.into(),
                counters: owned(&self.counters),
                stacks: owned(&self.stacks),
            }],
        }
    }
}

/// The true values of one week's population, of what the config collects: the
/// installations whose week counted at least one name collected at the program's top
/// rate (the highest probability with which a report carries any of its names).
#[derive(Default)]
struct Truth {
    /// Installations in the population.
    installations: f64,
    /// Name → (installations having it, its total count).
    names: BTreeMap<(Kind, &'static str), (f64, f64)>,
    /// Version → installations.
    versions: BTreeMap<&'static str, f64>,
}

impl Truth {
    /// Adds an installation, if it is in the population: if it has a name whose
    /// probability (`rates`) is the top one.
    fn add(&mut self, one: &Installation, rates: &BTreeMap<&str, f64>, top: f64) {
        let names = one.counters.iter().chain(&one.stacks).map(|(n, _)| *n);
        if !names
            .map(|n| rates[n.split('\n').next().unwrap_or(n)])
            .any(|p| p == top)
        {
            return;
        }
        self.installations += 1.0;
        *self.versions.entry(one.version).or_default() += 1.0;
        let mut families: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (name, value) in &one.counters {
            let cell = self.names.entry((Kind::Counter, name)).or_default();
            cell.0 += 1.0;
            cell.1 += *value as f64;
            if let Some(family) = series::family_of(name) {
                *families.entry(family).or_default() += value;
            }
        }
        for (family, total) in families {
            let kind = if family == "sim/latency" {
                Kind::Histogram
            } else {
                Kind::Family
            };
            let cell = self.names.entry((kind, family)).or_default();
            cell.0 += 1.0;
            cell.1 += total as f64;
        }
        for (chain, value) in &one.stacks {
            for (kind, name) in [(Kind::Chain, *chain), (Kind::Stack, BUG)] {
                let cell = self.names.entry((kind, name)).or_default();
                cell.0 += 1.0;
                cell.1 += *value as f64;
            }
        }
    }
}

/// How often intervals covered the truth, over cases that had sampling error.
#[derive(Default, Debug)]
struct Coverage {
    cases: u64,
    covered: u64,
    /// Cases with no sampling error, whose value must be the truth itself.
    exact: u64,
    estimates: f64,
    truths: f64,
}

impl Coverage {
    fn record(&mut self, what: &str, estimate: &stats::Estimate, truth: f64) {
        self.estimates += estimate.estimate;
        self.truths += truth;
        if estimate.is_exact() {
            assert!(
                (estimate.estimate - truth).abs() <= 1e-9 * truth.max(1.0),
                "{what}: exact {} but the truth is {truth}",
                estimate.estimate
            );
            self.exact += 1;
            return;
        }
        self.cases += 1;
        if estimate.covers(truth) {
            self.covered += 1;
        }
    }

    fn rate(&self) -> f64 {
        self.covered as f64 / self.cases.max(1) as f64
    }

    fn bias(&self) -> f64 {
        (self.estimates - self.truths) / self.truths
    }
}

/// Per name, the errors of its estimates, for the bias check.
#[derive(Default)]
struct Errors(BTreeMap<String, Vec<f64>>);

impl Errors {
    fn record(&mut self, key: String, error: f64) {
        self.0.entry(key).or_default().push(error);
    }

    /// Names whose mean error is more than four of its standard errors from zero.
    fn biased(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (key, errors) in &self.0 {
            let n = errors.len() as f64;
            let mean = errors.iter().sum::<f64>() / n;
            let var = errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            let se = (var / n).sqrt();
            if se > 0.0 && (mean / se).abs() > 4.0 {
                out.push(format!(
                    "{key}: mean error {mean:.3}, standard error {se:.3}"
                ));
            }
        }
        out
    }
}

#[test]
fn intervals_cover_the_truth_and_estimates_are_unbiased() {
    let level = stats::LEVEL;
    let z = stats::z(level);
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    // (sample rate, weeks, installations per week at most)
    let scenarios: [(f64, usize, usize); 4] = [
        (1.0, 100, 400),
        (0.5, 200, 800),
        (0.2, 200, 1600),
        (0.05, 200, 4000),
    ];
    let mut total = Coverage::default();
    let mut share = Coverage::default();
    let mut installations = Coverage::default();
    let mut versions = Coverage::default();
    let mut errors = Errors::default();
    let first_week = date::parse("2026-01-08").unwrap();
    for (s, (sample_rate, weeks, most)) in scenarios.into_iter().enumerate() {
        let config = config(s as u64 + 1, sample_rate);
        // Each name's probability of being carried, and the largest.
        let mut probability: BTreeMap<&str, f64> = BTreeMap::new();
        for c in COUNTERS {
            probability.insert(c.name, c.rate.min(sample_rate));
        }
        for (name, _) in EDITORS {
            probability.insert(name, EDITOR_RATE.min(sample_rate));
        }
        for (name, _, _) in LATENCY {
            probability.insert(name, LATENCY_RATE.min(sample_rate));
        }
        probability.insert(BUG, BUG_RATE.min(sample_rate));
        let top = probability.values().copied().fold(0.0, f64::max);
        let rates: BTreeMap<String, ConfigRates> = telemetry_pages::rates::by_key([&config]);
        let mut aggregate = Aggregate::new();
        let mut truths = BTreeMap::new();
        for w in 0..weeks {
            let end = first_week + 7 * (w as u64 + 52 * s as u64);
            let week = date::format(end);
            let population = most / 4 + rng.below(most - most / 4);
            let mut truth = Truth::default();
            for _ in 0..population {
                let one = Installation::draw(&mut rng);
                truth.add(&one, &probability, top);
                if one.x > sample_rate {
                    // The filter sends nothing of it (tested below on a few).
                    continue;
                }
                let (sent, _) = upload::filter(&one.report(&week), &config, 0, end + 1, "");
                if let Some(mut sent) = sent {
                    // As the server sees it: the config version it was filtered by.
                    sent.config = config.version.to_string();
                    aggregate.add(&sent, rates.rates(&config.version.to_string()).unwrap());
                }
            }
            truths.insert(week, truth);
        }
        for (week, truth) in &truths {
            let p = &aggregate.weeks[week][PROGRAM];
            let reporting = series::reporting(week, p, z);
            let estimate = stats::Estimate {
                estimate: reporting.installations,
                low: reporting.low,
                high: Some(reporting.high),
            };
            installations.record(
                &format!("{week} installations"),
                &estimate,
                truth.installations,
            );
            errors.record(
                format!("{sample_rate} installations"),
                reporting.installations - truth.installations,
            );
            for (version, n) in &truth.versions {
                let m = reporting.versions.iter().find(|m| m.value == *version);
                let e = m.map_or(
                    stats::Estimate {
                        estimate: 0.0,
                        low: 0.0,
                        high: Some(0.0),
                    },
                    |m| stats::Estimate {
                        estimate: m.share,
                        low: m.share_low,
                        high: Some(m.share_high),
                    },
                );
                versions.record(&format!("{week} {version}"), &e, n / truth.installations);
            }
            for ((kind, name), (having, sum)) in &truth.names {
                let point = series::point(week, PROGRAM, p, *kind, name, &rates, level)
                    .unwrap_or_else(|| panic!("{week}: no point for {name}"));
                let what = format!("{week} {name}");
                total.record(&what, &point.total_estimate(), *sum);
                if std::env::var("SIM_DEBUG").is_ok() && !point.total_estimate().is_exact() {
                    eprintln!(
                        "DBG {sample_rate} {} {}",
                        point.carrying,
                        point.total_estimate().covers(*sum) as u8
                    );
                }
                share.record(&what, &point.share_estimate(), having / truth.installations);

                errors.record(format!("{sample_rate} {name} total"), point.estimate - sum);
                errors.record(
                    format!("{sample_rate} {name} share"),
                    point.share - having / truth.installations,
                );
            }
        }
    }
    let report = [
        ("total", &total),
        ("share", &share),
        ("installations", &installations),
        ("version share", &versions),
    ];
    for (what, c) in &report {
        eprintln!(
            "{what:>14}: {:5} cases with sampling error, covered {:.1}%; {:4} exact; pooled bias {:+.2}%",
            c.cases,
            100.0 * c.rate(),
            c.exact,
            100.0 * c.bias()
        );
    }
    for (what, c) in &report {
        assert!(c.cases >= 400, "{what}: only {} cases", c.cases);
        assert!(
            (0.93..=0.97).contains(&c.rate()),
            "{what}: 95% intervals covered the truth in {:.1}% of {} cases",
            100.0 * c.rate(),
            c.cases
        );
        assert!(
            c.bias().abs() < 0.02,
            "{what}: pooled bias {:+.2}%",
            100.0 * c.bias()
        );
    }
    let biased = errors.biased();
    assert!(
        biased.is_empty(),
        "biased estimates:\n{}",
        biased.join("\n")
    );
}
