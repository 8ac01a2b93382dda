//! What the server keeps of an upload: the checks every report passes, and the receipt
//! that says what was kept and what was dropped, and why.
//!
//! A report that is not a report at all (not JSON, a wrong type, an unknown field), that
//! names a config this server never served, or whose week is outside the window is
//! refused whole ([`Refusal`], a 4xx). Everything else is **partially accepted**: the
//! config's own filter — the very function the client runs before it sends,
//! [`telemetry_formats::upload::filter`] — keeps only what the config the report names
//! asks for, and the server's own limits drop what no honest client sends (absurd
//! values, too many programs or chains, undeclared or malformed frames). What is left
//! is stored; the receipt lists every part dropped with a reason.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use telemetry_formats::config::Config;
use telemetry_formats::date;
use telemetry_formats::report::{ProgramReport, Report};
use telemetry_formats::upload::{self, Out};

/// The receipt format version.
pub const RECEIPT_FORMAT: u32 = 1;

/// The server's bounds on what a report may hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Program builds per report; more are dropped.
    pub programs: usize,
    /// Counters per program build; more are dropped.
    pub counters: usize,
    /// Stack chains per program build; more are dropped.
    pub stacks: usize,
    /// The largest count accepted (2^40: a trillion events a week).
    pub value: u64,
    /// Days before today a report's week may have ended.
    pub past_days: u64,
    /// Days after today a report's week may end (clocks differ).
    pub future_days: u64,
    /// The longest program, version, toolchain, os or arch, in bytes; a report with a
    /// longer one is refused (it would be repeated in its receipt).
    pub field: usize,
    /// The longest counter name or chain frame, in bytes: the longest any declaration
    /// may have ([`telemetry_rules::MAX_NAME_LEN`]).
    pub name: usize,
    /// The most lines in a chain: its name and as many frames as a stack counter
    /// records ([`telemetry_rules::MAX_DEPTH`]).
    pub chain_lines: usize,
    /// The most dropped parts a receipt lists one by one; the rest are counted by
    /// reason.
    pub listed: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            programs: 16,
            counters: 4096,
            stacks: 1024,
            value: 1 << 40,
            past_days: upload::MAX_AGE_DAYS + 7,
            future_days: 1,
            field: 64,
            name: telemetry_rules::MAX_NAME_LEN,
            chain_lines: 1 + telemetry_rules::MAX_DEPTH,
            listed: 256,
        }
    }
}

/// Why a report is refused whole, with one line for the client to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a report, or not a well-formed one (400).
    Malformed(String),
    /// A report, but outside what the server accepts: its week, its config version,
    /// its `last_week` (422).
    Unacceptable(String),
}

impl Refusal {
    /// The line for the client.
    pub fn reason(&self) -> &str {
        match self {
            Refusal::Malformed(reason) | Refusal::Unacceptable(reason) => reason,
        }
    }
}

/// Why a part of a report was dropped: in a receipt and on `/metrics`, its
/// [`code`](Dropped::code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dropped {
    /// The report's `x` is above the config's `sample_rate`.
    ReportSampledOut,
    /// The program, version, os or arch is not allowed by the config.
    BuildNotAllowed,
    /// The toolchain is not a Rust version (or `devel`).
    BadToolchain,
    /// The config does not ask for the counter.
    NotInConfig,
    /// The report's `x` is above the counter's rate.
    SampledOut,
    /// The counter's config entry has expired.
    Expired,
    /// A count of zero or above the limit.
    ValueOutOfBounds,
    /// More programs, counters or chains than the limits allow.
    TooMany,
    /// A chain frame that is not a counter name, or not one the program declares.
    BadFrame,
}

impl Dropped {
    /// Every reason, in declaration order (so `ALL[d as usize] == d`).
    pub const ALL: [Dropped; 9] = [
        Dropped::ReportSampledOut,
        Dropped::BuildNotAllowed,
        Dropped::BadToolchain,
        Dropped::NotInConfig,
        Dropped::SampledOut,
        Dropped::Expired,
        Dropped::ValueOutOfBounds,
        Dropped::TooMany,
        Dropped::BadFrame,
    ];

    /// The code as written in receipts and metrics.
    pub fn code(self) -> &'static str {
        match self {
            Dropped::ReportSampledOut => "report-sampled-out",
            Dropped::BuildNotAllowed => "build-not-allowed",
            Dropped::BadToolchain => "bad-toolchain",
            Dropped::NotInConfig => "not-in-config",
            Dropped::SampledOut => "sampled-out",
            Dropped::Expired => "expired",
            Dropped::ValueOutOfBounds => "value-out-of-bounds",
            Dropped::TooMany => "too-many",
            Dropped::BadFrame => "bad-frame",
        }
    }

    /// Its place in [`Dropped::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    fn of(out: &Out) -> Dropped {
        match out {
            Out::ReportSampledOut => Dropped::ReportSampledOut,
            Out::BuildNotAllowed(_) => Dropped::BuildNotAllowed,
            Out::NotInConfig => Dropped::NotInConfig,
            Out::SampledOut => Dropped::SampledOut,
            Out::Expired(_) => Dropped::Expired,
            // The server checks the window itself and never asks about `on`.
            Out::BeforeOn | Out::TooOld => Dropped::NotInConfig,
        }
    }
}

impl Serialize for Dropped {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// One dropped part in a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DroppedPart {
    /// The program build (`program version toolchain os arch`), or "" for the report.
    pub build: String,
    /// The counter or chain, or "" for a whole build or report.
    pub name: String,
    /// Why, written as its [`Dropped::code`].
    pub reason: Dropped,
    /// The same for people.
    pub why: String,
}

/// How much was kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Program builds.
    pub programs: usize,
    /// Counters.
    pub counters: usize,
    /// Stack chains.
    pub stacks: usize,
}

/// The server's answer to an accepted upload, kept by the client beside its copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// [`RECEIPT_FORMAT`].
    pub format: u32,
    /// The report's week.
    pub week: String,
    /// The config version it was checked against.
    pub config: u64,
    /// Whether anything was stored (and will be published).
    pub stored: bool,
    /// What was kept.
    pub kept: Kept,
    /// The parts dropped, sorted, at most [`Limits::listed`] of them.
    pub dropped: Vec<DroppedPart>,
    /// How many more were dropped, by reason, when there were more than that (absent
    /// otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unlisted: Vec<Unlisted>,
}

/// Dropped parts a receipt counts without listing them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unlisted {
    /// Why.
    pub reason: Dropped,
    /// How many.
    pub parts: usize,
}

impl Receipt {
    /// Every part dropped, listed or not, by reason.
    pub fn reasons(&self) -> Vec<(Dropped, usize)> {
        let mut counts = [0usize; Dropped::ALL.len()];
        for part in &self.dropped {
            counts[part.reason.index()] += 1;
        }
        for more in &self.unlisted {
            counts[more.reason.index()] += more.parts;
        }
        Dropped::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The receipt's bytes: pretty JSON and a newline, the same for the same receipt.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// What the server keeps of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Accepted {
    /// The part stored and published, if anything is left.
    pub kept: Option<Report>,
    /// The answer.
    pub receipt: Receipt,
}

/// The counters and frames each program declares, from its manifests: when a program
/// has one, its chains may only hold declared names.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    /// Program name → every counter name it declares.
    pub programs: BTreeMap<String, BTreeSet<String>>,
}

/// A frame of a chain: the name of a `#[counted]` function's counter as the naming
/// rules allow it (`telemetry_rules::name::is_frame`: a plain name of at most
/// `MAX_NAME_LEN`, 200 bytes, the longest any declaration may have), written, as this
/// server publishes frames, in ASCII letters, digits, `/`, `-`, `_` and `.` only.
pub fn valid_frame(name: &str) -> bool {
    telemetry_rules::name::is_frame(name)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

/// `1.95.0`, `1.96.0-nightly`, `1.95.0-beta.3` or `devel`.
fn valid_toolchain(text: &str) -> bool {
    text == "devel"
        || (text.len() <= 40 && semver::Version::parse(text).is_ok_and(|v| v.build.is_empty()))
}

/// The config version a report names: digits, no leading zero.
pub fn config_version(report: &Report) -> Result<u64, Refusal> {
    let text = &report.config;
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    match text.parse::<u64>() {
        Ok(v) if ok && v > 0 => Ok(v),
        _ => Err(Refusal::Unacceptable(format!(
            "the report names config version {text:?}, not a config version"
        ))),
    }
}

/// Checks the parts of a report that do not depend on the config: the path's week,
/// the window around `today`, the length of every string, each build listed once,
/// `last_week`.
pub fn check_envelope(
    report: &Report,
    path_week: &str,
    today: u64,
    limits: &Limits,
) -> Result<(), Refusal> {
    if report.week != path_week {
        return Err(Refusal::Malformed(format!(
            "the report is of the week {}, posted to /upload/{path_week}",
            report.week
        )));
    }
    let week = date::parse(&report.week).unwrap_or(0);
    if week + limits.past_days < today || week > today + limits.future_days {
        return Err(Refusal::Unacceptable(format!(
            "week {} is outside the accepted window ({} to {})",
            report.week,
            date::format(today.saturating_sub(limits.past_days)),
            date::format(today + limits.future_days)
        )));
    }
    if report.config.len() > 20 || report.last_week.len() > 10 {
        return Err(Refusal::Malformed(
            "config or last_week is longer than any this server accepts".into(),
        ));
    }
    for program in &report.programs {
        let fields = ["program", "version", "toolchain", "os", "arch"];
        for (field, text) in fields.iter().zip(program.build()) {
            if text.len() > limits.field {
                return Err(Refusal::Malformed(format!(
                    "a {field} of {} bytes: at most {} are accepted",
                    text.len(),
                    limits.field
                )));
            }
        }
        for name in program.counters.keys() {
            if name.len() > limits.name {
                return Err(Refusal::Malformed(format!(
                    "a counter name of {} bytes: at most {} are accepted",
                    name.len(),
                    limits.name
                )));
            }
        }
        for chain in program.stacks.keys() {
            let lines = chain.split('\n');
            if lines.clone().count() > limits.chain_lines
                || lines.clone().any(|line| line.len() > limits.name)
            {
                return Err(Refusal::Malformed(format!(
                    "a chain of more than {} lines or a frame longer than {} bytes",
                    limits.chain_lines, limits.name
                )));
            }
        }
    }
    let mut builds = BTreeSet::new();
    for program in &report.programs {
        if !builds.insert(program.build()) {
            return Err(Refusal::Malformed(format!(
                "program build {} is listed twice (a report has one entry per build)",
                program.build().join(" ")
            )));
        }
    }
    if !report.last_week.is_empty() {
        match date::parse(&report.last_week) {
            Some(last) if last < week => {}
            _ => {
                return Err(Refusal::Unacceptable(format!(
                    "last_week {:?} is not a date before the week",
                    report.last_week
                )));
            }
        }
    }
    Ok(())
}

/// What the server keeps of `report` under `config` (the version it names) on `today`.
pub fn accept(
    report: &Report,
    config: &Config,
    declared: &Declared,
    today: u64,
    limits: &Limits,
) -> Accepted {
    let mut dropped = Vec::new();
    let mut drop = |build: &str, name: &str, reason: Dropped, why: String| {
        dropped.push(DroppedPart {
            build: build.to_string(),
            name: name.to_string(),
            reason,
            why,
        });
    };
    // The server's own limits first, on what arrived.
    let mut sane = report.clone();
    if sane.programs.len() > limits.programs {
        for extra in sane.programs.drain(limits.programs..) {
            drop(
                &extra.build().join(" "),
                "",
                Dropped::TooMany,
                format!("more than {} program builds in one report", limits.programs),
            );
        }
    }
    sane.programs.retain_mut(|program| {
        let build = program.build().join(" ");
        if !valid_toolchain(&program.toolchain) {
            drop(
                &build,
                "",
                Dropped::BadToolchain,
                "the toolchain is not a Rust version".into(),
            );
            return false;
        }
        sanitize(program, &build, declared, limits, &mut drop);
        true
    });
    // Then the config's filter, the client's own (on_since 0: the client checked its
    // `on` day; the window was checked above).
    let (mut kept, decisions) = upload::filter(&sane, config, 0, today, &report.last_week);
    // Chains cut to the configured depth are merged by adding their counts: the sum
    // is held to the same bound as every count.
    for program in kept.iter_mut().flat_map(|k| k.programs.iter_mut()) {
        for value in program.stacks.values_mut() {
            *value = (*value).min(limits.value);
        }
    }
    if let Some(out) = &decisions.week {
        drop("", "", Dropped::of(out), out.to_string());
    }
    for (build, out) in &decisions.builds {
        drop(build, "", Dropped::of(out), out.to_string());
    }
    for (build, name, out) in &decisions.names {
        if let Some(out) = out {
            drop(build, name, Dropped::of(out), out.to_string());
        }
    }
    // By build, name and the reason's code: the order receipts have always had.
    dropped.sort_by(|a, b| {
        (&a.build, &a.name, a.reason.code()).cmp(&(&b.build, &b.name, b.reason.code()))
    });
    let mut unlisted = Vec::new();
    if dropped.len() > limits.listed {
        let mut counts = [0usize; Dropped::ALL.len()];
        for part in dropped.drain(limits.listed..) {
            counts[part.reason.index()] += 1;
        }
        unlisted = Dropped::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, parts)| *parts > 0)
            .map(|(reason, parts)| Unlisted { reason, parts })
            .collect();
        unlisted.sort_by_key(|u| u.reason.code());
    }
    let kept_counts = kept.as_ref().map_or_else(Kept::default, |k| Kept {
        programs: k.programs.len(),
        counters: k.programs.iter().map(|p| p.counters.len()).sum(),
        stacks: k.programs.iter().map(|p| p.stacks.len()).sum(),
    });
    Accepted {
        receipt: Receipt {
            format: RECEIPT_FORMAT,
            week: report.week.clone(),
            config: config.version,
            stored: kept.is_some(),
            kept: kept_counts,
            dropped,
            unlisted,
        },
        kept,
    }
}

fn sanitize(
    program: &mut ProgramReport,
    build: &str,
    declared: &Declared,
    limits: &Limits,
    drop: &mut impl FnMut(&str, &str, Dropped, String),
) {
    let bounds = |value: u64| value >= 1 && value <= limits.value;
    let mut kept = 0;
    program.counters.retain(|name, value| {
        if !bounds(*value) {
            drop(
                build,
                name,
                Dropped::ValueOutOfBounds,
                format!("count {value} is not in [1, {}]", limits.value),
            );
            return false;
        }
        kept += 1;
        if kept > limits.counters {
            drop(
                build,
                name,
                Dropped::TooMany,
                format!("more than {} counters in one build", limits.counters),
            );
            return false;
        }
        true
    });
    let names = declared.programs.get(&program.program);
    let mut kept = 0;
    program.stacks.retain(|chain, value| {
        if !bounds(*value) {
            drop(
                build,
                chain,
                Dropped::ValueOutOfBounds,
                format!("count {value} is not in [1, {}]", limits.value),
            );
            return false;
        }
        let (_, frames) = telemetry_rules::chain::split(chain);
        for frame in frames {
            let ok = valid_frame(frame) && names.is_none_or(|names| names.contains(frame));
            if !ok {
                drop(
                    build,
                    chain,
                    Dropped::BadFrame,
                    format!("frame {frame:?} is not a counter this program declares"),
                );
                return false;
            }
        }
        kept += 1;
        if kept > limits.stacks {
            drop(
                build,
                chain,
                Dropped::TooMany,
                format!("more than {} chains in one build", limits.stacks),
            );
            return false;
        }
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_formats::config::{self, CounterConfig, ProgramConfig, StackConfig};
    use telemetry_formats::report::FORMAT;
    use test_support::Rng;

    const NAMES: [&str; 9] = [
        "kv/a",
        "kv/b",
        "kv/c:x",
        "kv/c:y",
        "kv/c:z",
        "kv/secret",
        "other/a",
        "kv/d",
        "kv/e",
    ];
    const FRAMES: [&str; 6] = ["kv/a", "kv/b", "has space", "<b>", "kv/f/g", ""];
    const DAYS: [&str; 3] = ["2026-11-01", "2026-12-31", "2027-06-30"];

    fn config(rng: &mut Rng) -> Config {
        let families = ["kv/a", "kv/b", "kv/c:{x,y}", "kv/d", "other/a"];
        let mut counters = Vec::new();
        for name in families {
            if rng.below(3) == 0 {
                continue;
            }
            let rate = [0.0, 0.3, 0.7, 1.0][rng.below(4)];
            let expires = (rng.below(3) == 0).then(|| rng.pick(&DAYS).to_string());
            counters.push(CounterConfig {
                name: name.to_string(),
                rate,
                expires,
            });
        }
        Config {
            format: 1,
            version: 1,
            sample_rate: [0.5, 1.0][rng.below(2)],
            programs: vec![ProgramConfig {
                name: "kv".into(),
                versions: ">=0.1, <1".into(),
                os: vec!["linux".into()],
                arch: vec!["x86_64".into()],
                counters,
                stacks: vec![StackConfig {
                    name: "kv/bug".into(),
                    depth: 1 + rng.below(3) as u32,
                    rate: [0.5, 1.0][rng.below(2)],
                    expires: None,
                }],
            }],
        }
    }

    fn report(rng: &mut Rng) -> Report {
        let programs = (0..1 + rng.below(20))
            .map(|_| {
                let counters = (0..rng.below(8))
                    .map(|_| {
                        let value = [0, 1, 7, 1 << 40, (1 << 40) + 1, u64::MAX][rng.below(6)];
                        (rng.pick(&NAMES).to_string(), value)
                    })
                    .collect();
                let stacks = (0..rng.below(4))
                    .map(|_| {
                        let frames: Vec<&str> =
                            (0..rng.below(5)).map(|_| rng.pick(&FRAMES)).collect();
                        let owner = rng.pick(&["kv/bug", "kv/other-bug"]);
                        let chain = std::iter::once(owner).chain(frames).collect::<Vec<_>>();
                        (chain.join("\n"), 1 + rng.below(3) as u64)
                    })
                    .collect();
                ProgramReport {
                    program: rng.pick(&["kv", "kv", "kv", "other"]).into(),
                    version: rng.pick(&["0.1.0", "0.9.9", "1.0.0", "x"]).into(),
                    toolchain: rng
                        .pick(&["1.95.0", "devel", "<i>", "1.96.0-nightly"])
                        .into(),
                    os: rng.pick(&["linux", "linux", "windows"]).into(),
                    arch: "x86_64".into(),
                    counters,
                    stacks,
                }
            })
            .collect();
        Report {
            format: FORMAT,
            week: "2026-11-28".into(),
            last_week: String::new(),
            x: rng.unit(),
            config: "1".into(),
            programs,
        }
    }

    #[test]
    fn every_reason_has_its_place_and_is_written_as_its_code() {
        for (i, reason) in Dropped::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
            assert_eq!(
                serde_json::to_string(reason).ok(),
                Some(format!("\"{}\"", reason.code()))
            );
        }
    }

    #[test]
    fn a_receipt_is_written_exactly_as_documented() {
        let receipt = Receipt {
            format: RECEIPT_FORMAT,
            week: "2026-11-28".into(),
            config: 1,
            stored: true,
            kept: Kept {
                programs: 1,
                counters: 3,
                stacks: 0,
            },
            dropped: vec![DroppedPart {
                build: "kv 0.1.0 1.95.0 linux x86_64".into(),
                name: "kv/secret".into(),
                reason: Dropped::NotInConfig,
                why: "not in the config".into(),
            }],
            unlisted: Vec::new(),
        };
        assert_eq!(
            receipt.to_json(),
            r#"{
  "format": 1,
  "week": "2026-11-28",
  "config": 1,
  "stored": true,
  "kept": {
    "programs": 1,
    "counters": 3,
    "stacks": 0
  },
  "dropped": [
    {
      "build": "kv 0.1.0 1.95.0 linux x86_64",
      "name": "kv/secret",
      "reason": "not-in-config",
      "why": "not in the config"
    }
  ]
}
"#
        );
    }

    #[test]
    fn chains_merged_by_the_depth_cut_are_held_to_the_count_limit() {
        let limits = Limits::default();
        let mut rng = Rng(7);
        let mut config = config(&mut rng);
        config.sample_rate = 1.0;
        config.programs[0].stacks[0].depth = 1;
        config.programs[0].stacks[0].rate = 1.0;
        let mut sent = report(&mut rng);
        sent.programs.truncate(1);
        let program = &mut sent.programs[0];
        (
            program.program,
            program.version,
            program.toolchain,
            program.os,
        ) = ("kv".into(), "0.1.0".into(), "1.95.0".into(), "linux".into());
        program.counters.clear();
        program.stacks = ["kv/b", "kv/e", "kv/d"]
            .iter()
            .map(|f| (format!("kv/bug\nkv/a\n{f}"), limits.value))
            .collect();
        sent.x = 0.25;
        let today = date::parse("2026-12-01").unwrap_or(0);
        let accepted = accept(&sent, &config, &Declared::default(), today, &limits);
        let kept = accepted.kept.expect("the chain is kept");
        assert_eq!(
            kept.programs[0].stacks,
            BTreeMap::from([("kv/bug\nkv/a".to_string(), limits.value)])
        );
    }

    #[test]
    fn what_is_kept_is_only_what_the_config_and_limits_allow_and_every_part_is_accounted_for() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let today = date::parse("2026-12-01").unwrap_or(0);
        let limits = Limits::default();
        let declared = Declared::default();
        let (mut twice, mut stored) = (0, 0);
        for case in 0..3000 {
            let config = config(&mut rng);
            let sent = report(&mut rng);
            if let Err(refusal) = check_envelope(&sent, &sent.week, today, &limits) {
                assert!(
                    refusal.reason().contains("listed twice"),
                    "case {case}: {refusal:?}"
                );
                twice += 1;
                continue;
            }
            let accepted = accept(&sent, &config, &declared, today, &limits);
            let allowed = &config.programs[0];
            let mut asked: BTreeMap<String, (f64, Option<&str>)> = BTreeMap::new();
            for entry in &allowed.counters {
                for name in config::expand(&entry.name).unwrap_or_default() {
                    asked.insert(name, (entry.rate, entry.expires.as_deref()));
                }
            }
            let receipt = &accepted.receipt;
            assert_eq!(receipt.stored, accepted.kept.is_some(), "case {case}");
            let Some(kept) = &accepted.kept else {
                continue;
            };
            stored += 1;
            assert!(kept.programs.len() <= limits.programs, "case {case}");
            assert!(sent.x <= config.sample_rate, "case {case}");
            for program in &kept.programs {
                assert_eq!(program.program, "kv", "case {case}");
                assert_ne!(program.toolchain, "<i>", "case {case}");
                assert!(
                    ["0.1.0", "0.9.9"].contains(&program.version.as_str()),
                    "case {case}"
                );
                for (name, value) in &program.counters {
                    let (rate, expires) = asked
                        .get(name)
                        .unwrap_or_else(|| panic!("case {case}: {name} kept, not asked for"));
                    assert!(sent.x <= *rate, "case {case}: {name} sampled in");
                    assert!(
                        expires.is_none_or(|d| date::parse(d).is_some_and(|last| today <= last)),
                        "case {case}: {name} kept after {expires:?}"
                    );
                    assert!((1..=limits.value).contains(value), "case {case}");
                }
                for (chain, value) in &program.stacks {
                    assert!((1..=limits.value).contains(value), "case {case}: {value}");
                    let mut lines = chain.split('\n');
                    assert_eq!(lines.next(), Some("kv/bug"), "case {case}");
                    let frames: Vec<&str> = lines.collect();
                    assert!(
                        frames.len() <= allowed.stacks[0].depth as usize,
                        "case {case}"
                    );
                    assert!(
                        frames.iter().all(|f| valid_frame(f)),
                        "case {case}: {chain:?}"
                    );
                }
            }
            // Every name sent in a build that was kept is either kept or dropped.
            let dropped: BTreeSet<(&str, &str)> = receipt
                .dropped
                .iter()
                .map(|d| (d.build.as_str(), d.name.as_str()))
                .collect();
            for program in &sent.programs {
                let build = program.build().join(" ");
                if dropped.contains(&(build.as_str(), "")) {
                    continue;
                }
                let kept_build = kept.programs.iter().find(|k| k.build() == program.build());
                for name in program.counters.keys() {
                    let is_kept = kept_build.is_some_and(|k| k.counters.contains_key(name));
                    assert!(
                        is_kept || dropped.contains(&(build.as_str(), name.as_str())),
                        "case {case}: {name} neither kept nor dropped"
                    );
                }
            }
            assert_eq!(
                receipt.kept.counters,
                kept.programs
                    .iter()
                    .map(|p| p.counters.len())
                    .sum::<usize>()
            );
        }
        // The cases reach every branch: refused, stored, and (the rest) nothing kept.
        assert!(
            twice > 100 && stored > 300,
            "{twice} refused, {stored} stored"
        );
    }
}
