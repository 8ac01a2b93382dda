//! Storage: every signed config ever served, every accepted report with its receipt,
//! and what was published of each day. One schema, one set of queries, on SQLite (the
//! embedded default, in WAL mode with full synchronous commits) or PostgreSQL (for
//! several server processes sharing one database), both through `sqlx`.
//!
//! The schema is versioned: [`MIGRATIONS`] lists every change in order, and a database
//! records the ones it has had, so a server started on an older database brings it up
//! to date (under a lock, so several processes starting at once do it once) and one
//! started on a database from a newer server refuses to touch it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{PgPool, Row, SqlitePool};
use telemetry_formats::date;

/// Every schema change, in order: `(version, statements)`.
pub const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE configs (
            version BIGINT PRIMARY KEY,
            signed TEXT NOT NULL,
            digest TEXT NOT NULL
        )",
            // One row per report key (week, x): the body's digest decides whether a second
            // upload is the same report (same receipt) or a conflict (409). `kept` is what
            // is published, NULL when nothing was kept; `day` the UTC day it arrived, the
            // day whose public file holds it; `kept_digest` its place in that file.
            "CREATE TABLE reports (
            week TEXT NOT NULL,
            x TEXT NOT NULL,
            digest TEXT NOT NULL,
            day TEXT NOT NULL,
            config BIGINT NOT NULL,
            kept TEXT,
            kept_digest TEXT,
            receipt TEXT NOT NULL,
            PRIMARY KEY (week, x)
        )",
            "CREATE INDEX reports_by_day ON reports (day)",
            "CREATE TABLE published (
            day TEXT PRIMARY KEY,
            reports BIGINT NOT NULL,
            bytes BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            aggregate TEXT NOT NULL
        )",
        ],
    ),
    (
        2,
        // A published day's file, made once when it is published and served as stored:
        // its bytes and their gzip. NULL for days published before this version, until
        // the merge fills them in.
        &[
            "ALTER TABLE published ADD COLUMN body BYTEA",
            "ALTER TABLE published ADD COLUMN gzip BYTEA",
        ],
    ),
];

/// The advisory lock (PostgreSQL) that orders storing and publishing: a transaction
/// storing reports holds it shared, one publishing a day holds it alone, so a report
/// is never stored into a day while that day is being published. SQLite's single
/// writer gives the same order.
const PUBLISH_LOCK: i64 = 7013371;

/// Why the database could not do what was asked.
#[derive(Debug)]
pub enum StoreError {
    /// The address is neither `sqlite:PATH` nor `postgres://…`.
    UnknownScheme(String),
    /// An SQLite address that cannot be read.
    BadSqliteUrl {
        /// The address.
        url: String,
        /// What is wrong with it.
        source: sqlx::Error,
    },
    /// The SQLite database cannot be opened.
    CannotOpen {
        /// The address.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// The PostgreSQL server did not answer within this time.
    NoAnswer(Duration),
    /// The PostgreSQL server cannot be reached, or refused the connection.
    CannotConnect(sqlx::Error),
    /// The database's schema is newer than this server knows.
    SchemaTooNew {
        /// The database's newest schema version.
        found: i64,
        /// This server's newest.
        known: i64,
    },
    /// A config version that was stored before with other contents.
    ConfigChanged {
        /// The version.
        version: u64,
    },
    /// A number too large for the database's integers.
    TooLarge(u64),
    /// A query or a transaction failed.
    Database(sqlx::Error),
    /// A stored config cannot be read back.
    StoredConfig {
        /// Its version.
        version: u64,
        /// Why it cannot be read.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored report cannot be read back.
    StoredReport {
        /// The day it arrived.
        day: String,
        /// Why it cannot be read.
        source: telemetry_formats::report::ReportError,
    },
    /// A stored report names a config version that is not stored.
    MissingConfig {
        /// The day it arrived.
        day: String,
        /// The version it names.
        version: u64,
    },
    /// A published day's aggregate cannot be read back.
    StoredAggregate {
        /// The day.
        day: String,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::UnknownScheme(url) => {
                write!(f, "database {url:?}: expected sqlite:PATH or postgres://…")
            }
            StoreError::BadSqliteUrl { url, source } => {
                write!(f, "bad SQLite address {url:?}: {source}")
            }
            StoreError::CannotOpen { url, source } => write!(f, "cannot open {url}: {source}"),
            StoreError::NoAnswer(after) => write!(
                f,
                "cannot connect to PostgreSQL: no answer within {} s",
                after.as_secs()
            ),
            StoreError::CannotConnect(source) => {
                write!(f, "cannot connect to PostgreSQL: {source}")
            }
            StoreError::SchemaTooNew { found, known } => write!(
                f,
                "the database has schema version {found}, newer than this server's {known}: \
                 run a newer telemetry-server"
            ),
            StoreError::ConfigChanged { version } => write!(
                f,
                "config version {version} was served before with other contents: \
                 give the new config a higher version"
            ),
            StoreError::TooLarge(value) => write!(f, "{value} is too large to store"),
            StoreError::Database(source) => write!(f, "database: {source}"),
            StoreError::StoredConfig { version, source } => {
                write!(f, "stored config {version}: {source}")
            }
            StoreError::StoredReport { day, source } => {
                write!(f, "a stored report of {day} does not parse: {source}")
            }
            StoreError::MissingConfig { day, version } => {
                write!(f, "a report of {day} names config {version}, not stored")
            }
            StoreError::StoredAggregate { day, reason } => {
                write!(f, "the aggregate of {day}: {reason}")
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::BadSqliteUrl { source, .. }
            | StoreError::CannotOpen { source, .. }
            | StoreError::CannotConnect(source)
            | StoreError::Database(source) => Some(source),
            StoreError::StoredConfig { source, .. } => Some(source.as_ref()),
            StoreError::StoredReport { source, .. } => Some(source),
            StoreError::UnknownScheme(_)
            | StoreError::NoAnswer(_)
            | StoreError::SchemaTooNew { .. }
            | StoreError::ConfigChanged { .. }
            | StoreError::TooLarge(_)
            | StoreError::MissingConfig { .. }
            | StoreError::StoredAggregate { .. } => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Database(e)
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// A day's kept reports with their config versions, in publication order (by the
/// digest of each, which says nothing of when it arrived).
const KEPT_OF_DAY: &str = "SELECT kept, config FROM reports WHERE day = $1 AND kept IS NOT NULL \
                           ORDER BY kept_digest, week, x";

/// The database.
#[derive(Clone, Debug)]
pub enum Db {
    /// An SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// Runs the same code against whichever pool `db` holds (the queries are written once,
/// in the SQL both databases speak, with `$1` parameters).
macro_rules! on {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Opens a transaction of `$pool` (bound by `on!`) ordered against publishing:
/// SQLite takes its one write lock at once (`BEGIN IMMEDIATE`), PostgreSQL the
/// `PUBLISH_LOCK` through `$lock`, `pg_advisory_xact_lock_shared` to store and
/// `pg_advisory_xact_lock` to publish.
macro_rules! begin_ordered {
    ($db:expr, $pool:ident, $lock:literal) => {
        if let Db::Sqlite(_) = $db {
            $pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            let mut tx = $pool.begin().await?;
            sqlx::query(concat!("SELECT ", $lock, "($1)"))
                .bind(PUBLISH_LOCK)
                .execute(&mut *tx)
                .await?;
            tx
        }
    };
}

/// A report to store.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// Its week.
    pub week: String,
    /// Its `x`, as written in JSON.
    pub x: String,
    /// SHA-256 of the body as received.
    pub digest: String,
    /// The UTC day it arrived, by this server's clock. It is stored under the first day
    /// from this one that is not yet published (another process, or this one before
    /// its clock was set back, may have published it).
    pub day: String,
    /// The config version it was checked against.
    pub config: u64,
    /// What is kept (compact JSON), if anything.
    pub kept: Option<String>,
    /// SHA-256 of `kept`.
    pub kept_digest: Option<String>,
    /// The receipt.
    pub receipt: String,
}

/// What storing a report did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// The same report was stored before: its receipt.
    Same(String),
    /// A different report under the same key.
    Conflict,
}

/// A published day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The day.
    pub day: String,
    /// Reports in it.
    pub reports: u64,
    /// The size of its NDJSON file.
    pub bytes: u64,
    /// The SHA-256 of that file.
    pub sha256: String,
    /// Its aggregate (JSON).
    pub aggregate: String,
}

/// A published day's file, as served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayFile {
    /// Its bytes.
    pub body: Vec<u8>,
    /// The same, gzip-compressed.
    pub gzip: Vec<u8>,
}

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(|source| StoreError::BadSqliteUrl {
            url: url.to_string(),
            source,
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // A commit is on disk before it returns: a report is acknowledged only then.
        .synchronous(SqliteSynchronous::Full)
        // Checkpoints (copying the log into the database, with an fsync of its own)
        // every 4,000 pages rather than 1,000, and a 64 MiB page cache.
        .pragma("wal_autocheckpoint", "4000")
        .pragma("cache_size", "-65536")
        .busy_timeout(Duration::from_secs(10)))
}

impl Db {
    /// Opens `url` (`sqlite:PATH` or `postgres://…`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Db> {
        let db = if url.starts_with("sqlite:") {
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(sqlite_options(url)?)
                .await
                .map_err(|source| StoreError::CannotOpen {
                    url: url.to_string(),
                    source,
                })?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // One connection first, so that a server that is not there is named as
            // such (the pool only says it timed out).
            use sqlx::Connection;
            const CONNECT: Duration = Duration::from_secs(10);
            let probe = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(url))
                .await
                .map_err(|_| StoreError::NoAnswer(CONNECT))?
                .map_err(StoreError::CannotConnect)?;
            let _ = probe.close().await;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(StoreError::CannotConnect)?;
            Db::Postgres(pool)
        } else {
            return Err(StoreError::UnknownScheme(url.to_string()));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// The backend's name.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on!(self, pool => pool.close().await)
    }

    async fn migrate(&self) -> Result<()> {
        on!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Db::Postgres(_) = self {
                // One process at a time, however many start together.
                sqlx::query("SELECT pg_advisory_xact_lock(7013370)").execute(&mut *tx).await?;
            }
            sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
                .execute(&mut *tx)
                .await?;
            let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
                .fetch_all(&mut *tx)
                .await?;
            let known = MIGRATIONS.last().map_or(0, |m| m.0);
            if let Some(newer) = done.iter().find(|v| **v > known) {
                return Err(StoreError::SchemaTooNew { found: *newer, known });
            }
            for (version, statements) in MIGRATIONS {
                if done.contains(version) {
                    continue;
                }
                for statement in *statements {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Stores a signed config under its version. The same bytes again are fine; other
    /// bytes under a version already stored are an error (a version names one config
    /// forever).
    pub async fn put_config(&self, version: u64, signed: &str, digest: &str) -> Result<()> {
        let key = to_i64(version)?;
        on!(self, pool => {
            sqlx::query("INSERT INTO configs (version, signed, digest) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING")
                .bind(key)
                .bind(signed)
                .bind(digest)
                .execute(pool)
                .await?;
            let stored: String = sqlx::query_scalar("SELECT digest FROM configs WHERE version = $1")
                .bind(key)
                .fetch_one(pool)
                .await?;
            if stored != digest {
                return Err(StoreError::ConfigChanged { version });
            }
            Ok(())
        })
    }

    /// Every stored config: `(version, signed bytes)`, by version.
    pub async fn configs(&self) -> Result<Vec<(u64, String)>> {
        let rows: Vec<(i64, String)> = on!(self, pool => {
            sqlx::query_as("SELECT version, signed FROM configs ORDER BY version")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(v, s)| (v as u64, s)).collect())
    }

    /// Stores a batch of reports in one transaction, committed (on disk) before this
    /// returns: one answer per report, in order. New reports go in with one
    /// multi-row statement per hundred; only the keys it did not insert (sent before)
    /// are looked up, to tell a repeat from a conflict.
    pub async fn store(&self, reports: &[NewReport]) -> Result<Vec<Stored>> {
        const ROWS: usize = 100;
        on!(self, pool => {
            // The lock first, so the day read below is still true at commit.
            let mut tx = begin_ordered!(self, pool, "pg_advisory_xact_lock_shared");
            let latest: Option<String> = sqlx::query_scalar("SELECT MAX(day) FROM published")
                .fetch_one(&mut *tx)
                .await?;
            let first_open = latest.as_deref().and_then(date::parse).map(|d| d + 1);
            let day_of = |r: &NewReport| match (date::parse(&r.day), first_open) {
                (Some(arrived), Some(open)) if arrived < open => date::format(open),
                _ => r.day.clone(),
            };
            let mut answers = Vec::with_capacity(reports.len());
            for chunk in reports.chunks(ROWS) {
                let mut sql = String::from(
                    "INSERT INTO reports (week, x, digest, day, config, kept, kept_digest, receipt) VALUES ",
                );
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push(',');
                    }
                    if let Db::Sqlite(_) = self {
                        // Plain `?`: SQLite binds them in order, with no name to parse
                        // per parameter (which, for hundreds, is most of the cost).
                        sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?)");
                    } else {
                        let p = i * 8;
                        sql.push_str(&format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8
                        ));
                    }
                }
                sql.push_str(" ON CONFLICT (week, x) DO NOTHING RETURNING week, x");
                let mut query = sqlx::query_as::<_, (String, String)>(&sql);
                for r in chunk {
                    query = query
                        .bind(&r.week)
                        .bind(&r.x)
                        .bind(&r.digest)
                        .bind(day_of(r))
                        .bind(to_i64(r.config)?)
                        .bind(&r.kept)
                        .bind(&r.kept_digest)
                        .bind(&r.receipt);
                }
                let mut inserted: std::collections::HashSet<(String, String)> =
                    query.fetch_all(&mut *tx).await?.into_iter().collect();
                for r in chunk {
                    // The first report of a key claims its insertion; a second of the
                    // same key in the batch is compared like any repeat.
                    if inserted.remove(&(r.week.clone(), r.x.clone())) {
                        answers.push(Stored::New);
                        continue;
                    }
                    let (digest, receipt): (String, String) = sqlx::query_as(
                        "SELECT digest, receipt FROM reports WHERE week = $1 AND x = $2",
                    )
                    .bind(&r.week)
                    .bind(&r.x)
                    .fetch_one(&mut *tx)
                    .await?;
                    answers.push(if digest == r.digest {
                        Stored::Same(receipt)
                    } else {
                        Stored::Conflict
                    });
                }
            }
            tx.commit().await?;
            Ok(answers)
        })
    }

    /// Days before `today` with stored reports and no published file yet.
    pub async fn unpublished_days(&self, today: &str) -> Result<Vec<String>> {
        Ok(on!(self, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT day FROM reports WHERE day < $1 \
                 AND day NOT IN (SELECT day FROM published) ORDER BY day",
            )
            .bind(today)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The kept reports of a day with their config versions, in publication order
    /// (by the digest of each, which says nothing of when it arrived).
    pub async fn kept_of_day(&self, day: &str) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = on!(self, pool => {
            sqlx::query_as(KEPT_OF_DAY)
                .bind(day)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(k, c)| (k, c as u64)).collect())
    }

    /// Every day with reports, published or not.
    pub async fn days(&self) -> Result<Vec<String>> {
        Ok(on!(self, pool => {
            sqlx::query_scalar("SELECT DISTINCT day FROM reports ORDER BY day")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Publishes `day` in one transaction: unless it is published already (by another
    /// process), reads its kept reports, in publication order, and records what `make`
    /// makes of them. No report can be stored into the day meanwhile. Returns whether
    /// this call published it.
    pub async fn publish_day(
        &self,
        day: &str,
        make: impl FnOnce(&[(String, u64)]) -> Result<(Published, DayFile)>,
    ) -> Result<bool> {
        on!(self, pool => {
            let mut tx = begin_ordered!(self, pool, "pg_advisory_xact_lock");
            let done: Option<String> = sqlx::query_scalar("SELECT day FROM published WHERE day = $1")
                .bind(day)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                return Ok(false);
            }
            let rows: Vec<(String, i64)> = sqlx::query_as(KEPT_OF_DAY)
                .bind(day)
                .fetch_all(&mut *tx)
                .await?;
            let kept: Vec<(String, u64)> = rows.into_iter().map(|(k, c)| (k, c as u64)).collect();
            let (p, file) = make(&kept)?;
            sqlx::query(
                "INSERT INTO published (day, reports, bytes, sha256, aggregate, body, gzip) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&p.day)
            .bind(to_i64(p.reports)?)
            .bind(to_i64(p.bytes)?)
            .bind(&p.sha256)
            .bind(&p.aggregate)
            .bind(&file.body)
            .bind(&file.gzip)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Replaces a published day's record and file (for `rebuild`, when it differed).
    pub async fn republish(&self, p: &Published, file: &DayFile) -> Result<()> {
        on!(self, pool => {
            sqlx::query(
                "UPDATE published SET reports = $2, bytes = $3, sha256 = $4, aggregate = $5, \
                 body = $6, gzip = $7 WHERE day = $1",
            )
            .bind(&p.day)
            .bind(to_i64(p.reports)?)
            .bind(to_i64(p.bytes)?)
            .bind(&p.sha256)
            .bind(&p.aggregate)
            .bind(&file.body)
            .bind(&file.gzip)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Stores the file of a day published before files were stored, if it is still
    /// missing.
    pub async fn fill_day_file(&self, day: &str, file: &DayFile) -> Result<()> {
        on!(self, pool => {
            sqlx::query("UPDATE published SET body = $2, gzip = $3 WHERE day = $1 AND body IS NULL")
                .bind(day)
                .bind(&file.body)
                .bind(&file.gzip)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// A published day's file, if it is stored.
    pub async fn day_file(&self, day: &str) -> Result<Option<DayFile>> {
        type Blob = Option<Vec<u8>>;
        let row: Option<(Blob, Blob)> = on!(self, pool => {
            sqlx::query_as("SELECT body, gzip FROM published WHERE day = $1")
                .bind(day)
                .fetch_optional(pool)
                .await?
        });
        Ok(match row {
            Some((Some(body), Some(gzip))) => Some(DayFile { body, gzip }),
            _ => None,
        })
    }

    /// The published days whose file is not stored (published by an older server).
    pub async fn days_without_file(&self) -> Result<Vec<String>> {
        Ok(on!(self, pool => {
            sqlx::query_scalar("SELECT day FROM published WHERE body IS NULL ORDER BY day")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Every published day, oldest first.
    pub async fn published(&self) -> Result<Vec<Published>> {
        let rows = on!(self, pool => {
            sqlx::query(
                "SELECT day, reports, bytes, sha256, aggregate FROM published ORDER BY day",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(published_of)
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Reports stored, and reports with something kept.
    pub async fn counts(&self) -> Result<(u64, u64)> {
        let (all, kept): (i64, i64) = on!(self, pool => {
            sqlx::query_as("SELECT COUNT(*), COUNT(kept) FROM reports")
                .fetch_one(pool)
                .await?
        });
        Ok((all as u64, kept as u64))
    }
}

trait PublishedRow: Row {
    fn published(&self) -> std::result::Result<Published, sqlx::Error>;
}

fn published_of<R: PublishedRow>(row: &R) -> std::result::Result<Published, sqlx::Error> {
    row.published()
}

macro_rules! published_row {
    ($row:ty) => {
        impl PublishedRow for $row {
            fn published(&self) -> std::result::Result<Published, sqlx::Error> {
                Ok(Published {
                    day: self.try_get(0)?,
                    reports: self.try_get::<i64, _>(1)? as u64,
                    bytes: self.try_get::<i64, _>(2)? as u64,
                    sha256: self.try_get(3)?,
                    aggregate: self.try_get(4)?,
                })
            }
        }
    };
}
published_row!(SqliteRow);
published_row!(PgRow);

fn to_i64(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| StoreError::TooLarge(value))
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    fn opened(url: &str) -> StoreError {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        match runtime.block_on(Db::open(url)) {
            Ok(_) => panic!("{url} opened"),
            Err(e) => e,
        }
    }

    #[test]
    fn an_address_of_another_database_is_named_as_such() {
        let e = opened("mysql://db/telemetry");
        assert!(matches!(&e, StoreError::UnknownScheme(url) if url == "mysql://db/telemetry"));
        assert_eq!(
            e.to_string(),
            "database \"mysql://db/telemetry\": expected sqlite:PATH or postgres://…"
        );
        assert!(e.source().is_none());
    }

    #[test]
    fn a_database_that_cannot_be_opened_keeps_its_cause() {
        let url = "sqlite:/nonexistent-directory-of-telemetry/server.db";
        let e = opened(url);
        assert!(matches!(&e, StoreError::CannotOpen { .. }), "{e:?}");
        let cause = e.source().expect("the database's own error");
        assert!(e.to_string().starts_with(&format!("cannot open {url}: ")));
        assert!(e.to_string().ends_with(&cause.to_string()), "{e}");
    }
}
