//! The HTTP server: routes, the upload path, the writer that commits uploads in
//! batches, and the daily merge that runs inside the process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use telemetry_formats::config::Config;
use telemetry_formats::date;
use telemetry_formats::manifest::Manifest;
use telemetry_formats::report::Report;
use telemetry_formats::signature;
use telemetry_pages::Aggregate;
use tokio::sync::{mpsc, oneshot};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use crate::limit::Limiter;
use crate::metrics::Metrics;
use crate::publish::{self, Configs, sha256_hex};
use crate::site;
use crate::store::{Db, NewReport, Published, StoreError, Stored};
use crate::validate::{self, Declared, Limits, Refusal};

/// The environment variable that fixes the server's idea of today (`YYYY-MM-DD`), for
/// tests and demonstrations of the daily publication.
pub const TODAY_VAR: &str = "TELEMETRY_SERVER_TODAY";

/// How a server runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `sqlite:PATH` or `postgres://…`.
    pub db: String,
    /// The signed config it serves.
    pub config: PathBuf,
    /// The programs' manifests: `/counters`, and the frames chains may hold.
    pub manifests: Vec<PathBuf>,
    /// The largest upload body, in bytes.
    pub max_body: usize,
    /// The longest a request may take.
    pub request_timeout: Duration,
    /// Uploads a minute from one address (0: no limit).
    pub rate_limit: u32,
    /// The name on every page.
    pub site: String,
}

impl Settings {
    /// The defaults: loopback, `sqlite:telemetry-server.db`, 100 KiB bodies, 10 s.
    pub fn new(config: PathBuf) -> Settings {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 8700)),
            db: "sqlite:telemetry-server.db".into(),
            config,
            manifests: Vec::new(),
            max_body: 100 << 10,
            request_timeout: Duration::from_secs(10),
            rate_limit: 60,
            site: "Transparent telemetry".into(),
        }
    }
}

/// What the public pages show, refreshed by the merge.
#[derive(Default)]
pub(crate) struct View {
    pub published: Vec<Published>,
    pub aggregate: Aggregate,
}

type Job = (NewReport, oneshot::Sender<Result<Stored, String>>);

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
    writer: mpsc::Sender<Job>,
    fixed_today: Option<u64>,
}

impl App {
    pub fn today(&self) -> u64 {
        self.fixed_today
            .unwrap_or_else(|| date::day_of(date::now_secs()))
    }

    fn config(&self, version: u64) -> Option<Arc<Config>> {
        let configs = self.configs.read().ok()?;
        configs.get(&version).map(|(c, _)| c.clone())
    }

    /// Reads every stored config again (another process may have stored a newer one).
    async fn reload_configs(&self) -> Result<(), StoreError> {
        let configs = load_configs(&self.db).await?;
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
                let one = Aggregate::from_json(&day.aggregate)
                    .map_err(|e| StoreError(format!("the aggregate of {}: {e}", day.day)))?;
                aggregate.merge(&one);
            }
            if let Ok(mut view) = self.view.write() {
                *view = View {
                    published,
                    aggregate,
                };
            }
        }
        Ok(days)
    }
}

async fn load_configs(db: &Db) -> Result<Configs, StoreError> {
    crate::rebuild::configs(db).await
}

/// Why a server cannot start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<StoreError> for StartError {
    fn from(e: StoreError) -> StartError {
        StartError(e.0)
    }
}

/// A server ready to serve: its database open, its config stored.
pub struct Server {
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    writer: mpsc::Receiver<Job>,
}

fn read_file(path: &std::path::Path, what: &str) -> Result<Vec<u8>, StartError> {
    std::fs::read(path)
        .map_err(|e| StartError(format!("cannot read the {what} {}: {e}", path.display())))
}

impl Server {
    /// Opens the database, checks and stores the config, reads the manifests, and
    /// binds the address.
    pub async fn bind(settings: Settings) -> Result<Server, StartError> {
        let signed = read_file(&settings.config, "signed config")?;
        let envelope: signature::Envelope = serde_json::from_slice(&signed).map_err(|e| {
            StartError(format!(
                "{}: not a signed config: {e}",
                settings.config.display()
            ))
        })?;
        let key = signature::PublicKey::parse(&envelope.key)
            .map_err(|e| StartError(format!("{}: {e}", settings.config.display())))?;
        let current = signature::verify(&signed, &key)
            .map_err(|e| StartError(format!("{}: {e}", settings.config.display())))?;
        let mut manifests = Vec::new();
        let mut declared = Declared::default();
        for path in &settings.manifests {
            let text = String::from_utf8(read_file(path, "manifest")?)
                .map_err(|_| StartError(format!("{}: not UTF-8", path.display())))?;
            let manifest = Manifest::parse_json(&text)
                .map_err(|e| StartError(format!("{}: {e}", path.display())))?;
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
                return Err(StartError(format!(
                    "the config asks for what no manifest declares:\n  {}",
                    problems.join("\n  ")
                )));
            }
        }
        let fixed_today = match std::env::var_os(TODAY_VAR) {
            None => None,
            Some(text) if text.is_empty() => None,
            Some(text) => Some(
                text.to_str()
                    .and_then(date::parse)
                    .ok_or_else(|| StartError(format!("{TODAY_VAR} is not a YYYY-MM-DD date")))?,
            ),
        };
        let db = Db::open(&settings.db).await?;
        let stored = db.configs().await?;
        if let Some((newest, _)) = stored.last()
            && *newest > current.version
        {
            return Err(StartError(format!(
                "{} is config version {}, older than version {newest} this database served: \
                 serve that one or a newer one (clients never go back to an older config)",
                settings.config.display(),
                current.version
            )));
        }
        db.put_config(
            current.version,
            &String::from_utf8_lossy(&signed),
            &sha256_hex(&signed),
        )
        .await?;
        let configs = load_configs(&db).await?;
        let listener = tokio::net::TcpListener::bind(settings.addr)
            .await
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", settings.addr)))?;
        let (writer, jobs) = mpsc::channel(4096);
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
            metrics: Metrics::default(),
            view: RwLock::new(View::default()),
            writer,
            fixed_today,
        };
        Ok(Server {
            app: Arc::new(app),
            listener,
            writer: jobs,
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
            writer,
        } = self;
        let writing = tokio::spawn(write_batches(app.db.clone(), writer));
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
        let router = routes(app.clone());
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        merging.abort();
        drop(app);
        let _ = writing.await;
        served.map_err(|e| StartError(format!("serving: {e}")))
    }
}

/// Commits uploads in batches: whatever arrived while the last commit was on its way
/// to disk goes in the next, so one fsync acknowledges many reports.
async fn write_batches(db: Db, mut jobs: mpsc::Receiver<Job>) {
    const BATCH: usize = 512;
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        let reports: Vec<NewReport> = batch.iter().map(|(r, _)| r.clone()).collect();
        match db.store(&reports).await {
            Ok(answers) => {
                for ((_, reply), answer) in batch.drain(..).zip(answers) {
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(e) => {
                eprintln!("telemetry-server: storing reports: {e}");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.0.clone()));
                }
            }
        }
    }
    db.close().await;
}

fn routes(app: Arc<App>) -> Router {
    let max_body = app.settings.max_body;
    let timeout = app.settings.request_timeout;
    let upload = Router::new()
        .route("/upload/{week}", post(upload))
        .layer(DefaultBodyLimit::max(max_body));
    Router::new()
        .route("/config", get(config))
        .route("/", get(site::home))
        .route("/charts", get(site::charts))
        .route("/counters", get(site::counters))
        .route("/data/", get(site::data_index))
        .route("/data/index.json", get(site::data_index_json))
        .route("/data/{file}", get(site::data_file))
        .route("/privacy", get(site::privacy))
        .route("/style.css", get(site::style))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(site::not_found)
        .layer(CompressionLayer::new())
        .merge(upload)
        .layer(axum::middleware::map_response(site::headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(app)
}

pub(crate) fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn refusal(app: &App, r: Refusal) -> Response {
    if r.status == 400 {
        app.metrics.malformed.fetch_add(1, Relaxed);
    } else {
        app.metrics.refused.fetch_add(1, Relaxed);
    }
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    text(status, format!("{}\n", r.reason))
}

fn unavailable(reason: &str) -> Response {
    let mut response = text(StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n"));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
    response
}

async fn upload(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(week): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !app.limiter.allow(peer.ip()) {
        app.metrics.rate_limited.fetch_add(1, Relaxed);
        return unavailable("too many uploads from one address: try again later");
    }
    app.metrics.bytes.fetch_add(body.len() as u64, Relaxed);
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
        && encoding.as_bytes() != b"identity"
    {
        app.metrics.too_large_or_encoded.fetch_add(1, Relaxed);
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "compressed uploads are not accepted: send the report as it is\n".into(),
        );
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim() == "application/json")
        });
    if !json {
        app.metrics.too_large_or_encoded.fetch_add(1, Relaxed);
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an upload is application/json\n".into(),
        );
    }
    let today = app.today();
    let report = match Report::parse(&body) {
        Ok(report) => report,
        Err(e) => {
            return refusal(
                &app,
                Refusal {
                    status: 400,
                    reason: e.to_string(),
                },
            );
        }
    };
    if let Err(r) = validate::check_envelope(&report, &week, today, &app.limits) {
        return refusal(&app, r);
    }
    let version = match validate::config_version(&report) {
        Ok(v) => v,
        Err(r) => return refusal(&app, r),
    };
    let config = match app.config(version) {
        Some(c) => c,
        None => {
            // Another process may have stored it since.
            let _ = app.reload_configs().await;
            match app.config(version) {
                Some(c) => c,
                None => {
                    return refusal(
                        &app,
                        Refusal {
                            status: 422,
                            reason: format!("config version {version} was never served here"),
                        },
                    );
                }
            }
        }
    };
    let accepted = validate::accept(&report, &config, &app.declared, today, &app.limits);
    let kept = accepted
        .kept
        .as_ref()
        .map(|k| serde_json::to_string(k).unwrap_or_default());
    let receipt = accepted.receipt.to_json();
    let job = NewReport {
        week: report.week.clone(),
        x: serde_json::to_string(&report.x).unwrap_or_default(),
        digest: sha256_hex(&body),
        day: date::format(today),
        config: version,
        kept_digest: kept.as_deref().map(|k| sha256_hex(k.as_bytes())),
        kept,
        receipt: receipt.clone(),
    };
    let (reply, answer) = oneshot::channel();
    if app.writer.send((job, reply)).await.is_err() {
        app.metrics.store_errors.fetch_add(1, Relaxed);
        return unavailable("the server is shutting down");
    }
    match answer.await {
        Ok(Ok(Stored::New)) => {
            app.metrics.accepted.fetch_add(1, Relaxed);
            for part in &accepted.receipt.dropped {
                app.metrics.drop(part.reason);
            }
            json_response(StatusCode::OK, receipt)
        }
        Ok(Ok(Stored::Same(receipt))) => {
            app.metrics.duplicates.fetch_add(1, Relaxed);
            json_response(StatusCode::OK, receipt)
        }
        Ok(Ok(Stored::Conflict)) => {
            app.metrics.conflicts.fetch_add(1, Relaxed);
            text(
                StatusCode::CONFLICT,
                "a different report of the same week and x was stored before\n".into(),
            )
        }
        Ok(Err(_)) | Err(_) => {
            app.metrics.store_errors.fetch_add(1, Relaxed);
            unavailable("the report could not be stored: try again later")
        }
    }
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn config(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == app.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(app.signed.clone()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&app.etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.db.counts().await {
        Ok(_) => text(StatusCode::OK, "ok\n".into()),
        Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut response = app.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// The query's `week=YYYY-MM-DD`, if it has a valid one.
pub(crate) fn week_of(query: &RawQuery) -> Option<String> {
    let query = query.0.as_deref()?;
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("week="))
        .find(|w| date::parse(w).is_some())
        .map(str::to_string)
}
