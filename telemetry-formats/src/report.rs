//! Weekly reports: what a week's counter files become once the week has ended.
//!
//! Every process of every program build of a namespace writes counter files; when their
//! week is over, the next program to start (in `local` or `on` mode) merges them into
//! one report per week, `local/<week>.json`, the user's full record of that week, and
//! only then deletes them. `docs/REPORT.md` describes the schema; its fields keep the
//! meaning of Go's telemetry reports (`Week`, `LastWeek`, `X`, `Config`, and per program
//! build `Program`, `Version`, `GoVersion` as `toolchain`, `GOOS` as `os`, `GOARCH` as
//! `arch`, `Counters`, `Stacks`) so data and tools can be compared.
//!
//! A report holds no identifier of any kind: the build identity and counter names from
//! the program's registry (stack counters' chains and histogram buckets are built from
//! registry names), with their counts, and a random number drawn for the report.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::date::{self, DAY};
use crate::file::{self, Contents, SUFFIX, TEMP_SUFFIX};
use crate::safe_fs;

/// The report format version this crate writes and reads.
pub const FORMAT: u32 = 1;
/// A report file is never longer than this; a longer one is not read.
pub const MAX_REPORT_LEN: u64 = 16 << 20;
/// Reports end so: `<week>.json`.
pub const REPORT_SUFFIX: &str = ".json";

/// One week's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The report format version: [`FORMAT`].
    pub format: u32,
    /// The day the week ended (`YYYY-MM-DD`): the day after its last day, as Go's
    /// `Week`.
    pub week: String,
    /// The week of the latest report already uploaded from this directory, or "".
    pub last_week: String,
    /// A random number in (0, 1), drawn from the operating system's randomness for
    /// this report alone; sampling compares it with the config's rates.
    pub x: f64,
    /// The version of the upload config the report was filtered by, or "" for a
    /// local report, which is not filtered.
    pub config: String,
    /// One entry per program build, sorted.
    pub programs: Vec<ProgramReport>,
}

/// The counts of one program build in a week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramReport {
    /// The package name.
    pub program: String,
    /// Its version.
    pub version: String,
    /// The Rust toolchain that built it.
    pub toolchain: String,
    /// The operating system.
    pub os: String,
    /// The architecture.
    pub arch: String,
    /// Basic counters, histogram buckets and labels with a count above zero.
    #[serde(deserialize_with = "unique_names")]
    pub counters: BTreeMap<String, u64>,
    /// Stack-counter chains (`<name>\n<frame>…`) with a count above zero.
    #[serde(deserialize_with = "unique_names")]
    pub stacks: BTreeMap<String, u64>,
}

/// Reads a map of names to counts in which each name appears once: JSON allows a key
/// twice and a plain map would keep the last, so a report saying `{"a": 1, "a": 5}`
/// is refused rather than read as something it does not say.
fn unique_names<'de, D>(deserializer: D) -> Result<BTreeMap<String, u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Names;

    impl<'de> serde::de::Visitor<'de> for Names {
        type Value = BTreeMap<String, u64>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of names to counts")
        }

        fn visit_map<A>(self, mut map: A) -> Result<Self::Value, A::Error>
        where
            A: serde::de::MapAccess<'de>,
        {
            let mut names = BTreeMap::new();
            while let Some((name, count)) = map.next_entry::<String, u64>()? {
                if names.contains_key(&name) {
                    return Err(serde::de::Error::custom(format!(
                        "{name:?} is listed twice"
                    )));
                }
                names.insert(name, count);
            }
            Ok(names)
        }
    }

    deserializer.deserialize_map(Names)
}

impl ProgramReport {
    /// The build identity, in sort order.
    pub fn build(&self) -> [&str; 5] {
        [
            &self.program,
            &self.version,
            &self.toolchain,
            &self.os,
            &self.arch,
        ]
    }
}

/// Why bytes are not a report.
#[derive(Debug)]
pub enum ReportError {
    /// Not JSON, or not a report.
    Malformed(String),
    /// A report of a format this reader does not know.
    FutureFormat(u64),
    /// The file could not be read.
    Io(io::Error),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Malformed(why) => write!(f, "not a report: {why}"),
            ReportError::FutureFormat(v) => write!(
                f,
                "report format {v}, newer than the format {FORMAT} this program reads"
            ),
            ReportError::Io(e) => write!(f, "cannot read the report: {e}"),
        }
    }
}

impl std::error::Error for ReportError {}

impl Report {
    /// Parses a report, strictly: an unknown field, a missing one, a wrong type or a
    /// format other than [`FORMAT`] is an error.
    pub fn parse(bytes: &[u8]) -> Result<Report, ReportError> {
        let version = crate::version::version(bytes, "format")
            .map_err(|e| ReportError::Malformed(e.to_string()))?;
        match version {
            Some(v) if v == u64::from(FORMAT) => {}
            Some(v) if v > u64::from(FORMAT) => return Err(ReportError::FutureFormat(v)),
            Some(v) => return Err(ReportError::Malformed(format!("format {v}"))),
            None => return Err(ReportError::Malformed("no `format` field".into())),
        }
        let report: Report =
            serde_json::from_slice(bytes).map_err(|e| ReportError::Malformed(e.to_string()))?;
        if date::parse(&report.week).is_none() {
            return Err(ReportError::Malformed(format!(
                "week {:?} is not a date",
                report.week
            )));
        }
        if !(report.x > 0.0 && report.x < 1.0) {
            return Err(ReportError::Malformed(format!(
                "x = {} is not in (0, 1)",
                report.x
            )));
        }
        Ok(report)
    }

    /// Reads a report file (a regular file of this user's, at most [`MAX_REPORT_LEN`]).
    pub fn read(path: &Path) -> Result<Report, ReportError> {
        let bytes = safe_fs::read_capped(path, MAX_REPORT_LEN).map_err(ReportError::Io)?;
        Report::parse(&bytes)
    }

    /// The report as JSON: two-space indentation, keys in a fixed order, a newline at
    /// the end. The same report always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// Merges counter files of one week into its report: one entry per program build,
/// counts of the same name in several files (processes that could not share a file,
/// restarts across a file set aside) added together, zero counts left out.
pub fn build(week_end_day: u64, files: &[Contents], last_week: &str, x: f64) -> Report {
    let mut builds: BTreeMap<[String; 5], ProgramReport> = BTreeMap::new();
    for contents in files {
        let header = &contents.header;
        let key =
            ["program", "version", "toolchain", "os", "arch"].map(|k| header.get(k).to_string());
        let entry = builds.entry(key.clone()).or_insert_with(|| {
            let [program, version, toolchain, os, arch] = key;
            ProgramReport {
                program,
                version,
                toolchain,
                os,
                arch,
                counters: BTreeMap::new(),
                stacks: BTreeMap::new(),
            }
        });
        for (name, value) in &contents.counters {
            if *value == 0 {
                continue;
            }
            let into = if name.contains('\n') {
                &mut entry.stacks
            } else {
                &mut entry.counters
            };
            let total = into.entry(name.clone()).or_insert(0);
            *total = total.saturating_add(*value);
        }
    }
    Report {
        format: FORMAT,
        week: date::format(week_end_day),
        last_week: last_week.to_string(),
        x,
        config: String::new(),
        programs: builds.into_values().collect(),
    }
}

/// A random number in (0, 1) with 53 random bits, from the operating system's
/// randomness (through the keys of std's hashers).
pub fn random_x() -> f64 {
    loop {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(date::now_nanos());
        let bits = hasher.finish() >> 11;
        if bits != 0 {
            return bits as f64 / (1u64 << 53) as f64;
        }
    }
}

/// What [`make_due`] did with one week.
#[derive(Debug, PartialEq, Eq)]
pub enum Made {
    /// Wrote the report at this path from this many counter files.
    Report(PathBuf, usize),
    /// Another process had written the week's report: its counter files were removed.
    AlreadyThere(PathBuf),
}

/// The report file of `week` (`YYYY-MM-DD`) in `dir`.
pub fn path_of(dir: &Path, week: &str) -> PathBuf {
    dir.join(format!("{week}{REPORT_SUFFIX}"))
}

/// Turns the counter files in `local` whose week ended by `now` (Unix seconds) into
/// reports, then deletes them: a report is written to a temporary file, flushed to
/// disk and linked into place (never over another report) before any counter file
/// goes. Files that cannot be read are left for the disk cap. Errors stop the work of
/// that week only, leaving its files in place for the next try. Nothing is done in a
/// `local` that is not a trusted directory (`safe_fs::check_dir`): a link, another
/// user's, or one others may write.
pub fn make_due(local: &Path, now: u64, last_week: &str) -> Vec<Made> {
    // Only a directory of this user's that no one else may write, and not a link:
    // counter files are deleted here.
    if !matches!(safe_fs::check_dir(local, false), Ok(true)) {
        return Vec::new();
    }
    let Ok(read) = fs::read_dir(local) else {
        return Vec::new();
    };
    let mut weeks: BTreeMap<u64, Vec<(PathBuf, Contents)>> = BTreeMap::new();
    for entry in read.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(SUFFIX) else {
            continue;
        };
        // The name ends with the week's first day, and weeks written by the runtime last
        // 7 days: a week still running is not even read.
        let begin = stem
            .get(stem.len().saturating_sub(10)..)
            .and_then(date::parse);
        if begin.is_some_and(|begin| (begin + 7) * DAY > now) {
            continue;
        }
        let Ok(contents) = file::read(&path) else {
            continue;
        };
        if contents.header.end <= now {
            weeks
                .entry(date::day_of(contents.header.end))
                .or_default()
                .push((path, contents));
        }
    }
    let mut made = Vec::new();
    for (week, files) in weeks {
        let target = path_of(local, &date::format(week));
        let outcome = if target.exists() {
            Ok(Made::AlreadyThere(target))
        } else {
            let contents: Vec<Contents> = files.iter().map(|(_, c)| c.clone()).collect();
            let report = build(week, &contents, last_week, random_x());
            write_durably(&target, &report.to_json()).map(|placed| {
                if placed {
                    Made::Report(target, files.len())
                } else {
                    Made::AlreadyThere(target)
                }
            })
        };
        if let Ok(outcome) = outcome {
            for (path, _) in &files {
                let _ = fs::remove_file(path);
            }
            made.push(outcome);
        }
    }
    made
}

/// Writes `bytes` to `path` unless a file is there: through a temporary file that is
/// flushed to disk, linked into place, and the directory flushed. `Ok(false)` when
/// another file was there first.
pub fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let temp = safe_fs::temp_beside(path, TEMP_SUFFIX);
    let mut options = fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    let placed = safe_fs::place_new(&temp, path)?;
    if let Ok(dir) = fs::File::open(path.parent().unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
    Ok(placed)
}

/// The reports in `dir`, sorted by week: `(week, path)` for each `<date>.json`.
pub fn list(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map(|read| {
            read.flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().into_string().ok()?;
                    let week = name.strip_suffix(REPORT_SUFFIX)?;
                    date::parse(week)?;
                    Some((week.to_string(), entry.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Reports are kept this long after their week, then deleted by the disk cap.
pub const KEEP_REPORT_DAYS: u64 = 366;

/// Whether the report of `week` is past [`KEEP_REPORT_DAYS`] at `now`.
pub fn expired(week: &str, now: u64) -> bool {
    date::parse(week).is_some_and(|w| w + KEEP_REPORT_DAYS < now / DAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::Header;

    fn contents(program: &str, version: &str, counters: &[(&str, u64)]) -> Contents {
        Contents {
            header: Header {
                meta: [
                    ("program", program),
                    ("version", version),
                    ("toolchain", "1.95.0"),
                    ("os", "linux"),
                    ("arch", "x86_64"),
                ]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .to_vec(),
                begin: 20_000 * DAY,
                end: 20_007 * DAY,
            },
            counters: counters.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn files_of_one_build_merge_and_builds_stay_apart() {
        let files = [
            contents(
                "kv",
                "0.1.0",
                &[("kv/get", 2), ("kv/put", 0), ("kv/bug\nkv/get", 1)],
            ),
            contents("kv", "0.1.0", &[("kv/get", 3)]),
            contents("kv", "0.2.0", &[("kv/get", 7)]),
        ];
        let report = build(20_007, &files, "", 0.5);
        assert_eq!(report.week, date::format(20_007));
        assert_eq!(report.programs.len(), 2);
        let first = &report.programs[0];
        assert_eq!(first.build(), ["kv", "0.1.0", "1.95.0", "linux", "x86_64"]);
        assert_eq!(first.counters, BTreeMap::from([("kv/get".to_string(), 5)]));
        assert_eq!(
            first.stacks,
            BTreeMap::from([("kv/bug\nkv/get".to_string(), 1)])
        );
        assert_eq!(report.programs[1].counters["kv/get"], 7);
    }

    #[test]
    fn a_report_round_trips_and_the_reader_is_strict() {
        let report = build(
            20_007,
            &[contents("kv", "0.1.0", &[("kv/get", 2)])],
            "",
            0.25,
        );
        let json = report.to_json();
        assert_eq!(Report::parse(&json).unwrap(), report);
        let text = String::from_utf8(json).unwrap();
        let unknown = text.replacen("\"format\": 1,", "\"format\": 1, \"user\": \"ann\",", 1);
        assert!(matches!(
            Report::parse(unknown.as_bytes()),
            Err(ReportError::Malformed(_))
        ));
        let future = text.replacen("\"format\": 1,", "\"format\": 2,", 1);
        assert!(matches!(
            Report::parse(future.as_bytes()),
            Err(ReportError::FutureFormat(2))
        ));
        let bad_x = text.replacen("\"x\": 0.25", "\"x\": 1.0", 1);
        assert!(Report::parse(bad_x.as_bytes()).is_err());
    }

    #[test]
    fn a_name_listed_twice_in_one_build_is_refused() {
        let report = build(
            20_007,
            &[contents(
                "kv",
                "0.1.0",
                &[("kv/get", 2), ("kv/bug\nkv/get", 1)],
            )],
            "",
            0.25,
        );
        let text = String::from_utf8(report.to_json()).unwrap();
        for (once, twice) in [
            ("\"kv/get\": 2", "\"kv/get\": 1, \"kv/get\": 5"),
            (
                "\"kv/bug\\nkv/get\": 1",
                "\"kv/bug\\nkv/get\": 1, \"kv/bug\\nkv/get\": 1",
            ),
        ] {
            assert!(text.contains(once), "{once} in {text}");
            let repeated = text.replacen(once, twice, 1);
            match Report::parse(repeated.as_bytes()) {
                Err(ReportError::Malformed(why)) => {
                    assert!(why.contains("is listed twice"), "{why}")
                }
                other => panic!("{twice}: {other:?}"),
            }
        }
        // The same names once each still read.
        assert_eq!(Report::parse(text.as_bytes()).unwrap(), report);
    }

    #[test]
    fn random_x_is_in_the_open_unit_interval_and_varies() {
        let xs: Vec<f64> = (0..1000).map(|_| random_x()).collect();
        assert!(xs.iter().all(|x| *x > 0.0 && *x < 1.0));
        let below_half = xs.iter().filter(|x| **x < 0.5).count();
        assert!(
            (350..650).contains(&below_half),
            "{below_half} of 1000 below 0.5"
        );
    }
}
