//! Every config this server (or another process on its database) ever served, as
//! parsed, with the rates each sampled its reports at: uploads are checked against
//! the version they name, and the merge weighs each report by its own config's rates.

use std::collections::BTreeMap;
use std::sync::Arc;

use telemetry_formats::config::{self, Config};
use telemetry_formats::signature::Envelope;
use telemetry_pages::Rates;

use crate::store::{Db, StoreError};

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
