//! The smallest HTTP/1.1 server `telemetry view` needs, on std alone: one thread per
//! connection (at most [`MAX_CONNECTIONS`] at once), one `GET` per connection, a
//! request head of at most [`MAX_HEAD`] bytes read within [`TIMEOUT`].
//!
//! Every answer carries the collection server's strict headers (no script, no frame,
//! no referrer, no sniffing) and `Cache-Control: no-store`. A request whose `Host` is
//! not this listener's address is refused, so that a web page of another site whose
//! name resolves to 127.0.0.1 (DNS rebinding) cannot read the user's telemetry.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The longest request head (request line and headers) read.
pub(crate) const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head, and to take each part of
/// the answer.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; further ones are closed unanswered until one ends.
pub(crate) const MAX_CONNECTIONS: usize = 32;

/// The collection server's `Content-Security-Policy`: nothing but this site's
/// stylesheet and `data:` images (the empty icon).
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                              base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
    let pages = Arc::new(pages);
    let hosts = Arc::new(hosts_of(bound));
    let open = Arc::new(AtomicUsize::new(0));
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
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            drop(stream);
            continue;
        }
        let (pages, hosts, done) = (Arc::clone(&pages), Arc::clone(&hosts), Arc::clone(&open));
        let spawned = std::thread::Builder::new()
            .name("view-connection".into())
            .spawn(move || {
                handle(stream, &hosts, &*pages);
                done.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::AcqRel);
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
    /// The client went away, or took too long, before a whole head.
    Gone,
}

/// Serves one connection: one request, one answer, then the connection is closed.
fn handle(mut stream: TcpStream, hosts: &[String], pages: &dyn Fn(&Request) -> Response) {
    let _ = stream.set_read_timeout(Some(TIMEOUT));
    let _ = stream.set_write_timeout(Some(TIMEOUT));
    let response = match read_head(&mut stream) {
        Head::Complete(head) => answer(&head, hosts, pages),
        Head::TooLarge => Response::text(431, "The request head is too large."),
        Head::Gone => return,
    };
    let _ = stream.write_all(&encode(&response));
    let _ = stream.flush();
    // Closing with unread bytes (a body sent with a refused method) would reset the
    // connection and could lose the answer: stop sending, then read a little of what
    // is left, briefly.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut rest = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        match stream.read(&mut rest) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Reads up to the blank line that ends a request head.
fn read_head(stream: &mut impl Read) -> Head {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Head::Gone,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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
            read_head(&mut exact.as_bytes()),
            Head::Complete(exact.as_bytes()[..MAX_HEAD].to_vec())
        );
        let one_more = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD - 18));
        assert_eq!(read_head(&mut one_more.as_bytes()), Head::TooLarge);
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(read_head(&mut long.as_bytes()), Head::TooLarge);
        let endless = "a".repeat(4 * MAX_HEAD);
        assert_eq!(read_head(&mut endless.as_bytes()), Head::TooLarge);
        assert_eq!(read_head(&mut &b"GET / HTTP/1.1\r\n"[..]), Head::Gone);
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
}
