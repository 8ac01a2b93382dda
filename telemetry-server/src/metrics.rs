//! The process's counts, served as Prometheus text on `/metrics`. Per process: with
//! several processes on one database, scrape each.
//!
//! What an upload's outcome adds to (accepted, sent again, conflicting, malformed,
//! refused, unacceptable, parts dropped by reason) is shown as it stood after the last
//! whole step of uploads (`--metrics-step`, 64 by default): the shown totals move once
//! per many uploads, so that no reading of `/metrics` says what one upload held. The
//! server's own health (rate limited, not stored, connections turned away) is shown as
//! it is. No size is counted at all.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::connections::Turned;
use crate::outcome::{Outcome, Receipted, UploadError};
use crate::validate::{Dropped, Refusal};

/// The counts of a summary at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot([u64; 10]);

/// The upload totals as last shown, and the step they move by.
#[derive(Default)]
struct Shown {
    step: u64,
    values: Vec<u64>,
}

/// Every count.
#[derive(Default)]
pub struct Metrics {
    /// Uploads counted, whatever their outcome (rate limited ones too).
    pub uploads: AtomicU64,
    shown: std::sync::Mutex<Shown>,
    /// Reports stored now.
    pub accepted: AtomicU64,
    /// Reports stored before, sent again.
    pub duplicates: AtomicU64,
    /// A different report under a stored key.
    pub conflicts: AtomicU64,
    /// Reports refused whole with 400.
    pub malformed: AtomicU64,
    /// Reports refused whole with 422.
    pub refused: AtomicU64,
    /// Uploads answered 413 or 415.
    pub too_large_or_encoded: AtomicU64,
    /// Uploads turned away by the rate limit.
    pub rate_limited: AtomicU64,
    /// Uploads that could not be stored (503).
    pub store_errors: AtomicU64,
    /// Parts dropped, by reason (in [`Dropped::ALL`] order).
    pub dropped: [AtomicU64; Dropped::ALL.len()],
}

impl Metrics {
    /// Counts whose shown totals move once per `step` uploads (at least 1).
    pub fn new(step: u64) -> Metrics {
        let metrics = Metrics::default();
        if let Ok(mut shown) = metrics.shown.lock() {
            shown.step = step.max(1);
        }
        metrics
    }

    /// The upload totals, live, in the order they are rendered.
    fn upload_totals(&self) -> Vec<u64> {
        [
            &self.accepted,
            &self.duplicates,
            &self.conflicts,
            &self.malformed,
            &self.refused,
            &self.too_large_or_encoded,
        ]
        .into_iter()
        .chain(self.dropped.iter())
        .map(|count| count.load(Relaxed))
        .collect()
    }

    /// The upload totals as shown.
    fn shown_totals(&self) -> Vec<u64> {
        let shown = self
            .shown
            .lock()
            .map(|s| s.values.clone())
            .unwrap_or_default();
        if shown.is_empty() {
            vec![0; 6 + Dropped::ALL.len()]
        } else {
            shown
        }
    }

    /// Counts how an upload ended: the one place uploads are counted. No size is
    /// counted: a byte count that moved with each upload would say how large each one
    /// was, and sizes can link a sender to a published report.
    pub(crate) fn upload(&self, outcome: &Outcome) {
        let count: &AtomicU64 = match outcome {
            Ok(Receipted::New { dropped, .. }) => {
                for (reason, parts) in dropped {
                    self.dropped[reason.index()].fetch_add(*parts as u64, Relaxed);
                }
                &self.accepted
            }
            Ok(Receipted::Again(_)) => &self.duplicates,
            Err(UploadError::RateLimited) => &self.rate_limited,
            Err(UploadError::Compressed | UploadError::NotJson) => &self.too_large_or_encoded,
            Err(UploadError::Refused(Refusal::Malformed(_))) => &self.malformed,
            Err(UploadError::Refused(Refusal::Unacceptable(_))) => &self.refused,
            Err(UploadError::Conflict) => &self.conflicts,
            Err(UploadError::ShuttingDown | UploadError::NotStored) => &self.store_errors,
        };
        count.fetch_add(1, Relaxed);
        let uploads = self.uploads.fetch_add(1, Relaxed) + 1;
        if let Ok(mut shown) = self.shown.lock()
            && uploads.is_multiple_of(shown.step.max(1))
        {
            shown.values = self.upload_totals();
        }
    }

    /// The counts a summary line tells, in its order.
    fn summed(&self, turned: &Turned) -> [u64; 10] {
        [
            &self.accepted,
            &self.duplicates,
            &self.malformed,
            &self.refused,
            &self.too_large_or_encoded,
            &self.conflicts,
            &self.rate_limited,
            &self.store_errors,
            &turned.total,
            &turned.per_address,
        ]
        .map(|count| count.load(Relaxed))
    }

    /// A snapshot to summarise from.
    pub fn snapshot(&self, turned: &Turned) -> Snapshot {
        Snapshot(self.summed(turned))
    }

    /// One line saying what happened since `before`: uploads accepted, sent again,
    /// refused (by reason: only the reasons that occurred), not stored, and connections
    /// turned away. Never an address or a header: these counts hold none.
    pub fn summary(&self, turned: &Turned, before: &Snapshot) -> String {
        let now = self.summed(turned);
        let d: Vec<u64> = now
            .iter()
            .zip(before.0)
            .map(|(n, b)| n.saturating_sub(b))
            .collect();
        let mut line = format!("{} accepted, {} sent again", d[0], d[1]);
        let reasons = [
            "malformed",
            "unacceptable",
            "too large or compressed",
            "conflicting",
            "rate limited",
        ];
        let refused: Vec<String> = reasons
            .iter()
            .zip(&d[2..7])
            .filter(|(_, n)| **n > 0)
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        let total: u64 = d[2..7].iter().sum();
        if refused.is_empty() {
            line.push_str(", 0 refused");
        } else {
            let _ = write!(line, ", {total} refused ({})", refused.join(", "));
        }
        let _ = write!(
            line,
            ", {} not stored, {} connections turned away",
            d[7],
            d[8] + d[9]
        );
        line
    }

    /// The Prometheus text exposition, with the connections turned away by `turned`.
    pub fn render(&self, turned: &Turned) -> String {
        let shown = self.shown_totals();
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "telemetry_reports_accepted_total",
            "Reports stored.",
            shown[0],
        );
        counter(
            "telemetry_reports_duplicate_total",
            "Reports sent again after they were stored.",
            shown[1],
        );
        counter(
            "telemetry_reports_conflict_total",
            "Different reports under a stored week and x (409).",
            shown[2],
        );
        counter(
            "telemetry_reports_malformed_total",
            "Uploads that are not reports (400).",
            shown[3],
        );
        counter(
            "telemetry_reports_refused_total",
            "Reports refused whole: window, config version (422).",
            shown[4],
        );
        counter(
            "telemetry_uploads_unacceptable_total",
            "Uploads too large or compressed (413, 415).",
            shown[5],
        );
        counter(
            "telemetry_uploads_rate_limited_total",
            "Uploads turned away by the rate limit (503).",
            self.rate_limited.load(Relaxed),
        );
        counter(
            "telemetry_uploads_store_errors_total",
            "Uploads that could not be stored (503).",
            self.store_errors.load(Relaxed),
        );
        counter(
            "telemetry_connections_refused_total",
            "Connections closed at once: the cap of open connections was reached.",
            turned.total.load(Relaxed),
        );
        counter(
            "telemetry_connections_refused_per_address_total",
            "Connections closed at once: the cap of one address was reached.",
            turned.per_address.load(Relaxed),
        );
        out.push_str(
            "# HELP telemetry_dropped_total Parts of accepted reports dropped, by reason.\n\
             # TYPE telemetry_dropped_total counter\n",
        );
        for (reason, value) in Dropped::ALL.iter().zip(&shown[6..]) {
            let _ = writeln!(
                out,
                "telemetry_dropped_total{{reason=\"{}\"}} {value}",
                reason.code(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_tells_what_happened_since_the_snapshot_and_names_only_reasons_that_occurred() {
        let metrics = Metrics::default();
        let turned = Turned::default();
        metrics.accepted.fetch_add(3, Relaxed);
        let before = metrics.snapshot(&turned);
        assert_eq!(
            metrics.summary(&turned, &before),
            "0 accepted, 0 sent again, 0 refused, 0 not stored, 0 connections turned away"
        );
        metrics.accepted.fetch_add(2, Relaxed);
        metrics.duplicates.fetch_add(1, Relaxed);
        metrics.malformed.fetch_add(4, Relaxed);
        metrics.rate_limited.fetch_add(1, Relaxed);
        turned.per_address.fetch_add(7, Relaxed);
        assert_eq!(
            metrics.summary(&turned, &before),
            "2 accepted, 1 sent again, 5 refused (4 malformed, 1 rate limited), 0 not stored, \
             7 connections turned away"
        );
    }
}
