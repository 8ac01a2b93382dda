//! `telemetry-server rebuild`: recomputes every published day, its file and its
//! aggregate, from the stored reports, and compares them with what was published. The
//! merge is deterministic, so on an intact database every day comes out the same, byte
//! for byte; a day that differs is said so, and its record replaced.

use std::sync::Arc;

use telemetry_formats::config::Config;
use telemetry_formats::signature::Envelope;

use crate::publish::{self, ConfigRates, Configs};
use crate::store::{Db, StoreError};

/// What a rebuild found.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// One line per published day.
    pub lines: Vec<String>,
    /// Days whose recomputation differed from what was published.
    pub differed: usize,
}

/// Every stored config, parsed.
pub async fn configs(db: &Db) -> Result<Configs, StoreError> {
    let mut configs = Configs::new();
    for (version, signed) in db.configs().await? {
        let unreadable = |source: Box<dyn std::error::Error + Send + Sync>| {
            StoreError::StoredConfig { version, source }
        };
        let envelope: Envelope =
            serde_json::from_str(&signed).map_err(|e| unreadable(Box::new(e)))?;
        let config =
            Config::parse(envelope.config.as_bytes()).map_err(|e| unreadable(Box::new(e)))?;
        let rates = Arc::new(ConfigRates::new(&config));
        configs.insert(version, (Arc::new(config), rates));
    }
    Ok(configs)
}

/// Rebuilds every published day of the database at `url`.
pub async fn rebuild(url: &str) -> Result<Rebuilt, StoreError> {
    let db = Db::open(url).await?;
    let configs = configs(&db).await?;
    let mut out = Rebuilt::default();
    for published in db.published().await? {
        let kept = db.kept_of_day(&published.day).await?;
        let (_, again) = publish::day_file(&published.day, &kept, &configs)?;
        if again == published {
            out.lines.push(format!(
                "{}: same ({} reports, {} bytes, sha256 {})",
                published.day, again.reports, again.bytes, again.sha256
            ));
        } else {
            out.differed += 1;
            out.lines.push(format!(
                "{}: DIFFERS: published {} reports, sha256 {}; the stored reports give {} \
                 reports, sha256 {} (record replaced)",
                published.day, published.reports, published.sha256, again.reports, again.sha256
            ));
            db.republish(&again).await?;
        }
    }
    if out.lines.is_empty() {
        out.lines.push("nothing published yet".into());
    }
    db.close().await;
    Ok(out)
}
