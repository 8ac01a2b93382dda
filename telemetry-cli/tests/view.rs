//! `telemetry view`, run for real: a child process serving a `TELEMETRY_DIR` that holds
//! two weekly reports, a counter file of the week still running, and an uploaded copy
//! with its receipt; pages fetched over loopback and checked exactly, and the directory
//! tree compared before and after.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use telemetry_formats::date;
use telemetry_formats::report::Report;
use test_support::http::{self, Response};
use test_support::{Running, TempDir, tree, wait_for};

/// The report whose charts are checked, and the week that was uploaded.
const WEEK: &str = "2026-11-26";
/// An older report, for the week links.
const OLDER: &str = "2026-11-19";
const CHAIN: &str = "kv/bug/corrupt-record\nkvlite/parse/parse-record\nkvlite/store/Store/get";
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `telemetry ARGS` with `TELEMETRY_DIR=root` and no other telemetry variable.
fn command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_telemetry"));
    command.args(args).env("TELEMETRY_DIR", root);
    command
        .env_remove("DO_NOT_TRACK")
        .env_remove("TELEMETRY_MODE");
    command
}

fn run(root: &Path, args: &[&str]) -> Output {
    command(root, args).output().unwrap()
}

/// A running `telemetry view` and the address it printed.
struct Viewer {
    addr: SocketAddr,
    printed: String,
    child: Running,
    _out: TempDir,
}

/// Starts `telemetry view ARGS` on `root` and waits for the line naming its address.
fn view(root: &Path, args: &[&str]) -> Viewer {
    // Its stdout goes to a file outside the telemetry directory, read as it grows.
    let out = TempDir::new("view-out");
    let stdout = out.join("stdout");
    let mut command = command(root, &[&["view"], args].concat());
    command
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(Stdio::inherit());
    let child = Running::spawn(&mut command);
    let printed = wait_for("the address line", Duration::from_secs(20), || {
        let text = fs::read_to_string(&stdout).ok()?;
        text.ends_with('\n').then_some(text)
    });
    let addr = printed
        .strip_prefix("Serving your telemetry on http://")
        .and_then(|rest| rest.strip_suffix(" (Ctrl-C to stop)\n"))
        .unwrap_or_else(|| panic!("unexpected first line: {printed:?}"))
        .parse()
        .unwrap();
    Viewer {
        addr,
        printed,
        child,
        _out: out,
    }
}

/// `GET path`, which must answer 200 with the strict headers.
fn page(viewer: &Viewer, path: &str) -> String {
    let response = http::get(viewer.addr, path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    assert_strict(&response);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    response.text()
}

fn assert_strict(response: &Response) {
    assert_eq!(response.header("content-security-policy"), Some(CSP));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

/// Sends `bytes` as they are and returns the status line of the answer.
fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer.lines().next().unwrap_or("").to_string()
}

/// The bars of the chart of `chart` (of kv) on a page: the SVG after its heading,
/// whose anchor is the full name.
fn bars(html: &str, chart: &str) -> usize {
    let heading = format!("<h3 id=\"kv:{chart}\">");
    let start = html
        .find(&heading)
        .unwrap_or_else(|| panic!("no chart {chart}"));
    let svg = &html[start..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    svg.matches("<rect class=\"bar\"").count()
}

fn report(week: &str, config: &str, counters: &[(&str, u64)], stacks: &[(&str, u64)]) -> Report {
    test_support::kv_report(week, 0.25, config, counters, stacks)
}

/// Writes a counter file of kv 0.1.0 for the week `begin..begin + 7` (days) holding
/// `counts`.
fn counter_file(local: &Path, begin: u64, counts: &[(&str, u64)]) {
    test_support::kv_counter_file(local, begin, counts);
}

const RECEIPT: &str = r#"{
  "format": 1,
  "week": "2026-11-26",
  "config": 3,
  "stored": true,
  "kept": {
    "programs": 1,
    "counters": 1,
    "stacks": 0
  },
  "dropped": [
    {
      "build": "kv 0.1.0 1.95.0 linux x86_64",
      "name": "kv/command:set",
      "reason": "not-in-config",
      "why": "the config does not ask for kv/command:set"
    }
  ]
}
"#;

/// A telemetry root with two local reports, a counter file of the week still running
/// (it ends on the returned day), and the upload of `WEEK` with its receipt.
fn populated(label: &str) -> (TempDir, String) {
    let root = TempDir::new(label);
    let local = root.join("default").join("local");
    let upload = root.join("default").join("upload");
    fs::create_dir_all(&local).unwrap();
    fs::create_dir_all(&upload).unwrap();
    let week = report(
        WEEK,
        "",
        &[
            ("kv/command:get", 12),
            ("kv/command:set", 4),
            ("kv/command:delete", 1),
            ("kvlite/get-latency:<1ms", 12),
            ("kvlite/get-latency:<10ms", 3),
        ],
        &[(CHAIN, 1)],
    );
    fs::write(local.join(format!("{WEEK}.json")), week.to_json()).unwrap();
    let older = report(OLDER, "", &[("kv/command:get", 2)], &[]);
    fs::write(local.join(format!("{OLDER}.json")), older.to_json()).unwrap();
    let today = date::day_of(date::now_secs());
    counter_file(
        &local,
        today - 3,
        &[("kv/command:get", 5), ("kv/command:scan", 2)],
    );
    let sent = report(WEEK, "3", &[("kv/command:get", 12)], &[]);
    fs::write(upload.join(format!("{WEEK}.json")), sent.to_json()).unwrap();
    fs::write(upload.join(format!("{WEEK}.receipt.json")), RECEIPT).unwrap();
    (root, date::format(today + 4))
}

#[test]
fn serves_the_charts_of_every_week_and_what_was_sent_and_writes_nothing() {
    let (root, running_end) = populated("view");
    let before = tree(&root);
    let viewer = view(&root, &[]);
    assert!(viewer.addr.ip().is_loopback());

    // `/` shows this week so far, from the counter file.
    let home = page(&viewer, "/");
    assert!(home.contains(&format!(
        "<p>Weeks: <strong>this week so far</strong> <a href=\"/?week={WEEK}\">{WEEK}</a> \
         <a href=\"/?week={OLDER}\">{OLDER}</a></p>"
    )));
    assert!(home.contains(&format!(
        "<p>The week that ends on {running_end}: this week so far.</p>"
    )));
    assert_eq!(bars(&home, "kv/command"), 2);
    // This machine's own counts are counts: no estimate, no interval, plurals right.
    assert!(home.contains("<title>kv/command:get: 5 in 1 report</title>"));
    assert!(home.contains("<title>kv/command:scan: 2 in 1 report</title>"));
    for word in ["≈", "(n=", "whisker"] {
        assert!(!home.contains(word), "{word}: {home}");
    }
    assert!(home.contains("Mode: <strong>local</strong> (default of a fresh install)"));

    // A report's week: one bar per bucket, the exact counts, the stack chain.
    let week = page(&viewer, &format!("/?week={WEEK}"));
    assert!(week.contains(&format!(
        "<p>Weeks: <a href=\"/?week={running_end}\">this week so far</a> \
         <strong>{WEEK}</strong> <a href=\"/?week={OLDER}\">{OLDER}</a></p>"
    )));
    assert!(week.contains(&format!("<p>The week that ended on {WEEK}.</p>")));
    assert_eq!(bars(&week, "kv/command"), 3);
    assert_eq!(bars(&week, "kvlite/get-latency"), 2);
    // Version, os, arch and toolchain have one bar each.
    assert_eq!(week.matches("<rect class=\"bar\"").count(), 4 + 3 + 2);
    assert!(week.contains("<title>kv/command:get: 12 in 1 report</title>"));
    assert!(week.contains("<title>kv/command:delete: 1 in 1 report</title>"));
    // Every chart and bar carries its full name as its anchor, and links to its page.
    assert!(week.contains(
        "<h3 id=\"kv:kv/command\"><a href=\"/trend?program=kv&amp;counter=kv/command\">kv/command</a></h3>"
    ));
    assert!(week.contains(
        "<g id=\"kv:kvlite/get-latency:&lt;1ms\"><a href=\"/trend?program=kv&amp;counter=kvlite/get-latency:%3C1ms\">"
    ));
    assert!(week.contains(
        "<code>kv/bug/corrupt-record</code><br><code>kvlite/parse/parse-record</code>\
         <br><code>kvlite/store/Store/get</code>"
    ));
    let older = page(&viewer, &format!("/?week={OLDER}"));
    assert_eq!(bars(&older, "kv/command"), 1);
    assert!(older.contains("<title>kv/command:get: 2 in 1 report</title>"));

    // Week by week: the program lists every name with its counts; a histogram's page
    // draws its buckets in the order of their bounds, with no interval.
    let trends = page(&viewer, "/trends?program=kv");
    assert!(trends.contains("<title>kv, week by week · telemetry view</title>"));
    assert!(trends.contains(
        "<tr id=\"kv:kv/command:get\"><td>&nbsp;&nbsp;<a href=\"/trend?program=kv&amp;counter=kv/command:get\"><code>kv/command:get</code></a></td>"
    ));
    assert!(!trends.contains("Reporting installations") && !trends.contains('≈'));
    let latency = page(&viewer, "/trend?program=kv&counter=kvlite/get-latency");
    assert!(latency.contains("<h1>kvlite/get-latency</h1>"));
    let first = latency.find("<title>kvlite/get-latency:&lt;1ms: 12 in 1 report</title>");
    let second = latency.find("<title>kvlite/get-latency:&lt;10ms: 3 in 1 report</title>");
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{latency}"
    );
    assert!(!latency.contains('≈') && !latency.contains("whisker"));
    let get = page(&viewer, "/trend?program=kv&counter=kv/command:get");
    assert!(get.contains("<h1>kv/command:get</h1>"));
    let missing = http::get(viewer.addr, "/trend?program=kv&counter=kv/none");
    assert_eq!(missing.status, 404);

    // `/sent`: the copy as sent and the receipt's dropped counter.
    let sent = page(&viewer, "/sent");
    assert!(sent.contains(&format!("<h2 id=\"{WEEK}\">The week ending {WEEK}</h2>")));
    assert!(
        sent.contains("filtered by config version 3: 1 program build, 1 counter, 0 stack chains.")
    );
    assert!(
        sent.contains("<tr><td><code>kv/command:get</code></td><td class=\"num\">12</td></tr>")
    );
    assert_eq!(sent.matches("<td class=\"num\">").count(), 1);
    assert!(sent.contains("<p>Stored: yes. Kept: 1 program build, 1 counter, 0 stack chains.</p>"));
    assert!(sent.contains("<p>Dropped: 1.</p>"));
    assert!(sent.contains(
        "<tr><td><code>kv/command:set</code></td><td>kv 0.1.0 1.95.0 linux x86_64</td>\
         <td>not-in-config</td><td>the config does not ask for kv/command:set</td></tr>"
    ));

    // The stylesheet, and what is not a page.
    let style = http::get(viewer.addr, "/style.css");
    assert_eq!(style.status, 200);
    assert_strict(&style);
    assert_eq!(
        style.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(style.text(), telemetry_pages::render::STYLE);
    let missing = http::get(viewer.addr, "/local/2026-11-26.json");
    assert_eq!(missing.status, 404);
    assert_strict(&missing);
    assert!(missing.text().contains("<p>There is no such page.</p>"));
    let post = http::post_json(viewer.addr, "/", b"{}");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET"));
    assert_strict(&post);

    // Another site's name resolving to 127.0.0.1 gets nothing; heads are bounded.
    let port = viewer.addr.port();
    assert_eq!(
        raw(
            viewer.addr,
            b"GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"
        ),
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(
        raw(
            viewer.addr,
            format!("GET /sent HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n").as_bytes()
        ),
        "HTTP/1.1 200 OK"
    );
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    assert_eq!(
        raw(viewer.addr, huge.as_bytes()),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );

    viewer.child.stop();
    assert_eq!(tree(&root), before, "telemetry view changed the directory");
}

#[test]
fn writes_nothing_in_mode_off_and_shows_the_data_still_there() {
    let (root, _) = populated("view-off");
    let off = run(&root, &["off"]);
    assert_eq!(off.status.code(), Some(0));
    let before = tree(&root);
    let viewer = view(&root, &[]);
    let home = page(&viewer, "/");
    assert!(home.contains(&format!(
        "Mode: <strong>off</strong> (mode file, chosen {})",
        date::format(date::day_of(date::now_secs()))
    )));
    assert_eq!(bars(&home, "kv/command"), 2);
    let sent = page(&viewer, "/sent");
    assert!(sent.contains("<td>not-in-config</td>"));
    viewer.child.stop();
    assert_eq!(tree(&root), before);
}

#[test]
fn with_no_data_yet_it_says_so_and_creates_nothing() {
    let root = TempDir::new("view-empty");
    let before = tree(&root);
    let viewer = view(&root, &[]);
    let home = page(&viewer, "/");
    assert!(
        home.contains("<p>Nothing counted yet: there is no weekly report and no counter file.</p>")
    );
    assert_eq!(home.matches("<svg").count(), 0);
    let sent = page(&viewer, "/sent");
    assert!(sent.contains(
        "<p>Nothing has been sent from this machine: there is no uploaded copy (mode local).</p>"
    ));
    viewer.child.stop();
    assert_eq!(tree(&root), before);
    assert!(!root.join("default").exists());
}

#[test]
fn listens_on_the_address_given() {
    let root = TempDir::new("view-addr");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let viewer = view(&root, &["--addr", &format!("127.0.0.1:{port}")]);
    assert_eq!(
        viewer.printed,
        format!("Serving your telemetry on http://127.0.0.1:{port} (Ctrl-C to stop)\n")
    );
    assert_eq!(http::get(viewer.addr, "/").status, 200);
    viewer.child.stop();

    // A port in use is an operational failure, named.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let output = run(&root, &["view", "--addr", &addr.to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!("telemetry: cannot listen on {addr}: ")),
        "{stderr}"
    );
    assert_eq!(output.stdout, b"");
}

#[test]
fn refuses_an_address_that_is_not_loopback() {
    let root = TempDir::new("view-refused");
    for addr in ["0.0.0.0:8080", "192.168.1.20:80", "[::]:8080"] {
        let output = run(&root, &["view", "--addr", addr]);
        assert_eq!(output.status.code(), Some(2), "{addr}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!(
                "telemetry: --addr {addr} is not a loopback address: `telemetry view` shows \
                 this machine's telemetry to this machine only (use 127.0.0.1:PORT or \
                 [::1]:PORT) (run `telemetry help` for usage)\n"
            )
        );
        assert_eq!(output.stdout, b"");
    }
    let output = run(&root, &["status", "--addr", "127.0.0.1:8080"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "telemetry: --addr is only for `view`, not `status` (run `telemetry help` for usage)\n"
    );
    let help = run(&root, &["help", "view"]);
    assert!(String::from_utf8_lossy(&help.stdout).starts_with(
        "Usage: telemetry view [--addr 127.0.0.1:PORT] [--dir DIR] [--namespace NAME]\n"
    ));
    assert!(!root.join("default").exists());
}

#[test]
fn a_second_view_of_the_same_namespace_says_where_the_first_is() {
    let (root, _) = populated("view-twice");
    let first = view(&root, &[]);
    let output = run(&root, &["view"]);
    assert_eq!(output.status.code(), Some(0));
    let out = String::from_utf8_lossy(&output.stdout);
    let prefix = format!(
        "telemetry view is already serving this telemetry on http://{} (process ",
        first.addr
    );
    let pid = out
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix("): open that address, or stop that process first.\n"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(pid.parse::<u32>().is_ok(), "{out}");
    // The same, when the first one's address is given.
    let output = run(&root, &["view", "--addr", &first.addr.to_string()]);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with(&prefix));
    // Another namespace is served beside it.
    let other = view(&root, &["--namespace", "other"]);
    assert_ne!(other.addr, first.addr);
    assert_eq!(http::get(other.addr, "/").status, 200);
    other.child.stop();
    first.child.stop();
}

/// The issue's attack: 32 connections each sending one byte of a request head every
/// 5 s. The pages are still answered meanwhile, and each such connection is closed
/// once its head is 10 s late, however steadily its bytes come.
#[test]
fn connections_trickling_their_heads_keep_nobody_from_the_pages() {
    let root = TempDir::new("view-slow");
    let viewer = view(&root, &[]);
    let mut slow: Vec<Option<TcpStream>> = (0..32)
        .map(|_| {
            let mut stream = TcpStream::connect(viewer.addr).unwrap();
            stream.write_all(b"G").unwrap();
            stream
                .set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            Some(stream)
        })
        .collect();
    let started = std::time::Instant::now();
    // Answered while all 32 are open and sending.
    assert_eq!(http::get(viewer.addr, "/").status, 200);
    let mut next_byte = started + Duration::from_secs(5);
    while slow.iter().any(Option::is_some) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} still open after 60 s",
            slow.iter().flatten().count()
        );
        for entry in &mut slow {
            let Some(stream) = entry else { continue };
            let mut buf = [0u8; 256];
            match stream.read(&mut buf) {
                // Closed, with a 408 or without a word.
                Ok(_) => *entry = None,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => *entry = None,
            }
        }
        if std::time::Instant::now() >= next_byte {
            for stream in slow.iter_mut().flatten() {
                let _ = stream.write_all(b"E");
            }
            next_byte += Duration::from_secs(5);
            assert_eq!(http::get(viewer.addr, "/sent").status, 200);
        }
    }
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "closed before their deadline: {:?}",
        started.elapsed()
    );
    viewer.child.stop();
}
