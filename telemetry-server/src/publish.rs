//! The daily merge: once a UTC day is over, its accepted reports become one public
//! file, `/data/<day>.ndjson`, and one aggregate the charts are drawn from.
//!
//! The file holds every report kept that day as stored, one compact JSON object per
//! line, ordered by the SHA-256 of each line: an order that reveals nothing of when
//! each arrived, so watching the network and reading the public data together links no
//! report to a sender. The same stored reports always give the same bytes, so
//! `telemetry-server rebuild` can recompute every published day and compare.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use telemetry_formats::report::Report;
use telemetry_pages::Aggregate;

use crate::configs::Configs;
use crate::store::{DayFile, Db, Published, StoreError};

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    out
}

/// A day's public file and its aggregate, from its kept reports in publication order.
///
/// The file is compressed on a second thread while the reports are read into the
/// aggregate: the two take about the same time, and publishing holds the day's
/// transaction open while they run.
pub fn day_file(
    day: &str,
    kept: &[(String, u64)],
    configs: &Configs,
) -> Result<(Published, DayFile), StoreError> {
    let mut bytes = Vec::with_capacity(kept.iter().map(|(line, _)| line.len() + 1).sum());
    for (line, _) in kept {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    let (aggregate, compressed) = std::thread::scope(|scope| {
        let compressing = std::thread::Builder::new()
            .name("publish-gzip".into())
            .spawn_scoped(scope, || gzip(&bytes));
        let aggregate = aggregate_of(day, kept, configs);
        // Without a second thread (none could be started, or it failed), here.
        let compressed = match compressing {
            Ok(thread) => thread.join().ok(),
            Err(_) => None,
        };
        (aggregate, compressed)
    });
    let aggregate = aggregate?;
    let gzip = compressed.unwrap_or_else(|| gzip(&bytes));
    let published = Published {
        day: day.to_string(),
        reports: kept.len() as u64,
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        aggregate: aggregate.to_json(),
    };
    Ok((published, DayFile { body: bytes, gzip }))
}

/// The aggregate of a day's kept reports, each counted with the rates of the config
/// version it was checked against.
fn aggregate_of(
    day: &str,
    kept: &[(String, u64)],
    configs: &Configs,
) -> Result<Aggregate, StoreError> {
    let mut aggregate = Aggregate::new();
    for (line, version) in kept {
        let report = Report::parse(line.as_bytes()).map_err(|source| StoreError::StoredReport {
            day: day.to_string(),
            source,
        })?;
        let (_, rates) = configs
            .get(version)
            .ok_or_else(|| StoreError::MissingConfig {
                day: day.to_string(),
                version: *version,
            })?;
        aggregate.add(&report, rates.as_ref());
    }
    Ok(aggregate)
}

/// `bytes`, gzip-compressed: the same bytes give the same output (no time or name in
/// the header), so every process publishing a day stores the same file.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Publishes every day before `today` not yet published; returns the days this call
/// published. Days published by an older server, without their file, get it now.
pub async fn publish_due(
    db: &Db,
    today: &str,
    configs: &Configs,
) -> Result<Vec<String>, StoreError> {
    let mut done = Vec::new();
    for day in db.unpublished_days(today).await? {
        if db
            .publish_day(&day, |kept| day_file(&day, kept, configs))
            .await?
        {
            done.push(day);
        }
    }
    for day in db.days_without_file().await? {
        let kept = db.kept_of_day(&day).await?;
        let (again, file) = day_file(&day, &kept, configs)?;
        let published = db.published().await?;
        match published.iter().find(|p| p.day == day) {
            Some(p) if p.sha256 == again.sha256 => db.fill_day_file(&day, &file).await?,
            _ => eprintln!(
                "telemetry-server: the stored reports of {day} no longer match what was \
                 published: run telemetry-server rebuild"
            ),
        }
    }
    Ok(done)
}
