//! The files of a namespace's `upload/` directory, and the records some of them hold.
//!
//! ```text
//! collector.json        the collector's URL and public key, for `telemetry status`
//! config.json           the signed config, as last downloaded (verified on every use)
//! accepted-version      the highest config version accepted: a lower one is refused
//! token                 its time is the last run's start: one run a day
//! lock                  the uploader of the moment (pid and time; see `lock`)
//! last-run.json         when the last run ended, what it did, the last error
//! <week>.sending.json   the exact bytes to send for the week, written before the
//!                       request and sent again, byte for byte, until it is answered
//! <week>.json           the exact bytes uploaded for the week: the `.sending.json`
//!                       file, linked to this name once the collector answered 2xx
//! <week>.receipt.json   the collector's answer to that upload
//! <week>.rejected.json  a 4xx answer and its reason: the week is not sent again
//! <week>.retry.json     a failed attempt (5xx, garbage, no answer) and when to retry
//! ```
//!
//! Files of weeks past `report::KEEP_REPORT_DAYS` (366 days) and temporary files older
//! than an hour are deleted at the end of each run ([`clean_up`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use telemetry_formats::{date, report, safe_fs};

use crate::http;

/// The upload directory of a namespace.
pub const UPLOAD: &str = "upload";

/// Paths of the upload directory.
pub fn upload_dir(namespace_dir: &Path) -> PathBuf {
    namespace_dir.join(UPLOAD)
}

/// The suffix of the bytes to send, kept before they are sent.
pub const SENDING_SUFFIX: &str = ".sending.json";
/// The suffix of a refusal.
pub const REJECTED_SUFFIX: &str = ".rejected.json";

/// `<dir>/<week><suffix>`.
pub(crate) fn week_file(dir: &Path, week: &str, suffix: &str) -> PathBuf {
    dir.join(format!("{week}{suffix}"))
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

/// `<week>.retry.json`: a failed attempt and when to try again.
#[derive(Serialize, Deserialize)]
pub(crate) struct Retry {
    pub attempts: u32,
    pub next: u64,
    pub error: String,
}

/// `<week>.rejected.json`: the collector's refusal.
#[derive(Serialize, Deserialize)]
pub(crate) struct Rejected {
    pub status: u16,
    pub reason: String,
}

/// `collector.json`: where the namespace's programs upload.
#[derive(Serialize, Deserialize)]
pub(crate) struct Collector {
    pub url: String,
    pub key: String,
}

/// Replaces `path` atomically with `bytes` (through a unique temporary file).
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(safe_fs::unique_name("replace", ".tmp"));
    safe_fs::write_new(&temp, bytes)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// A record as pretty JSON with a final newline.
pub(crate) fn json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A record read back, if the file is there, trusted and well formed.
pub(crate) fn read_json<T: for<'a> Deserialize<'a>>(path: &Path) -> Option<T> {
    let bytes = safe_fs::read_capped(path, http::MAX_ANSWER).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The modification time of what is at `path` (not following a link), Unix seconds.
pub(crate) fn mtime_secs(path: &Path) -> Option<u64> {
    let modified = fs::symlink_metadata(path).ok()?.modified().ok()?;
    modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// What is at a path, not following a link.
pub(crate) enum There {
    /// Nothing.
    Nothing,
    /// A regular file.
    File,
    /// Something else, which no file can be written over: what it is.
    Other(String),
}

/// What is at `path`.
pub(crate) fn there(path: &Path) -> There {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => There::Nothing,
        Err(e) => There::Other(format!("{} cannot be looked at: {e}", path.display())),
        Ok(meta) if meta.is_file() => There::File,
        Ok(meta) => There::Other(format!(
            "{} is {}",
            path.display(),
            if meta.file_type().is_symlink() {
                "a symbolic link"
            } else if meta.is_dir() {
                "a directory"
            } else {
                "not a regular file"
            }
        )),
    }
}

/// Gives the kept bytes at `sending` their final name `sent`, never over anything
/// found there (a link to it is made, then `sending` removed, and the directory
/// flushed). On failure `sending` stays.
pub(crate) fn mark_sent(sending: &Path, sent: &Path) -> std::io::Result<()> {
    match fs::hard_link(sending, sent) {
        Ok(()) => {
            let _ = fs::remove_file(sending);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
        // A filesystem without hard links: an exclusive rename.
        Err(_) => safe_fs::rename_noreplace(sending, sent)?,
    }
    if let Some(dir) = sent.parent()
        && let Ok(dir) = fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The week of the latest upload in `dir`, or "".
pub(crate) fn last_uploaded(dir: &Path) -> String {
    report::list(dir)
        .last()
        .map(|(w, _)| w.clone())
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_formats::date::DAY;

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
