//! The upload state of a namespace as `telemetry status` shows it, read without
//! writing anything.

use std::fs;
use std::path::Path;

use telemetry_formats::{dirs, report, safe_fs};

use crate::config;
use crate::files::{self, Collector, LastRun, read_json};

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
/// A directory that is not trusted (`safe_fs::check_dir`) reads as empty.
pub fn state(namespace_dir: &Path) -> State {
    // Missing is fine (nothing there); a link, another user's or open to others is not.
    let trusted = |dir: &Path| safe_fs::check_dir(dir, false).is_ok();
    if !trusted(namespace_dir) {
        return State::default();
    }
    let dir = files::upload_dir(namespace_dir);
    if !trusted(&dir) {
        return State::default();
    }
    let collector: Option<Collector> = read_json(&dir.join("collector.json"));
    // Copies are regular files; a link in a copy's place is not an upload.
    let uploaded: Vec<(String, std::path::PathBuf)> = report::list(&dir)
        .into_iter()
        .filter(|(_, path)| matches!(files::there(path), files::There::File))
        .collect();
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
    let local = namespace_dir.join(dirs::LOCAL);
    let local_reports = if trusted(&local) {
        report::list(&local)
    } else {
        Vec::new()
    };
    let pending = local_reports
        .into_iter()
        .map(|(w, _)| w)
        .filter(|w| !uploaded.iter().any(|(u, _)| u == w) && !rejected.contains(w))
        .collect();
    State {
        collector: collector.map(|c| (c.url, c.key)),
        config_version: config::cached_version(&dir),
        last_upload: uploaded.last().map(|(w, _)| w.clone()),
        pending,
        rejected,
        last_run: read_json(&dir.join("last-run.json")),
    }
}
