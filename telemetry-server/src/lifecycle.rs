//! A server's life: start-up (the config checked and stored, the manifests read, the
//! database opened, the address bound), serving with the writer and the merge running
//! beside the requests, and a shutdown that finishes the requests under way and
//! commits what they sent.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use telemetry_formats::date;
use telemetry_formats::manifest::Manifest;
use telemetry_formats::signature;

use crate::app::{App, TODAY_VAR, View};
use crate::configs;
use crate::connections::{self, ConnectionLimits, Open};
use crate::error::StartError;
use crate::files::Files;
use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::publish::sha256_hex;
use crate::routes::routes;
use crate::settings::Settings;
use crate::store::Db;
use crate::validate::{Declared, Limits};
use crate::writer::{self, Batches};

/// Writes a line to stdout; a closed or full stdout loses the line, never the server.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A server ready to serve: its database open, its config stored.
pub struct Server {
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    batches: Batches,
    fd_limit: Option<u64>,
}

fn read_file(path: &std::path::Path, what: &'static str) -> Result<Vec<u8>, StartError> {
    std::fs::read(path).map_err(|source| StartError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

impl Server {
    /// Opens the database, checks and stores the config, reads the manifests, and
    /// binds the address.
    pub async fn bind(settings: Settings) -> Result<Server, StartError> {
        let signed = read_file(&settings.config, "signed config")?;
        let envelope: signature::Envelope =
            serde_json::from_slice(&signed).map_err(|source| StartError::NotSigned {
                path: settings.config.clone(),
                source,
            })?;
        let refused = |source| StartError::Signature {
            path: settings.config.clone(),
            source,
        };
        let key = signature::PublicKey::parse(&envelope.key).map_err(refused)?;
        let current = signature::verify(&signed, &key).map_err(refused)?;
        let mut manifests = Vec::new();
        let mut declared = Declared::default();
        for path in &settings.manifests {
            let text = String::from_utf8(read_file(path, "manifest")?)
                .map_err(|_| StartError::ManifestNotText(path.clone()))?;
            let manifest = Manifest::parse_json(&text).map_err(|reason| StartError::Manifest {
                path: path.clone(),
                reason,
            })?;
            if let Some((name, _)) = &manifest.program {
                declared
                    .programs
                    .entry(name.clone())
                    .or_default()
                    .extend(manifest.counters.iter().map(|c| c.name.clone()));
            }
            manifests.push(manifest);
        }
        if !manifests.is_empty() {
            let problems = current.check(&manifests);
            if !problems.is_empty() {
                return Err(StartError::Undeclared(problems));
            }
        }
        let fixed_today = match std::env::var_os(TODAY_VAR) {
            None => None,
            Some(text) if text.is_empty() => None,
            Some(text) => Some(
                text.to_str()
                    .and_then(date::parse)
                    .ok_or(StartError::BadToday)?,
            ),
        };
        let db = Db::open(&settings.db).await?;
        let stored = db.configs().await?;
        if let Some((newest, _)) = stored.last()
            && *newest > current.version
        {
            return Err(StartError::Rollback {
                path: settings.config.clone(),
                version: current.version,
                newest: *newest,
            });
        }
        db.put_config(
            current.version,
            &String::from_utf8_lossy(&signed),
            &sha256_hex(&signed),
        )
        .await?;
        let configs = configs::load(&db).await?;
        let listener = tokio::net::TcpListener::bind(settings.addr)
            .await
            .map_err(|source| StartError::Listen {
                addr: settings.addr,
                source,
            })?;
        let fd_limit = connections::raise_fd_limit();
        let limits = ConnectionLimits {
            head: settings.head_timeout,
            idle: settings.idle_timeout,
            total: connections::fd_budget(settings.max_connections, fd_limit),
            per_address: settings.max_connections_per_address,
        };
        let metrics = Metrics::new(settings.metrics_step);
        let (writer, batches) = writer::channel();
        let etag = format!("\"{}\"", sha256_hex(&signed));
        let app = App {
            db,
            limiter: Limiter::new(settings.rate_limit),
            settings,
            signed,
            etag,
            current: Arc::new(current),
            configs: RwLock::new(configs),
            declared,
            manifests,
            limits: Limits::default(),
            metrics,
            view: RwLock::new(View::default()),
            files: Files::default(),
            open: Arc::new(Open::new(limits)),
            writer,
            fixed_today,
        };
        Ok(Server {
            app: Arc::new(app),
            listener,
            batches,
            fd_limit,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The database's backend.
    pub fn backend(&self) -> &'static str {
        self.app.db.backend()
    }

    /// How connections are limited: the settings', with the total cut to fit the
    /// file-descriptor limit.
    pub fn connection_limits(&self) -> ConnectionLimits {
        self.app.open.limits()
    }

    /// The process's limit on open files, raised to its hard limit at start.
    pub fn fd_limit(&self) -> Option<u64> {
        self.fd_limit
    }

    /// The config version served.
    pub fn config_version(&self) -> u64 {
        self.app.current.version
    }

    /// Serves until `shutdown` completes, then finishes the requests under way and
    /// commits what they sent.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let Server {
            app,
            listener,
            batches,
            ..
        } = self;
        let writing = tokio::spawn(batches.run(app.db.clone()));
        if let Err(e) = app.merge().await {
            eprintln!("telemetry-server: publishing: {e}");
        }
        let merging = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(30));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = app.merge().await {
                        eprintln!("telemetry-server: publishing: {e}");
                    }
                }
            })
        };
        let logging = {
            let app = app.clone();
            tokio::spawn(async move {
                let every = app.settings.log_interval;
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                let mut before = app.metrics.snapshot(&app.open.turned);
                loop {
                    tick.tick().await;
                    let line = app.metrics.summary(&app.open.turned, &before);
                    before = app.metrics.snapshot(&app.open.turned);
                    say(&format!(
                        "telemetry-server: in the last {} s: {line}",
                        every.as_secs()
                    ));
                }
            })
        };
        let started = app.metrics.snapshot(&app.open.turned);
        let router = routes(app.clone());
        // Requests under way finish within the request time limit (twice: the body, then
        // the answer); a connection still open after that is dropped.
        let grace = app.settings.request_timeout * 2 + Duration::from_secs(1);
        connections::serve(listener, router, app.open.clone(), grace, shutdown).await;
        merging.abort();
        logging.abort();
        say(&format!(
            "telemetry-server: stopped; since it started: {}",
            app.metrics.summary(&app.open.turned, &started)
        ));
        drop(app);
        let _ = writing.await;
        Ok(())
    }
}
