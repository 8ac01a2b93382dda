//! The first phase of a run: may anything be uploaded at all (the mode, the day `on`
//! was chosen, the upload lock), and which weeks are waiting to go.

use std::path::{Path, PathBuf};

use telemetry_formats::date::DAY;
use telemetry_formats::mode::{self, DefaultMode, Env, Mode, ModeSource};
use telemetry_formats::{dirs, report, safe_fs};

use crate::files::{self, Collector, Retry, There, json, read_json, replace, week_file};
use crate::lock::{self, Lock};
use crate::run::{Options, Target};

/// A run allowed to go on: where it works, since when `on` holds, and (unless a dry
/// run) the upload lock it holds until it is dropped.
pub(crate) struct Work {
    /// `<namespace>/upload`.
    pub dir: PathBuf,
    /// `<namespace>/local`.
    pub local: PathBuf,
    /// The day `on` was chosen: weeks that began on or before it stay local.
    pub since: u64,
    /// Today, days since 1970-01-01.
    pub today: u64,
    _lock: Option<Lock>,
}

/// A week with a local report, not uploaded nor refused yet.
pub(crate) struct Due {
    /// `YYYY-MM-DD`.
    pub week: String,
    /// Its local report.
    pub report: PathBuf,
    /// What keeps the copy of what is sent from being written as `<week>.json`, if
    /// something does (a link, a directory): the week is not sent while it is there.
    pub in_the_way: Option<String>,
    /// `<week>.sending.json`.
    pub sending: PathBuf,
    /// `<week>.retry.json`.
    pub retry_path: PathBuf,
    /// The last failed attempt, if any.
    pub retry: Option<Retry>,
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

/// Checks that uploading is on and that the namespace's directories can be trusted
/// (this user's, writable by no one else, no link: the runtime's rules), and, unless a
/// dry run, makes sure the upload directory is there, records the collector and takes
/// the lock. `Err` says why the run stops.
pub(crate) fn begin(
    namespace_dir: &Path,
    target: &Target,
    env: &Env,
    options: &Options,
) -> Result<Work, String> {
    let today = options.now / DAY;
    let since = on_since(env, namespace_dir, today)?;
    let dir = files::upload_dir(namespace_dir);
    let local = namespace_dir.join(dirs::LOCAL);
    // `TELEMETRY_MODE=on` skips the mode file, and so the check of the tree.
    mode::trusted_tree(namespace_dir)?;
    safe_fs::check_dir(&local, false)
        .map_err(|e| format!("cannot use {}: {e}", local.display()))?;
    let lock = if options.dry_run {
        safe_fs::check_dir(&dir, false)
            .map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
        None
    } else {
        safe_fs::ensure_dir(&dir, false)
            .map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
        let collector = Collector {
            url: target.url.clone(),
            key: target.key.to_string(),
        };
        let _ = replace(&dir.join("collector.json"), &json(&collector));
        match lock::take(&dir, options.now) {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => return Err("another upload is running".into()),
            Err(e) => return Err(format!("cannot take the upload lock: {e}")),
        }
    };
    Ok(Work {
        dir,
        local,
        since,
        today,
        _lock: lock,
    })
}

impl Work {
    /// Makes the local reports of weeks that ended an hour ago or more, as every
    /// program's worker does (not in a dry run, which writes nothing).
    pub fn make_local_reports(&self, options: &Options) {
        if !options.dry_run {
            report::make_due(
                &self.local,
                options.now.saturating_sub(3600),
                &files::last_uploaded(&self.dir),
            );
        }
    }

    /// The weeks with a local report that are neither uploaded nor refused, oldest
    /// first. A week counts as uploaded when `<week>.json` is a file; anything else
    /// there is in the way of its copy.
    pub fn due(&self) -> Vec<Due> {
        report::list(&self.local)
            .into_iter()
            .filter_map(|(week, report)| {
                let rejected = week_file(&self.dir, &week, files::REJECTED_SUFFIX);
                if !matches!(files::there(&rejected), There::Nothing) {
                    return None;
                }
                let in_the_way =
                    match files::there(&week_file(&self.dir, &week, report::REPORT_SUFFIX)) {
                        There::Nothing => None,
                        There::File => return None,
                        There::Other(what) => Some(what),
                    };
                let retry_path = week_file(&self.dir, &week, ".retry.json");
                Some(Due {
                    retry: read_json(&retry_path),
                    sending: week_file(&self.dir, &week, files::SENDING_SUFFIX),
                    in_the_way,
                    week,
                    report,
                    retry_path,
                })
            })
            .collect()
    }
}
