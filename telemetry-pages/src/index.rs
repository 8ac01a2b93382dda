//! An aggregate with the names of each program found once ([`Indexed`]), for the pages
//! that list every name of a program: its trends and its "decide" summary.
//!
//! Walking every name of every week to learn which names a program has costs as much
//! as the weeks are many and their names varied: a stack counter alone can bring
//! thousands of distinct chains a week. The server indexes its weeks once, when it
//! reads what was published, and every page is then drawn from the index. Chains are
//! not in it: they are listed on their stack counter's own page (found there by a
//! range of each week's sorted map), not among a program's names.
//!
//! The server also computes, once per publication, what every name's weeks are computed
//! from ([`Indexed::with_trends`]): all of the work but the intervals, so that a
//! program's page, at whatever level its reader asks for, only computes those.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::Aggregate;
use crate::rates::RatesByKey;
use crate::series::{self, Basis, Kind, Numbers};

/// What the weeks of one program hold, every week together.
#[derive(Clone, Debug, Default, PartialEq)]
struct Held {
    /// Counters, buckets and labels.
    counters: BTreeSet<String>,
    /// Stack counters.
    stacks: BTreeSet<String>,
    /// The rates keys (config versions) its reports were filtered by.
    keys: BTreeSet<String>,
}

/// Every week's basis of each name of a program.
type Trends = BTreeMap<(Kind, String), Vec<(String, Basis)>>;

/// An aggregate and, per program, the names its weeks hold: built once, read by every
/// page. The aggregate cannot be changed without indexing it again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indexed {
    aggregate: Aggregate,
    programs: BTreeMap<String, Held>,
    /// Per program, what every name's weeks are computed from, when computed once
    /// ([`Indexed::with_trends`]).
    trends: BTreeMap<String, Trends>,
}

impl Indexed {
    /// Indexes `aggregate`.
    pub fn new(aggregate: Aggregate) -> Indexed {
        let mut programs: BTreeMap<String, Held> = BTreeMap::new();
        for week in aggregate.weeks.values() {
            for (name, program) in week {
                let held = match programs.get_mut(name.as_str()) {
                    Some(held) => held,
                    None => programs.entry(name.clone()).or_default(),
                };
                add(&mut held.counters, program.counters.keys());
                add(&mut held.stacks, program.stack_counters.keys());
                add(&mut held.keys, program.eligible.keys());
            }
        }
        Indexed {
            aggregate,
            programs,
            trends: BTreeMap::new(),
        }
    }

    /// Indexes `aggregate` and computes, once, with `rates`, what the weeks of every
    /// name of every program are computed from: all of the work but the intervals, so
    /// that a program's page, at any level, only computes those.
    ///
    /// A name's numbers depend only on the aggregate and the configs its reports were
    /// filtered by, which never change once served; a config served later may collect
    /// more names, whose weeks are computed when a page needs them.
    pub fn with_trends(aggregate: Aggregate, rates: &dyn RatesByKey) -> Indexed {
        let mut indexed = Indexed::new(aggregate);
        let mut trends = BTreeMap::new();
        for program in indexed.programs.keys() {
            let names = indexed.names(program, rates);
            let each = series::bases_of_each(&indexed.aggregate, rates, program, &names);
            let weeks: Trends = each
                .into_iter()
                .map(|(name, weeks)| {
                    let weeks = weeks
                        .into_iter()
                        .map(|(week, basis)| (week.to_string(), basis))
                        .collect();
                    (name.clone(), weeks)
                })
                .collect();
            trends.insert(program.clone(), weeks);
        }
        indexed.trends = trends;
        indexed
    }

    /// Every week's numbers of each of `names` of `program` at `level`, from what
    /// [`Indexed::with_trends`] computed where it did, the others computed now; without
    /// `totals`, with the interval of the total of the latest week only.
    pub(crate) fn numbers_of_each<'a>(
        &'a self,
        rates: &dyn RatesByKey,
        program: &'a str,
        names: &'a BTreeSet<(Kind, String)>,
        level: f64,
        totals: bool,
    ) -> BTreeMap<&'a (Kind, String), Vec<(&'a str, Numbers)>> {
        let Some(known) = self.trends.get(program) else {
            return series::numbers_of_each(&self.aggregate, rates, program, names, level, totals)
                .into_iter()
                .collect();
        };
        let mut out = BTreeMap::new();
        let mut missing = BTreeSet::new();
        for name in names {
            match known.get(name) {
                Some(weeks) => {
                    let weeks = weeks.iter().map(|(week, basis)| (week.as_str(), *basis));
                    out.insert(name, series::numbers_of(weeks, level, totals));
                }
                None => {
                    missing.insert(name.clone());
                }
            }
        }
        if !missing.is_empty() {
            for (name, weeks) in
                series::numbers_of_each(&self.aggregate, rates, program, &missing, level, totals)
            {
                if let Some(name) = names.get(name) {
                    out.insert(name, weeks);
                }
            }
        }
        out
    }

    /// The aggregate indexed.
    pub fn aggregate(&self) -> &Aggregate {
        &self.aggregate
    }

    /// Every name of `program` but stack chains, by kind: the counters, buckets and
    /// labels and the stack counters its weeks hold, the names the configs its reports
    /// were filtered by collect (as [`series::names`] finds them), and the families
    /// and histograms of them all. Empty when the program never reported.
    pub fn names(&self, program: &str, rates: &dyn RatesByKey) -> BTreeSet<(Kind, String)> {
        let Some(held) = self.programs.get(program) else {
            return BTreeSet::new();
        };
        let mut out: BTreeSet<(Kind, String)> = held
            .counters
            .iter()
            .map(|name| (Kind::Counter, name.clone()))
            .chain(held.stacks.iter().map(|name| (Kind::Stack, name.clone())))
            .collect();
        series::collected_names(
            &mut out,
            program,
            rates,
            held.keys.iter().map(String::as_str),
            None,
        );
        series::add_families(&mut out);
        out
    }
}

/// Adds `names` to `set`, copying only those it lacks.
fn add<'a>(set: &mut BTreeSet<String>, names: impl Iterator<Item = &'a String>) {
    for name in names {
        if !set.contains(name.as_str()) {
            set.insert(name.clone());
        }
    }
}

impl From<Aggregate> for Indexed {
    fn from(aggregate: Aggregate) -> Indexed {
        Indexed::new(aggregate)
    }
}
