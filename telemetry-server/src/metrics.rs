//! The process's counts, served as Prometheus text on `/metrics`. Per process: with
//! several processes on one database, scrape each.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::outcome::{Outcome, Receipted, UploadError};
use crate::validate::{Dropped, Refusal};

/// Every count.
#[derive(Default)]
pub struct Metrics {
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
    /// Body bytes of uploads read.
    pub bytes: AtomicU64,
    /// Parts dropped, by reason (in [`Dropped::ALL`] order).
    pub dropped: [AtomicU64; Dropped::ALL.len()],
}

impl Metrics {
    /// Counts how an upload of `bytes` ended: the one place uploads are counted.
    pub(crate) fn upload(&self, outcome: &Outcome, bytes: usize) {
        if !matches!(outcome, Err(UploadError::RateLimited)) {
            self.bytes.fetch_add(bytes as u64, Relaxed);
        }
        let count = match outcome {
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
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Relaxed)
            );
        };
        counter(
            "telemetry_reports_accepted_total",
            "Reports stored.",
            &self.accepted,
        );
        counter(
            "telemetry_reports_duplicate_total",
            "Reports sent again after they were stored.",
            &self.duplicates,
        );
        counter(
            "telemetry_reports_conflict_total",
            "Different reports under a stored week and x (409).",
            &self.conflicts,
        );
        counter(
            "telemetry_reports_malformed_total",
            "Uploads that are not reports (400).",
            &self.malformed,
        );
        counter(
            "telemetry_reports_refused_total",
            "Reports refused whole: window, config version (422).",
            &self.refused,
        );
        counter(
            "telemetry_uploads_unacceptable_total",
            "Uploads too large or compressed (413, 415).",
            &self.too_large_or_encoded,
        );
        counter(
            "telemetry_uploads_rate_limited_total",
            "Uploads turned away by the rate limit (503).",
            &self.rate_limited,
        );
        counter(
            "telemetry_uploads_store_errors_total",
            "Uploads that could not be stored (503).",
            &self.store_errors,
        );
        counter(
            "telemetry_upload_bytes_total",
            "Body bytes of uploads read.",
            &self.bytes,
        );
        out.push_str(
            "# HELP telemetry_dropped_total Parts of accepted reports dropped, by reason.\n\
             # TYPE telemetry_dropped_total counter\n",
        );
        for (reason, value) in Dropped::ALL.iter().zip(&self.dropped) {
            let _ = writeln!(
                out,
                "telemetry_dropped_total{{reason=\"{}\"}} {}",
                reason.code(),
                value.load(Relaxed)
            );
        }
        out
    }
}
