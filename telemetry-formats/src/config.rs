//! The upload config: which program builds may upload, and which of their counters, at
//! what sample rate. The collector publishes it, signed ([`crate::signature`]); a
//! program uploads only what a config it has verified asks for, and the collection
//! server accepts only that. `docs/CONFIG.md` describes the format for people.
//!
//! A config is generated from the programs' manifests ([`Config::from_manifests`]) and
//! then edited, never typed from nothing, and checked against them ([`Config::check`]):
//! a config asking for a counter that no manifest declares is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use telemetry_rules::{Kind, MAX_DEPTH, bucket};

use crate::date;
use crate::manifest::{CounterRecord, Manifest};

/// The config format version this crate writes and reads.
pub const FORMAT: u32 = 1;
/// A config is never longer than this.
pub const MAX_CONFIG_LEN: u64 = 1 << 20;

/// An upload config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The format version: [`FORMAT`].
    pub format: u32,
    /// The config's own version, a number that only grows: a client never goes back
    /// to a lower one once it accepted a higher (no rollback).
    pub version: u64,
    /// The share of reports that upload anything at all, in [0, 1]: a report uploads
    /// only if its `x` is at most this.
    pub sample_rate: f64,
    /// The programs that may upload.
    pub programs: Vec<ProgramConfig>,
}

/// What one program may upload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramConfig {
    /// The package name, as in reports.
    pub name: String,
    /// The versions that may upload, a semver requirement such as `>=0.4, <2`.
    pub versions: String,
    /// The operating systems that may upload (`linux`, `macos`, `windows`, …).
    pub os: Vec<String>,
    /// The architectures that may upload (`x86_64`, `aarch64`, …).
    pub arch: Vec<String>,
    /// The counters collected. A name may stand for a family written as in code:
    /// `chart:{a,b,c}` for the labels or buckets `chart:a`, `chart:b`, `chart:c`.
    #[serde(default)]
    pub counters: Vec<CounterConfig>,
    /// The stack counters collected.
    #[serde(default)]
    pub stacks: Vec<StackConfig>,
}

/// One counter, or one family, collected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    /// The name, or a family `chart:{a,b}`.
    pub name: String,
    /// The share of reports that carry it, in [0, 1]: a report carries it if its `x`
    /// is at most this (so the reports carrying a rarer counter also carry every more
    /// common one).
    pub rate: f64,
    /// The last day (`YYYY-MM-DD`, UTC) it is collected; none when it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One stack counter collected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackConfig {
    /// The stack counter's name (the first line of each chain).
    pub name: String,
    /// The most frames of a chain collected (1 to `telemetry_rules::MAX_DEPTH`, the
    /// deepest a stack counter records).
    pub depth: u32,
    /// As for counters.
    pub rate: f64,
    /// As for counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// Why a config cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Not JSON, or not a config: what is wrong.
    Malformed(String),
    /// A config of a format this reader does not know.
    FutureFormat(u64),
    /// A value out of its range: where and why.
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Malformed(why) => write!(f, "not an upload config: {why}"),
            ConfigError::FutureFormat(v) => write!(
                f,
                "upload config format {v}, newer than the format {FORMAT} this program reads"
            ),
            ConfigError::Invalid(why) => write!(f, "invalid upload config: {why}"),
        }
    }
}

impl std::error::Error for ConfigError {}

fn rate_ok(rate: f64) -> bool {
    (0.0..=1.0).contains(&rate)
}

impl Config {
    /// Parses and validates a config, strictly: unknown fields, a future format, a
    /// rate outside [0, 1], a bad version requirement, date or family are errors.
    pub fn parse(bytes: &[u8]) -> Result<Config, ConfigError> {
        let version = crate::version::version(bytes, "format")
            .map_err(|e| ConfigError::Malformed(e.to_string()))?;
        match version {
            Some(v) if v == u64::from(FORMAT) => {}
            Some(v) if v > u64::from(FORMAT) => return Err(ConfigError::FutureFormat(v)),
            Some(v) => return Err(ConfigError::Malformed(format!("format {v}"))),
            None => return Err(ConfigError::Malformed("no `format` field".into())),
        }
        let config: Config =
            serde_json::from_slice(bytes).map_err(|e| ConfigError::Malformed(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value's range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |why: String| Err(ConfigError::Invalid(why));
        if self.version == 0 {
            return invalid("version must be 1 or more".into());
        }
        if !rate_ok(self.sample_rate) {
            return invalid(format!("sample_rate {} is not in [0, 1]", self.sample_rate));
        }
        let mut seen = BTreeSet::new();
        for program in &self.programs {
            let at = &program.name;
            if !seen.insert(at.as_str()) {
                return invalid(format!("program {at:?} is listed twice"));
            }
            if let Err(e) = semver::VersionReq::parse(&program.versions) {
                return invalid(format!(
                    "program {at:?}: versions {:?} is not a semver requirement: {e}",
                    program.versions
                ));
            }
            for counter in &program.counters {
                if !rate_ok(counter.rate) {
                    return invalid(format!(
                        "{at:?} counter {:?}: rate {} is not in [0, 1]",
                        counter.name, counter.rate
                    ));
                }
                if let Err(why) = expand(&counter.name) {
                    return invalid(format!("{at:?} counter {:?}: {why}", counter.name));
                }
                check_date(at, &counter.name, counter.expires.as_deref())?;
            }
            for stack in &program.stacks {
                if !rate_ok(stack.rate) {
                    return invalid(format!(
                        "{at:?} stack {:?}: rate {} is not in [0, 1]",
                        stack.name, stack.rate
                    ));
                }
                if !(1..=MAX_DEPTH).contains(&(stack.depth as usize)) {
                    return invalid(format!(
                        "{at:?} stack {:?}: depth {} is not 1 to {MAX_DEPTH}",
                        stack.name, stack.depth
                    ));
                }
                check_date(at, &stack.name, stack.expires.as_deref())?;
            }
        }
        Ok(())
    }

    /// The config as JSON: two-space indentation, a newline at the end.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The program's entry, if the config has one.
    pub fn program(&self, name: &str) -> Option<&ProgramConfig> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// A first config for the programs of `manifests`: every counter each declares,
    /// histograms and label sets as one family each, at rate 1, expiring when the
    /// declaration says (an entry standing for several declarations, a family's members
    /// or one name declared at several places, expires on the earliest of their dates);
    /// versions from the manifest's version on; the common operating systems and
    /// architectures. Meant to be edited down, then checked.
    pub fn from_manifests(manifests: &[Manifest]) -> Result<Config, String> {
        let mut programs = Vec::new();
        for manifest in manifests {
            let Some((name, version)) = &manifest.program else {
                return Err("a manifest names no program (its binary never calls \
                            telemetry::program!() or start!())"
                    .into());
            };
            let mut counters: BTreeMap<String, CounterConfig> = BTreeMap::new();
            let mut stacks: BTreeMap<String, StackConfig> = BTreeMap::new();
            for record in &manifest.counters {
                let expires = record.expires.as_deref();
                match record.kind {
                    Kind::Stack => {
                        let entry = stacks.entry(record.name.clone()).or_insert(StackConfig {
                            name: record.name.clone(),
                            depth: record.depth.unwrap_or(1).clamp(1, MAX_DEPTH as u32),
                            rate: 1.0,
                            expires: expires.map(String::from),
                        });
                        entry.expires = earliest(entry.expires.take(), expires);
                    }
                    _ => {
                        let name = family_of(record);
                        let entry = counters.entry(name.clone()).or_insert(CounterConfig {
                            name,
                            rate: 1.0,
                            expires: expires.map(String::from),
                        });
                        entry.expires = earliest(entry.expires.take(), expires);
                    }
                }
            }
            programs.push(ProgramConfig {
                name: name.clone(),
                versions: format!(">={version}"),
                os: ["linux", "macos", "windows"].map(String::from).to_vec(),
                arch: ["x86_64", "aarch64"].map(String::from).to_vec(),
                counters: counters.into_values().collect(),
                stacks: stacks.into_values().collect(),
            });
        }
        let config = Config {
            format: FORMAT,
            version: 1,
            sample_rate: 1.0,
            programs,
        };
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// Every entry of the config that no manifest declares, each as a sentence: a
    /// program without a manifest, a counter (or a member of a family) that is not
    /// declared, a stack counter that is not one or asks for more depth than it has,
    /// and an entry collected past the day its declaration expires (later, or with no
    /// `expires`). Empty when the config only asks for what can exist.
    pub fn check(&self, manifests: &[Manifest]) -> Vec<String> {
        let mut problems = Vec::new();
        for program in &self.programs {
            let Some(manifest) = manifests
                .iter()
                .find(|m| m.program.as_ref().is_some_and(|(n, _)| *n == program.name))
            else {
                problems.push(format!(
                    "program {:?}: no manifest declares it",
                    program.name
                ));
                continue;
            };
            let declared: BTreeMap<&str, &CounterRecord> = manifest
                .counters
                .iter()
                .map(|c| (c.name.as_str(), c))
                .collect();
            // The earliest expiry of each name's declarations.
            let mut expiries: BTreeMap<&str, Option<String>> = BTreeMap::new();
            for c in &manifest.counters {
                let known = expiries.entry(&c.name).or_insert(None);
                *known = earliest(known.take(), c.expires.as_deref());
            }
            // An entry for `names` collected later than one of them expires.
            let outlives = |what: &str, entry: &str, names: &[String], asked: Option<&str>| {
                let last = names.iter().fold(None, |last, name| {
                    let declared = expiries.get(name.as_str()).cloned().flatten();
                    earliest(last, declared.as_deref())
                })?;
                asked.is_none_or(|asked| day(asked) > day(&last)).then(|| {
                    format!(
                        "{:?} {what} {entry:?}: collected {}, past the last day its \
                         declaration allows, {last}",
                        program.name,
                        asked.map_or("with no end".to_string(), |a| format!("until {a}"))
                    )
                })
            };
            for counter in &program.counters {
                let names = expand(&counter.name).unwrap_or_default();
                for name in &names {
                    match declared.get(name.as_str()) {
                        None => problems.push(format!(
                            "{:?} counter {name:?}: the program declares no such counter",
                            program.name
                        )),
                        Some(record) if record.kind == Kind::Stack => problems.push(format!(
                            "{:?} counter {name:?} is a stack counter: list it under stacks",
                            program.name
                        )),
                        Some(_) => {}
                    }
                }
                let asked = counter.expires.as_deref();
                problems.extend(outlives("counter", &counter.name, &names, asked));
            }
            for stack in &program.stacks {
                match declared.get(stack.name.as_str()) {
                    Some(record) if record.kind == Kind::Stack => {
                        let names = [stack.name.clone()];
                        let asked = stack.expires.as_deref();
                        problems.extend(outlives("stack", &stack.name, &names, asked));
                        let depth = record.depth.unwrap_or(0);
                        if stack.depth > depth {
                            problems.push(format!(
                                "{:?} stack {:?}: depth {} asked, the counter records {depth}",
                                program.name, stack.name, stack.depth
                            ));
                        }
                    }
                    Some(_) => problems.push(format!(
                        "{:?} stack {:?} is not a stack counter",
                        program.name, stack.name
                    )),
                    None => problems.push(format!(
                        "{:?} stack {:?}: the program declares no such stack counter",
                        program.name, stack.name
                    )),
                }
            }
        }
        problems
    }
}

/// The earlier of two expiry dates, where `None` is never: what an entry standing for
/// declarations `a` and `b` may promise.
fn earliest(a: Option<String>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if day(b) < day(&a) { b.to_string() } else { a }),
        (a, b) => a.or_else(|| b.map(String::from)),
    }
}

/// The day number of a date already checked, for ordering.
fn day(text: &str) -> u64 {
    date::parse(text).unwrap_or(0)
}

fn check_date(program: &str, name: &str, date_text: Option<&str>) -> Result<(), ConfigError> {
    match date_text {
        Some(text) if date::parse(text).is_none() => Err(ConfigError::Invalid(format!(
            "{program:?} {name:?}: expires {text:?} is not a YYYY-MM-DD date"
        ))),
        _ => Ok(()),
    }
}

/// The family a declaration belongs to in a config: `chart:{…}` of every bucket of a
/// histogram or label of a set, the name itself otherwise.
fn family_of(record: &CounterRecord) -> String {
    let chart = record
        .name
        .split_once(':')
        .map_or(&*record.name, |(c, _)| c);
    match record.kind {
        Kind::Bucket => format!(
            "{chart}:{{{}}}",
            bucket::labels(&record.bounds, &record.unit).join(",")
        ),
        Kind::Label => format!("{chart}:{{{}}}", record.labels.join(",")),
        Kind::Basic | Kind::Stack => record.name.clone(),
    }
}

/// The names a config entry stands for: itself, or each member of one family
/// `chart:{a,b}` (members are not trimmed and may not be empty or repeated).
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('{') else {
        if pattern.contains('}') {
            return Err("a `}` without `{`".into());
        }
        return if pattern.is_empty() {
            Err("an empty name".into())
        } else {
            Ok(vec![pattern.to_string()])
        };
    };
    let (prefix, rest) = pattern.split_at(open);
    let Some(inner) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) else {
        return Err("a family must end with `}`".into());
    };
    if !prefix.ends_with(':') {
        return Err("a family `{…}` follows the chart and its `:`".into());
    }
    if inner.contains(['{', '}']) {
        return Err("only one family `{…}`, not nested".into());
    }
    let mut names = Vec::new();
    let mut seen = BTreeSet::new();
    for member in inner.split(',') {
        if member.is_empty() {
            return Err("an empty member in the family".into());
        }
        if !seen.insert(member) {
            return Err(format!("{member:?} is in the family twice"));
        }
        names.push(format!("{prefix}{member}"));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text.as_bytes())
    }

    const GOOD: &str = r#"{
        "format": 1, "version": 3, "sample_rate": 0.5,
        "programs": [{
            "name": "kv", "versions": ">=0.1, <2", "os": ["linux"], "arch": ["x86_64"],
            "counters": [{"name": "kv/cache:{hit,miss}", "rate": 1.0, "expires": "2027-06-30"}],
            "stacks": [{"name": "kv/bug", "depth": 8, "rate": 0.1}]
        }]
    }"#;

    #[test]
    fn a_good_config_parses_and_round_trips() {
        let parsed = config(GOOD).unwrap();
        assert_eq!(parsed.version, 3);
        assert_eq!(
            parsed.programs[0].counters[0].expires.as_deref(),
            Some("2027-06-30")
        );
        assert_eq!(Config::parse(&parsed.to_json()).unwrap(), parsed);
    }

    #[test]
    fn unknown_fields_future_formats_and_bad_values_are_refused() {
        let unknown = GOOD.replacen("\"version\": 3,", "\"version\": 3, \"extra\": 1,", 1);
        assert!(matches!(config(&unknown), Err(ConfigError::Malformed(_))));
        let future = GOOD.replacen("\"format\": 1", "\"format\": 2", 1);
        assert_eq!(config(&future), Err(ConfigError::FutureFormat(2)));
        for (from, to) in [
            ("\"sample_rate\": 0.5", "\"sample_rate\": 1.5"),
            ("\"version\": 3", "\"version\": 0"),
            (">=0.1, <2", "about one"),
            ("2027-06-30", "2027-02-30"),
            ("\"depth\": 8", "\"depth\": 33"),
            ("kv/cache:{hit,miss}", "kv/cache:{hit,hit}"),
            ("kv/cache:{hit,miss}", "kv/cache{hit}"),
        ] {
            let text = GOOD.replacen(from, to, 1);
            assert!(
                matches!(config(&text), Err(ConfigError::Invalid(_))),
                "{to}"
            );
        }
    }

    /// A record of `kind` as the manifest holds it, expiring on `expires`.
    fn declared(name: &str, kind: Kind, line: u32, expires: Option<&str>) -> CounterRecord {
        CounterRecord {
            name: name.to_string(),
            kind,
            depth: (kind == Kind::Stack).then_some(8),
            index: None,
            bounds: Vec::new(),
            unit: String::new(),
            labels: Vec::new(),
            description: String::new(),
            crate_name: "kv".to_string(),
            file: "src/main.rs".to_string(),
            line,
            derived: false,
            expires: expires.map(String::from),
        }
    }

    /// The record of the label `name` of the set `labels`.
    fn label(name: &str, labels: &[&str], line: u32, expires: Option<&str>) -> CounterRecord {
        let member = name.split_once(':').map_or("", |(_, m)| m);
        CounterRecord {
            index: labels.iter().position(|l| *l == member).map(|i| i as u32),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..declared(name, Kind::Label, line, expires)
        }
    }

    fn kv(counters: Vec<CounterRecord>) -> Manifest {
        Manifest {
            program: Some(("kv".to_string(), "0.3.1".to_string())),
            counters,
        }
    }

    #[test]
    fn init_copies_each_declared_expiry_and_the_earliest_of_a_family() {
        let manifest = kv(vec![
            declared("kv/a", Kind::Basic, 1, Some("2027-06-30")),
            declared("kv/b", Kind::Basic, 2, None),
            // One name at two places: the earlier date (none is never).
            declared("kv/c", Kind::Basic, 3, None),
            declared("kv/c", Kind::Basic, 4, Some("2028-01-31")),
            declared("kv/c", Kind::Basic, 5, Some("2027-12-31")),
            // A family whose members' declarations differ.
            label("kv/e:x", &["x", "other"], 6, Some("2029-03-01")),
            label("kv/e:other", &["x", "other"], 6, Some("2029-03-01")),
            label("kv/e:x", &["x", "other"], 9, Some("2028-02-29")),
            declared("kv/s", Kind::Stack, 7, Some("2027-01-02")),
            declared("kv/s", Kind::Stack, 8, Some("2026-12-31")),
            declared("kv/t", Kind::Stack, 10, None),
        ]);
        let config = Config::from_manifests(std::slice::from_ref(&manifest)).unwrap();
        let program = &config.programs[0];
        let counters: Vec<(&str, Option<&str>)> = program
            .counters
            .iter()
            .map(|c| (c.name.as_str(), c.expires.as_deref()))
            .collect();
        assert_eq!(
            counters,
            [
                ("kv/a", Some("2027-06-30")),
                ("kv/b", None),
                ("kv/c", Some("2027-12-31")),
                ("kv/e:{x,other}", Some("2028-02-29")),
            ]
        );
        let stacks: Vec<(&str, Option<&str>)> = program
            .stacks
            .iter()
            .map(|c| (c.name.as_str(), c.expires.as_deref()))
            .collect();
        assert_eq!(stacks, [("kv/s", Some("2026-12-31")), ("kv/t", None)]);
        assert_eq!(config.check(&[manifest]), Vec::<String>::new());
        let text = String::from_utf8(config.to_json()).unwrap();
        assert!(text.contains("\"expires\": \"2027-06-30\""), "{text}");
        assert_eq!(
            text.matches("\"expires\"").count(),
            4,
            "none for kv/b, kv/t"
        );
    }

    #[test]
    fn check_names_an_entry_collected_past_its_declared_expiry() {
        let manifest = kv(vec![
            declared("kv/a", Kind::Basic, 1, Some("2027-06-30")),
            label("kv/e:x", &["x", "y"], 2, None),
            label("kv/e:y", &["x", "y"], 2, Some("2027-01-31")),
            declared("kv/s", Kind::Stack, 3, Some("2027-06-30")),
        ]);
        let mut config = Config::from_manifests(std::slice::from_ref(&manifest)).unwrap();
        // Earlier than declared is fine: the collector may stop sooner.
        config.programs[0].stacks[0].expires = Some("2027-01-01".into());
        assert_eq!(
            config.check(std::slice::from_ref(&manifest)),
            Vec::<String>::new()
        );
        config.programs[0].counters[0].expires = None;
        config.programs[0].counters[1].expires = Some("2027-02-01".into());
        config.programs[0].stacks[0].expires = Some("2027-07-01".into());
        assert_eq!(
            config.check(&[manifest]),
            [
                "\"kv\" counter \"kv/a\": collected with no end, past the last day its \
                 declaration allows, 2027-06-30",
                "\"kv\" counter \"kv/e:{x,y}\": collected until 2027-02-01, past the last \
                 day its declaration allows, 2027-01-31",
                "\"kv\" stack \"kv/s\": collected until 2027-07-01, past the last day its \
                 declaration allows, 2027-06-30",
            ]
        );
    }

    /// A declaration's expiry, from the record the macro writes to the upload filter:
    /// the record decoded into a manifest, its JSON read back, `config init`, then the
    /// filter on the last day and the day after.
    #[test]
    fn a_declared_expiry_stops_the_upload_after_its_last_day() {
        let mut record = Vec::new();
        record.extend_from_slice(b"TTMR\x02\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0\x01\0\0\0");
        let string = |record: &mut Vec<u8>, text: &str| {
            record.extend_from_slice(&(text.len() as u32).to_le_bytes());
            record.extend_from_slice(text.as_bytes());
        };
        for text in ["", "kv", "src/main.rs", "", "2026-11-27"] {
            string(&mut record, text);
        }
        record.extend_from_slice(&0u32.to_le_bytes());
        string(&mut record, "kv/old");
        let len = record.len() as u32;
        record[8..12].copy_from_slice(&len.to_le_bytes());
        let mut records = crate::manifest::record::decode_all(&record).unwrap();
        records.push(crate::manifest::Record::Program {
            name: "kv".into(),
            version: "0.3.1".into(),
        });
        let manifest = Manifest::from_records(records);
        let manifest = Manifest::parse_json(&manifest.to_json()).unwrap();
        let config = Config::from_manifests(&[manifest]).unwrap();
        assert_eq!(
            config.programs[0].counters[0].expires.as_deref(),
            Some("2026-11-27")
        );
        let local = crate::report::Report {
            format: 1,
            week: "2026-11-26".into(),
            last_week: String::new(),
            x: 0.5,
            config: String::new(),
            programs: vec![crate::report::ProgramReport {
                program: "kv".into(),
                version: "0.3.1".into(),
                toolchain: "1.95.0".into(),
                os: "linux".into(),
                arch: "x86_64".into(),
                counters: [("kv/old".to_string(), 4)].into(),
                stacks: BTreeMap::new(),
            }],
        };
        let day = |text| date::parse(text).unwrap();
        let filter = |today| crate::upload::filter(&local, &config, 0, day(today), "");
        let (sent, _) = filter("2026-11-27");
        assert_eq!(
            sent.map(|r| r.programs[0].counters.clone()),
            Some([("kv/old".to_string(), 4)].into())
        );
        let (sent, decisions) = filter("2026-11-28");
        assert_eq!(sent, None);
        assert_eq!(
            decisions.names,
            [(
                "kv 0.3.1 1.95.0 linux x86_64".to_string(),
                "kv/old".to_string(),
                Some(crate::upload::Out::Expired("2026-11-27".into()))
            )]
        );
    }

    #[test]
    fn families_expand_as_written_in_code() {
        assert_eq!(
            expand("kv/editor:{vim,other}").unwrap(),
            ["kv/editor:vim", "kv/editor:other"]
        );
        assert_eq!(expand("kv/get").unwrap(), ["kv/get"]);
        assert!(expand("kv/editor:{a,{b}}").is_err());
        assert!(expand("kv/editor:{a,}").is_err());
    }
}
