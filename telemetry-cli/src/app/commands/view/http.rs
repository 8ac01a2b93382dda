//! The smallest HTTP/1.1 server `telemetry view` needs, on std alone: one thread per
//! connection, one `GET` per connection, a request head of at most [`MAX_HEAD`] bytes.
//!
//! Its limits keep a slow or hostile local client from holding it (as the collection
//! server's do): the whole request head must arrive within [`LIMITS`]' head deadline,
//! counted from the connection, however slowly its bytes trickle in; the answer must
//! be taken within its own deadline; at most `max_connections` are open at once, and
//! when a new one comes beyond that, the connection that has waited longest for its
//! head is closed to make room (one being answered is never closed, and when all are,
//! the new one is). So connections that send a byte now and then cannot keep the user
//! from the pages.
//!
//! Every answer carries the collection server's strict headers (no script, no frame,
//! no referrer, no sniffing) and `Cache-Control: no-store`. A request whose `Host` is
//! not this listener's address is refused, so that a web page of another site whose
//! name resolves to 127.0.0.1 (DNS rebinding) cannot read the user's telemetry.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use telemetry_pages::serving::CSP;

/// The longest request head (request line and headers) read.
pub(crate) const MAX_HEAD: usize = 8 * 1024;

/// How long and how many.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// From the connection to the end of its request head.
    pub head_deadline: Duration,
    /// From the end of the head to the last byte of the answer taken.
    pub answer_deadline: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// The limits `telemetry view` serves with.
pub(crate) const LIMITS: Limits = Limits {
    head_deadline: Duration::from_secs(10),
    answer_deadline: Duration::from_secs(30),
    max_connections: 32,
};

/// A `GET` the pages answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request<'a> {
    /// The path, before any `?`.
    pub path: &'a str,
    /// What follows the `?`, if anything does.
    pub query: Option<&'a str>,
}

/// An answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A plain-text answer.
    fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{body}\n").into_bytes(),
        }
    }
}

/// Accepts connections on `listener`, whose address is `bound`, forever, answering
/// each request with `pages`.
pub(crate) fn serve<F>(listener: TcpListener, bound: SocketAddr, pages: F) -> !
where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    serve_until(listener, bound, pages, LIMITS, &AtomicBool::new(false));
    // Never stopped: `serve_until` returns only once `stop` is set.
    loop {
        std::thread::park();
    }
}

/// An open connection, as the accept loop sees it.
struct Open {
    id: u64,
    accepted: Instant,
    /// Another handle on the connection's socket, to close it from here.
    stream: TcpStream,
    /// Still reading its request head (so it may be closed to make room).
    reading: bool,
}

/// The open connections.
#[derive(Default)]
struct Connections {
    open: Mutex<Vec<Open>>,
    next: AtomicU64,
}

impl Connections {
    /// Admits `stream` unless `max` are open and all are being answered: closes the
    /// connection that has waited longest for its head when `max` are open. Returns the
    /// new connection's id.
    fn admit(&self, stream: &TcpStream, max: usize) -> Option<u64> {
        let handle = stream.try_clone().ok()?;
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() >= max {
            let oldest = open
                .iter()
                .enumerate()
                .filter(|(_, c)| c.reading)
                .min_by_key(|(_, c)| c.accepted)
                .map(|(i, _)| i)?;
            let closed = open.swap_remove(oldest);
            let _ = closed.stream.shutdown(Shutdown::Both);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        open.push(Open {
            id,
            accepted: Instant::now(),
            stream: handle,
            reading: true,
        });
        Some(id)
    }

    /// The connection `id` has its whole head: it is not closed to make room.
    fn answering(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = open.iter_mut().find(|c| c.id == id) {
            c.reading = false;
        }
    }

    /// The connection `id` is over.
    fn done(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|c| c.id != id);
    }
}

/// [`serve`], with `limits`, until `stop` is set (and a connection wakes the loop).
pub(crate) fn serve_until<F>(
    listener: TcpListener,
    bound: SocketAddr,
    pages: F,
    limits: Limits,
    stop: &AtomicBool,
) where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    let pages = Arc::new(pages);
    let hosts = Arc::new(hosts_of(bound));
    let connections = Arc::new(Connections::default());
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            // Out of descriptors, or a connection reset before it was taken: wait a
            // little rather than spin.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(id) = connections.admit(&stream, limits.max_connections) else {
            drop(stream);
            continue;
        };
        let (pages, hosts, all) = (
            Arc::clone(&pages),
            Arc::clone(&hosts),
            Arc::clone(&connections),
        );
        let spawned = std::thread::Builder::new()
            .name("view-connection".into())
            .spawn(move || {
                handle(stream, &hosts, &*pages, limits, || all.answering(id));
                all.done(id);
            });
        if spawned.is_err() {
            connections.done(id);
        }
    }
}

/// The `Host` values that name this listener: its address as written, and
/// `localhost:PORT` for 127.0.0.1 and ::1.
fn hosts_of(bound: SocketAddr) -> Vec<String> {
    let mut hosts = vec![bound.to_string()];
    if bound.ip() == std::net::Ipv4Addr::LOCALHOST || bound.ip() == std::net::Ipv6Addr::LOCALHOST {
        hosts.push(format!("localhost:{}", bound.port()));
    }
    hosts
}

/// What reading a request head gave.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// The head, without the blank line that ends it.
    Complete(Vec<u8>),
    /// Longer than [`MAX_HEAD`].
    TooLarge,
    /// Not complete by its deadline.
    Late,
    /// The client went away (or the connection was closed to make room).
    Gone,
}

/// Serves one connection: one request, one answer, then the connection is closed.
/// `answering` is called once the head is complete.
fn handle(
    mut stream: TcpStream,
    hosts: &[String],
    pages: &dyn Fn(&Request) -> Response,
    limits: Limits,
    answering: impl FnOnce(),
) {
    let head_deadline = Instant::now() + limits.head_deadline;
    let head = read_head(&mut stream, &mut |stream: &mut TcpStream| {
        // Each read may only wait for what is left of the head's time.
        let left = head_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).is_ok()
    });
    answering();
    let response = match head {
        Head::Complete(head) => answer(&head, hosts, pages),
        Head::TooLarge => Response::text(431, "The request head is too large."),
        Head::Late => Response::text(408, "The request head took too long."),
        Head::Gone => return,
    };
    let deadline = Instant::now() + limits.answer_deadline;
    if write_within(&mut stream, &encode(&response), deadline).is_err() {
        return;
    }
    // Closing with unread bytes (a body sent with a refused method) would reset the
    // connection and could lose the answer: stop sending, then read a little of what
    // is left, briefly.
    let _ = stream.shutdown(Shutdown::Write);
    let drain_until = deadline.min(Instant::now() + Duration::from_secs(1));
    let mut rest = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        let left = drain_until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut rest) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Writes all of `bytes` by `deadline`, however slowly the client takes them.
fn write_within(stream: &mut TcpStream, bytes: &[u8], deadline: Instant) -> io::Result<()> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(&rest[..rest.len().min(64 * 1024)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    stream.flush()
}

/// Reads up to the blank line that ends a request head. Before each read,
/// `before_read` sets how long it may wait, or says (false) that time is up.
fn read_head<R: Read>(stream: &mut R, before_read: &mut dyn FnMut(&mut R) -> bool) -> Head {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if !before_read(stream) {
            return Head::Late;
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Head::Gone,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Head::Late;
            }
            Err(_) => return Head::Gone,
        };
        // Only the new bytes, and the three before them, can complete the end.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = from + end;
            if end > MAX_HEAD {
                return Head::TooLarge;
            }
            head.truncate(end);
            return Head::Complete(head);
        }
        // No end yet: one found later would start past MAX_HEAD.
        if head.len() >= MAX_HEAD + 4 {
            return Head::TooLarge;
        }
    }
}

/// The answer to a whole request head.
fn answer(head: &[u8], hosts: &[String], pages: &dyn Fn(&Request) -> Response) -> Response {
    let Ok(head) = std::str::from_utf8(head) else {
        return Response::text(400, "The request is not text.");
    };
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Response::text(400, "The request line is not METHOD TARGET HTTP/1.1.");
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Response::text(400, "The request line is not METHOD /PATH HTTP/1.1.");
    }
    let host = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim());
    match host {
        None => return Response::text(400, "The request has no Host header."),
        Some(host) if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) => {
            return Response::text(
                403,
                &format!("These pages are served as http://{} only.", hosts[0]),
            );
        }
        Some(_) => {}
    }
    if method != "GET" {
        return Response::text(405, "Only GET is served here.");
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    pages(&Request { path, query })
}

/// The reason phrase of a status.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

/// An answer's bytes, headers and body.
fn encode(response: &Response) -> Vec<u8> {
    let allow = if response.status == 405 {
        "Allow: GET\r\n"
    } else {
        ""
    };
    let mut bytes = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}\
         Content-Security-Policy: {CSP}\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&response.body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(request: &Request) -> Response {
        Response::text(200, &format!("{} {:?}", request.path, request.query))
    }

    fn status_of(head: &str) -> (u16, String) {
        let hosts = hosts_of(SocketAddr::from(([127, 0, 0, 1], 4000)));
        let response = answer(head.as_bytes(), &hosts, &echo);
        (
            response.status,
            String::from_utf8_lossy(&response.body).into_owned(),
        )
    }

    #[test]
    fn requests_are_routed_or_refused_exactly() {
        assert_eq!(
            status_of("GET /?week=2026-11-26 HTTP/1.1\r\nHost: 127.0.0.1:4000"),
            (200, "/ Some(\"week=2026-11-26\")\n".into())
        );
        assert_eq!(
            status_of("GET /sent HTTP/1.1\r\nhost:  LOCALHOST:4000 "),
            (200, "/sent None\n".into())
        );
        assert_eq!(status_of("POST / HTTP/1.1\r\nHost: 127.0.0.1:4000").0, 405);
        assert_eq!(status_of("HEAD / HTTP/1.1\r\nHost: 127.0.0.1:4000").0, 405);
        assert_eq!(
            status_of("GET / HTTP/1.1\r\nHost: evil.example:4000"),
            (
                403,
                "These pages are served as http://127.0.0.1:4000 only.\n".into()
            )
        );
        assert_eq!(status_of("GET / HTTP/1.1\r\nHost: 127.0.0.1:4001").0, 403);
        assert_eq!(status_of("GET / HTTP/1.1").0, 400);
        assert_eq!(status_of("GET / HTTP/2\r\nHost: 127.0.0.1:4000").0, 400);
        assert_eq!(
            status_of("GET http://127.0.0.1:4000/ HTTP/1.1\r\nHost: 127.0.0.1:4000").0,
            400
        );
        assert_eq!(status_of("GET  / HTTP/1.1\r\nHost: 127.0.0.1:4000").0, 400);
    }

    #[test]
    fn heads_are_bounded() {
        let mut exact = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD - 19));
        assert_eq!(exact.len(), MAX_HEAD);
        exact.push_str("\r\n\r\nbody");
        assert_eq!(
            read_head(&mut exact.as_bytes(), &mut |_| true),
            Head::Complete(exact.as_bytes()[..MAX_HEAD].to_vec())
        );
        let one_more = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD - 18));
        assert_eq!(
            read_head(&mut one_more.as_bytes(), &mut |_| true),
            Head::TooLarge
        );
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(
            read_head(&mut long.as_bytes(), &mut |_| true),
            Head::TooLarge
        );
        let endless = "a".repeat(4 * MAX_HEAD);
        assert_eq!(
            read_head(&mut endless.as_bytes(), &mut |_| true),
            Head::TooLarge
        );
        assert_eq!(
            read_head(&mut &b"GET / HTTP/1.1\r\n"[..], &mut |_| true),
            Head::Gone
        );
    }

    #[test]
    fn every_answer_has_the_strict_headers() {
        let text = String::from_utf8_lossy(&encode(&Response::text(405, "no"))).into_owned();
        assert_eq!(
            text,
            format!(
                "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n\
                 Content-Length: 3\r\nAllow: GET\r\nContent-Security-Policy: {CSP}\r\n\
                 X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
                 Cache-Control: no-store\r\nConnection: close\r\n\r\nno\n"
            )
        );
    }

    /// A server with `limits` on a free port, answering every page with "ok"; stops
    /// when dropped.
    struct Running {
        addr: SocketAddr,
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Running {
        fn start(limits: Limits) -> Running {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&stop);
            let thread = std::thread::spawn(move || {
                serve_until(listener, addr, |_| Response::text(200, "ok"), limits, &flag);
            });
            Running {
                addr,
                stop,
                thread: Some(thread),
            }
        }

        fn get(&self) -> String {
            let mut stream = TcpStream::connect(self.addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let head = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
            stream.write_all(head.as_bytes()).unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer.lines().next().unwrap_or("").to_string()
        }

        /// A connection that has sent the start of a head and nothing more.
        fn slow(&self) -> TcpStream {
            let mut stream = TcpStream::connect(self.addr).unwrap();
            stream.write_all(b"GET / HTTP/1.1\r\nHost: ").unwrap();
            stream
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(self.addr);
            if let Some(thread) = self.thread.take() {
                thread.join().unwrap();
            }
        }
    }

    /// What a connection reads within `wait`: `None` if nothing came (still open),
    /// else what came before the server closed it.
    fn read_within(stream: &mut TcpStream, wait: Duration) -> Option<String> {
        stream.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 1024];
        match stream.read(&mut buf) {
            Ok(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(_) => Some(String::new()),
        }
    }

    #[test]
    fn a_head_trickled_in_byte_by_byte_is_cut_at_its_deadline() {
        let server = Running::start(Limits {
            head_deadline: Duration::from_secs(1),
            ..LIMITS
        });
        let mut slow = server.slow();
        let started = Instant::now();
        // A byte every 200 ms: each read gets one well within any per-read timeout.
        let answer = loop {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still open after 20 s of a 1 s head deadline"
            );
            if let Some(answer) = read_within(&mut slow, Duration::from_millis(200)) {
                break answer;
            }
            let _ = slow.write_all(b"x");
        };
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{answer:?}"
        );
        assert_eq!(server.get(), "HTTP/1.1 200 OK");
    }

    #[test]
    fn beyond_the_cap_the_connection_waiting_longest_for_its_head_makes_room() {
        let server = Running::start(Limits {
            max_connections: 4,
            ..LIMITS
        });
        let mut slow: Vec<TcpStream> = Vec::new();
        for _ in 0..4 {
            slow.push(server.slow());
            // Accepted in this order.
            std::thread::sleep(Duration::from_millis(50));
        }
        // A fifth, honest, connection is answered: the oldest slow one made room.
        assert_eq!(server.get(), "HTTP/1.1 200 OK");
        assert_eq!(
            read_within(&mut slow[0], Duration::from_secs(10)).as_deref(),
            Some(""),
            "closed without an answer"
        );
        for stream in &mut slow[1..] {
            assert_eq!(
                read_within(stream, Duration::from_millis(100)),
                None,
                "open"
            );
        }
        // Many more: the honest one is still answered each time.
        let more: Vec<TcpStream> = (0..20).map(|_| server.slow()).collect();
        assert_eq!(server.get(), "HTTP/1.1 200 OK");
        drop(more);
    }
}
