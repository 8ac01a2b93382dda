//! Every config this server (or another process on its database) ever served, as
//! parsed, with the rates each sampled its reports at: uploads are checked against
//! the version they name, and the merge weighs each report by its own config's rates.

use std::collections::BTreeMap;
use std::sync::Arc;

use telemetry_formats::config::Config;
use telemetry_formats::signature::Envelope;
use telemetry_pages::{Rates, RatesByKey};

use crate::store::{Db, StoreError};

/// The rates a config sampled its reports at: the pages' own, so that the aggregates
/// published here are keyed by config version and know every rate a program's names
/// are collected at, as the estimates computed from them need.
pub use telemetry_pages::ConfigRates;

/// The configs by version as [`RatesByKey`]: an aggregate's key is the config version.
pub struct ByVersion<'a>(pub &'a Configs);

impl RatesByKey for ByVersion<'_> {
    fn rates(&self, key: &str) -> Option<&dyn Rates> {
        let version: u64 = key.parse().ok()?;
        self.0
            .get(&version)
            .map(|(_, rates)| rates.as_ref() as &dyn Rates)
    }
}

/// The configs by version, as parsed, with their rates.
pub type Configs = BTreeMap<u64, (Arc<Config>, Arc<ConfigRates>)>;

/// Every stored config, parsed.
pub async fn load(db: &Db) -> Result<Configs, StoreError> {
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
