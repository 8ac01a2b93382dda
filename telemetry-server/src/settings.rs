//! How a server runs: every setting `telemetry-server serve` takes, with its default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// The longest the server waits for a request head (from the connection's opening,
    /// or the end of the previous answer).
    pub head_timeout: Duration,
    /// The longest a connection may stay idle between requests.
    pub idle_timeout: Duration,
    /// Open connections, at most (fewer if the file-descriptor limit is lower).
    pub max_connections: usize,
    /// Open connections from one address (an IPv4 address, an IPv6 /64), at most.
    pub max_connections_per_address: usize,
    /// How often a one-line summary of the uploads is logged.
    pub log_interval: Duration,
    /// How many uploads move the totals `/metrics` shows, at once.
    pub metrics_step: u64,
    /// Uploads a minute from one address (0: no limit).
    pub rate_limit: u32,
    /// The name on every page.
    pub site: String,
}

impl Settings {
    /// The defaults: loopback, `sqlite:telemetry-server.db`, 100 KiB bodies, 10 s for
    /// a request and for its head, 5 s idle, 4096 connections and 32 from one address.
    pub fn new(config: PathBuf) -> Settings {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 8700)),
            db: "sqlite:telemetry-server.db".into(),
            config,
            manifests: Vec::new(),
            max_body: 100 << 10,
            request_timeout: Duration::from_secs(10),
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_connections_per_address: 32,
            log_interval: Duration::from_secs(3600),
            metrics_step: 64,
            rate_limit: 60,
            site: "Transparent telemetry".into(),
        }
    }
}
