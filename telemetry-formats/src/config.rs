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

use crate::date;
use crate::manifest::{CounterRecord, Manifest};

/// The config format version this crate writes and reads.
pub const FORMAT: u32 = 1;
/// A config is never longer than this.
pub const MAX_CONFIG_LEN: u64 = 1 << 20;
/// The deepest stack a config may ask for (the deepest a stack counter records).
pub const MAX_DEPTH: u32 = 32;

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
    /// The most frames of a chain collected (1 to [`MAX_DEPTH`]).
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
        #[derive(Deserialize)]
        struct Version {
            format: Option<u64>,
        }
        let version: Version =
            serde_json::from_slice(bytes).map_err(|e| ConfigError::Malformed(e.to_string()))?;
        match version.format {
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
                if !(1..=MAX_DEPTH).contains(&stack.depth) {
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
    /// declaration says; versions from the manifest's version on; the common operating
    /// systems and architectures. Meant to be edited down, then checked.
    pub fn from_manifests(manifests: &[Manifest]) -> Result<Config, String> {
        let mut programs = Vec::new();
        for manifest in manifests {
            let Some((name, version)) = &manifest.program else {
                return Err("a manifest names no program (its binary never calls \
                            telemetry::program!() or start!())"
                    .into());
            };
            let mut counters: BTreeMap<String, CounterConfig> = BTreeMap::new();
            let mut stacks = Vec::new();
            for record in &manifest.counters {
                match record.kind {
                    "stack" => stacks.push(StackConfig {
                        name: record.name.clone(),
                        depth: record.depth.unwrap_or(1).clamp(1, MAX_DEPTH),
                        rate: 1.0,
                        expires: None,
                    }),
                    _ => {
                        let name = family_of(record);
                        counters.entry(name.clone()).or_insert(CounterConfig {
                            name,
                            rate: 1.0,
                            expires: None,
                        });
                    }
                }
            }
            stacks.sort_by(|a, b| a.name.cmp(&b.name));
            stacks.dedup_by(|a, b| a.name == b.name);
            programs.push(ProgramConfig {
                name: name.clone(),
                versions: format!(">={version}"),
                os: ["linux", "macos", "windows"].map(String::from).to_vec(),
                arch: ["x86_64", "aarch64"].map(String::from).to_vec(),
                counters: counters.into_values().collect(),
                stacks,
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
    /// declared, a stack counter that is not one or asks for more depth than it has.
    /// Empty when the config only asks for what can exist.
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
            for counter in &program.counters {
                let names = expand(&counter.name).unwrap_or_default();
                for name in names {
                    match declared.get(name.as_str()) {
                        None => problems.push(format!(
                            "{:?} counter {name:?}: the program declares no such counter",
                            program.name
                        )),
                        Some(record) if record.kind == "stack" => problems.push(format!(
                            "{:?} counter {name:?} is a stack counter: list it under stacks",
                            program.name
                        )),
                        Some(_) => {}
                    }
                }
            }
            for stack in &program.stacks {
                match declared.get(stack.name.as_str()) {
                    Some(record) if record.kind == "stack" => {
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
        "bucket" => {
            let mut members: Vec<String> = record
                .bounds
                .iter()
                .map(|b| format!("<{b}{}", record.unit))
                .collect();
            if let Some(last) = record.bounds.last() {
                members.push(format!(">={last}{}", record.unit));
            }
            format!("{chart}:{{{}}}", members.join(","))
        }
        "label" => format!("{chart}:{{{}}}", record.labels.join(",")),
        _ => record.name.clone(),
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
