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
