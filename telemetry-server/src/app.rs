//! What every request can reach: the database, the signed config served and every
//! config served before, the manifests, the limits, the counts of `/metrics`, and the
//! view of what is published that the pages are drawn from (refreshed by the merge).

use std::sync::{Arc, RwLock};

use telemetry_formats::config::Config;
use telemetry_formats::date;
use telemetry_formats::manifest::Manifest;
use telemetry_pages::{Aggregate, Indexed};

use crate::configs::{self, ByVersion, Configs};
use crate::connections::Open;
use crate::files::Files;
use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::publish;
use crate::settings::Settings;
use crate::store::{Db, Published, StoreError};
use crate::validate::{Declared, Limits};
use crate::writer::Writer;

/// The environment variable that fixes the server's idea of today (`YYYY-MM-DD`), for
/// tests and demonstrations of the daily publication.
pub const TODAY_VAR: &str = "TELEMETRY_SERVER_TODAY";

/// What the public pages show, refreshed by the merge: the published days, and their
/// aggregates merged, indexed and their trends computed once for every page and answer
/// until the next.
#[derive(Default)]
pub(crate) struct View {
    pub published: Vec<Published>,
    pub weeks: Indexed,
}

/// Everything a request can reach.
pub(crate) struct App {
    pub db: Db,
    pub settings: Settings,
    pub signed: Vec<u8>,
    pub etag: String,
    pub current: Arc<Config>,
    pub configs: RwLock<Configs>,
    pub declared: Declared,
    pub manifests: Vec<Manifest>,
    pub limits: Limits,
    pub metrics: Metrics,
    pub limiter: Limiter,
    pub view: RwLock<View>,
    pub files: Files,
    pub open: Arc<Open>,
    pub writer: Writer,
    pub fixed_today: Option<u64>,
}

impl App {
    /// Today, as a day number: the fixed one, or the UTC clock's.
    pub fn today(&self) -> u64 {
        self.fixed_today
            .unwrap_or_else(|| date::day_of(date::now_secs()))
    }

    /// The config of `version`, if it was ever served here.
    pub fn config(&self, version: u64) -> Option<Arc<Config>> {
        let configs = self.configs.read().ok()?;
        configs.get(&version).map(|(c, _)| c.clone())
    }

    /// Reads every stored config again (another process may have stored a newer one).
    pub async fn reload_configs(&self) -> Result<(), StoreError> {
        let configs = configs::load(&self.db).await?;
        if let Ok(mut mine) = self.configs.write() {
            *mine = configs;
        }
        Ok(())
    }

    /// Publishes what is due and refreshes what the pages show.
    pub async fn merge(&self) -> Result<Vec<String>, StoreError> {
        self.reload_configs().await?;
        let configs = self.configs.read().map(|c| c.clone()).unwrap_or_default();
        // A day is published once it is over and every upload that arrived in it has
        // been committed: uploads take at most the request timeout, so the first two
        // minutes of a day still count as the day before.
        let until = match self.fixed_today {
            Some(today) => today,
            None => date::day_of(date::now_secs().saturating_sub(120)),
        };
        let days = publish::publish_due(&self.db, &date::format(until), &configs).await?;
        let published = self.db.published().await?;
        let changed = self
            .view
            .read()
            .map(|v| v.published != published)
            .unwrap_or(true);
        if changed {
            let mut aggregate = Aggregate::new();
            for day in &published {
                let one = Aggregate::from_json(&day.aggregate).map_err(|reason| {
                    StoreError::StoredAggregate {
                        day: day.day.clone(),
                        reason,
                    }
                })?;
                aggregate.merge(&one);
            }
            if let Ok(mut view) = self.view.write() {
                *view = View {
                    published,
                    weeks: Indexed::with_trends(aggregate, &ByVersion(&configs)),
                };
            }
        }
        Ok(days)
    }
}
