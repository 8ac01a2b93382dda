//! One upload run, in the phases of Go's `internal/upload`: find the work (the mode,
//! the lock, the weeks due: `work.rs`), make the reports (the local reports of weeks
//! that ended, then each week's upload report: `reports.rs`), send each week once, and
//! record the collector's answer ([`answer`]). The config it filters by
//! is the collector's signed one ([`config`]); the files it leaves are
//! listed in [`files`].

use std::path::Path;
use std::time::Duration;

use telemetry_formats::config::Config;
use telemetry_formats::mode::Env;
use telemetry_formats::report::{self, Report};
use telemetry_formats::signature::PublicKey;
use telemetry_formats::upload::Decisions;
use telemetry_formats::{date, safe_fs};

use crate::files::{self, LastRun, json, replace};
use crate::preview::{self, Preview};
use crate::reports::{self, Made};
use crate::work::{self, Due, Work};
use crate::{answer, config, http};

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
    /// In a dry run: the weeks still in counter files (the week in progress, and any
    /// whose report is not made yet), as they would be sent.
    pub previews: Vec<Preview>,
}

/// Runs an upload for the namespace directory `namespace_dir`.
pub fn run(namespace_dir: &Path, target: &Target, env: &Env, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let work = match work::begin(namespace_dir, target, env, options) {
        Ok(work) => work,
        Err(why) => {
            outcome.stopped = Some(why);
            return outcome;
        }
    };
    work.make_local_reports(options);
    let Some(config) = config::load(&work.dir, target, options, &mut outcome) else {
        finish(&work, options, &outcome);
        return outcome;
    };
    outcome.config_version = Some(config.version);
    let mut last_week = files::last_uploaded(&work.dir);
    for due in work.due() {
        let week = due.week.clone();
        match send_one(&work, due, &config, &last_week, target, options) {
            Ok((state, decisions)) => {
                if matches!(state, Week::Uploaded(_)) {
                    last_week = week.clone();
                }
                outcome.weeks.push((week, state, decisions));
            }
            Err(note) => outcome.notes.push(note),
        }
    }
    if options.dry_run {
        outcome.previews = preview::weeks(&work, &config, options.now, &last_week);
    }
    finish(&work, options, &outcome);
    outcome
}

/// Makes a due week's upload report and, unless this is a dry run or a retry must
/// still wait, sends it once and records the answer. `Err` is a note: the week's local
/// report cannot be read.
///
/// The order keeps every byte sent: the bytes are first written (flushed) as
/// `<week>.sending.json`, then posted, then, on a 2xx, linked as `<week>.json`, which
/// marks the week sent. Bytes that cannot be kept are not sent. A run that ends between
/// the request and the link (killed, out of time) leaves the `.sending.json` file, and
/// the next run posts the very same bytes, which the collector recognises as the same
/// upload.
fn send_one(
    work: &Work,
    due: Due,
    config: &Config,
    last_week: &str,
    target: &Target,
    options: &Options,
) -> Result<(Week, Decisions), String> {
    let (made, decisions) = match reports::make(work, &due, config, last_week)? {
        Made::Send(bytes, decisions) => (bytes, decisions),
        Made::LocalOnly(why, decisions) => return Ok((Week::LocalOnly(why), decisions)),
    };
    let not_sent = |why: String| {
        Week::Retry(
            format!("not sent, because what is sent could not be kept first: {why}"),
            options.now,
        )
    };
    if let Some(what) = &due.in_the_way {
        return Ok((not_sent(format!("{what}, where its copy goes")), decisions));
    }
    let (bytes, kept) = match kept_before(&due) {
        Ok(Some(kept)) => (kept, true),
        Ok(None) => (made, false),
        Err(why) => return Ok((not_sent(why), decisions)),
    };
    if options.dry_run {
        return Ok((Week::WouldSend(bytes), decisions));
    }
    if let Some(retry) = &due.retry
        && retry.next > options.now
    {
        return Ok((Week::Waiting(retry.next), decisions));
    }
    if !kept {
        let written = match report::write_durably(&due.sending, &bytes) {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("{} appeared", due.sending.display())),
            Err(e) => Err(format!("{}: {e}", due.sending.display())),
        };
        if let Err(why) = written {
            return Ok((not_sent(why), decisions));
        }
    }
    let sent = http::post_report(&target.url, &due.week, &bytes, options.request_limit);
    let state = answer::record(&work.dir, due, sent, options.now);
    Ok((state, decisions))
}

/// The bytes an earlier run kept to send for the week and may have sent, if any: they
/// are sent again exactly. `Err` when something else is in their place.
fn kept_before(due: &Due) -> Result<Option<Vec<u8>>, String> {
    let bytes = match safe_fs::read_capped(&due.sending, report::MAX_REPORT_LEN) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    match Report::parse(&bytes) {
        Ok(kept) if kept.week == due.week => Ok(Some(bytes)),
        // Not an upload of this week (it cannot have been sent as one): made afresh.
        _ => {
            std::fs::remove_file(&due.sending)
                .map_err(|e| format!("{}: {e}", due.sending.display()))?;
            Ok(None)
        }
    }
}

/// Leaves the run's record for `telemetry status` (not in a dry run), and applies the
/// upload directory's disk cap.
fn finish(work: &Work, options: &Options, outcome: &Outcome) {
    if options.dry_run {
        return;
    }
    files::clean_up(&work.dir, options.now);
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
    let _ = replace(&work.dir.join("last-run.json"), &json(&record));
}
