//! One upload run: what is due, the verified config, and each week's upload, exactly
//! once, with every byte sent kept on disk.
//!
//! Files of the namespace's `upload/` directory:
//!
//! ```text
//! collector.json        the collector's URL and public key, for `telemetry status`
//! config.json           the signed config, as last downloaded (verified on every use)
//! accepted-version      the highest config version accepted: a lower one is refused
//! token                 its time is the last run's start: one run a day
//! lock                  the uploader of the moment (pid and time; see `lock`)
//! last-run.json         when the last run ended, what it did, the last error
//! <week>.json           the exact bytes uploaded for the week (after a 2xx)
//! <week>.receipt.json   the collector's answer to that upload
//! <week>.rejected.json  a 4xx answer and its reason: the week is not sent again
//! <week>.retry.json     a failed attempt (5xx, garbage, no answer) and when to retry
//! ```
//!
//! Files of weeks past `report::KEEP_REPORT_DAYS` (366 days) and temporary files older
//! than an hour are deleted at the end of each run.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use telemetry_formats::config::Config;
use telemetry_formats::date::{self, DAY};
use telemetry_formats::mode::{self, DefaultMode, Env, Mode, ModeSource};
use telemetry_formats::report::{self, Report};
use telemetry_formats::safe_fs;
use telemetry_formats::signature::{self, PublicKey};
use telemetry_formats::upload::{self, Decisions};

use crate::{http, lock};

/// The upload directory of a namespace.
pub const UPLOAD: &str = "upload";
/// The signed config is downloaded at most this often.
pub const CONFIG_MAX_AGE_SECS: u64 = DAY;
/// The first wait after a failed attempt; it doubles up to a week.
pub const FIRST_RETRY_SECS: u64 = DAY;

/// Where reports go: the collector's URL and the public key its configs are signed
/// with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `https://…` (or `http://` to a loopback address).
    pub url: String,
    /// The collector's public key.
    pub key: PublicKey,
}

impl Target {
    /// Checks a URL and a key written as `ed25519:<hex>`.
    pub fn new(url: &str, key: &str) -> Result<Target, String> {
        http::check_url(url)?;
        let key = PublicKey::parse(key).map_err(|e| e.to_string())?;
        Ok(Target {
            url: url.trim_end_matches('/').to_string(),
            key,
        })
    }
}

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Show what would be sent and why; write nothing, send nothing.
    pub dry_run: bool,
    /// Now, Unix seconds.
    pub now: u64,
    /// The time limit of each request.
    pub request_limit: Duration,
}

impl Options {
    /// A real run, now.
    pub fn now() -> Options {
        Options {
            dry_run: false,
            now: date::now_secs(),
            request_limit: Duration::from_secs(10),
        }
    }
}

/// What happened to one week.
#[derive(Clone, Debug, PartialEq)]
pub enum Week {
    /// Uploaded now; the receipt's bytes.
    Uploaded(Vec<u8>),
    /// Refused by the collector with a 4xx: the status and its reason.
    Rejected(u16, String),
    /// Failed; tried again from this time on.
    Retry(String, u64),
    /// Not due yet: a retry waits until this time.
    Waiting(u64),
    /// Stays local: why.
    LocalOnly(String),
    /// A dry run: the bytes that would be sent.
    WouldSend(Vec<u8>),
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// The config version used, if one was.
    pub config_version: Option<u64>,
    /// Each week considered, with every filter decision.
    pub weeks: Vec<(String, Week, Decisions)>,
    /// Why nothing at all was done, if so.
    pub stopped: Option<String>,
    /// Problems that did not stop the run (a failed config download, …).
    pub notes: Vec<String>,
}

/// The record a run leaves for `telemetry status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    /// When the run ended, Unix seconds.
    pub ended: u64,
    /// The config version used, if any.
    pub config_version: Option<u64>,
    /// The weeks uploaded by the run.
    pub uploaded: Vec<String>,
    /// The last error, in one line, if any.
    pub error: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Retry {
    attempts: u32,
    next: u64,
    error: String,
}

#[derive(Serialize, Deserialize)]
struct Rejected {
    status: u16,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct Collector {
    url: String,
    key: String,
}

/// Paths of the upload directory.
pub fn upload_dir(namespace_dir: &Path) -> PathBuf {
    namespace_dir.join(UPLOAD)
}

fn week_file(dir: &Path, week: &str, suffix: &str) -> PathBuf {
    dir.join(format!("{week}{suffix}"))
}

/// Replaces `path` atomically with `bytes` (through a unique temporary file).
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(safe_fs::unique_name("replace", ".tmp"));
    safe_fs::write_new(&temp, bytes)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn read_json<T: for<'a> Deserialize<'a>>(path: &Path) -> Option<T> {
    let bytes = safe_fs::read_capped(path, http::MAX_ANSWER).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The mode and the day `on` was chosen; `on` set by `TELEMETRY_MODE` alone counts
/// from today, so that nothing from before is ever sent.
fn on_since(env: &Env, namespace_dir: &Path, today: u64) -> Result<u64, String> {
    let (mode, source) = mode::effective(env, Some(namespace_dir), DefaultMode::Local);
    if mode != Mode::On {
        return Err(format!(
            "telemetry is {mode} ({source}): nothing is uploaded"
        ));
    }
    Ok(match source {
        ModeSource::File { since: Some(day) } => day,
        _ => today,
    })
}

fn mtime_secs(path: &Path) -> Option<u64> {
    let modified = fs::symlink_metadata(path).ok()?.modified().ok()?;
    modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// The highest config version accepted so far (0: none).
fn accepted_version(dir: &Path) -> u64 {
    safe_fs::read_small(&dir.join("accepted-version"))
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// The config to use: the cached one, refreshed at most once a day; verified with the
/// target's key every time, never of a version below one accepted before.
fn config(dir: &Path, target: &Target, options: &Options, outcome: &mut Outcome) -> Option<Config> {
    let cached_path = dir.join("config.json");
    let accepted = accepted_version(dir);
    let fresh = mtime_secs(&cached_path)
        .is_some_and(|t| options.now.saturating_sub(t) < CONFIG_MAX_AGE_SECS);
    let verify = |bytes: &[u8]| -> Result<Config, String> {
        let config = signature::verify(bytes, &target.key).map_err(|e| e.to_string())?;
        if config.version < accepted {
            return Err(format!(
                "config version {} is older than version {accepted} accepted before: refused",
                config.version
            ));
        }
        Ok(config)
    };
    if !fresh {
        match http::get_config(&target.url, options.request_limit) {
            Ok(answer) if answer.status == 200 => match verify(&answer.body) {
                Ok(config) => {
                    if !options.dry_run {
                        let _ = replace(&cached_path, &answer.body);
                        if config.version > accepted {
                            let _ = replace(
                                &dir.join("accepted-version"),
                                format!("{}\n", config.version).as_bytes(),
                            );
                        }
                    }
                    return Some(config);
                }
                Err(why) => outcome
                    .notes
                    .push(format!("the downloaded config is not used: {why}")),
            },
            Ok(answer) => outcome.notes.push(format!(
                "GET {}/config answered {}",
                target.url, answer.status
            )),
            Err(e) => outcome.notes.push(e),
        }
    }
    match safe_fs::read_capped(&cached_path, http::MAX_ANSWER) {
        Ok(bytes) => match verify(&bytes) {
            Ok(config) => Some(config),
            Err(why) => {
                outcome.stopped = Some(format!("the cached config is not used: {why}"));
                None
            }
        },
        Err(_) => {
            outcome.stopped = Some(format!(
                "no verified config from {}: nothing is uploaded",
                target.url
            ));
            None
        }
    }
}

/// The week of the latest upload in `dir`, or "".
fn last_uploaded(dir: &Path) -> String {
    report::list(dir)
        .last()
        .map(|(w, _)| w.clone())
        .unwrap_or_default()
}

/// Runs an upload for the namespace directory `namespace_dir`.
pub fn run(namespace_dir: &Path, target: &Target, env: &Env, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let today = options.now / DAY;
    let since = match on_since(env, namespace_dir, today) {
        Ok(since) => since,
        Err(why) => {
            outcome.stopped = Some(why);
            return outcome;
        }
    };
    let dir = upload_dir(namespace_dir);
    let local = namespace_dir.join(telemetry_formats::dirs::LOCAL);
    let _lock = if options.dry_run {
        None
    } else {
        if let Err(e) = safe_fs::ensure_dir(&dir, false) {
            outcome.stopped = Some(format!("cannot use {}: {e}", dir.display()));
            return outcome;
        }
        let collector = Collector {
            url: target.url.clone(),
            key: target.key.to_string(),
        };
        let _ = replace(&dir.join("collector.json"), &json(&collector));
        match lock::take(&dir, options.now) {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => {
                outcome.stopped = Some("another upload is running".into());
                return outcome;
            }
            Err(e) => {
                outcome.stopped = Some(format!("cannot take the upload lock: {e}"));
                return outcome;
            }
        }
    };
    if !options.dry_run {
        report::make_due(
            &local,
            options.now.saturating_sub(3600),
            &last_uploaded(&dir),
        );
    }
    let Some(config) = config(&dir, target, options, &mut outcome) else {
        finish(&dir, options, &outcome);
        return outcome;
    };
    outcome.config_version = Some(config.version);
    let mut last_week = last_uploaded(&dir);
    for (week, path) in report::list(&local) {
        let sent = week_file(&dir, &week, report::REPORT_SUFFIX);
        if sent.exists() || week_file(&dir, &week, ".rejected.json").exists() {
            continue;
        }
        let retry_path = week_file(&dir, &week, ".retry.json");
        let retry: Option<Retry> = read_json(&retry_path);
        let local_report = match Report::read(&path) {
            Ok(r) => r,
            Err(e) => {
                outcome.notes.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let (upload, decisions) = upload::filter(&local_report, &config, since, today, &last_week);
        let Some(upload) = upload else {
            let why = decisions.week.as_ref().map_or(
                "nothing of it is in the config".to_string(),
                ToString::to_string,
            );
            outcome.weeks.push((week, Week::LocalOnly(why), decisions));
            continue;
        };
        let bytes = upload.to_json();
        if options.dry_run {
            outcome
                .weeks
                .push((week, Week::WouldSend(bytes), decisions));
            continue;
        }
        if let Some(retry) = &retry
            && retry.next > options.now
        {
            outcome
                .weeks
                .push((week, Week::Waiting(retry.next), decisions));
            continue;
        }
        let result = http::post_report(&target.url, &week, &bytes, options.request_limit);
        let state = match result {
            Ok(answer) if (200..300).contains(&answer.status) => {
                match report::write_durably(&sent, &bytes) {
                    Ok(_) => {
                        let _ = replace(&week_file(&dir, &week, ".receipt.json"), &answer.body);
                        let _ = fs::remove_file(&retry_path);
                        last_week = week.clone();
                        Week::Uploaded(answer.body)
                    }
                    Err(e) => {
                        Week::Retry(format!("uploaded, but the copy could not be kept: {e}"), 0)
                    }
                }
            }
            Ok(answer) if (400..500).contains(&answer.status) => {
                let reason: String = String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(2000)
                    .collect();
                let rejected = Rejected {
                    status: answer.status,
                    reason: reason.clone(),
                };
                let _ = replace(&week_file(&dir, &week, ".rejected.json"), &json(&rejected));
                let _ = fs::remove_file(&retry_path);
                Week::Rejected(answer.status, reason)
            }
            Ok(answer) => schedule(
                &retry_path,
                retry,
                format!("answered {}", answer.status),
                options.now,
            ),
            Err(e) => schedule(&retry_path, retry, e, options.now),
        };
        outcome.weeks.push((week, state, decisions));
    }
    finish(&dir, options, &outcome);
    outcome
}

/// Records a failed attempt and when to try again: a day, then twice as long each
/// time, at most a week; the week is given up once it is too old to upload.
fn schedule(path: &Path, previous: Option<Retry>, error: String, now: u64) -> Week {
    let attempts = previous.map_or(0, |r| r.attempts) + 1;
    let wait = (FIRST_RETRY_SECS << (attempts - 1).min(3)).min(7 * DAY);
    let retry = Retry {
        attempts,
        next: now + wait,
        error: error.clone(),
    };
    let _ = replace(path, &json(&retry));
    Week::Retry(error, retry.next)
}

/// Deletes, in the upload directory, the files of weeks past
/// [`report::KEEP_REPORT_DAYS`] (copies, receipts, refusals, retries) and temporary
/// files older than an hour; returns what it deleted.
pub fn clean_up(dir: &Path, now: u64) -> Vec<PathBuf> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in read.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let old_week = name
            .get(..10)
            .is_some_and(|week| date::parse(week).is_some() && report::expired(week, now));
        let stale_temp = name.starts_with('.')
            && name.ends_with(".tmp")
            && mtime_secs(&path).is_some_and(|t| t + 3600 < now);
        let regular = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        if regular && (old_week || stale_temp) && fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Leaves the run's record for `telemetry status` (not in a dry run), and applies the
/// upload directory's disk cap.
fn finish(dir: &Path, options: &Options, outcome: &Outcome) {
    if options.dry_run {
        return;
    }
    clean_up(dir, options.now);
    let error = outcome
        .stopped
        .clone()
        .or_else(|| {
            outcome
                .weeks
                .iter()
                .rev()
                .find_map(|(week, state, _)| match state {
                    Week::Rejected(status, reason) => {
                        Some(format!("{week}: refused ({status}): {reason}"))
                    }
                    Week::Retry(e, _) => Some(format!("{week}: {e}")),
                    _ => None,
                })
        })
        .or_else(|| outcome.notes.last().cloned())
        .map(|e| e.replace('\n', " "));
    let record = LastRun {
        ended: date::now_secs(),
        config_version: outcome.config_version,
        uploaded: outcome
            .weeks
            .iter()
            .filter(|(_, s, _)| matches!(s, Week::Uploaded(_)))
            .map(|(w, _, _)| w.clone())
            .collect(),
        error,
    };
    let _ = replace(&dir.join("last-run.json"), &json(&record));
}

/// The upload state of a namespace, for `telemetry status`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// The collector's URL and key, once a program named them.
    pub collector: Option<(String, String)>,
    /// The version of the cached config, if it can be read.
    pub config_version: Option<u64>,
    /// The latest week uploaded.
    pub last_upload: Option<String>,
    /// Weeks with a local report not yet uploaded nor refused.
    pub pending: Vec<String>,
    /// Weeks the collector refused.
    pub rejected: Vec<String>,
    /// The last run's record.
    pub last_run: Option<LastRun>,
}

/// Reads the upload state of `namespace_dir` (writes nothing).
pub fn state(namespace_dir: &Path) -> State {
    let dir = upload_dir(namespace_dir);
    let collector: Option<Collector> = read_json(&dir.join("collector.json"));
    let config_version = safe_fs::read_capped(&dir.join("config.json"), http::MAX_ANSWER)
        .ok()
        .and_then(|bytes| {
            let envelope: signature::Envelope = serde_json::from_slice(&bytes).ok()?;
            Config::parse(envelope.config.as_bytes()).ok()
        })
        .map(|c| c.version);
    let uploaded = report::list(&dir);
    let rejected: Vec<String> = fs::read_dir(&dir)
        .map(|read| {
            read.flatten()
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    name.strip_suffix(".rejected.json").map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    let local = namespace_dir.join(telemetry_formats::dirs::LOCAL);
    let pending = report::list(&local)
        .into_iter()
        .map(|(w, _)| w)
        .filter(|w| !uploaded.iter().any(|(u, _)| u == w) && !rejected.contains(w))
        .collect();
    State {
        collector: collector.map(|c| (c.url, c.key)),
        config_version,
        last_upload: uploaded.last().map(|(w, _)| w.clone()),
        pending,
        rejected,
        last_run: read_json(&dir.join("last-run.json")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_weeks_past_a_year_and_stale_temporary_files_are_deleted() {
        let dir = std::env::temp_dir().join(format!("telemetry-clean-up-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let now = date::parse("2026-12-01").unwrap() * DAY;
        for name in [
            "2025-11-20.json",
            "2025-11-20.receipt.json",
            "2025-12-10.json",
            "config.json",
            ".replace.1.2.tmp",
        ] {
            fs::write(dir.join(name), b"x").unwrap();
        }
        let mut removed: Vec<String> = clean_up(&dir, now)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        removed.sort();
        // The temporary file was just written: it stays.
        assert_eq!(removed, ["2025-11-20.json", "2025-11-20.receipt.json"]);
        assert!(dir.join("2025-12-10.json").exists() && dir.join("config.json").exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
