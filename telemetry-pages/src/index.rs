//! An aggregate with the names of each program found once ([`Indexed`]), for the pages
//! that list every name of a program: its trends and its "decide" summary.
//!
//! Walking every name of every week to learn which names a program has costs as much
//! as the weeks are many and their names varied: a stack counter alone can bring
//! thousands of distinct chains a week. The server indexes its weeks once, when it
//! reads what was published, and every page is then drawn from the index. Chains are
//! not in it: they are listed on their stack counter's own page (found there by a
//! range of each week's sorted map), not among a program's names.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::Aggregate;
use crate::rates::RatesByKey;
use crate::series::{self, Kind};

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

/// An aggregate and, per program, the names its weeks hold: built once, read by every
/// page. The aggregate cannot be changed without indexing it again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indexed {
    aggregate: Aggregate,
    programs: BTreeMap<String, Held>,
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
        }
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
