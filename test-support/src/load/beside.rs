//! What can run beside a load's uploads: half-open connections held as an attacker
//! holds them ([`HalfOpen`]), and clients downloading a published day in a loop
//! ([`Downloaders`]). Both come from their own loopback addresses when the server is on
//! this machine's IPv4 loopback, so that the server's cap per address (32 by default)
//! does not turn them away, and neither counts against the uploads' address; both stop,
//! with every connection they opened closed, when stopped or dropped.

use std::fmt;
use std::hash::{DefaultHasher, Hasher};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Client, LoadError, connect, host_of, resolve};

/// How many half-open connections come from one loopback address: below the server's
/// default cap per address (32), so that the cap does not simply refuse them.
pub const HALF_OPEN_PER_ADDRESS: usize = 25;

/// How often the half-open connections are looked at (and those the server closed
/// opened again).
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// The `k`-th local address of `block` (127.`block`.x.y) when `server` is on the IPv4
/// loopback; `None` (the system's choice) otherwise.
fn loopback_source(server: SocketAddr, block: u8, k: usize) -> Option<IpAddr> {
    match server.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => {
            let high = u8::try_from(k / 250).unwrap_or(u8::MAX);
            let low = (k % 250) as u8 + 1;
            Some(IpAddr::V4(Ipv4Addr::new(127, block, high, low)))
        }
        _ => None,
    }
}

/// Opens a connection from `source` and sends `head`, the start of a request head.
fn open_one(host: &str, source: Option<IpAddr>, head: &[u8]) -> Result<TcpStream, LoadError> {
    let mut stream = connect(host, source)?;
    stream.write_all(head)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

/// Whether the server still holds `stream` open without a word: a read would block.
/// End of file, a reset, or an answer all mean it let go.
fn still_open(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 512];
    match stream.read(&mut buf) {
        Err(e) => matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted),
        // 0 bytes: closed; more: an answer, which comes before a close.
        Ok(0) | Ok(1..) => false,
    }
}

/// What the holder's thread shares while it runs.
#[derive(Default)]
struct Live {
    held: AtomicUsize,
    looks: AtomicUsize,
    closed: AtomicUsize,
}

/// What the holder's thread found when it stopped.
struct Tally {
    at_end: usize,
    fewest: usize,
    closed: usize,
    failed: usize,
    error: Option<String>,
}

/// Connections that each send the start of an upload's head (`POST /upload/<week>
/// HTTP/1.1`, `Host`, and no end) and then nothing more, held open: what a client does
/// to exhaust a server's connections. A thread looks at them every 200 ms; one the
/// server closed (its head deadline, or a cap) is counted and opened again at once, as
/// an attacker would.
pub struct HalfOpen {
    asked: usize,
    addresses: usize,
    live: Arc<Live>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<Tally>>,
}

/// What the half-open connections held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HalfOpenOutcome {
    /// How many were asked for.
    pub asked: usize,
    /// From how many local addresses (0: the system's choice, one address).
    pub addresses: usize,
    /// How many were open after the first looks, before the uploads began.
    pub at_start: usize,
    /// How many were open at the last look, when the uploads had ended.
    pub at_end: usize,
    /// The fewest open at any look.
    pub fewest: usize,
    /// How many the server closed (each opened again).
    pub closed: usize,
    /// Attempts to open one again that failed (each tried again at the next look).
    pub failed: usize,
    /// Why the last one that could not be opened failed.
    pub error: Option<String>,
}

impl fmt::Display for HalfOpenOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match self.addresses {
            0 => "one address".to_string(),
            1 => "1 loopback address".to_string(),
            n => format!("{n} loopback addresses"),
        };
        write!(
            f,
            "half-open connections: {} asked for, from {from}; {} held at the start, {} at \
             the end, {} at the fewest; {} closed by the server and opened again; {} \
             attempts to open one again failed",
            self.asked, self.at_start, self.at_end, self.fewest, self.closed, self.failed
        )?;
        if let Some(error) = &self.error {
            write!(f, " ({error})")?;
        }
        Ok(())
    }
}

impl HalfOpen {
    /// Opens `count` half-open connections to `http://HOST:PORT`, each starting an
    /// upload of `week`, [`HALF_OPEN_PER_ADDRESS`] from each address of 127.1.0.0/16 if
    /// the server is on the IPv4 loopback, and holds them until stopped. Fails if one
    /// of the first cannot be opened (the others are closed).
    pub fn hold(url: &str, count: usize, week: &str) -> Result<HalfOpen, LoadError> {
        let host = host_of(url)?;
        let server = resolve(&host)?;
        let head = format!("POST /upload/{week} HTTP/1.1\r\nHost: {host}\r\n").into_bytes();
        let sources: Vec<Option<IpAddr>> = (0..count)
            .map(|i| loopback_source(server, 1, i / HALF_OPEN_PER_ADDRESS))
            .collect();
        let addresses = if sources.first().is_some_and(Option::is_some) {
            count.div_ceil(HALF_OPEN_PER_ADDRESS)
        } else {
            0
        };
        let mut streams = Vec::with_capacity(count);
        for source in &sources {
            streams.push(Some(open_one(&host, *source, &head)?));
        }
        let live = Arc::new(Live::default());
        live.held.store(count, Ordering::SeqCst);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let live = live.clone();
            std::thread::spawn(move || {
                let mut tally = Tally {
                    at_end: count,
                    fewest: count,
                    closed: 0,
                    failed: 0,
                    error: None,
                };
                let look = |streams: &mut Vec<Option<TcpStream>>, tally: &mut Tally| {
                    let mut open = 0;
                    for slot in streams.iter_mut() {
                        if let Some(stream) = slot {
                            if still_open(stream) {
                                open += 1;
                            } else {
                                *slot = None;
                                tally.closed += 1;
                                live.closed.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                    tally.fewest = tally.fewest.min(open);
                    live.held.store(open, Ordering::SeqCst);
                    live.looks.fetch_add(1, Ordering::SeqCst);
                    open
                };
                // Until told to stop (or the holder is gone).
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(LOOK_EVERY) {
                    look(&mut streams, &mut tally);
                    for (slot, source) in streams.iter_mut().zip(&sources) {
                        if slot.is_none() {
                            match open_one(&host, *source, &head) {
                                Ok(stream) => *slot = Some(stream),
                                Err(e) => {
                                    tally.failed += 1;
                                    tally.error = Some(e.to_string());
                                }
                            }
                        }
                    }
                }
                tally.at_end = look(&mut streams, &mut tally);
                tally
            })
        };
        Ok(HalfOpen {
            asked: count,
            addresses,
            live,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// How many were open at the last look.
    pub fn held(&self) -> usize {
        self.live.held.load(Ordering::SeqCst)
    }

    /// How many the server has closed so far.
    pub fn closed(&self) -> usize {
        self.live.closed.load(Ordering::SeqCst)
    }

    /// Waits for two more looks (so that the server has had time to close any it
    /// refuses), at most 10 s, and returns how many were open at the last.
    pub fn settle(&self) -> usize {
        let wanted = self.live.looks.load(Ordering::SeqCst) + 2;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.live.looks.load(Ordering::SeqCst) < wanted && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.held()
    }

    /// Stops: looks a last time, closes every connection and returns what was held;
    /// `at_start` is what [`HalfOpen::settle`] found.
    pub fn stop(mut self, at_start: usize) -> HalfOpenOutcome {
        let tally = self.finish();
        HalfOpenOutcome {
            asked: self.asked,
            addresses: self.addresses,
            at_start,
            at_end: tally.as_ref().map_or(0, |t| t.at_end),
            fewest: tally.as_ref().map_or(0, |t| t.fewest),
            closed: tally.as_ref().map_or(0, |t| t.closed),
            failed: tally.as_ref().map_or(0, |t| t.failed),
            error: tally.and_then(|t| t.error),
        }
    }

    fn finish(&mut self) -> Option<Tally> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread.take().and_then(|thread| thread.join().ok())
    }
}

impl Drop for HalfOpen {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A fingerprint of a body, to tell whether two downloads were the same bytes (not a
/// digest: the same within one process, which is all it is for).
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// What one downloader got.
#[derive(Default)]
struct Mine {
    ok: usize,
    failed: usize,
    differed: usize,
    bytes: u64,
    first: Option<(Option<String>, Vec<u8>)>,
    error: Option<String>,
}

/// Clients that each get one path (a published day, `/data/<day>.ndjson`), with an
/// `Accept-Encoding` or none, over a keep-alive connection in a loop, one thread each, from their own loopback addresses
/// (127.2.0.x) when the server is on the IPv4 loopback; every answer must be a 200 with
/// the same bytes and `ETag` as the first.
pub struct Downloaders {
    path: String,
    accept_encoding: String,
    clients: usize,
    started: Instant,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<Mine>>,
}

/// What the downloaders got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownloadOutcome {
    /// The path downloaded.
    pub path: String,
    /// The `Accept-Encoding` sent (none when empty).
    pub accept_encoding: String,
    /// How many clients.
    pub clients: usize,
    /// Downloads answered 200 with the whole body.
    pub ok: usize,
    /// Downloads answered otherwise, or not at all.
    pub failed: usize,
    /// Downloads answered 200 whose bytes or `ETag` differed from the first download's.
    pub differed: usize,
    /// The bytes of every 200 answer's body.
    pub bytes: u64,
    /// The length of the first download's body.
    pub length: usize,
    /// The first download's `ETag`.
    pub etag: Option<String>,
    /// The first download's [`fingerprint`].
    pub fingerprint: u64,
    /// From the start of the first download to the stop.
    pub elapsed: Duration,
    /// Why the last failed download failed.
    pub error: Option<String>,
}

impl fmt::Display for DownloadOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let encoding = match self.accept_encoding.as_str() {
            "" => String::new(),
            asked => format!(" (Accept-Encoding: {asked})"),
        };
        write!(
            f,
            "downloads of {}{encoding}: {} client{}, {} in {:.2} s: {:.1} downloads/s, {:.1} \
             MB/s; {} bytes each, ETag {}; {} failed, {} differed",
            self.path,
            self.clients,
            if self.clients == 1 { "" } else { "s" },
            self.ok,
            secs,
            self.ok as f64 / secs,
            self.bytes as f64 / secs / 1e6,
            self.length,
            self.etag.as_deref().unwrap_or("none"),
            self.failed,
            self.differed
        )?;
        if let Some(error) = &self.error {
            write!(f, " ({error})")?;
        }
        Ok(())
    }
}

impl Downloaders {
    /// Starts `clients` threads getting `path` from `http://HOST:PORT` in a loop until
    /// stopped, sending `accept_encoding` (none when empty).
    pub fn start(
        url: &str,
        path: &str,
        accept_encoding: &str,
        clients: usize,
    ) -> Result<Downloaders, LoadError> {
        let server = resolve(&host_of(url)?)?;
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::with_capacity(clients);
        for i in 0..clients {
            let mut client = Client::from_address(url, loopback_source(server, 2, i))?;
            let (stop, answered, path) = (stop.clone(), answered.clone(), path.to_string());
            let encoding = accept_encoding.to_string();
            threads.push(std::thread::spawn(move || {
                let mut mine = Mine::default();
                let headers: Vec<(&str, &str)> = match encoding.as_str() {
                    "" => Vec::new(),
                    asked => vec![("Accept-Encoding", asked)],
                };
                while !stop.load(Ordering::SeqCst) {
                    match client.get_with(&path, &headers) {
                        Ok(answer) if answer.status == 200 => {
                            mine.ok += 1;
                            mine.bytes += answer.body.len() as u64;
                            match &mine.first {
                                None => mine.first = Some((answer.etag, answer.body)),
                                Some((etag, body)) => {
                                    if *etag != answer.etag || *body != answer.body {
                                        mine.differed += 1;
                                    }
                                }
                            }
                        }
                        other => {
                            mine.failed += 1;
                            mine.error = Some(match other {
                                Ok(answer) => format!("answered {}", answer.status),
                                Err(e) => e.to_string(),
                            });
                            // Not a spin when the server turns every request away.
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                mine
            }));
        }
        Ok(Downloaders {
            path: path.to_string(),
            accept_encoding: accept_encoding.to_string(),
            clients,
            started: Instant::now(),
            stop,
            answered,
            threads,
        })
    }

    /// Waits until as many downloads have been answered as there are clients (so that
    /// the downloads are under way), or until `deadline`.
    pub fn wait_until_under_way(&self, deadline: Instant) {
        while self.answered.load(Ordering::SeqCst) < self.clients && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops every client after its download under way and returns what they got.
    pub fn stop(mut self) -> Result<DownloadOutcome, LoadError> {
        self.stop.store(true, Ordering::SeqCst);
        let mut outcome = DownloadOutcome {
            path: self.path.clone(),
            accept_encoding: self.accept_encoding.clone(),
            clients: self.clients,
            ..DownloadOutcome::default()
        };
        let mut reference: Option<(Option<String>, Vec<u8>)> = None;
        let joined: Vec<_> = std::mem::take(&mut self.threads)
            .into_iter()
            .map(JoinHandle::join)
            .collect();
        outcome.elapsed = self.started.elapsed();
        for mine in joined {
            let mine = mine.map_err(|_| LoadError::Answer("a downloader thread panicked"))?;
            outcome.ok += mine.ok;
            outcome.failed += mine.failed;
            outcome.differed += mine.differed;
            outcome.bytes += mine.bytes;
            if mine.error.is_some() {
                outcome.error = mine.error;
            }
            match (&reference, mine.first) {
                (None, Some(first)) => reference = Some(first),
                // Another client's first download differs: so do all it got.
                (Some(reference), Some(first)) if *reference != first => {
                    outcome.differed += mine.ok - mine.differed;
                }
                _ => {}
            }
        }
        if let Some((etag, body)) = reference {
            outcome.length = body.len();
            outcome.fingerprint = fingerprint(&body);
            outcome.etag = etag;
        }
        Ok(outcome)
    }
}

impl Drop for Downloaders {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
