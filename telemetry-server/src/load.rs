//! `telemetry-server load`: a bounded load generator for a server on this machine or a
//! test deployment. It makes realistic reports from the served config (a program build
//! the config allows, a few dozen of its counters with small counts, a stack chain),
//! each with its own week and `x`, and sends them over keep-alive HTTP/1.1
//! connections, at most `reports` of them and for at most `limit`, then prints the
//! rate and the latency percentiles. Each report is filtered by the config as a client
//! filters it before sending.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use telemetry_formats::config::{self, Config};
use telemetry_formats::date;
use telemetry_formats::report::{FORMAT, ProgramReport, Report};
use telemetry_formats::signature::Envelope;
use telemetry_formats::upload;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
        write!(
            f,
            "{} reports in {:.2} s: {:.0} reports/s; {} failed; latency p50 {:.2} ms, \
             p99 {:.2} ms, max {:.2} ms",
            self.ok + self.failed,
            secs,
            (self.ok + self.failed) as f64 / secs,
            self.failed,
            self.percentile(0.5).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.latencies
                .last()
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3,
        )
    }
}

/// A small random source (not for secrets: for load only).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        Rng(RandomState::new().hash_one(Instant::now()) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        // In (0, 1).
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
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
    /// Reports for `config`.
    pub fn new(config: Config) -> Maker {
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
            rng: Rng::new(),
        }
    }

    /// One report of a week ending `today - days_ago`.
    pub fn report(&mut self, today: u64, days_ago: u64) -> Report {
        let x = self.rng.unit() * self.config.sample_rate.clamp(1e-6, 1.0);
        let mut programs = Vec::new();
        if !self.config.programs.is_empty() {
            let i = self.rng.below(self.config.programs.len() as u64) as usize;
            let program = &self.config.programs[i];
            let names = &self.names[&program.name];
            let mut counters = BTreeMap::new();
            for _ in 0..names.len().min(24) {
                let name = &names[self.rng.below(names.len() as u64) as usize];
                counters.insert(name.clone(), 1 + self.rng.below(200));
            }
            let mut stacks = BTreeMap::new();
            if let Some(stack) = program.stacks.first()
                && !names.is_empty()
            {
                let frames: Vec<&str> = (0..stack.depth.min(3))
                    .map(|_| names[self.rng.below(names.len() as u64) as usize].as_str())
                    .filter(|n| !n.contains(':'))
                    .collect();
                let chain = std::iter::once(stack.name.as_str())
                    .chain(frames)
                    .collect::<Vec<_>>();
                stacks.insert(chain.join("\n"), 1 + self.rng.below(3));
            }
            let os = program
                .os
                .first()
                .cloned()
                .unwrap_or_else(|| "linux".into());
            let arch = program
                .arch
                .first()
                .cloned()
                .unwrap_or_else(|| "x86_64".into());
            programs.push(ProgramReport {
                program: program.name.clone(),
                version: version_for(&program.versions),
                toolchain: "1.95.0".into(),
                os,
                arch,
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

/// One keep-alive HTTP/1.1 connection.
pub struct Client {
    host: String,
    stream: Option<TcpStream>,
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl Client {
    /// A client of `http://HOST:PORT` (no path).
    pub fn new(url: &str) -> Result<Client, String> {
        let host = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url:?}: the load generator speaks plain http:// only"))?
            .trim_end_matches('/')
            .to_string();
        Ok(Client { host, stream: None })
    }

    /// Posts `body` to `path`, reconnecting if the connection was closed.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Result<Answer, String> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        for attempt in 0..2 {
            if self.stream.is_none() {
                self.stream = Some(
                    TcpStream::connect(&self.host)
                        .await
                        .map_err(|e| format!("connect {}: {e}", self.host))?,
                );
            }
            let Some(stream) = self.stream.as_mut() else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            match exchange(stream, &request).await {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    self.stream = None;
                    if attempt == 1 {
                        return Err(e);
                    }
                }
            }
        }
        Err("no answer".into())
    }
}

async fn exchange(stream: &mut TcpStream, request: &[u8]) -> Result<Answer, String> {
    stream.write_all(request).await.map_err(|e| e.to_string())?;
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 64 << 10 {
            return Err("answer headers too long".into());
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("not an HTTP answer")?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Answer { status, body })
}

/// Reads the config inside a signed config file.
pub fn read_config(path: &std::path::Path) -> Result<Config, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let envelope: Envelope =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Config::parse(envelope.config.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a load plan.
pub async fn run(plan: &Plan) -> Result<Outcome, String> {
    let config = read_config(&plan.config)?;
    let today = date::day_of(date::now_secs());
    // Bodies made first, so making them is not measured.
    let mut maker = Maker::new(config);
    let bodies: Arc<Vec<(String, Vec<u8>)>> = Arc::new(
        (0..plan.reports)
            .map(|i| {
                let report = maker.report(today, (i % 7) as u64);
                (report.week.clone(), report.to_json())
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + plan.limit;
    let mut tasks = Vec::new();
    for _ in 0..plan.connections.max(1) {
        let bodies = bodies.clone();
        let next = next.clone();
        let mut client = Client::new(&plan.url)?;
        tasks.push(tokio::spawn(async move {
            let mut mine = Outcome::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() || Instant::now() >= deadline {
                    break;
                }
                let (week, body) = &bodies[i];
                let sent = Instant::now();
                let answer = tokio::time::timeout(
                    Duration::from_secs(30),
                    client.post(&format!("/upload/{week}"), body),
                )
                .await;
                match answer {
                    Ok(Ok(a)) if (200..300).contains(&a.status) => {
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
    for task in tasks {
        let mine = task.await.map_err(|e| e.to_string())?;
        outcome.ok += mine.ok;
        outcome.failed += mine.failed;
        outcome.latencies.extend(mine.latencies);
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort();
    Ok(outcome)
}
