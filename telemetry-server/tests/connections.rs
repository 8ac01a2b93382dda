//! What the server does with connections: whose uploads share a rate limit, how long
//! it waits for a request head or the next request, and how many connections one
//! address, and all together, may hold open while everyone else is still served.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;

const TODAY: &str = "2026-12-01";
const WEEK: &str = "2026-11-28";

#[test]
fn on_a_dual_stack_listener_each_ipv4_address_has_its_own_rate_limit() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("dual-stack");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(
        &db,
        &collector.signed,
        TODAY,
        &["--addr", "[::]:0", "--rate-limit", "3"],
    );
    let to = SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let mut x = 0.0;
    let mut upload_from = |from: &str| {
        x += 1.0 / 64.0;
        let body = report(WEEK, x, &[("kv/command:get", 1)], &[]).to_json();
        let from: IpAddr = from.parse().expect("an address");
        http::request_over(
            connect_from(from, to),
            to,
            "POST",
            &format!("/upload/{WEEK}"),
            &[("Content-Type", "application/json")],
            &body,
        )
        .expect("an answer")
        .status
    };
    // 127.0.0.1 spends its three uploads; the others still have theirs.
    let first: Vec<u16> = (0..4).map(|_| upload_from("127.0.0.1")).collect();
    assert_eq!(first, [200, 200, 200, 503]);
    for other in ["127.0.0.2", "127.200.1.1"] {
        let statuses: Vec<u16> = (0..4).map(|_| upload_from(other)).collect();
        assert_eq!(statuses, [200, 200, 200, 503], "{other}");
    }
    assert_eq!(server.metric("telemetry_reports_accepted_total"), 9);
}

/// Raises this process's soft limit on open files to at least `wanted` (within the hard
/// limit): the server it starts inherits it.
fn raise_open_files(wanted: u64) {
    #[repr(C)]
    struct Rlimit {
        cur: u64,
        max: u64,
    }
    unsafe extern "C" {
        fn getrlimit(resource: i32, limit: *mut Rlimit) -> i32;
        fn setrlimit(resource: i32, limit: *const Rlimit) -> i32;
    }
    const RLIMIT_NOFILE: i32 = 7;
    let mut limit = Rlimit { cur: 0, max: 0 };
    // SAFETY: getrlimit writes one rlimit (two u64 on Linux) into a live local.
    assert_eq!(unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) }, 0);
    if limit.cur < wanted {
        let raised = Rlimit {
            cur: wanted.min(limit.max),
            max: limit.max,
        };
        // SAFETY: setrlimit reads one rlimit from a live local.
        assert_eq!(unsafe { setrlimit(RLIMIT_NOFILE, &raised) }, 0);
    }
}

/// Opens a connection from `from` that sends the start of an upload's head and
/// nothing more.
fn half_open(from: IpAddr, to: SocketAddr) -> TcpStream {
    let mut stream = connect_from(from, to);
    stream
        .write_all(b"POST /upload/2026-11-28 HTTP/1.1\r\nHost: collector\r\n")
        .expect("the start of a head");
    stream
}

/// Whether the server closed `stream` (end of file, or reset) within `limit`, reading
/// whatever it sends first; `false` if it is still open when `limit` has passed.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("a read timeout");
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return true,
        }
    }
    false
}

/// Sends `GET path` on an open keep-alive connection and reads the answer: its status.
fn get_on(stream: &mut TcpStream, path: &str) -> u16 {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: collector\r\n\r\n").as_bytes())
        .expect("a request");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).expect("an answer");
        assert!(
            n > 0,
            "closed before answering: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a content length");
            if body.len() >= length {
                return head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .expect("a status");
            }
        }
    }
}

#[test]
fn a_thousand_half_open_connections_hold_no_one_else_up() {
    const ADDRESSES: u8 = 11;
    const EACH: usize = 100;
    raise_open_files(4096);
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("half-open");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    // The head deadline is long enough that every connection is still held when the
    // others are served below.
    let server = ServerProcess::start(
        &db,
        &collector.signed,
        TODAY,
        &[
            "--head-timeout",
            "600",
            "--max-connections",
            "2000",
            "--max-connections-per-address",
            "100",
            "--rate-limit",
            "0",
        ],
    );
    let mut held = Vec::new();
    for a in 1..=ADDRESSES {
        let from = IpAddr::from([127, 0, 1, a]);
        for _ in 0..EACH {
            held.push(half_open(from, server.addr));
        }
    }
    assert_eq!(held.len(), 1100);
    // Everyone else is served: the operator, and an honest upload.
    assert_eq!(server.get("/healthz").status, 200);
    let upload = server.upload(&report(WEEK, 0.5, &[("kv/command:get", 3)], &[]));
    assert_eq!(upload.status, 200, "{}", upload.text());
    // One more from an address that holds its 100 is closed at once, unread; the
    // 1,100 held are all still open.
    let mut extra = half_open(IpAddr::from([127, 0, 1, 1]), server.addr);
    assert!(closed_within(&mut extra, Duration::from_secs(30)));
    assert_eq!(
        server.metric("telemetry_connections_refused_per_address_total"),
        1
    );
    let mut still_open = 0;
    for stream in &mut held {
        stream.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8; 1];
        if matches!(stream.read(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock) {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 1100);
    assert_eq!(server.metric("telemetry_reports_accepted_total"), 1);
    drop(held);
}

#[test]
fn a_head_must_arrive_in_time_and_an_idle_connection_is_closed() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("deadlines");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(
        &db,
        &collector.signed,
        TODAY,
        &["--head-timeout", "1", "--idle-timeout", "1"],
    );
    let here = IpAddr::from([127, 0, 0, 1]);
    // A head that stops half way, and one sent a byte every 200 ms: both closed,
    // without an answer.
    let mut half = half_open(here, server.addr);
    assert!(closed_within(&mut half, Duration::from_secs(30)));
    let mut trickle = connect_from(here, server.addr);
    trickle
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a read timeout");
    let head = b"GET /healthz HTTP/1.1\r\nHost: collector\r\nX-Padding: ";
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut closed = false;
    let mut sent = 0;
    while Instant::now() < deadline && !closed {
        let byte = head.get(sent).copied().unwrap_or(b'a');
        if trickle.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        let mut buf = [0u8; 512];
        match trickle.read(&mut buf) {
            Ok(0) => closed = true,
            Ok(n) => panic!("answered: {}", String::from_utf8_lossy(&buf[..n])),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => closed = true,
        }
    }
    assert!(
        closed,
        "a head sent a byte at a time is still read after {sent} bytes"
    );
    // A connection served once and then left idle is closed; one opened and left
    // silent too.
    let mut kept = connect_from(here, server.addr);
    assert_eq!(get_on(&mut kept, "/healthz"), 200);
    assert!(closed_within(&mut kept, Duration::from_secs(30)));
    let mut silent = connect_from(here, server.addr);
    assert!(closed_within(&mut silent, Duration::from_secs(30)));
}

#[test]
fn beyond_the_total_cap_new_connections_are_closed_at_once_and_the_open_ones_served() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("total-cap");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(
        &db,
        &collector.signed,
        TODAY,
        &[
            "--max-connections",
            "4",
            "--idle-timeout",
            "600",
            "--head-timeout",
            "600",
        ],
    );
    let mut open: Vec<TcpStream> = (1..=4)
        .map(|a| connect_from(IpAddr::from([127, 0, 2, a]), server.addr))
        .collect();
    for stream in &mut open {
        assert_eq!(get_on(stream, "/healthz"), 200);
    }
    let mut fifth = connect_from(IpAddr::from([127, 0, 2, 5]), server.addr);
    assert!(closed_within(&mut fifth, Duration::from_secs(30)));
    for stream in &mut open {
        assert_eq!(get_on(stream, "/healthz"), 200, "still served");
    }
    // A place given back is taken again.
    open.pop();
    let deadline = Instant::now() + Duration::from_secs(30);
    let served = loop {
        let mut next = connect_from(IpAddr::from([127, 0, 2, 6]), server.addr);
        if next
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: collector\r\n\r\n")
            .is_ok()
        {
            let mut buf = [0u8; 64];
            next.set_read_timeout(Some(Duration::from_secs(30)))
                .expect("a read timeout");
            if let Ok(n) = next.read(&mut buf)
                && n > 0
            {
                break String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200");
            }
        }
        assert!(Instant::now() < deadline, "the place never came back");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(served);
    drop(open);
    // Asked once the places are free again (a new connection may be turned away
    // until the server has seen the others close).
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        match http::try_request(server.addr, "GET", "/metrics", &[], b"") {
            Ok(answer) if answer.status == 200 => break answer.text(),
            _ => {
                assert!(Instant::now() < deadline, "/metrics never answered");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    let refused: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("telemetry_connections_refused_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no count of refused connections in {metrics}"));
    assert!(refused >= 1, "{metrics}");
}
