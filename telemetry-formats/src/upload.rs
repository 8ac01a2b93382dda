//! What of a local report may be uploaded: the filter the upload config applies, and
//! the rules of which weeks may go at all. Pure functions, shared by the uploader (which
//! sends the result), `telemetry upload --dry-run` (which shows every decision) and the
//! collection server (which accepts nothing else).
//!
//! A week may be uploaded when the mode is `on`, the week began after the day `on` was
//! chosen (so no count from before the choice ever leaves), it ended no more than
//! [`MAX_AGE_DAYS`] days ago, and its report's `x` is within the config's sample rate.
//! Then a program build goes only if the config lists the program, its version meets the
//! requirement and its os and arch are listed; a counter only if the config lists it
//! (or its family), has not expired, and the report's `x` is within its rate; a stack
//! chain likewise by its stack counter's name, cut to the configured depth. A program
//! build left with nothing is left out entirely, so not even its build is revealed.

use std::collections::{BTreeMap, BTreeSet};

/// Set in the environment of the upload child, the program's own executable started
/// again to upload: a program that sees it never asks anything of a terminal.
pub const CHILD_VAR: &str = "TELEMETRY_UPLOAD_CHILD";

use crate::config::{self, Config, ProgramConfig};
use crate::date;
use crate::report::{ProgramReport, Report};

/// Weeks that ended more than this many days ago stay local.
pub const MAX_AGE_DAYS: u64 = 21;

/// Why a week, a program build or a counter is not uploaded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Out {
    /// The week began on or before the day `on` was chosen.
    BeforeOn,
    /// The week ended more than [`MAX_AGE_DAYS`] days ago.
    TooOld,
    /// The report's `x` is above the config's `sample_rate`.
    ReportSampledOut,
    /// The config does not list this program, version, os or arch.
    BuildNotAllowed(String),
    /// The config does not list this counter.
    NotInConfig,
    /// The counter's `x` is above its rate.
    SampledOut,
    /// The config's entry expired on this day.
    Expired(String),
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Out::BeforeOn => f.write_str("the week began before the day upload was turned on"),
            Out::TooOld => write!(f, "the week ended more than {MAX_AGE_DAYS} days ago"),
            Out::ReportSampledOut => f.write_str("the report is sampled out (x above sample_rate)"),
            Out::BuildNotAllowed(why) => write!(f, "program build not allowed: {why}"),
            Out::NotInConfig => f.write_str("not in the config"),
            Out::SampledOut => f.write_str("sampled out (x above its rate)"),
            Out::Expired(day) => write!(f, "expired on {day}"),
        }
    }
}

/// Every decision the filter made, for `telemetry upload --dry-run`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decisions {
    /// Why the whole week stays local, if it does.
    pub week: Option<Out>,
    /// Per program build (`program version toolchain os arch`): why it stays local.
    pub builds: Vec<(String, Out)>,
    /// Per counter or chain of an allowed build: `None` when it goes, else why not.
    pub names: Vec<(String, String, Option<Out>)>,
}

/// The upload report of `local` under `config`, with every decision: `None` when
/// nothing of the week may go. `on_since` is the day `on` was chosen, `today` the
/// current day (days since 1970-01-01).
pub fn filter(
    local: &Report,
    config: &Config,
    on_since: u64,
    today: u64,
    last_week: &str,
) -> (Option<Report>, Decisions) {
    let mut decisions = Decisions::default();
    let week_end = date::parse(&local.week).unwrap_or(0);
    let week = if week_end.saturating_sub(7) <= on_since {
        Some(Out::BeforeOn)
    } else if week_end + MAX_AGE_DAYS < today {
        Some(Out::TooOld)
    } else if local.x > config.sample_rate {
        Some(Out::ReportSampledOut)
    } else {
        None
    };
    if week.is_some() {
        decisions.week = week;
        return (None, decisions);
    }
    let mut programs = Vec::new();
    for program in &local.programs {
        let build = program.build().join(" ");
        let Some(allowed) = config.program(&program.program) else {
            decisions.builds.push((
                build,
                Out::BuildNotAllowed("program not in the config".into()),
            ));
            continue;
        };
        if let Err(why) = build_allowed(program, allowed) {
            decisions.builds.push((build, Out::BuildNotAllowed(why)));
            continue;
        }
        let kept = keep(program, allowed, local.x, today, &build, &mut decisions);
        if !kept.counters.is_empty() || !kept.stacks.is_empty() {
            programs.push(kept);
        }
    }
    if programs.is_empty() {
        return (None, decisions);
    }
    let report = Report {
        format: local.format,
        week: local.week.clone(),
        last_week: last_week.to_string(),
        x: local.x,
        config: config.version.to_string(),
        programs,
    };
    (Some(report), decisions)
}

fn build_allowed(program: &ProgramReport, allowed: &ProgramConfig) -> Result<(), String> {
    let requirement = semver::VersionReq::parse(&allowed.versions).map_err(|e| e.to_string())?;
    let version = semver::Version::parse(&program.version)
        .map_err(|_| format!("version {:?} is not semver", program.version))?;
    if !requirement.matches(&version) {
        return Err(format!(
            "version {} is not {}",
            program.version, allowed.versions
        ));
    }
    if !allowed.os.contains(&program.os) {
        return Err(format!("os {} is not listed", program.os));
    }
    if !allowed.arch.contains(&program.arch) {
        return Err(format!("arch {} is not listed", program.arch));
    }
    Ok(())
}

/// Whether an entry with `rate` and `expires` keeps a name of a report with `x`.
fn entry_keeps(rate: f64, expires: Option<&str>, x: f64, today: u64) -> Option<Out> {
    if let Some(day) = expires
        && date::parse(day).is_none_or(|last| today > last)
    {
        return Some(Out::Expired(day.to_string()));
    }
    (x > rate).then_some(Out::SampledOut)
}

fn keep(
    program: &ProgramReport,
    allowed: &ProgramConfig,
    x: f64,
    today: u64,
    build: &str,
    decisions: &mut Decisions,
) -> ProgramReport {
    let mut counters_allowed: BTreeMap<String, (f64, Option<&str>)> = BTreeMap::new();
    for entry in &allowed.counters {
        for name in config::expand(&entry.name).unwrap_or_default() {
            counters_allowed.insert(name, (entry.rate, entry.expires.as_deref()));
        }
    }
    let mut counters = BTreeMap::new();
    for (name, value) in &program.counters {
        let out = match counters_allowed.get(name) {
            None => Some(Out::NotInConfig),
            Some((rate, expires)) => entry_keeps(*rate, *expires, x, today),
        };
        if out.is_none() {
            counters.insert(name.clone(), *value);
        }
        decisions.names.push((build.to_string(), name.clone(), out));
    }
    let mut stacks: BTreeMap<String, u64> = BTreeMap::new();
    for (chain, value) in &program.stacks {
        let mut frames = chain.split('\n');
        let owner = frames.next().unwrap_or("");
        let out = match allowed.stacks.iter().find(|s| s.name == owner) {
            None => Some(Out::NotInConfig),
            Some(stack) => {
                let out = entry_keeps(stack.rate, stack.expires.as_deref(), x, today);
                if out.is_none() {
                    // Deeper chains are cut to the configured depth and merged.
                    let kept: Vec<&str> = std::iter::once(owner)
                        .chain(frames.take(stack.depth as usize))
                        .collect();
                    let total = stacks.entry(kept.join("\n")).or_insert(0);
                    *total = total.saturating_add(*value);
                }
                out
            }
        };
        decisions
            .names
            .push((build.to_string(), chain.clone(), out));
    }
    ProgramReport {
        counters,
        stacks,
        ..program.clone()
    }
}

/// Every string an upload report holds in counter positions, and its build strings:
/// for tests and the server's check that nothing outside the config is sent.
pub fn strings_of(report: &Report) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for program in &report.programs {
        out.extend(program.counters.keys().cloned());
        for chain in program.stacks.keys() {
            out.extend(chain.split('\n').map(String::from));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CounterConfig, StackConfig};

    use crate::test_rng::Rng;

    fn program(counters: &[(&str, u64)], stacks: &[(&str, u64)]) -> ProgramReport {
        ProgramReport {
            program: "kv".into(),
            version: "0.3.1".into(),
            toolchain: "1.95.0".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            counters: counters.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            stacks: stacks.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        }
    }

    fn allowing(counters: &[(&str, f64)], stacks: &[(&str, u32, f64)]) -> Config {
        Config {
            format: 1,
            version: 7,
            sample_rate: 1.0,
            programs: vec![ProgramConfig {
                name: "kv".into(),
                versions: ">=0.3, <1".into(),
                os: vec!["linux".into()],
                arch: vec!["x86_64".into()],
                counters: counters
                    .iter()
                    .map(|(n, r)| CounterConfig {
                        name: n.to_string(),
                        rate: *r,
                        expires: None,
                    })
                    .collect(),
                stacks: stacks
                    .iter()
                    .map(|(n, d, r)| StackConfig {
                        name: n.to_string(),
                        depth: *d,
                        rate: *r,
                        expires: None,
                    })
                    .collect(),
            }],
        }
    }

    fn report(x: f64, programs: Vec<ProgramReport>) -> Report {
        Report {
            format: 1,
            week: "2026-11-26".into(),
            last_week: String::new(),
            x,
            config: String::new(),
            programs,
        }
    }

    fn day(text: &str) -> u64 {
        date::parse(text).unwrap()
    }

    #[test]
    fn only_listed_counters_within_their_rates_go() {
        let local = report(
            0.4,
            vec![program(
                &[
                    ("kv/get", 3),
                    ("kv/cache:hit", 2),
                    ("kv/secretless", 9),
                    ("kv/rare", 1),
                ],
                &[
                    ("kv/bug\nkv/a\nkv/b\nkv/c", 2),
                    ("kv/bug\nkv/a\nkv/b\nkv/d", 1),
                ],
            )],
        );
        let config = allowing(
            &[
                ("kv/get", 1.0),
                ("kv/cache:{hit,miss}", 0.5),
                ("kv/rare", 0.1),
            ],
            &[("kv/bug", 2, 1.0)],
        );
        let (sent, decisions) = filter(&local, &config, day("2026-01-01"), day("2026-11-27"), "");
        let sent = sent.unwrap();
        assert_eq!(sent.config, "7");
        let program = &sent.programs[0];
        assert_eq!(
            program.counters,
            [("kv/cache:hit".into(), 2), ("kv/get".into(), 3)].into()
        );
        assert_eq!(
            program.stacks,
            [("kv/bug\nkv/a\nkv/b".into(), 3)].into(),
            "cut and merged"
        );
        let why = |name: &str| {
            decisions
                .names
                .iter()
                .find(|(_, n, _)| n == name)
                .and_then(|(_, _, out)| out.clone())
        };
        assert_eq!(why("kv/secretless"), Some(Out::NotInConfig));
        assert_eq!(why("kv/rare"), Some(Out::SampledOut));
        assert_eq!(why("kv/get"), None);
    }

    #[test]
    fn weeks_before_on_too_old_or_sampled_out_stay_local() {
        let local = report(0.4, vec![program(&[("kv/get", 3)], &[])]);
        let config = allowing(&[("kv/get", 1.0)], &[]);
        let today = day("2026-11-27");
        let check = |on: &str, today: u64, config: &Config| {
            filter(&local, config, day(on), today, "").1.week
        };
        assert_eq!(
            check("2026-11-19", today, &config),
            Some(Out::BeforeOn),
            "began on the on day"
        );
        assert_eq!(check("2026-11-18", today, &config), None);
        assert_eq!(
            check("2026-01-01", day("2026-12-18"), &config),
            Some(Out::TooOld)
        );
        assert_eq!(check("2026-01-01", day("2026-12-17"), &config), None);
        let sampled = Config {
            sample_rate: 0.3,
            ..config.clone()
        };
        assert_eq!(
            check("2026-01-01", today, &sampled),
            Some(Out::ReportSampledOut)
        );
    }

    #[test]
    fn a_build_the_config_does_not_allow_is_left_out_whole() {
        let config = allowing(&[("kv/get", 1.0)], &[]);
        for (field, value) in [
            ("version", "1.0.0"),
            ("os", "windows"),
            ("arch", "riscv64"),
            ("program", "other"),
        ] {
            let mut p = program(&[("kv/get", 3)], &[]);
            match field {
                "version" => p.version = value.into(),
                "os" => p.os = value.into(),
                "arch" => p.arch = value.into(),
                _ => p.program = value.into(),
            }
            let (sent, decisions) =
                filter(&report(0.4, vec![p]), &config, 0, day("2026-11-27"), "");
            assert_eq!(sent, None, "{field}");
            assert_eq!(decisions.builds.len(), 1, "{field}");
        }
    }

    #[test]
    fn an_expired_entry_sends_nothing_after_its_last_day() {
        let local = report(0.4, vec![program(&[("kv/get", 3)], &[])]);
        let mut config = allowing(&[("kv/get", 1.0)], &[]);
        config.programs[0].counters[0].expires = Some("2026-11-27".into());
        let on_last_day = filter(&local, &config, 0, day("2026-11-27"), "").0;
        assert!(on_last_day.is_some());
        let (after, decisions) = filter(&local, &config, 0, day("2026-11-28"), "");
        assert_eq!(after, None);
        assert_eq!(
            decisions.names[0].2,
            Some(Out::Expired("2026-11-27".into()))
        );
    }

    /// For arbitrary registries, counts and configs, every string an upload report
    /// holds is a name of the registry that the config asks for.
    #[test]
    fn an_upload_report_holds_only_names_in_both_registry_and_config() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let words = ["get", "put", "hit", "miss", "a", "b", "c", "bug", "x-y"];
        for round in 0..2000 {
            let name = |rng: &mut Rng| {
                let parts = 1 + rng.below(3);
                let mut n = String::from("kv");
                for _ in 0..parts {
                    n.push('/');
                    n.push_str(words[rng.below(words.len())]);
                }
                n
            };
            let registry: Vec<String> = (0..1 + rng.below(12)).map(|_| name(&mut rng)).collect();
            let stack_names: Vec<String> = (0..rng.below(3)).map(|_| name(&mut rng)).collect();
            let counters: Vec<(String, u64)> = registry
                .iter()
                .map(|n| (n.clone(), rng.below(100) as u64))
                .collect();
            let stacks: Vec<(String, u64)> = stack_names
                .iter()
                .map(|s| {
                    let depth = rng.below(5);
                    let frames: Vec<String> = (0..depth)
                        .map(|_| registry[rng.below(registry.len())].clone())
                        .collect();
                    (
                        std::iter::once(s.clone())
                            .chain(frames)
                            .collect::<Vec<_>>()
                            .join("\n"),
                        1,
                    )
                })
                .collect();
            let wanted: Vec<(String, f64)> = (0..rng.below(10))
                .map(|_| (name(&mut rng), rng.unit()))
                .collect();
            let wanted_stacks: Vec<(String, u32, f64)> = (0..rng.below(3))
                .map(|i| {
                    let n = stack_names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| name(&mut rng));
                    (n, 1 + rng.below(4) as u32, rng.unit())
                })
                .collect();
            let c: Vec<(&str, u64)> = counters.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let s: Vec<(&str, u64)> = stacks.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let w: Vec<(&str, f64)> = wanted.iter().map(|(n, r)| (n.as_str(), *r)).collect();
            let ws: Vec<(&str, u32, f64)> = wanted_stacks
                .iter()
                .map(|(n, d, r)| (n.as_str(), *d, *r))
                .collect();
            let local = report(rng.unit(), vec![program(&c, &s)]);
            let config = allowing(&w, &ws);
            let (sent, _) = filter(&local, &config, 0, day("2026-11-27"), "");
            let Some(sent) = sent else { continue };
            let in_registry: BTreeSet<&str> = registry
                .iter()
                .chain(&stack_names)
                .map(String::as_str)
                .collect();
            let in_config: BTreeSet<&str> = wanted
                .iter()
                .map(|(n, _)| n.as_str())
                .chain(wanted_stacks.iter().map(|(n, _, _)| n.as_str()))
                .collect();
            for program in &sent.programs {
                for counter in program.counters.keys() {
                    assert!(
                        in_registry.contains(counter.as_str()),
                        "round {round}: {counter}"
                    );
                    assert!(
                        in_config.contains(counter.as_str()),
                        "round {round}: {counter}"
                    );
                }
                for chain in program.stacks.keys() {
                    let mut frames = chain.split('\n');
                    let owner = frames.next().unwrap_or("");
                    assert!(in_config.contains(owner) && stack_names.iter().any(|s| s == owner));
                    assert!(
                        frames.all(|f| in_registry.contains(f)),
                        "round {round}: {chain:?}"
                    );
                }
            }
            for s in strings_of(&sent) {
                assert!(in_registry.contains(s.as_str()), "round {round}: {s}");
            }
        }
    }
}
