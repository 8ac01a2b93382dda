//! What charts are drawn from: per week and program, how many reports carried each
//! counter, and sampling-aware estimates built from the rates those reports were
//! sampled at.
//!
//! A report carries a counter only if its `x` was at most the counter's rate and the
//! config's `sample_rate` (the client drops the rest), so a report carrying it stands
//! for `1 / p` reports, `p` being the smaller of the two rates. The estimates sum those
//! weights; `n`, the number of reports behind each estimate, is always kept next to it
//! so a reader can judge how much to trust it. A local report, which was not sampled,
//! has `p = 1` everywhere and its estimates are its counts.
//!
//! Aggregates add up: the aggregate of a day's reports merged with the next day's is
//! the aggregate of both days. Every map is sorted and every sum is taken in the order
//! the reports are given, so the same reports in the same order always give the same
//! bytes ([`Aggregate::to_json`]): the server's published aggregates can be rebuilt and
//! compared byte for byte.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telemetry_formats::report::Report;

/// The aggregate format version.
pub const FORMAT: u32 = 1;

/// Counts and estimates for one name (a counter, a bucket, a label or a stack chain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Reports that carried it.
    pub n: u64,
    /// The estimated number of reports that had it: the sum of `1 / p`.
    pub reports: f64,
    /// The sum of its counts over the reports that carried it.
    pub total: u64,
    /// The estimated sum of its counts over all reports: the sum of `count / p`.
    pub estimate: f64,
}

impl Cell {
    fn add(&mut self, value: u64, p: f64) {
        let weight = 1.0 / p;
        self.n += 1;
        self.reports += weight;
        self.total = self.total.saturating_add(value);
        self.estimate += value as f64 * weight;
    }

    fn merge(&mut self, other: &Cell) {
        self.n += other.n;
        self.reports += other.reports;
        self.total = self.total.saturating_add(other.total);
        self.estimate += other.estimate;
    }
}

/// One program in one week.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramAggregate {
    /// Reports holding this program.
    pub n: u64,
    /// The estimated number of reports: the sum of `1 / sample_rate`.
    pub reports: f64,
    /// Reports by program version.
    pub versions: BTreeMap<String, u64>,
    /// Reports by operating system.
    pub os: BTreeMap<String, u64>,
    /// Reports by architecture.
    pub arch: BTreeMap<String, u64>,
    /// Reports by Rust toolchain.
    pub toolchains: BTreeMap<String, u64>,
    /// Counters, buckets and labels.
    pub counters: BTreeMap<String, Cell>,
    /// Stack chains (`<stack counter>\n<frame>…`).
    pub stacks: BTreeMap<String, Cell>,
}

/// Reports of any number of weeks, by week (the `week` field) and program.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// [`FORMAT`].
    pub format: u32,
    /// Reports added.
    pub n: u64,
    /// Week → program → its aggregate.
    pub weeks: BTreeMap<String, BTreeMap<String, ProgramAggregate>>,
}

/// The probability with which a report carries a name, given the rates it was
/// sampled at: for local reports, [`Unsampled`].
pub trait Rates {
    /// The probability a report of `program` carries the report at all.
    fn report(&self, program: &str) -> f64;
    /// The probability a report of `program` carries counter `name` (`stack` for a
    /// stack counter's name).
    fn name(&self, program: &str, name: &str, stack: bool) -> f64;
}

/// Rates of reports that were not sampled: every probability is 1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unsampled;

impl Rates for Unsampled {
    fn report(&self, _: &str) -> f64 {
        1.0
    }
    fn name(&self, _: &str, _: &str, _: bool) -> f64 {
        1.0
    }
}

/// A probability fit to divide by: rates of zero or less (a report that should not
/// have been sent), or not numbers, count as 1.
fn usable(p: f64) -> f64 {
    if p > 0.0 && p <= 1.0 { p } else { 1.0 }
}

impl Aggregate {
    /// An empty aggregate.
    pub fn new() -> Aggregate {
        Aggregate {
            format: FORMAT,
            ..Aggregate::default()
        }
    }

    /// Adds one report. Several builds of one program in a report (two versions used
    /// that week) count as one report of that program, their counts added.
    pub fn add(&mut self, report: &Report, rates: &dyn Rates) {
        self.n += 1;
        let week = self.weeks.entry(report.week.clone()).or_default();
        // Program → (counters, chains), its builds' counts added.
        type Counts<'a> = BTreeMap<&'a str, u64>;
        let mut seen: BTreeMap<&str, (Counts, Counts)> = BTreeMap::new();
        for build in &report.programs {
            let (counters, stacks) = seen.entry(&build.program).or_default();
            for (name, value) in &build.counters {
                let total = counters.entry(name).or_insert(0);
                *total = total.saturating_add(*value);
            }
            for (chain, value) in &build.stacks {
                let total = stacks.entry(chain).or_insert(0);
                *total = total.saturating_add(*value);
            }
            let program = week.entry(build.program.clone()).or_default();
            for (map, key) in [
                (&mut program.versions, &build.version),
                (&mut program.os, &build.os),
                (&mut program.arch, &build.arch),
                (&mut program.toolchains, &build.toolchain),
            ] {
                *map.entry(key.clone()).or_insert(0) += 1;
            }
        }
        for (name, (counters, stacks)) in seen {
            let program = week.entry(name.to_string()).or_default();
            let p_report = usable(rates.report(name));
            program.n += 1;
            program.reports += 1.0 / p_report;
            for (counter, value) in counters {
                let p = usable(rates.name(name, counter, false)).min(p_report);
                program
                    .counters
                    .entry(counter.to_string())
                    .or_default()
                    .add(value, p);
            }
            for (chain, value) in stacks {
                let owner = chain.split('\n').next().unwrap_or("");
                let p = usable(rates.name(name, owner, true)).min(p_report);
                program
                    .stacks
                    .entry(chain.to_string())
                    .or_default()
                    .add(value, p);
            }
        }
    }

    /// Adds another aggregate to this one.
    pub fn merge(&mut self, other: &Aggregate) {
        self.n += other.n;
        for (week, programs) in &other.weeks {
            let into = self.weeks.entry(week.clone()).or_default();
            for (name, theirs) in programs {
                let ours = into.entry(name.clone()).or_default();
                ours.n += theirs.n;
                ours.reports += theirs.reports;
                for (mine, their) in [
                    (&mut ours.versions, &theirs.versions),
                    (&mut ours.os, &theirs.os),
                    (&mut ours.arch, &theirs.arch),
                    (&mut ours.toolchains, &theirs.toolchains),
                ] {
                    for (key, count) in their {
                        *mine.entry(key.clone()).or_insert(0) += count;
                    }
                }
                for (mine, their) in [
                    (&mut ours.counters, &theirs.counters),
                    (&mut ours.stacks, &theirs.stacks),
                ] {
                    for (key, cell) in their {
                        mine.entry(key.clone()).or_default().merge(cell);
                    }
                }
            }
        }
    }

    /// The aggregate as compact JSON: the same aggregate always gives the same bytes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads an aggregate written by [`Aggregate::to_json`], strictly.
    pub fn from_json(text: &str) -> Result<Aggregate, String> {
        let aggregate: Aggregate = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if aggregate.format != FORMAT {
            return Err(format!(
                "aggregate format {}, not the format {FORMAT} this program reads",
                aggregate.format
            ));
        }
        Ok(aggregate)
    }

    /// The latest week with any report, if any.
    pub fn latest_week(&self) -> Option<&str> {
        self.weeks.keys().next_back().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_formats::report::{FORMAT as REPORT_FORMAT, ProgramReport};

    type Build<'a> = (&'a str, &'a str, &'a [(&'a str, u64)]);

    fn report(week: &str, x: f64, builds: &[Build]) -> Report {
        Report {
            format: REPORT_FORMAT,
            week: week.into(),
            last_week: String::new(),
            x,
            config: "1".into(),
            programs: builds
                .iter()
                .map(|(program, version, counters)| ProgramReport {
                    program: program.to_string(),
                    version: version.to_string(),
                    toolchain: "1.95.0".into(),
                    os: "linux".into(),
                    arch: "x86_64".into(),
                    counters: counters.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
                    stacks: BTreeMap::new(),
                })
                .collect(),
        }
    }

    struct Half;
    impl Rates for Half {
        fn report(&self, _: &str) -> f64 {
            1.0
        }
        fn name(&self, _: &str, name: &str, _: bool) -> f64 {
            if name == "kv/rare" { 0.25 } else { 1.0 }
        }
    }

    #[test]
    fn weights_follow_the_rates_and_n_counts_reports() {
        let mut agg = Aggregate::new();
        agg.add(
            &report(
                "2026-11-26",
                0.1,
                &[("kv", "0.1.0", &[("kv/rare", 3), ("kv/common", 1)])],
            ),
            &Half,
        );
        agg.add(
            &report("2026-11-26", 0.7, &[("kv", "0.1.0", &[("kv/common", 5)])]),
            &Half,
        );
        let kv = &agg.weeks["2026-11-26"]["kv"];
        assert_eq!(kv.n, 2);
        assert_eq!(
            kv.counters["kv/rare"],
            Cell {
                n: 1,
                reports: 4.0,
                total: 3,
                estimate: 12.0
            }
        );
        assert_eq!(
            kv.counters["kv/common"],
            Cell {
                n: 2,
                reports: 2.0,
                total: 6,
                estimate: 6.0
            }
        );
    }

    #[test]
    fn two_builds_of_one_program_are_one_report() {
        let mut agg = Aggregate::new();
        agg.add(
            &report(
                "2026-11-26",
                0.5,
                &[
                    ("kv", "0.1.0", &[("kv/a", 2)]),
                    ("kv", "0.2.0", &[("kv/a", 3)]),
                ],
            ),
            &Unsampled,
        );
        let kv = &agg.weeks["2026-11-26"]["kv"];
        assert_eq!(kv.n, 1);
        assert_eq!(kv.counters["kv/a"].n, 1);
        assert_eq!(kv.counters["kv/a"].total, 5);
        assert_eq!(kv.versions.len(), 2);
    }

    #[test]
    fn merging_equals_adding_and_json_round_trips() {
        let a = report("2026-11-26", 0.1, &[("kv", "0.1.0", &[("kv/a", 2)])]);
        let b = report(
            "2026-12-03",
            0.2,
            &[("kv", "0.1.0", &[("kv/a", 7), ("kv/b", 1)])],
        );
        let mut both = Aggregate::new();
        both.add(&a, &Half);
        both.add(&b, &Half);
        let (mut first, mut second) = (Aggregate::new(), Aggregate::new());
        first.add(&a, &Half);
        second.add(&b, &Half);
        first.merge(&second);
        assert_eq!(first, both);
        assert_eq!(Aggregate::from_json(&both.to_json()), Ok(both.clone()));
        assert_eq!(both.latest_week(), Some("2026-12-03"));
        assert!(Aggregate::from_json("{\"format\":2,\"n\":0,\"weeks\":{}}").is_err());
    }
}
