//! The disk-use cap of the `local` directory: what the worker deletes, once a week.
//!
//! - counter files whose week ended more than [`KEEP_WEEKS`] weeks ago;
//! - set-aside (`.bad`) files older than [`KEEP_SET_ASIDE_DAYS`] days, and all but the
//!   newest [`KEEP_SET_ASIDE`];
//! - temporary files (a dot name ending in `.tmp`) older than [`TEMP_MAX_AGE_SECS`],
//!   left by a process killed while writing one;
//! - reports (`<week>.json`) older than [`report::KEEP_REPORT_DAYS`] days.
//!
//! Only regular files of this user's are deleted, never through a symbolic link;
//! anything else found there is left alone. `docs/FORMAT.md` states the same cap and
//! `telemetry status` shows it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::date::{self, DAY};
use crate::file::{BAD_SUFFIX, SUFFIX, TEMP_SUFFIX};
use crate::report;

/// Counter files are kept this many weeks after their week ended.
pub const KEEP_WEEKS: u64 = 8;
/// At most this many set-aside files are kept.
pub const KEEP_SET_ASIDE: usize = 4;
/// Set-aside files are kept at most this many days.
pub const KEEP_SET_ASIDE_DAYS: u64 = 28;
/// A temporary file this old was left by a process that died while writing it.
pub const TEMP_MAX_AGE_SECS: u64 = 3600;

/// One file found in the directory.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub name: String,
    /// Last modification, Unix seconds.
    pub modified: u64,
}

/// What the cap removes from `entries` at `now` (Unix seconds).
pub(crate) fn plan(entries: &[Entry], now: u64) -> Vec<&Entry> {
    let today = date::day_of(now);
    let mut remove = Vec::new();
    let mut set_aside: Vec<&Entry> = Vec::new();
    for entry in entries {
        if entry.name.ends_with(SUFFIX) {
            // `…-<begin>.v1.count`: the week ended 7 days after it began.
            let begin = entry
                .name
                .strip_suffix(SUFFIX)
                .and_then(|stem| stem.get(stem.len().saturating_sub(10)..))
                .and_then(date::parse);
            if begin.is_some_and(|begin| begin + 7 + 7 * KEEP_WEEKS < today) {
                remove.push(entry);
            }
        } else if let Some(week) = entry.name.strip_suffix(report::REPORT_SUFFIX)
            && date::parse(week).is_some()
        {
            if report::expired(week, now) {
                remove.push(entry);
            }
        } else if entry.name.ends_with(BAD_SUFFIX) {
            if entry.modified + KEEP_SET_ASIDE_DAYS * DAY < now {
                remove.push(entry);
            } else {
                set_aside.push(entry);
            }
        } else if entry.name.starts_with('.')
            && entry.name.ends_with(TEMP_SUFFIX)
            && entry.modified + TEMP_MAX_AGE_SECS < now
        {
            remove.push(entry);
        }
    }
    set_aside.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.name.cmp(&b.name)));
    remove.extend(set_aside.into_iter().skip(KEEP_SET_ASIDE));
    remove
}

/// Applies the cap to the `local` directory at `now`; returns what it deleted. Errors
/// leave files in place: the next week tries again.
pub fn local_dir(local: &Path, now: u64) -> Vec<PathBuf> {
    let Ok(read) = fs::read_dir(local) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for item in read.flatten() {
        let Ok(meta) = fs::symlink_metadata(item.path()) else {
            continue;
        };
        if !meta.is_file() || !owned_by_me(&meta) {
            continue;
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        if let Some(name) = item.file_name().to_str() {
            entries.push(Entry {
                name: name.to_string(),
                modified,
            });
        }
    }
    plan(&entries, now)
        .into_iter()
        .map(|entry| local.join(&entry.name))
        .filter(|path| fs::remove_file(path).is_ok())
        .collect()
}

#[cfg(unix)]
fn owned_by_me(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    meta.uid() == unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn owned_by_me(_meta: &fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP_REPORT_DAYS_FOR_TEST: u64 = report::KEEP_REPORT_DAYS;

    fn entry(name: &str, modified: u64) -> Entry {
        Entry {
            name: name.to_string(),
            modified,
        }
    }

    fn removed(entries: &[Entry], now: u64) -> Vec<String> {
        let mut names: Vec<String> = plan(entries, now).iter().map(|e| e.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn counter_files_are_kept_eight_weeks_after_their_week() {
        let today = date::parse("2026-12-01").unwrap();
        let now = today * DAY;
        let file = |begin: u64| {
            entry(
                &format!(
                    "kv@0.1.0-1.95.0-linux-x86_64-{}.v1.count",
                    date::format(begin)
                ),
                0,
            )
        };
        let entries = [file(today - 7 - 56), file(today - 7 - 57), file(today - 3)];
        assert_eq!(removed(&entries, now), [entries[1].name.clone()]);
    }

    #[test]
    fn set_aside_files_are_capped_by_count_and_age() {
        let now = 100 * DAY;
        let entries: Vec<Entry> = (0..6)
            .map(|i| entry(&format!("w.v1.count.1.{i:016x}.bad"), now - i * DAY))
            .chain([entry("old.v1.count.1.0.bad", now - 29 * DAY)])
            .collect();
        let gone = removed(&entries, now);
        assert_eq!(
            gone,
            [
                "old.v1.count.1.0.bad",
                "w.v1.count.1.0000000000000004.bad",
                "w.v1.count.1.0000000000000005.bad"
            ]
        );
    }

    #[test]
    fn only_stale_temporary_files_and_nothing_unknown_is_removed() {
        let now = 100 * DAY;
        let entries = [
            entry("1970-01-08.json", 0),
            entry("1970-04-01.json", 0),
            entry(".weekday.1.00ff.tmp", now - 2 * 3600),
            entry(".weekday.2.00ff.tmp", now - 60),
            entry("weekday", 0),
            entry("notes.txt", 0),
            entry("kv@0.1.0-broken-name.v1.count", 0),
        ];
        assert_eq!(removed(&entries, now), [".weekday.1.00ff.tmp"]);
        let a_year_later = (8 + KEEP_REPORT_DAYS_FOR_TEST + 1) * DAY;
        assert_eq!(removed(&entries[..2], a_year_later), ["1970-01-08.json"]);
    }
}
