//! The last phase: what the collector's answer to one week's upload leaves on disk.
//!
//! - 2xx: the exact bytes sent become `<week>.json` (flushed and linked into place),
//!   the answer `<week>.receipt.json`;
//! - 4xx: `<week>.rejected.json` with the status and reason; the week is not sent again;
//! - anything else (5xx, garbage, no answer in time): `<week>.retry.json`, tried again
//!   after a day, then twice as long each time, at most a week.

use std::fs;
use std::path::Path;

use telemetry_formats::date::DAY;
use telemetry_formats::report;

use crate::files::{Rejected, Retry, json, replace, week_file};
use crate::http::Answer;
use crate::run::Week;
use crate::work::Due;

/// The first wait after a failed attempt; it doubles up to a week.
pub const FIRST_RETRY_SECS: u64 = DAY;

/// Records the answer to the upload of `bytes` for `due` in `dir`, and says what
/// became of the week.
pub(crate) fn record(
    dir: &Path,
    due: Due,
    bytes: &[u8],
    answer: Result<Answer, String>,
    now: u64,
) -> Week {
    let Due {
        week,
        retry_path,
        retry,
        ..
    } = due;
    match answer {
        Ok(answer) if (200..300).contains(&answer.status) => {
            let sent = week_file(dir, &week, report::REPORT_SUFFIX);
            match report::write_durably(&sent, bytes) {
                Ok(_) => {
                    let _ = replace(&week_file(dir, &week, ".receipt.json"), &answer.body);
                    let _ = fs::remove_file(&retry_path);
                    Week::Uploaded(answer.body)
                }
                Err(e) => Week::Retry(format!("uploaded, but the copy could not be kept: {e}"), 0),
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
            let _ = replace(&week_file(dir, &week, ".rejected.json"), &json(&rejected));
            let _ = fs::remove_file(&retry_path);
            Week::Rejected(answer.status, reason)
        }
        Ok(answer) => schedule(
            &retry_path,
            retry,
            format!("answered {}", answer.status),
            now,
        ),
        Err(e) => schedule(&retry_path, retry, e, now),
    }
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
