//! The upload state of a namespace as `telemetry status` shows it, read without
//! writing anything.

use std::fs;
use std::path::Path;

use telemetry_formats::{dirs, report};

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
pub fn state(namespace_dir: &Path) -> State {
    let dir = files::upload_dir(namespace_dir);
    let collector: Option<Collector> = read_json(&dir.join("collector.json"));
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
    let local = namespace_dir.join(dirs::LOCAL);
    let pending = report::list(&local)
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
