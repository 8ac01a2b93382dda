//! What every number is computed from: per week and program, how many reports there
//! were and carried each name, and the sums the estimates and their intervals need,
//! built from the rates those reports were sampled at ([`crate::rates`]).
//!
//! A report carries a counter only if its `x` was at most the counter's rate and the
//! config's `sample_rate` (the client drops the rest), so a report carrying it stands
//! for `1 / p` reports, `p` being the smaller of the two rates. Each [`Cell`] keeps the
//! sums of those weights, of the counts weighted alike, and of the terms of their
//! variances; `n`, the number of reports behind each estimate, is always kept next to
//! them. A local report, which was not sampled, has `p = 1` everywhere: its estimates
//! are its counts and their variances are zero.
//!
//! The installations estimates speak of are those whose week counted at least one name
//! collected at the program's highest probability in force (its *top* rate: the sample
//! rate, when any of its counters is collected at rate 1): each of them is seen
//! exactly when its `x` is at most the top rate. A report whose names are all collected
//! at lower rates comes from an installation that is seen less often, with a
//! probability the server cannot know for the ones it did not see; such reports are
//! counted apart ([`ProgramAggregate::outside`]) and published like every report, but
//! left out of every estimate.
//!
//! Which reports *could* have carried a name matters as much as which did: a name at
//! rate 0.01 is absent from 99% of reports by design. Each program keeps, per config
//! version and per distinct rate `t`, how many of its reports had `x <= t`
//! ([`ProgramAggregate::eligible`]): the share of installations having a name is the
//! share among those.
//!
//! Aggregates add up: the aggregate of a day's reports merged with the next day's is
//! the aggregate of both days. Every map is sorted and every sum is taken in the order
//! the reports are given, so the same reports in the same order always give the same
//! bytes ([`Aggregate::to_json`]): the server's published aggregates can be rebuilt and
//! compared byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use telemetry_formats::report::Report;

use crate::rates::{Rates, usable};

/// The aggregate format version.
pub const FORMAT: u32 = 2;

/// Counts and estimates for one name (a counter, a bucket, a label, a family of them,
/// a stack counter or one of its chains, or a build's version, os, arch or toolchain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Reports that carried it.
    pub n: u64,
    /// The estimated number of reports that had it: the sum of `1 / p`.
    pub reports: f64,
    /// The estimated variance of `reports`: the sum of `(1 - p) / p²`.
    pub reports_var: f64,
    /// The sum of its counts over the reports that carried it.
    pub total: u64,
    /// The estimated sum of its counts over all reports: the sum of `count / p`.
    pub estimate: f64,
    /// The estimated variance of `estimate`: the sum of `count² (1 - p) / p²`.
    pub estimate_var: f64,
    /// The sum of `count (1 - p) / p²`: with the two sums above, the variance of the
    /// mean count per report carrying it.
    pub cross_var: f64,
}

impl Cell {
    fn add(&mut self, value: u64, p: f64) {
        let weight = 1.0 / p;
        let spread = (1.0 - p) * weight * weight;
        let value_f = value as f64;
        self.n += 1;
        self.reports += weight;
        self.reports_var += spread;
        self.total = self.total.saturating_add(value);
        self.estimate += value_f * weight;
        self.estimate_var += value_f * value_f * spread;
        self.cross_var += value_f * spread;
    }

    fn merge(&mut self, other: &Cell) {
        self.n += other.n;
        self.reports += other.reports;
        self.reports_var += other.reports_var;
        self.total = self.total.saturating_add(other.total);
        self.estimate += other.estimate;
        self.estimate_var += other.estimate_var;
        self.cross_var += other.cross_var;
    }
}

/// One program in one week.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramAggregate {
    /// Reports holding this program that estimates are made from (see the module's
    /// documentation).
    pub n: u64,
    /// Reports holding this program whose names were all collected below its top rate:
    /// received and published, but in no estimate.
    pub outside: u64,
    /// The estimated number of reporting installations: the sum over reports of
    /// `1 / top`, the top rate of the config the report was filtered by.
    pub installations: f64,
    /// The estimated variance of `installations`: the sum of `(1 - top) / top²`.
    pub installations_var: f64,
    /// Per rates key (config version), per probability `t` (written as a decimal):
    /// the reports with `x <= t`. Every installation with `x <= t` is among them.
    pub eligible: BTreeMap<String, BTreeMap<String, u64>>,
    /// Reports by program version (one count per report, weighted by `1 / top`).
    pub versions: BTreeMap<String, Cell>,
    /// Reports by operating system.
    pub os: BTreeMap<String, Cell>,
    /// Reports by architecture.
    pub arch: BTreeMap<String, Cell>,
    /// Reports by Rust toolchain.
    pub toolchains: BTreeMap<String, Cell>,
    /// Counters, buckets and labels.
    pub counters: BTreeMap<String, Cell>,
    /// Families (`chart` of `chart:bucket`): reports carrying any member, counts of
    /// all members added; each report weighted by the largest probability among the
    /// members it carries.
    pub families: BTreeMap<String, Cell>,
    /// Stack chains (`<stack counter>\n<frame>…`).
    pub stacks: BTreeMap<String, Cell>,
    /// Stack counters: reports carrying any of their chains, counts of all added.
    pub stack_counters: BTreeMap<String, Cell>,
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

/// A probability as it is written in [`ProgramAggregate::eligible`].
pub fn threshold_key(t: f64) -> String {
    format!("{t}")
}

/// What one report holds of one program, its builds added together.
#[derive(Default)]
struct Held<'a> {
    counters: BTreeMap<&'a str, u64>,
    stacks: BTreeMap<&'a str, u64>,
    versions: BTreeSet<&'a str>,
    os: BTreeSet<&'a str>,
    arch: BTreeSet<&'a str>,
    toolchains: BTreeSet<&'a str>,
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
        let mut seen: BTreeMap<&str, Held> = BTreeMap::new();
        for build in &report.programs {
            let held = seen.entry(&build.program).or_default();
            for (name, value) in &build.counters {
                let total = held.counters.entry(name).or_insert(0);
                *total = total.saturating_add(*value);
            }
            for (chain, value) in &build.stacks {
                let total = held.stacks.entry(chain).or_insert(0);
                *total = total.saturating_add(*value);
            }
            held.versions.insert(&build.version);
            held.os.insert(&build.os);
            held.arch.insert(&build.arch);
            held.toolchains.insert(&build.toolchain);
        }
        let key = rates.key();
        for (name, held) in seen {
            let program = week.entry(name.to_string()).or_default();
            program.add(name, &held, report.x, &key, rates);
        }
    }

    /// Adds another aggregate to this one.
    pub fn merge(&mut self, other: &Aggregate) {
        self.n += other.n;
        for (week, programs) in &other.weeks {
            let into = self.weeks.entry(week.clone()).or_default();
            for (name, theirs) in programs {
                into.entry(name.clone()).or_default().merge(theirs);
            }
        }
    }

    /// The aggregate as compact JSON: the same aggregate always gives the same bytes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads an aggregate written by [`Aggregate::to_json`], strictly.
    pub fn from_json(text: &str) -> Result<Aggregate, String> {
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        // The format first, so that an older aggregate is named as such rather than
        // as a field this reader does not know.
        let format = serde_json::from_str::<Format>(text)
            .map_err(|e| e.to_string())?
            .format;
        if format != FORMAT {
            return Err(format!(
                "aggregate format {format}, not the format {FORMAT} this program reads"
            ));
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The latest week with any report, if any.
    pub fn latest_week(&self) -> Option<&str> {
        self.weeks.keys().next_back().map(String::as_str)
    }
}

impl ProgramAggregate {
    fn add(&mut self, program: &str, held: &Held, x: f64, key: &str, rates: &dyn Rates) {
        let p_report = usable(rates.report(program));
        let p_of = |name: &str, stack: bool| usable(rates.name(program, name, stack)).min(p_report);
        let thresholds = rates.thresholds(program);
        let top = thresholds.iter().copied().fold(0.0, f64::max);
        let top = if top > 0.0 { top } else { p_report };
        // The largest probability among the names carried: the report was seen because
        // its x was at most that. Below the top rate, it is outside the population.
        let carried = held
            .counters
            .keys()
            .map(|name| p_of(name, false))
            .chain(
                held.stacks
                    .keys()
                    .map(|chain| p_of(chain.split('\n').next().unwrap_or(""), true)),
            )
            .fold(0.0, f64::max);
        if carried < top && !(held.counters.is_empty() && held.stacks.is_empty()) {
            self.outside += 1;
            return;
        }
        let mut families: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
        for (counter, value) in &held.counters {
            let p = p_of(counter, false);
            self.counters
                .entry(counter.to_string())
                .or_default()
                .add(*value, p);
            if let Some((family, _)) = counter.split_once(':') {
                let (total, most) = families.entry(family).or_insert((0, 0.0));
                *total = total.saturating_add(*value);
                *most = most.max(p);
            }
        }
        for (family, (total, p)) in families {
            self.families
                .entry(family.to_string())
                .or_default()
                .add(total, p);
        }
        let mut owners: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
        for (chain, value) in &held.stacks {
            let owner = chain.split('\n').next().unwrap_or("");
            let p = p_of(owner, true);
            self.stacks
                .entry(chain.to_string())
                .or_default()
                .add(*value, p);
            let (total, _) = owners.entry(owner).or_insert((0, p));
            *total = total.saturating_add(*value);
        }
        for (owner, (total, p)) in owners {
            self.stack_counters
                .entry(owner.to_string())
                .or_default()
                .add(total, p);
        }
        self.n += 1;
        self.installations += 1.0 / top;
        self.installations_var += (1.0 - top) / (top * top);
        for (map, values) in [
            (&mut self.versions, &held.versions),
            (&mut self.os, &held.os),
            (&mut self.arch, &held.arch),
            (&mut self.toolchains, &held.toolchains),
        ] {
            for value in values {
                map.entry(value.to_string()).or_default().add(1, top);
            }
        }
        let eligible = self.eligible.entry(key.to_string()).or_default();
        for t in thresholds {
            if x <= t {
                *eligible.entry(threshold_key(t)).or_insert(0) += 1;
            }
        }
    }

    fn merge(&mut self, theirs: &ProgramAggregate) {
        self.n += theirs.n;
        self.outside += theirs.outside;
        self.installations += theirs.installations;
        self.installations_var += theirs.installations_var;
        for (key, thresholds) in &theirs.eligible {
            let mine = self.eligible.entry(key.clone()).or_default();
            for (t, n) in thresholds {
                *mine.entry(t.clone()).or_insert(0) += n;
            }
        }
        for (mine, their) in [
            (&mut self.versions, &theirs.versions),
            (&mut self.os, &theirs.os),
            (&mut self.arch, &theirs.arch),
            (&mut self.toolchains, &theirs.toolchains),
            (&mut self.counters, &theirs.counters),
            (&mut self.families, &theirs.families),
            (&mut self.stacks, &theirs.stacks),
            (&mut self.stack_counters, &theirs.stack_counters),
        ] {
            for (key, cell) in their {
                mine.entry(key.clone()).or_default().merge(cell);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::Unsampled;
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
        fn key(&self) -> String {
            "half".into()
        }
        fn report(&self, _: &str) -> f64 {
            1.0
        }
        fn name(&self, _: &str, name: &str, _: bool) -> f64 {
            if name == "kv/rare" { 0.25 } else { 1.0 }
        }
        fn thresholds(&self, _: &str) -> Vec<f64> {
            vec![0.25, 1.0]
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
                reports_var: 0.75 * 16.0,
                total: 3,
                estimate: 12.0,
                estimate_var: 9.0 * 0.75 * 16.0,
                cross_var: 3.0 * 0.75 * 16.0,
            }
        );
        assert_eq!(
            kv.counters["kv/common"],
            Cell {
                n: 2,
                reports: 2.0,
                reports_var: 0.0,
                total: 6,
                estimate: 6.0,
                estimate_var: 0.0,
                cross_var: 0.0,
            }
        );
        // Both reports carry a counter at rate 1: each stands for one installation.
        assert_eq!(kv.installations, 2.0);
        assert_eq!(kv.installations_var, 0.0);
        // One report had x <= 0.25, both x <= 1.
        assert_eq!(
            kv.eligible["half"],
            BTreeMap::from([("0.25".to_string(), 1), ("1".to_string(), 2)])
        );
    }

    #[test]
    fn a_report_carrying_only_names_below_the_top_rate_is_outside_every_estimate() {
        let mut agg = Aggregate::new();
        agg.add(
            &report("2026-11-26", 0.2, &[("kv", "0.1.0", &[("kv/rare", 1)])]),
            &Half,
        );
        let kv = &agg.weeks["2026-11-26"]["kv"];
        assert_eq!((kv.n, kv.outside), (0, 1));
        assert_eq!(kv.installations, 0.0);
        assert!(kv.counters.is_empty() && kv.versions.is_empty() && kv.eligible.is_empty());
    }

    #[test]
    fn families_and_stack_counters_count_reports_carrying_any_member() {
        let mut r = report(
            "2026-11-26",
            0.1,
            &[(
                "kv",
                "0.1.0",
                &[("kv/rare", 1), ("kv/command:get", 2), ("kv/command:set", 5)],
            )],
        );
        r.programs[0].stacks = BTreeMap::from([
            ("kv/bug\na\nb".to_string(), 2),
            ("kv/bug\nc".to_string(), 1),
        ]);
        let mut agg = Aggregate::new();
        agg.add(&r, &Half);
        let kv = &agg.weeks["2026-11-26"]["kv"];
        let family = &kv.families["kv/command"];
        assert_eq!((family.n, family.total, family.reports), (1, 7, 1.0));
        assert!(!kv.families.contains_key("kv/rare"));
        let bug = &kv.stack_counters["kv/bug"];
        assert_eq!((bug.n, bug.total), (1, 3));
        assert_eq!(kv.stacks.len(), 2);
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
        // One os for both builds: one report on linux.
        assert_eq!(kv.os["linux"].n, 1);
    }

    #[test]
    fn merging_equals_adding_and_json_round_trips() {
        let a = report("2026-11-26", 0.1, &[("kv", "0.1.0", &[("kv/a", 2)])]);
        let b = report(
            "2026-12-03",
            0.2,
            &[("kv", "0.1.0", &[("kv/a", 7), ("kv/rare", 1)])],
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
    }

    #[test]
    fn other_formats_are_refused_by_name() {
        assert_eq!(
            Aggregate::from_json("{\"format\":1,\"n\":0,\"weeks\":{}}"),
            Err("aggregate format 1, not the format 2 this program reads".into())
        );
        assert!(Aggregate::from_json("{\"format\":2,\"n\":0,\"weeks\":{},\"x\":1}").is_err());
        assert!(Aggregate::from_json("[]").is_err());
    }
}
