//! The probabilities with which a report carries what it carries: the upload config's
//! `sample_rate` for the report as a whole, and each counter's `rate`, compared with the
//! one random `x` of the report ([`telemetry_formats::upload::filter`]). Reports that
//! were not sampled (a user's own) carry everything with probability 1 ([`Unsampled`]).

use std::collections::{BTreeMap, BTreeSet};

use telemetry_formats::config::{self, Config};

/// A name a config asks for, with the probability that a report carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct Collected {
    /// The counter, bucket or label name, or the stack counter's name.
    pub name: String,
    /// Whether it is a stack counter.
    pub stack: bool,
    /// The probability a report having it carries it: its rate, at most the config's
    /// sample rate.
    pub p: f64,
    /// The last day it is collected, if it expires.
    pub expires: Option<String>,
}

/// What a name is, for [`Rates::threshold`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Of {
    /// A counter, bucket or label.
    Counter,
    /// A family `chart` of `chart:label` names.
    Family,
    /// A stack counter (or a chain of it: its first line).
    Stack,
}

/// With what probability reports under one config could carry a name.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// Every name is carried, at this probability (reports that were not filtered by a
    /// config).
    All(f64),
    /// The config collects it: at probability `p` (for a family, the largest among its
    /// members, `uniform` when they all share it), until `expires` (for a family, the
    /// last day any member is collected; `None`: for ever).
    Collected {
        /// The probability.
        p: f64,
        /// Whether every member of a family has the same probability.
        uniform: bool,
        /// The last day collected, if it ends.
        expires: Option<String>,
    },
    /// The config does not collect it.
    No,
}

/// The probability with which a report carries a name, given the rates it was sampled
/// at: for local reports, [`Unsampled`]; for uploaded ones, the config version it
/// names ([`ConfigRates`]).
pub trait Rates {
    /// What tells these rates from others within one aggregate: the config version.
    /// Aggregates keep, per key, how many reports could have carried each rate.
    fn key(&self) -> String {
        String::new()
    }
    /// The probability a report of `program` is uploaded at all.
    fn report(&self, program: &str) -> f64;
    /// The probability a report of `program` carries counter `name` (`stack` for a
    /// stack counter's name).
    fn name(&self, program: &str, name: &str, stack: bool) -> f64;
    /// Every distinct probability with which a report of `program` carries a name
    /// (each at most the report's), and the report's own.
    fn thresholds(&self, program: &str) -> Vec<f64> {
        vec![usable(self.report(program))]
    }
    /// Every name collected from `program`, or `None` when every name is (a user's own
    /// reports: any name the program counts).
    fn collected(&self, program: &str) -> Option<&[Collected]> {
        let _ = program;
        None
    }
    /// With what probability a report of `program` could carry `name` (of kind `of`).
    /// The default looks through [`Rates::collected`].
    fn threshold(&self, program: &str, of: Of, name: &str) -> Lookup {
        let Some(collected) = self.collected(program) else {
            let p =
                usable(self.report(program)).min(usable(self.name(program, name, of == Of::Stack)));
            return Lookup::All(p);
        };
        lookup(collected.iter(), of, name)
    }
}

/// [`Rates::threshold`] by a look through `collected`.
fn lookup<'a>(collected: impl Iterator<Item = &'a Collected>, of: Of, name: &str) -> Lookup {
    let owner = name.split('\n').next().unwrap_or(name);
    let mut found: Option<(f64, bool, Option<String>)> = None;
    let mut forever = false;
    for c in collected {
        let hit = match of {
            Of::Counter => !c.stack && c.name == name,
            Of::Family => !c.stack && c.name.split_once(':').map(|(f, _)| f) == Some(name),
            Of::Stack => c.stack && c.name == owner,
        };
        if !hit {
            continue;
        }
        forever |= c.expires.is_none();
        found = Some(match found {
            None => (c.p, true, c.expires.clone()),
            Some((p, uniform, expires)) => (
                p.max(c.p),
                uniform && p == c.p,
                expires.max(c.expires.clone()),
            ),
        });
    }
    match found {
        None => Lookup::No,
        Some((p, uniform, expires)) => Lookup::Collected {
            p,
            uniform,
            expires: if forever { None } else { expires },
        },
    }
}

/// Rates of reports that were not sampled: every probability is 1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unsampled;

impl Rates for Unsampled {
    fn key(&self) -> String {
        "unsampled".into()
    }
    fn report(&self, _: &str) -> f64 {
        1.0
    }
    fn name(&self, _: &str, _: &str, _: bool) -> f64 {
        1.0
    }
}

/// A probability fit to divide by: rates of zero or less (a report that should not
/// have been sent), or not numbers, count as 1.
pub(crate) fn usable(p: f64) -> f64 {
    if p > 0.0 && p <= 1.0 { p } else { 1.0 }
}

/// The rates of one upload config.
#[derive(Clone, Debug)]
pub struct ConfigRates {
    version: u64,
    sample_rate: f64,
    /// Program → counter name → rate.
    counters: BTreeMap<String, BTreeMap<String, f64>>,
    /// Program → stack counter name → rate.
    stacks: BTreeMap<String, BTreeMap<String, f64>>,
    /// Program → every name collected, counters then stack counters.
    collected: BTreeMap<String, Vec<Collected>>,
    /// Program → its distinct probabilities, ascending.
    thresholds: BTreeMap<String, Vec<f64>>,
    /// Program → (kind, name) → what [`Rates::threshold`] answers.
    index: BTreeMap<String, BTreeMap<(u8, String), Lookup>>,
}

fn of_key(of: Of) -> u8 {
    match of {
        Of::Counter => 0,
        Of::Family => 1,
        Of::Stack => 2,
    }
}

impl ConfigRates {
    /// The rates of `config`.
    pub fn new(config: &Config) -> ConfigRates {
        let sample_rate = usable(config.sample_rate);
        let mut rates = ConfigRates {
            version: config.version,
            sample_rate,
            counters: BTreeMap::new(),
            stacks: BTreeMap::new(),
            collected: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            index: BTreeMap::new(),
        };
        for program in &config.programs {
            let counters = rates.counters.entry(program.name.clone()).or_default();
            let collected = rates.collected.entry(program.name.clone()).or_default();
            for entry in &program.counters {
                for name in config::expand(&entry.name).unwrap_or_default() {
                    counters.insert(name.clone(), entry.rate);
                    collected.push(Collected {
                        name,
                        stack: false,
                        p: usable(entry.rate).min(sample_rate),
                        expires: entry.expires.clone(),
                    });
                }
            }
            let stacks = rates.stacks.entry(program.name.clone()).or_default();
            for entry in &program.stacks {
                stacks.insert(entry.name.clone(), entry.rate);
                collected.push(Collected {
                    name: entry.name.clone(),
                    stack: true,
                    p: usable(entry.rate).min(sample_rate),
                    expires: entry.expires.clone(),
                });
            }
            let mut distinct: BTreeSet<u64> = collected.iter().map(|c| c.p.to_bits()).collect();
            distinct.insert(sample_rate.to_bits());
            let mut thresholds: Vec<f64> = distinct.into_iter().map(f64::from_bits).collect();
            thresholds.sort_by(f64::total_cmp);
            rates.thresholds.insert(program.name.clone(), thresholds);
            let mut index = BTreeMap::new();
            for c in collected.iter() {
                let (of, name) = match (c.stack, c.name.split_once(':')) {
                    (true, _) => (Of::Stack, c.name.as_str()),
                    (false, Some((family, _))) => {
                        index
                            .entry((of_key(Of::Family), family.to_string()))
                            .or_insert_with(|| lookup(collected.iter(), Of::Family, family));
                        (Of::Counter, c.name.as_str())
                    }
                    (false, None) => (Of::Counter, c.name.as_str()),
                };
                index
                    .entry((of_key(of), name.to_string()))
                    .or_insert_with(|| lookup(collected.iter(), of, name));
            }
            rates.index.insert(program.name.clone(), index);
        }
        rates
    }

    /// The config's version.
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl Rates for ConfigRates {
    fn key(&self) -> String {
        self.version.to_string()
    }
    fn report(&self, _: &str) -> f64 {
        self.sample_rate
    }
    fn name(&self, program: &str, name: &str, stack: bool) -> f64 {
        let map = if stack { &self.stacks } else { &self.counters };
        map.get(program)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or(1.0)
    }
    fn thresholds(&self, program: &str) -> Vec<f64> {
        self.thresholds
            .get(program)
            .cloned()
            .unwrap_or_else(|| vec![self.sample_rate])
    }
    fn collected(&self, program: &str) -> Option<&[Collected]> {
        Some(self.collected.get(program).map_or(&[][..], Vec::as_slice))
    }
    fn threshold(&self, program: &str, of: Of, name: &str) -> Lookup {
        let owner = match of {
            Of::Stack => name.split('\n').next().unwrap_or(name),
            _ => name,
        };
        self.index
            .get(program)
            .and_then(|index| index.get(&(of_key(of), owner.to_string())))
            .cloned()
            .unwrap_or(Lookup::No)
    }
}

/// The rates of every key an aggregate holds: what the estimates of a week are
/// computed with.
pub trait RatesByKey {
    /// The rates whose [`Rates::key`] is `key`, if known.
    fn rates(&self, key: &str) -> Option<&dyn Rates>;
}

impl RatesByKey for Unsampled {
    fn rates(&self, _: &str) -> Option<&dyn Rates> {
        Some(self)
    }
}

impl<R: Rates> RatesByKey for BTreeMap<String, R> {
    fn rates(&self, key: &str) -> Option<&dyn Rates> {
        self.get(key).map(|r| r as &dyn Rates)
    }
}

/// The rates of each config by its key, as [`RatesByKey`] wants them.
pub fn by_key<'a>(configs: impl IntoIterator<Item = &'a Config>) -> BTreeMap<String, ConfigRates> {
    configs
        .into_iter()
        .map(|c| {
            let rates = ConfigRates::new(c);
            (rates.key(), rates)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_formats::config::{CounterConfig, ProgramConfig, StackConfig};

    fn config() -> Config {
        Config {
            format: 1,
            version: 4,
            sample_rate: 0.5,
            programs: vec![ProgramConfig {
                name: "kv".into(),
                versions: "*".into(),
                os: vec!["linux".into()],
                arch: vec!["x86_64".into()],
                counters: vec![
                    CounterConfig {
                        name: "kv/command:{get,set}".into(),
                        rate: 1.0,
                        expires: None,
                    },
                    CounterConfig {
                        name: "kv/rare".into(),
                        rate: 0.1,
                        expires: Some("2027-01-01".into()),
                    },
                ],
                stacks: vec![StackConfig {
                    name: "kv/bug".into(),
                    depth: 4,
                    rate: 0.25,
                    expires: None,
                }],
            }],
        }
    }

    #[test]
    fn names_carry_their_rate_and_never_more_than_the_report() {
        let rates = ConfigRates::new(&config());
        assert_eq!(rates.key(), "4");
        assert_eq!(rates.report("kv"), 0.5);
        assert_eq!(rates.name("kv", "kv/command:get", false), 1.0);
        assert_eq!(rates.name("kv", "kv/bug", true), 0.25);
        assert_eq!(rates.thresholds("kv"), [0.1, 0.25, 0.5]);
        let collected = rates.collected("kv").unwrap();
        let names: Vec<(&str, bool, f64)> = collected
            .iter()
            .map(|c| (c.name.as_str(), c.stack, c.p))
            .collect();
        assert_eq!(
            names,
            [
                ("kv/command:get", false, 0.5),
                ("kv/command:set", false, 0.5),
                ("kv/rare", false, 0.1),
                ("kv/bug", true, 0.25)
            ]
        );
        assert_eq!(collected[2].expires.as_deref(), Some("2027-01-01"));
        assert_eq!(rates.collected("other"), Some(&[][..]));
        assert_eq!(Unsampled.collected("kv"), None);
        assert_eq!(Unsampled.thresholds("kv"), [1.0]);
    }

    #[test]
    fn thresholds_are_found_by_kind_and_name_and_agree_with_a_scan() {
        let rates = ConfigRates::new(&config());
        let cases = [
            (Of::Counter, "kv/command:get"),
            (Of::Counter, "kv/rare"),
            (Of::Counter, "kv/absent"),
            (Of::Family, "kv/command"),
            (Of::Family, "kv/rare"),
            (Of::Stack, "kv/bug"),
            (Of::Stack, "kv/bug\nkv/frame"),
            (Of::Stack, "kv/rare"),
        ];
        for (of, name) in cases {
            let scanned = lookup(rates.collected("kv").unwrap().iter(), of, name);
            assert_eq!(rates.threshold("kv", of, name), scanned, "{of:?} {name}");
        }
        assert_eq!(
            rates.threshold("kv", Of::Family, "kv/command"),
            Lookup::Collected {
                p: 0.5,
                uniform: true,
                expires: None
            }
        );
        assert_eq!(
            rates.threshold("kv", Of::Counter, "kv/rare"),
            Lookup::Collected {
                p: 0.1,
                uniform: true,
                expires: Some("2027-01-01".into())
            }
        );
        assert_eq!(rates.threshold("kv", Of::Counter, "kv/absent"), Lookup::No);
        assert_eq!(rates.threshold("other", Of::Counter, "kv/rare"), Lookup::No);
        assert_eq!(Unsampled.threshold("kv", Of::Family, "x"), Lookup::All(1.0));
    }

    #[test]
    fn configs_are_found_by_their_key() {
        let all = by_key([&config()]);
        assert!(all.rates("4").is_some());
        assert!(all.rates("5").is_none());
        assert!(Unsampled.rates("anything").is_some());
    }
}
