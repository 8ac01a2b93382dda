//! The daily merge: once a UTC day is over, its accepted reports become one public
//! file, `/data/<day>.ndjson`, and one aggregate the charts are drawn from.
//!
//! The file holds every report kept that day as stored, one compact JSON object per
//! line, ordered by the SHA-256 of each line: an order that reveals nothing of when
//! each arrived, so watching the network and reading the public data together links no
//! report to a sender. The same stored reports always give the same bytes, so
//! `telemetry-server rebuild` can recompute every published day and compare.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use telemetry_formats::config::{self, Config};
use telemetry_formats::report::Report;
use telemetry_pages::{Aggregate, Rates};

use crate::store::{Db, Published, StoreError};

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

/// The rates a config sampled its reports at.
pub struct ConfigRates {
    sample_rate: f64,
    counters: BTreeMap<String, BTreeMap<String, f64>>,
    stacks: BTreeMap<String, BTreeMap<String, f64>>,
}

impl ConfigRates {
    /// The rates of `config`.
    pub fn new(config: &Config) -> ConfigRates {
        let mut counters: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        let mut stacks: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for program in &config.programs {
            let c = counters.entry(program.name.clone()).or_default();
            for entry in &program.counters {
                for name in config::expand(&entry.name).unwrap_or_default() {
                    c.insert(name, entry.rate);
                }
            }
            let s = stacks.entry(program.name.clone()).or_default();
            for entry in &program.stacks {
                s.insert(entry.name.clone(), entry.rate);
            }
        }
        ConfigRates {
            sample_rate: config.sample_rate,
            counters,
            stacks,
        }
    }
}

impl Rates for ConfigRates {
    fn report(&self, _: &str) -> f64 {
        self.sample_rate
    }
    fn name(&self, program: &str, name: &str, stack: bool) -> f64 {
        let map = if stack { &self.stacks } else { &self.counters };
        map.get(program)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or(1.0)
    }
}

/// The configs by version, as parsed, with their rates.
pub type Configs = BTreeMap<u64, (Arc<Config>, Arc<ConfigRates>)>;

/// A day's public file and its aggregate, from its kept reports in publication order.
pub fn day_file(
    day: &str,
    kept: &[(String, u64)],
    configs: &Configs,
) -> Result<(Vec<u8>, Published), StoreError> {
    let mut bytes = Vec::new();
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
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    let published = Published {
        day: day.to_string(),
        reports: kept.len() as u64,
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        aggregate: aggregate.to_json(),
    };
    Ok((bytes, published))
}

/// Publishes every day before `today` not yet published; returns the days published.
pub async fn publish_due(
    db: &Db,
    today: &str,
    configs: &Configs,
) -> Result<Vec<String>, StoreError> {
    let mut done = Vec::new();
    for day in db.unpublished_days(today).await? {
        let kept = db.kept_of_day(&day).await?;
        let (_, published) = day_file(&day, &kept, configs)?;
        db.publish(&published).await?;
        done.push(day);
    }
    Ok(done)
}
