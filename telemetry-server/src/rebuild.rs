//! `telemetry-server rebuild`: recomputes every published day, its file and its
//! aggregate, from the stored reports, and compares them with what was published. The
//! merge is deterministic, so on an intact database every day comes out the same, byte
//! for byte; a day that differs is said so, and its record replaced.

use crate::configs;
use crate::publish;
use crate::store::{Db, StoreError};

/// What a rebuild found.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// One line per published day.
    pub lines: Vec<String>,
    /// Days whose recomputation differed from what was published.
    pub differed: usize,
}

/// Rebuilds every published day of the database at `url`.
pub async fn rebuild(url: &str) -> Result<Rebuilt, StoreError> {
    let db = Db::open(url).await?;
    let configs = configs::load(&db).await?;
    let mut out = Rebuilt::default();
    for published in db.published().await? {
        let kept = db.kept_of_day(&published.day).await?;
        let (again, file) = publish::day_file(&published.day, &kept, &configs)?;
        let stored = db.day_file(&published.day).await?;
        if again == published && stored.as_ref().is_none_or(|s| s.body == file.body) {
            if stored.is_none() {
                db.fill_day_file(&published.day, &file).await?;
            }
            out.lines.push(format!(
                "{}: same ({}, {} bytes, sha256 {})",
                published.day,
                telemetry_pages::render::plural(again.reports, "report", "reports"),
                again.bytes,
                again.sha256
            ));
        } else {
            out.differed += 1;
            out.lines.push(format!(
                "{}: DIFFERS: published {}, sha256 {}; the stored reports give {}, sha256 {} \
                 (record replaced)",
                published.day,
                telemetry_pages::render::plural(published.reports, "report", "reports"),
                published.sha256,
                telemetry_pages::render::plural(again.reports, "report", "reports"),
                again.sha256
            ));
            db.republish(&again, &file).await?;
        }
    }
    if out.lines.is_empty() {
        out.lines.push("nothing published yet".into());
    }
    db.close().await;
    Ok(out)
}
