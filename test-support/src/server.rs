//! A collector for tests: an HTTP/1.1 server on a loopback port that answers each
//! request as the test says, counts every request it gets, and stops when dropped.
//! Each connection is served by a thread of its own, one request per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the server read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, e.g. `/upload/2026-11-26`.
    pub path: String,
    /// The body.
    pub body: Vec<u8>,
}

/// How to answer.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A status and a body.
    Respond(u16, Vec<u8>),
    /// A status, extra headers (name, value) and a body.
    RespondWith(u16, Vec<(String, String)>, Vec<u8>),
    /// Accept the request, then never answer (until the server stops).
    Hang,
    /// Bytes that are not HTTP, then close.
    Garbage,
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

/// The running server.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Server {
    /// Starts a server answering with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen, stopping) = (Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (seen, handler, stopping) = (
                    Arc::clone(&seen),
                    Arc::clone(&handler),
                    Arc::clone(&stopping),
                );
                std::thread::spawn(move || serve(stream, &*handler, &seen, &stopping));
            }
        });
        Server {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many requests had this method and a path starting with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path.starts_with(prefix))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(String, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: application/json\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Request>>, stopping: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length.min(16 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request = Request { method, path, body };
    if let Ok(mut all) = seen.lock() {
        all.push(request.clone());
    }
    let mut stream = stream;
    match handler(&request) {
        Answer::Respond(status, body) => respond(&mut stream, status, &[], &body),
        Answer::RespondWith(status, headers, body) => {
            respond(&mut stream, status, &headers, &body);
        }
        Answer::Hang => {
            while !stopping.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Answer::Garbage => {
            let _ = stream.write_all(b"\x00\xffnot http at all\r\n\r\n");
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}
