//! The collector's signed config: the cached copy, downloaded again at most once a
//! day, verified with the program's key every time it is used, and never of a lower
//! version than one accepted before (no rollback).

use std::path::Path;

use telemetry_formats::config::Config;
use telemetry_formats::date::DAY;
use telemetry_formats::{safe_fs, signature};

use crate::files::{mtime_secs, replace};
use crate::http;
use crate::run::{Options, Outcome, Target};

/// The signed config is downloaded at most this often.
pub const CONFIG_MAX_AGE_SECS: u64 = DAY;

/// The highest config version accepted so far (0: none).
fn accepted_version(dir: &Path) -> u64 {
    safe_fs::read_small(&dir.join("accepted-version"))
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// The config to use: the cached one, refreshed at most once a day; verified with the
/// target's key every time, never of a version below one accepted before. `None`, with
/// `outcome.stopped` saying why, when there is none to use.
pub(crate) fn load(
    dir: &Path,
    target: &Target,
    options: &Options,
    outcome: &mut Outcome,
) -> Option<Config> {
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

/// The version of the cached config, if it can be read (not verified: for display).
pub(crate) fn cached_version(dir: &Path) -> Option<u64> {
    let bytes = safe_fs::read_capped(&dir.join("config.json"), http::MAX_ANSWER).ok()?;
    let envelope: signature::Envelope = serde_json::from_slice(&bytes).ok()?;
    Config::parse(envelope.config.as_bytes())
        .ok()
        .map(|c| c.version)
}
