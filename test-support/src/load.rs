//! A bounded load generator for a collection server on this machine or a test
//! deployment (the server's `load` example and its tests and benches use it). It makes
//! realistic reports from the served config (a program build the config allows, a few
//! dozen of its counters with small counts, a stack chain), each with its own week and
//! `x` and filtered by the config as a client filters it before sending, and sends
//! them over keep-alive HTTP/1.1 connections, one thread each, at most `reports` of
//! them and for at most `limit`; then it reports the rate and the latency percentiles.
//!
//! Beside the uploads it can hold half-open connections, as an attacker holds them, and
//! keep clients downloading a published day in a loop ([`beside`]), so that the
//! uploads' latency can be measured with and without them.

pub mod beside;

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use telemetry_formats::config::{self, Config};
use telemetry_formats::date;
use telemetry_formats::report::{FORMAT, ProgramReport, Report};
use telemetry_formats::upload;

use crate::Rng;

/// What to send.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `http://HOST:PORT` of the server.
    pub url: String,
    /// The signed config the server serves.
    pub config: PathBuf,
    /// How many reports.
    pub reports: usize,
    /// Connections at once.
    pub connections: usize,
    /// The longest the run may take.
    pub limit: Duration,
    /// Half-open connections held while the reports are sent ([`beside::HalfOpen`]).
    pub half_open: usize,
    /// Clients downloading [`Plan::download`] in a loop while the reports are sent
    /// ([`beside::Downloaders`]).
    pub downloaders: usize,
    /// The path the downloaders get, e.g. `/data/2026-12-01.ndjson`.
    pub download: String,
    /// The `Accept-Encoding` the downloaders send (none when empty): `gzip` asks for
    /// the day's compressed bytes.
    pub accept_encoding: String,
}

impl Default for Plan {
    /// 50,000 reports over 32 connections, within 300 s, nothing beside them; the URL
    /// and the config are still to be named.
    fn default() -> Plan {
        Plan {
            url: String::new(),
            config: PathBuf::new(),
            reports: 50_000,
            connections: 32,
            limit: Duration::from_secs(300),
            half_open: 0,
            downloaders: 0,
            download: String::new(),
            accept_encoding: String::new(),
        }
    }
}

/// Why a run could not be made.
#[derive(Debug)]
pub enum LoadError {
    /// The signed config cannot be read.
    Config {
        /// Its path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The URL is not `http://HOST:PORT`.
    Url(String),
    /// A connection or an exchange failed.
    Io(std::io::Error),
    /// The answer is not HTTP, or was cut short.
    Answer(&'static str),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Config { path, reason } => write!(f, "{}: {reason}", path.display()),
            LoadError::Url(url) => {
                write!(f, "{url:?}: the load generator speaks plain http:// only")
            }
            LoadError::Io(e) => write!(f, "{e}"),
            LoadError::Answer(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<std::io::Error> for LoadError {
    fn from(e: std::io::Error) -> LoadError {
        LoadError::Io(e)
    }
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Reports answered 2xx.
    pub ok: usize,
    /// Reports answered otherwise, or not at all.
    pub failed: usize,
    /// The whole run.
    pub elapsed: Duration,
    /// Latencies of the answered requests, sorted.
    pub latencies: Vec<Duration>,
    /// What the half-open connections held beside them, if any were asked for.
    pub half_open: Option<beside::HalfOpenOutcome>,
    /// What the downloaders got beside them, if any were asked for.
    pub downloads: Option<beside::DownloadOutcome>,
}

impl Outcome {
    /// The latency below which `share` of the requests were answered.
    pub fn percentile(&self, share: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i =
            ((self.latencies.len() as f64 * share).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1]
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "{} reports in {:.2} s: {:.0} reports/s; {} failed; latency p50 {:.2} ms, \
             p99 {:.2} ms, max {:.2} ms",
            self.ok + self.failed,
            secs,
            (self.ok + self.failed) as f64 / secs,
            self.failed,
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99)),
            ms(self.latencies.last().copied().unwrap_or_default()),
        )?;
        if let Some(half_open) = &self.half_open {
            write!(f, "\n{half_open}")?;
        }
        if let Some(downloads) = &self.downloads {
            write!(f, "\n{downloads}")?;
        }
        Ok(())
    }
}

/// A version a requirement allows: the lowest version its comparators name that it
/// matches, else 0.1.0.
fn version_for(requirement: &str) -> String {
    if let Ok(req) = semver::VersionReq::parse(requirement) {
        for c in &req.comparators {
            let v = semver::Version::new(c.major, c.minor.unwrap_or(0), c.patch.unwrap_or(0));
            if req.matches(&v) {
                return v.to_string();
            }
        }
        for v in ["1.0.0", "0.1.0", "0.0.1"] {
            if let Ok(v) = semver::Version::parse(v)
                && req.matches(&v)
            {
                return v.to_string();
            }
        }
    }
    "0.1.0".into()
}

/// Makes reports the config allows.
pub struct Maker {
    config: Config,
    names: BTreeMap<String, Vec<String>>,
    rng: Rng,
}

impl Maker {
    /// Reports for `config`, from a seed drawn at random.
    pub fn new(config: Config) -> Maker {
        Maker::seeded(config, RandomState::new().hash_one(Instant::now()))
    }

    /// Reports for `config`, the same ones for the same seed.
    pub fn seeded(config: Config, seed: u64) -> Maker {
        let names = config
            .programs
            .iter()
            .map(|p| {
                let names = p
                    .counters
                    .iter()
                    .flat_map(|c| config::expand(&c.name).unwrap_or_default())
                    .collect();
                (p.name.clone(), names)
            })
            .collect();
        Maker {
            config,
            names,
            rng: Rng(seed | 1),
        }
    }

    /// One report of a week ending `today - days_ago`.
    pub fn report(&mut self, today: u64, days_ago: u64) -> Report {
        let x = self.rng.unit() * self.config.sample_rate.clamp(1e-6, 1.0);
        let mut programs = Vec::new();
        if !self.config.programs.is_empty() {
            let program = &self.config.programs[self.rng.below(self.config.programs.len())];
            let names = &self.names[&program.name];
            let mut counters = BTreeMap::new();
            for _ in 0..names.len().min(24) {
                let name = &names[self.rng.below(names.len())];
                counters.insert(name.clone(), 1 + self.rng.below(200) as u64);
            }
            let mut stacks = BTreeMap::new();
            if let Some(stack) = program.stacks.first()
                && !names.is_empty()
            {
                let frames: Vec<&str> = (0..stack.depth.min(3))
                    .map(|_| names[self.rng.below(names.len())].as_str())
                    .filter(|n| !n.contains(':'))
                    .collect();
                let chain = std::iter::once(stack.name.as_str())
                    .chain(frames)
                    .collect::<Vec<_>>();
                stacks.insert(chain.join("\n"), 1 + self.rng.below(3) as u64);
            }
            let first = |list: &[String], default: &str| {
                list.first().cloned().unwrap_or_else(|| default.into())
            };
            programs.push(ProgramReport {
                program: program.name.clone(),
                version: version_for(&program.versions),
                toolchain: "1.95.0".into(),
                os: first(&program.os, "linux"),
                arch: first(&program.arch, "x86_64"),
                counters,
                stacks,
            });
        }
        let report = Report {
            format: FORMAT,
            week: date::format(today - days_ago),
            last_week: String::new(),
            x,
            config: self.config.version.to_string(),
            programs,
        };
        // As a client sends it: what the config asks for (its rates, its expiries).
        match upload::filter(&report, &self.config, 0, today, "") {
            (Some(filtered), _) => filtered,
            (None, _) => report,
        }
    }
}

/// One keep-alive HTTP/1.1 connection, opened again when the server closed it.
pub struct Client {
    host: String,
    source: Option<IpAddr>,
    stream: Option<TcpStream>,
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// The `HOST:PORT` of an `http://HOST:PORT` URL.
fn host_of(url: &str) -> Result<String, LoadError> {
    Ok(url
        .strip_prefix("http://")
        .ok_or_else(|| LoadError::Url(url.to_string()))?
        .trim_end_matches('/')
        .to_string())
}

/// The address `HOST:PORT` names (its first).
fn resolve(host: &str) -> Result<SocketAddr, LoadError> {
    host.to_socket_addrs()?.next().ok_or(LoadError::Answer(
        "the server's name resolves to no address",
    ))
}

/// A connection to `host`, from the local address `source` when one is given (any of
/// 127.0.0.0/8 on Linux, where all of it is this machine), within 5 s.
pub fn connect(host: &str, source: Option<IpAddr>) -> Result<TcpStream, LoadError> {
    let stream = match source {
        None => TcpStream::connect(host)?,
        Some(source) => {
            let to = resolve(host)?;
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(to),
                socket2::Type::STREAM,
                Some(socket2::Protocol::TCP),
            )?;
            socket.bind(&SocketAddr::new(source, 0).into())?;
            socket.connect_timeout(&to.into(), Duration::from_secs(5))?;
            socket.into()
        }
    };
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

impl Client {
    /// A client of `http://HOST:PORT` (no path).
    pub fn new(url: &str) -> Result<Client, LoadError> {
        Client::from_address(url, None)
    }

    /// A client of `http://HOST:PORT` whose connections come from the local address
    /// `source` (the system's choice when `None`).
    pub fn from_address(url: &str, source: Option<IpAddr>) -> Result<Client, LoadError> {
        Ok(Client {
            host: host_of(url)?,
            source,
            stream: None,
        })
    }

    /// Posts `body` (JSON) to `path`.
    pub fn post(&mut self, path: &str, body: &[u8]) -> Result<Answer, LoadError> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.send(&request)
    }

    /// Gets `path`.
    pub fn get(&mut self, path: &str) -> Result<Answer, LoadError> {
        self.get_with(path, &[])
    }

    /// Gets `path` with extra headers (name, value).
    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Result<Answer, LoadError> {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        self.send(request.as_bytes())
    }

    fn send(&mut self, request: &[u8]) -> Result<Answer, LoadError> {
        // A kept-alive connection the server has closed fails once: then a new one.
        let mut last = LoadError::Answer("no answer");
        for _ in 0..2 {
            let stream = match self.stream.take() {
                Some(stream) => stream,
                None => connect(&self.host, self.source)?,
            };
            let mut stream = stream;
            match exchange(&mut stream, request) {
                Ok((answer, open)) => {
                    if open {
                        self.stream = Some(stream);
                    }
                    return Ok(answer);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// One request and its answer; whether the connection stays open.
fn exchange(stream: &mut TcpStream, request: &[u8]) -> Result<(Answer, bool), LoadError> {
    stream.write_all(request)?;
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = vec![0u8; 64 << 10];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 64 << 10 {
            return Err(LoadError::Answer("answer headers too long"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(LoadError::Answer("connection closed"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(LoadError::Answer("not an HTTP answer"))?;
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let open = !header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let etag = header("etag");
    let mut body = Vec::with_capacity(length);
    body.extend_from_slice(&buffer[head_end..]);
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(LoadError::Answer("connection closed"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok((Answer { status, etag, body }, open))
}

/// Reads the config inside a signed config file (its signature is the server's to
/// check).
pub fn read_config(path: &Path) -> Result<Config, LoadError> {
    let unreadable = |reason: String| LoadError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let envelope: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    let text = envelope["config"]
        .as_str()
        .ok_or_else(|| unreadable("not a signed config: no `config`".into()))?;
    Config::parse(text.as_bytes()).map_err(|e| unreadable(e.to_string()))
}

/// Makes `count` report bodies for `config`, with their weeks, over the last week
/// before `today`.
pub fn bodies(config: Config, today: u64, count: usize) -> Vec<(String, Vec<u8>)> {
    let mut maker = Maker::new(config);
    (0..count)
        .map(|i| {
            let report = maker.report(today, (i % 7) as u64);
            (report.week.clone(), report.to_json())
        })
        .collect()
}

/// Runs a load plan: the half-open connections opened and the downloads under way (if
/// asked for) before the first report is sent, and all of them stopped, their
/// connections closed, once the last is answered.
pub fn run(plan: &Plan) -> Result<Outcome, LoadError> {
    let config = read_config(&plan.config)?;
    let today = date::day_of(date::now_secs());
    // Bodies made first, so making them is not measured.
    let bodies = Arc::new(bodies(config, today, plan.reports));
    let deadline = Instant::now() + plan.limit;
    let half_open = match plan.half_open {
        0 => None,
        n => Some(beside::HalfOpen::hold(&plan.url, n, &date::format(today))?),
    };
    let at_start = half_open.as_ref().map_or(0, beside::HalfOpen::settle);
    let downloaders = match plan.downloaders {
        0 => None,
        n => Some(beside::Downloaders::start(
            &plan.url,
            &plan.download,
            &plan.accept_encoding,
            n,
        )?),
    };
    if let Some(downloaders) = &downloaders {
        downloaders.wait_until_under_way(deadline);
    }
    let limit = deadline.saturating_duration_since(Instant::now());
    let sent = send(&plan.url, bodies, plan.connections, limit);
    let downloads = downloaders.map(beside::Downloaders::stop).transpose();
    let half_open = half_open.map(|h| h.stop(at_start));
    let mut outcome = sent?;
    outcome.downloads = downloads?;
    outcome.half_open = half_open;
    Ok(outcome)
}

/// Sends every body of `bodies` to `url` over `connections` connections, for at most
/// `limit`.
pub fn send(
    url: &str,
    bodies: Arc<Vec<(String, Vec<u8>)>>,
    connections: usize,
    limit: Duration,
) -> Result<Outcome, LoadError> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let mut threads = Vec::new();
    for _ in 0..connections.max(1) {
        let bodies = bodies.clone();
        let next = next.clone();
        let mut client = Client::new(url)?;
        threads.push(std::thread::spawn(move || {
            let mut mine = Outcome::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() || Instant::now() >= deadline {
                    break;
                }
                let (week, body) = &bodies[i];
                let sent = Instant::now();
                match client.post(&format!("/upload/{week}"), body) {
                    Ok(a) if (200..300).contains(&a.status) => {
                        mine.ok += 1;
                        mine.latencies.push(sent.elapsed());
                    }
                    _ => mine.failed += 1,
                }
            }
            mine
        }));
    }
    let mut outcome = Outcome::default();
    for thread in threads {
        let mine = thread
            .join()
            .map_err(|_| LoadError::Answer("a sender thread panicked"))?;
        outcome.ok += mine.ok;
        outcome.failed += mine.failed;
        outcome.latencies.extend(mine.latencies);
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort();
    Ok(outcome)
}
