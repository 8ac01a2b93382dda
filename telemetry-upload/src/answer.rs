//! The last phase: what the collector's answer to one week's upload leaves on disk.
//!
//! - 2xx: the exact bytes sent, kept in `<week>.sending.json` before the request, are
//!   linked as `<week>.json`, the answer kept as `<week>.receipt.json`;
//! - 408, 429 and 503 (the collector is busy, or slow, or limits this address: nothing
//!   is wrong with the report): `<week>.retry.json`, tried again once the answer's
//!   `Retry-After` has passed (at most [`MAX_RETRY_AFTER_SECS`]), or as below without
//!   one;
//! - another 4xx: `<week>.rejected.json` with the status and reason; the week is not
//!   sent again (and `<week>.sending.json` goes);
//! - anything else (5xx, garbage, no answer in time): `<week>.retry.json`, tried again
//!   after a day, then twice as long each time, at most a week.
//!
//! On a retry the bytes of `<week>.sending.json` are sent again as they are.

use std::fs;
use std::path::Path;

use telemetry_formats::date::DAY;
use telemetry_formats::report;

use crate::files::{self, Rejected, Retry, json, replace, week_file};
use crate::http::Answer;
use crate::run::Week;
use crate::work::Due;

/// The first wait after a failed attempt; it doubles up to a week.
pub const FIRST_RETRY_SECS: u64 = DAY;
/// The longest wait a collector's `Retry-After` can ask for.
pub const MAX_RETRY_AFTER_SECS: u64 = 7 * DAY;
/// The statuses that say "later", not "never": 408 Request Timeout, 429 Too Many
/// Requests, 503 Service Unavailable.
pub const RETRYABLE: [u16; 3] = [408, 429, 503];

/// Records the answer to the upload of the bytes kept in `due.sending`, and says what
/// became of the week.
pub(crate) fn record(dir: &Path, due: Due, answer: Result<Answer, String>, now: u64) -> Week {
    let Due {
        week,
        retry_path,
        retry,
        sending,
        ..
    } = due;
    match answer {
        Ok(answer) if (200..300).contains(&answer.status) => {
            let _ = replace(&week_file(dir, &week, ".receipt.json"), &answer.body);
            let _ = fs::remove_file(&retry_path);
            let sent = week_file(dir, &week, report::REPORT_SUFFIX);
            match files::mark_sent(&sending, &sent) {
                Ok(()) => Week::Uploaded(answer.body),
                // Sent, but something took the copy's place meanwhile: the week is not
                // sent again while it is there, and the bytes stay in `sending`.
                Err(e) => Week::Retry(
                    format!(
                        "uploaded, but the copy could not be kept as {} ({e}); it stays in {}",
                        sent.display(),
                        sending.display()
                    ),
                    now,
                ),
            }
        }
        Ok(answer) if RETRYABLE.contains(&answer.status) => {
            let wait = answer
                .retry_after
                .as_deref()
                .and_then(|value| retry_after(value, now));
            let why = String::from_utf8_lossy(&answer.body)
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect::<String>();
            let error = if why.trim().is_empty() {
                format!("answered {}", answer.status)
            } else {
                format!("answered {}: {}", answer.status, why.trim())
            };
            schedule_after(&retry_path, retry, error, now, wait)
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
            let _ = replace(
                &week_file(dir, &week, files::REJECTED_SUFFIX),
                &json(&rejected),
            );
            let _ = fs::remove_file(&retry_path);
            let _ = fs::remove_file(&sending);
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
    schedule_after(path, previous, error, now, None)
}

/// [`schedule`], with the wait the collector asked for when it did.
fn schedule_after(
    path: &Path,
    previous: Option<Retry>,
    error: String,
    now: u64,
    asked: Option<u64>,
) -> Week {
    let attempts = previous.map_or(0, |r| r.attempts) + 1;
    let backoff = (FIRST_RETRY_SECS << (attempts - 1).min(3)).min(7 * DAY);
    let wait = asked.map_or(backoff, |asked| asked.min(MAX_RETRY_AFTER_SECS));
    let retry = Retry {
        attempts,
        next: now + wait,
        error: error.clone(),
    };
    let _ = replace(path, &json(&retry));
    Week::Retry(error, retry.next)
}

/// The wait in seconds a `Retry-After` value asks for at `now`: a number of seconds, or
/// an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`); `None` when it is neither.
fn retry_after(value: &str, now: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    // IMF-fixdate, the one form RFC 9110 asks senders to use.
    let mut parts = value.split_whitespace();
    let (_weekday, day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if zone != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    let day = telemetry_formats::date::parse(&format!("{year:04}-{month:02}-{day:02}"))?;
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some((day * DAY + h * 3600 + m * 60 + s).saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = telemetry_formats::date::parse("1994-11-06").unwrap() * DAY + 8 * 3600;
        assert_eq!(retry_after("120", now), Some(120));
        assert_eq!(retry_after(" 0 ", now), Some(0));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(49 * 60 + 37)
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 07:00:00 GMT", now),
            Some(0),
            "a date gone by: at once"
        );
        for bad in [
            "",
            "-5",
            "soon",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
        ] {
            assert_eq!(retry_after(bad, now), None, "{bad:?}");
        }
    }
}
