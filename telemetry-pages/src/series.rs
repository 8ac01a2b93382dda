//! The one computation behind every page and every answer of the JSON API: for a
//! program and a name, week by week, how many reports there were, how many carried the
//! name, the estimated total of its counts and the estimated share of reporting
//! installations that had it, each with its interval ([`Series`]); for a program, week
//! by week, its reports, its estimated reporting installations and the mix of their
//! versions, toolchains, systems and architectures ([`Participation`]).
//!
//! The method and its assumptions are written down in `docs/SERVER.md`; the interval
//! arithmetic is [`crate::stats`]. Everything here is read from an [`Aggregate`]: no
//! report is looked at again.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::Serialize;

use crate::aggregate::{Aggregate, Cell, ProgramAggregate, threshold_key};
use crate::order;
use crate::rates::{Lookup, Of, RatesByKey};
use crate::stats::{self, Estimate, Sum};

/// What a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A counter, a label (`chart:label`) or a histogram bucket (`chart:<10ms`).
    Counter,
    /// The labels of one chart: `chart` of `chart:label`.
    Family,
    /// The buckets of one histogram: `chart` of `chart:<10ms`, every member a bound.
    Histogram,
    /// A stack counter: its chains added.
    Stack,
    /// One chain of a stack counter (`<stack counter>\n<frame>…`).
    Chain,
}

/// One week of one name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// The week (its end day).
    pub week: String,
    /// Reports of the program that week.
    pub reports: u64,
    /// Reports that carried the name.
    pub carrying: u64,
    /// The estimated total of its counts over every reporting installation.
    pub estimate: f64,
    /// The lower bound of `estimate`.
    pub low: f64,
    /// The upper bound of `estimate`; `null` when no report carried the name and some
    /// were sampled away (their counts could be anything).
    pub high: Option<f64>,
    /// The estimated share of reporting installations whose report had the name.
    pub share: f64,
    /// The lower bound of `share`.
    pub share_low: f64,
    /// The upper bound of `share`.
    pub share_high: f64,
    /// The sum of its counts in the reports that carried it.
    pub total: u64,
    /// Whether nothing was sampled away: every number is then a count, not an estimate.
    pub exact: bool,
}

impl Point {
    /// The total as an [`Estimate`].
    pub fn total_estimate(&self) -> Estimate {
        Estimate {
            estimate: self.estimate,
            low: self.low,
            high: self.high,
        }
    }

    /// The share as an [`Estimate`].
    pub fn share_estimate(&self) -> Estimate {
        Estimate {
            estimate: self.share,
            low: self.share_low,
            high: Some(self.share_high),
        }
    }
}

/// A member of a family or a stack counter, with its own weeks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// Its full name.
    pub counter: String,
    /// Its weeks.
    pub weeks: Vec<Point>,
}

/// A name of a program, week by week: the answer of `GET /api/v1/series`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    /// The program.
    pub program: String,
    /// The full name.
    pub counter: String,
    /// What the name is.
    pub kind: Kind,
    /// The level of every interval.
    pub level: f64,
    /// Every week the program reported in and the name could be carried, oldest first.
    pub weeks: Vec<Point>,
    /// For a family or histogram its members (a histogram's in the order of their
    /// bounds, a family's by name); for a stack counter its chains.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

/// One value of a build property (a version, an os…) in one week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mix {
    /// The value.
    pub value: String,
    /// Reports with a build of that value.
    pub reports: u64,
    /// The estimated share of reporting installations with it.
    pub share: f64,
    /// The lower bound of `share`.
    pub share_low: f64,
    /// The upper bound of `share`.
    pub share_high: f64,
}

/// A program's reports in one week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reporting {
    /// The week.
    pub week: String,
    /// Reports received.
    pub reports: u64,
    /// The estimated number of reporting installations.
    pub installations: f64,
    /// Its lower bound.
    pub low: f64,
    /// Its upper bound.
    pub high: f64,
    /// Whether nothing was sampled away.
    pub exact: bool,
    /// By program version, newest first.
    pub versions: Vec<Mix>,
    /// By Rust toolchain, newest first.
    pub toolchains: Vec<Mix>,
    /// By operating system, most common first.
    pub os: Vec<Mix>,
    /// By architecture, most common first.
    pub arch: Vec<Mix>,
}

/// A program, week by week: the answer of `GET /api/v1/participation`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Participation {
    /// The program.
    pub program: String,
    /// The level of every interval.
    pub level: f64,
    /// Every week it reported in, oldest first.
    pub weeks: Vec<Reporting>,
}

/// Where in a program's aggregate a name's numbers are, and how to find its rate.
fn cell_of<'a>(program: &'a ProgramAggregate, kind: Kind, name: &str) -> Option<&'a Cell> {
    match kind {
        Kind::Counter => program.counters.get(name),
        Kind::Family | Kind::Histogram => program.families.get(name),
        Kind::Stack => program.stack_counters.get(name),
        Kind::Chain => program.stacks.get(name),
    }
}

/// With what probability reports under one config could carry a name, looked up once
/// per config (and the key its eligible reports are counted under, written once).
struct Known {
    lookup: Lookup,
    key: String,
}

/// The probabilities of one name under each config its weeks were filtered by: looked
/// up once for a whole series, not once per week.
pub(crate) struct Thresholds<'a> {
    rates: &'a dyn RatesByKey,
    program: &'a str,
    of: Of,
    name: &'a str,
    known: Vec<(String, Option<Known>)>,
}

impl<'a> Thresholds<'a> {
    pub(crate) fn new(
        rates: &'a dyn RatesByKey,
        program: &'a str,
        kind: Kind,
        name: &'a str,
    ) -> Thresholds<'a> {
        let of = match kind {
            Kind::Counter => Of::Counter,
            Kind::Family | Kind::Histogram => Of::Family,
            Kind::Stack | Kind::Chain => Of::Stack,
        };
        Thresholds {
            rates,
            program,
            of,
            name,
            known: Vec::new(),
        }
    }

    /// The probability with which a report under the config of `key` carries the name
    /// in `week`, and the key its eligible reports are counted under: `None` when that
    /// config does not collect it (or it had expired before the week ended); for a
    /// family, the largest among its members and whether they all share it.
    fn of(&mut self, key: &str, week: &str) -> Option<(f64, bool, &str)> {
        let at = match self.known.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                let known = self.rates.rates(key).map(|r| {
                    let lookup = r.threshold(self.program, self.of, self.name);
                    let t = match &lookup {
                        Lookup::All(p) | Lookup::Collected { p, .. } => *p,
                        Lookup::No => 0.0,
                    };
                    Known {
                        lookup,
                        key: threshold_key(t),
                    }
                });
                self.known.push((key.to_string(), known));
                self.known.len() - 1
            }
        };
        let known = self.known[at].1.as_ref()?;
        match &known.lookup {
            Lookup::All(p) => Some((*p, true, known.key.as_str())),
            Lookup::Collected {
                p,
                uniform,
                expires,
            } => expires
                .as_ref()
                .is_none_or(|day| day.as_str() >= week)
                .then_some((*p, *uniform, known.key.as_str())),
            Lookup::No => None,
        }
    }
}

/// The family of `chart:bucket`.
pub fn family_of(name: &str) -> Option<&str> {
    name.split_once(':').map(|(family, _)| family)
}

/// One week of one name of one program.
pub fn point(
    week: &str,
    program_name: &str,
    program: &ProgramAggregate,
    kind: Kind,
    name: &str,
    rates: &dyn RatesByKey,
    level: f64,
) -> Option<Point> {
    let mut thresholds = Thresholds::new(rates, program_name, kind, name);
    let cell = cell_of(program, kind, name);
    point_in(week, program, cell, &mut thresholds, level)
}

/// The distinct probabilities a name had in one week, as far as [`point_in`] needs to
/// know them.
#[derive(Clone, Copy, PartialEq)]
enum Distinct {
    None,
    One(f64),
    Several,
}

/// [`point`] of the name `known` looks up, its `cell` found by the caller (`None` when
/// no report carried it).
fn point_in(
    week: &str,
    program: &ProgramAggregate,
    cell: Option<&Cell>,
    known: &mut Thresholds,
    level: f64,
) -> Option<Point> {
    numbers_in(week, program, cell, known, level, true).map(|numbers| numbers.at(week))
}

/// A [`Point`] but for its week, which a page drawing thousands of them needs not
/// copy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Numbers {
    pub reports: u64,
    pub carrying: u64,
    pub estimate: f64,
    pub low: f64,
    pub high: Option<f64>,
    pub share: f64,
    pub share_low: f64,
    pub share_high: f64,
    pub total: u64,
    pub exact: bool,
}

impl Numbers {
    /// The numbers of each point, with its week.
    pub(crate) fn of_each(points: &[Point]) -> Vec<(&str, Numbers)> {
        points
            .iter()
            .map(|p| {
                let numbers = Numbers {
                    reports: p.reports,
                    carrying: p.carrying,
                    estimate: p.estimate,
                    low: p.low,
                    high: p.high,
                    share: p.share,
                    share_low: p.share_low,
                    share_high: p.share_high,
                    total: p.total,
                    exact: p.exact,
                };
                (p.week.as_str(), numbers)
            })
            .collect()
    }

    /// The point of `week`.
    pub(crate) fn at(&self, week: &str) -> Point {
        Point {
            week: week.to_string(),
            reports: self.reports,
            carrying: self.carrying,
            estimate: self.estimate,
            low: self.low,
            high: self.high,
            share: self.share,
            share_low: self.share_low,
            share_high: self.share_high,
            total: self.total,
            exact: self.exact,
        }
    }
}

/// [`point_in`], without the week; without `total`, the interval of the total is not
/// computed (its ends are the estimate): for weeks only the share of is drawn.
fn numbers_in(
    week: &str,
    program: &ProgramAggregate,
    cell: Option<&Cell>,
    known: &mut Thresholds,
    level: f64,
    total: bool,
) -> Option<Numbers> {
    basis_in(week, program, cell, known).map(|basis| basis.numbers(level, total))
}

/// What one week's [`Numbers`] of a name are computed from, at any level: all of the
/// work but the intervals, so that a page at another level than the default one only
/// computes the intervals again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Basis {
    reports: u64,
    carrying_reports: u64,
    /// The reports carrying it, as the share's numerator.
    carrying: f64,
    /// The reports that could have carried it, as the share's denominator.
    trials: f64,
    /// The fraction of installations those reports stand for.
    fraction: f64,
    seen_none: Option<f64>,
    total: stats::Total,
    observed: u64,
}

impl Basis {
    /// The numbers at `level`; without `total`, the interval of the total is not
    /// computed (its ends are the estimate).
    pub(crate) fn numbers(&self, level: f64, total: bool) -> Numbers {
        let share = stats::wilson(self.carrying, self.trials, self.fraction, stats::z(level));
        let total = if total {
            stats::total_interval(self.total, self.seen_none, level)
        } else {
            Estimate::exact(self.total.estimate)
        };
        let exact = total.is_exact() && share.high == Some(share.low);
        Numbers {
            reports: self.reports,
            carrying: self.carrying_reports,
            estimate: total.estimate,
            low: total.low,
            high: total.high,
            share: share.estimate,
            share_low: share.low,
            share_high: share.high.unwrap_or(1.0),
            total: self.observed,
            exact,
        }
    }
}

/// The [`Basis`] of one week of the name `known` looks up, its `cell` found by the
/// caller (`None` when no report carried it); `None` when it was not collected that
/// week.
fn basis_in(
    week: &str,
    program: &ProgramAggregate,
    cell: Option<&Cell>,
    known: &mut Thresholds,
) -> Option<Basis> {
    let empty = Cell::default();
    let cell = cell.unwrap_or(&empty);
    // The reports that could have carried it: per config, those with x at most its
    // probability.
    let mut eligible = 0.0;
    let mut uniform = true;
    let mut distinct = Distinct::None;
    for (key, counts) in &program.eligible {
        let Some((t, same, t_key)) = known.of(key, week) else {
            continue;
        };
        uniform &= same;
        distinct = match distinct {
            Distinct::None => Distinct::One(t),
            Distinct::One(first) if first.to_bits() == t.to_bits() => distinct,
            _ => Distinct::Several,
        };
        eligible += counts.get(t_key).copied().unwrap_or(0) as f64;
    }
    if cell.n == 0 && eligible <= 0.0 {
        // Not collected that week: nothing is known of it.
        return None;
    }
    let installations = program.installations.max(f64::MIN_POSITIVE);
    let k = cell.n as f64;
    // With one probability for every report that could carry it, the reports carrying
    // it are counted among those exactly; otherwise the share is the ratio of the two
    // weighted estimates, put on the same footing.
    let (carrying, trials) = if eligible <= 0.0 {
        let n = program.n as f64;
        (cell.reports / installations * n, n)
    } else if uniform && distinct != Distinct::Several {
        (k, eligible)
    } else {
        (cell.reports / installations * eligible, eligible)
    };
    let fraction = (trials / installations).clamp(0.0, 1.0);
    let seen_none = match distinct {
        Distinct::One(t) => Some(t),
        _ => Some(fraction),
    };
    Some(Basis {
        reports: program.n,
        carrying_reports: cell.n,
        carrying,
        trials,
        fraction,
        seen_none,
        total: stats::Total {
            units: Sum {
                seen: k,
                estimate: cell.reports,
                variance: cell.reports_var,
                observed: k,
            },
            estimate: cell.estimate,
            square_var: cell.estimate_var,
            cross_var: cell.cross_var,
            observed: cell.total as f64,
        },
        observed: cell.total,
    })
}

/// Every week of one name of kind `kind`, at `level`.
pub fn weeks_of(
    aggregate: &Aggregate,
    rates: &dyn RatesByKey,
    program: &str,
    kind: Kind,
    name: &str,
    level: f64,
) -> Vec<Point> {
    points(aggregate, program, kind, name, rates, level)
}

/// Every week of one name.
fn points(
    aggregate: &Aggregate,
    program: &str,
    kind: Kind,
    name: &str,
    rates: &dyn RatesByKey,
    level: f64,
) -> Vec<Point> {
    let mut known = Thresholds::new(rates, program, kind, name);
    aggregate
        .weeks
        .iter()
        .filter_map(|(week, programs)| {
            let p = programs.get(program)?;
            point_in(week, p, cell_of(p, kind, name), &mut known, level)
        })
        .collect()
}

/// [`weeks_of`] every name of `names` at once. Each week's sorted maps are walked once
/// beside the sorted names, rather than searched once per name: a program's page draws
/// the trend of every name it has.
pub fn weeks_of_each<'n>(
    aggregate: &Aggregate,
    rates: &dyn RatesByKey,
    program: &'n str,
    names: &'n BTreeSet<(Kind, String)>,
    level: f64,
) -> BTreeMap<&'n (Kind, String), Vec<Point>> {
    numbers_of_each(aggregate, rates, program, names, level, true)
        .into_iter()
        .map(|(name, weeks)| {
            let points = weeks
                .into_iter()
                .map(|(week, numbers)| numbers.at(week))
                .collect();
            (name, points)
        })
        .collect()
}

/// Every week of a name: the week and its numbers.
pub(crate) type WeeksOf<'a> = Vec<(&'a str, Numbers)>;

/// Every week of a name: the week and what its numbers are computed from.
pub(crate) type BasesOf<'a> = Vec<(&'a str, Basis)>;

/// Every week's numbers of every name of `names`, in the order of `names`; without
/// `totals`, the interval of the total only of each name's latest week (a trend of
/// shares needs no other).
pub(crate) fn numbers_of_each<'a, 'n>(
    aggregate: &'a Aggregate,
    rates: &dyn RatesByKey,
    program: &'n str,
    names: &'n BTreeSet<(Kind, String)>,
    level: f64,
    totals: bool,
) -> Vec<(&'n (Kind, String), WeeksOf<'a>)> {
    bases_of_each(aggregate, rates, program, names)
        .into_iter()
        .map(|(name, bases)| (name, numbers_of(bases, level, totals)))
        .collect()
}

/// The numbers of each week of `bases` at `level`; without `totals`, the interval of
/// the total only of the latest week.
pub(crate) fn numbers_of<'a>(
    bases: impl IntoIterator<Item = (&'a str, Basis), IntoIter: ExactSizeIterator>,
    level: f64,
    totals: bool,
) -> WeeksOf<'a> {
    let bases = bases.into_iter();
    let last = bases.len().saturating_sub(1);
    bases
        .enumerate()
        .map(|(i, (week, basis))| (week, basis.numbers(level, totals || i == last)))
        .collect()
}

/// Every week's [`Basis`] of every name of `names`, in the order of `names`.
pub(crate) fn bases_of_each<'a, 'n>(
    aggregate: &'a Aggregate,
    rates: &dyn RatesByKey,
    program: &'n str,
    names: &'n BTreeSet<(Kind, String)>,
) -> Vec<(&'n (Kind, String), BasesOf<'a>)> {
    let mut known: Vec<Thresholds> = names
        .iter()
        .map(|(kind, name)| Thresholds::new(rates, program, *kind, name))
        .collect();
    let weeks = aggregate
        .weeks
        .values()
        .filter(|programs| programs.contains_key(program))
        .count();
    let mut out: Vec<BasesOf<'a>> = (0..names.len())
        .map(|_| Vec::with_capacity(weeks))
        .collect();
    for (week, programs) in &aggregate.weeks {
        let Some(p) = programs.get(program) else {
            continue;
        };
        let mut walking: Option<(Kind, std::iter::Peekable<_>)> = None;
        for (i, (kind, name)) in names.iter().enumerate() {
            // Names are sorted by kind, then name: each kind's names are matched
            // against its map from its start.
            let cells = match &mut walking {
                Some((walked, cells)) if walked == kind => cells,
                _ => {
                    let map = match kind {
                        Kind::Counter => &p.counters,
                        Kind::Family | Kind::Histogram => &p.families,
                        Kind::Stack => &p.stack_counters,
                        Kind::Chain => &p.stacks,
                    };
                    &mut walking.insert((*kind, map.iter().peekable())).1
                }
            };
            while cells
                .next_if(|(key, _)| key.as_str() < name.as_str())
                .is_some()
            {}
            let cell = cells
                .next_if(|(key, _)| key.as_str() == name.as_str())
                .map(|(_, cell)| cell);
            if let Some(basis) = basis_in(week, p, cell, &mut known[i]) {
                out[i].push((week.as_str(), basis));
            }
        }
    }
    names.iter().zip(out).collect()
}

/// Every name a program's weeks hold or its configs collect, by kind.
pub fn names(
    aggregate: &Aggregate,
    program: &str,
    rates: &dyn RatesByKey,
) -> BTreeSet<(Kind, String)> {
    names_under(aggregate, program, rates, None)
}

/// Whether `name` is `counter`, one of its labels or buckets, or one of its chains.
fn under(name: &str, counter: &str) -> bool {
    name.strip_prefix(counter)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '\n']))
}

/// [`names`], or with `only`, just the names that are `only`, its labels or buckets, or
/// its chains: what [`series`] needs, found by a range of each sorted map rather than a
/// walk through every name of every week.
fn names_under(
    aggregate: &Aggregate,
    program: &str,
    rates: &dyn RatesByKey,
    only: Option<&str>,
) -> BTreeSet<(Kind, String)> {
    let mut out = BTreeSet::new();
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for programs in aggregate.weeks.values() {
        let Some(p) = programs.get(program) else {
            continue;
        };
        for (kind, map) in [
            (Kind::Counter, &p.counters),
            (Kind::Stack, &p.stack_counters),
            (Kind::Chain, &p.stacks),
        ] {
            let names: Box<dyn Iterator<Item = &String>> = match only {
                None => Box::new(map.keys()),
                Some(only) => Box::new(
                    map.range::<str, _>((Bound::Included(only), Bound::Unbounded))
                        .map(|(name, _)| name)
                        .take_while(move |name| name.starts_with(only))
                        .filter(move |name| under(name, only)),
                ),
            };
            for name in names {
                if !out.contains(&(kind, name.clone())) {
                    out.insert((kind, name.clone()));
                }
            }
        }
        keys.extend(p.eligible.keys().map(String::as_str));
    }
    collected_names(&mut out, program, rates, keys, only);
    add_families(&mut out);
    out
}

/// Adds to `out` the names that the configs of `keys` collect from `program` (with
/// `only`, those under it).
pub(crate) fn collected_names<'a>(
    out: &mut BTreeSet<(Kind, String)>,
    program: &str,
    rates: &dyn RatesByKey,
    keys: impl IntoIterator<Item = &'a str>,
    only: Option<&str>,
) {
    for key in keys {
        let Some(collected) = rates.rates(key).and_then(|r| r.collected(program)) else {
            continue;
        };
        for c in collected {
            if only.is_some_and(|only| !under(&c.name, only)) {
                continue;
            }
            out.insert((
                if c.stack { Kind::Stack } else { Kind::Counter },
                c.name.clone(),
            ));
        }
    }
}

/// Adds to `out` the family of every `chart:label` counter in it: a histogram when
/// every label is a bucket bound.
pub(crate) fn add_families(out: &mut BTreeSet<(Kind, String)>) {
    let mut families: BTreeMap<&str, bool> = BTreeMap::new();
    for (kind, name) in out.iter() {
        if *kind != Kind::Counter {
            continue;
        }
        if let Some((family, bucket)) = name.split_once(':') {
            let histogram = families.entry(family).or_insert(true);
            *histogram &= telemetry_rules::bucket::bound(bucket).is_some();
        }
    }
    let families: Vec<(Kind, String)> = families
        .into_iter()
        .map(|(family, histogram)| {
            let kind = if histogram {
                Kind::Histogram
            } else {
                Kind::Family
            };
            (kind, family.to_string())
        })
        .collect();
    out.extend(families);
}

/// What `counter` names for `program`: a chain (it holds a newline), a stack counter, a
/// family or histogram (the part before `:` of names it has), or else a counter.
pub fn kind_of(names: &BTreeSet<(Kind, String)>, counter: &str) -> Option<Kind> {
    if counter.contains('\n') {
        return names
            .contains(&(Kind::Chain, counter.to_string()))
            .then_some(Kind::Chain);
    }
    [Kind::Counter, Kind::Stack, Kind::Histogram, Kind::Family]
        .into_iter()
        .find(|kind| names.contains(&(*kind, counter.to_string())))
}

/// The series of one name of one program at `level`: `None` when the program never
/// reported it and no config collects it.
pub fn series(
    aggregate: &Aggregate,
    rates: &dyn RatesByKey,
    program: &str,
    counter: &str,
    level: f64,
) -> Option<Series> {
    let names = names_under(aggregate, program, rates, Some(counter));
    let kind = kind_of(&names, counter)?;
    let mut members: Vec<&String> = match kind {
        Kind::Family | Kind::Histogram => names
            .iter()
            .filter(|(k, n)| *k == Kind::Counter && family_of(n) == Some(counter))
            .map(|(_, n)| n)
            .collect(),
        Kind::Stack => names
            .iter()
            .filter(|(k, n)| *k == Kind::Chain && n.split('\n').next() == Some(counter))
            .map(|(_, n)| n)
            .collect(),
        Kind::Counter | Kind::Chain => Vec::new(),
    };
    if kind == Kind::Histogram {
        members.sort_by(|a, b| telemetry_rules::bucket::cmp_names(a, b));
    }
    let member_kind = if kind == Kind::Stack {
        Kind::Chain
    } else {
        Kind::Counter
    };
    Some(Series {
        program: program.to_string(),
        counter: counter.to_string(),
        kind,
        level: stats::clamp_level(level),
        weeks: points(aggregate, program, kind, counter, rates, level),
        members: members
            .into_iter()
            .map(|name| Member {
                counter: name.clone(),
                weeks: points(aggregate, program, member_kind, name, rates, level),
            })
            .collect(),
    })
}

/// The bucket of `chart:bucket`.
pub fn bucket_of(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, bucket)| bucket)
}

/// The shares of one build property in one week: among the reports, those with a build
/// of each value (weighted by the configs' top rates when several configs were in
/// force), with the Wilson interval of a sample of that fraction of the installations.
fn mix(program: &ProgramAggregate, cells: &BTreeMap<String, Cell>, z: f64) -> Vec<Mix> {
    let installations = program.installations.max(f64::MIN_POSITIVE);
    let n = program.n as f64;
    let fraction = (n / installations).clamp(0.0, 1.0);
    cells
        .iter()
        .map(|(value, cell)| {
            let share = stats::wilson(cell.reports / installations * n, n, fraction, z);
            Mix {
                value: value.clone(),
                reports: cell.n,
                share: share.estimate,
                share_low: share.low,
                share_high: share.high.unwrap_or(1.0),
            }
        })
        .collect()
}

/// Versions newest first (semver order, then others by name, last).
fn newest_first(mix: &mut [Mix]) {
    mix.sort_by(|a, b| order::versions(&b.value, &a.value));
}

/// Most common first.
fn commonest_first(mix: &mut [Mix]) {
    mix.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.value.cmp(&b.value)));
}

/// One week of a program.
pub fn reporting(week: &str, program: &ProgramAggregate, z: f64) -> Reporting {
    let installations = stats::interval(
        Sum {
            seen: program.n as f64,
            estimate: program.installations,
            variance: program.installations_var,
            observed: program.n as f64,
        },
        None,
        true,
        z,
    );
    let mut versions = mix(program, &program.versions, z);
    newest_first(&mut versions);
    let mut toolchains = mix(program, &program.toolchains, z);
    newest_first(&mut toolchains);
    let mut os = mix(program, &program.os, z);
    commonest_first(&mut os);
    let mut arch = mix(program, &program.arch, z);
    commonest_first(&mut arch);
    Reporting {
        week: week.to_string(),
        reports: program.n,
        installations: installations.estimate,
        low: installations.low,
        high: installations.high.unwrap_or(installations.estimate),
        exact: installations.is_exact(),
        versions,
        toolchains,
        os,
        arch,
    }
}

/// The participation of one program at `level`: `None` when it never reported.
pub fn participation(aggregate: &Aggregate, program: &str, level: f64) -> Option<Participation> {
    let z = stats::z(level);
    let weeks: Vec<Reporting> = aggregate
        .weeks
        .iter()
        .filter_map(|(week, programs)| Some(reporting(week, programs.get(program)?, z)))
        .collect();
    (!weeks.is_empty()).then(|| Participation {
        program: program.to_string(),
        level: stats::clamp_level(level),
        weeks,
    })
}

/// Every program that reported in any week.
pub fn programs(aggregate: &Aggregate) -> BTreeSet<&str> {
    aggregate
        .weeks
        .values()
        .flat_map(|programs| programs.keys().map(String::as_str))
        .collect()
}
