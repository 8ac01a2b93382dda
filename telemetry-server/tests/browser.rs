//! The public pages in a real browser: headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs) loads every page the server publishes, with known reports
//! published, and the test asserts that
//!
//! - no page logs anything to the console and no resource fails to load, under the
//!   server's strict `Content-Security-Policy`: an inline style or script, a missing
//!   favicon or stylesheet would each be an error; and the stylesheet is applied;
//! - the DOM Chromium renders (`--dump-dom`) holds one bar per bucket the reports
//!   imply, a histogram's buckets in bound order;
//! - a screenshot of the charts (`--screenshot`) is a PNG of the window's size.
//!
//! Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
//! JSON messages, each ending in a NUL byte, on file descriptors 3 and 4), which needs
//! neither a WebSocket client nor a port, and reports console messages, CSP violations
//! and every request with its status. A page that breaks the rules is loaded too, to
//! show that the check sees what it must.
//!
//! Without Chromium the test says so and passes, except in CI (`CI=true`), where a
//! missing browser is a failure. Each Chromium runs in a process group of its own,
//! with `HOME`, its profile and its crash database in a fresh directory; the test kills
//! the group and checks that no process naming that directory is left.

#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, PipeWriter, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const TODAY: &str = "2026-12-01";
const TOMORROW: &str = "2026-12-02";
const WEEK: &str = "2026-11-28";

/// Where Debian's package puts it.
const CHROMIUM: &str = "/usr/bin/chromium";

/// What Chromium needs as root on a closed network: without the background-networking
/// flags it tries to reach Google's services and its connections fail.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The most any one step of Chromium's may take.
const LIMIT: Duration = Duration::from_secs(60);

/// How long a loaded page must stay quiet before its events are judged.
const QUIET: Duration = Duration::from_millis(500);

/// The pages a reader visits.
const PAGES: [&str; 5] = ["/", "/charts", "/counters", "/data/", "/privacy"];

const SIGKILL: i32 = 9;
const F_DUPFD_CLOEXEC: i32 = 1030;

unsafe extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
    fn dup2(old: i32, new: i32) -> i32;
    fn fcntl(fd: i32, command: i32, ...) -> i32;
}

/// The browser, or `None` on a machine without it (a failure in CI).
fn chromium() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{CHROMIUM} is missing: in CI the browser test must run (.ci/run installs chromium)"
    );
    eprintln!("note: {CHROMIUM} is not installed; the browser test does not run");
    None
}

/// One Chromium and every process it starts, in a process group of their own, with
/// every file it writes under `root`; the group is killed when dropped.
struct Group {
    child: Option<Child>,
    root: TempDir,
}

impl Group {
    /// Starts Chromium with `args`, after `setup` had its say on the command.
    fn spawn(binary: &str, args: &[String], setup: impl FnOnce(&mut Command)) -> Group {
        let root = TempDir::new("chromium");
        let file = |name: &str| std::fs::File::create(root.join(name)).expect("a log file");
        let mut command = Command::new(binary);
        command
            .args(FLAGS)
            .arg(format!(
                "--user-data-dir={}",
                root.join("profile").display()
            ))
            .args(args)
            .env("HOME", root.join("home"))
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_CACHE_HOME", root.join("cache"))
            .stdin(Stdio::null())
            .stdout(file("stdout"))
            .stderr(file("stderr"))
            .process_group(0);
        setup(&mut command);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} starts: {e}"));
        Group {
            child: Some(child),
            root,
        }
    }

    /// What it wrote to `stdout` or `stderr`.
    fn output(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.root.join(name)).unwrap_or_default()
    }

    /// The end of its stderr, to explain a failure.
    fn complaint(&self) -> String {
        let text = String::from_utf8_lossy(&self.output("stderr")).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Waits, for at most [`LIMIT`], until the browser exits by itself.
    fn wait(&mut self, what: &str) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let exited = self.child.as_mut().expect("running").try_wait();
            match exited {
                Ok(Some(status)) => {
                    assert!(status.success(), "{what}: {status}\n{}", self.complaint());
                    return;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => panic!("{what}: no end within {LIMIT:?}\n{}", self.complaint()),
            }
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: `kill` on our own child's process group, with a valid signal
            // number, has no memory effects.
            unsafe {
                kill(-(child.id() as i32), SIGKILL);
            }
            let _ = child.wait();
        }
    }

    /// Kills the group and checks, for a few seconds, until no process names `root`
    /// (the crash handlers Chromium starts leave the group, and end on their own).
    fn stop(mut self) {
        self.kill();
        let root = self.root.display().to_string();
        test_support::wait_for(
            "every Chromium process to end",
            Duration::from_secs(10),
            || survivors(&root).is_empty().then_some(()),
        );
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The processes whose command line holds `text`.
fn survivors(text: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            path.file_name()?.to_str()?.parse::<u32>().ok()?;
            let line = std::fs::read(path.join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&line).replace('\0', " ");
            line.contains(text).then_some(line)
        })
        .collect()
}

/// Runs Chromium once on `url` (with `--dump-dom` or `--screenshot`) and returns what
/// it printed.
fn once(binary: &str, args: &[String], url: &str) -> Vec<u8> {
    let mut all = args.to_vec();
    all.push(url.to_string());
    let mut group = Group::spawn(binary, &all, |_| {});
    group.wait(&format!("chromium {}", args.join(" ")));
    let out = group.output("stdout");
    group.stop();
    out
}

/// Chromium driven over the DevTools protocol, with one page open.
struct DevTools {
    group: Group,
    to: PipeWriter,
    from: Receiver<Value>,
    next: u64,
    session: String,
    /// Events of the page's session since the last visit began.
    events: Vec<Value>,
}

/// What happened while a page loaded.
struct Visit {
    /// Console messages, exceptions, CSP violations, failed loads, error statuses.
    problems: Vec<String>,
    /// Every response: URL → (status, headers with lowercase names).
    responses: BTreeMap<String, (u64, BTreeMap<String, String>)>,
}

impl DevTools {
    fn start(binary: &str) -> DevTools {
        let (chromium_in, to) = std::io::pipe().expect("a pipe");
        let (from, chromium_out) = std::io::pipe().expect("a pipe");
        let (read, write) = (chromium_in.as_raw_fd(), chromium_out.as_raw_fd());
        let redirect = move || {
            // SAFETY: `fcntl` and `dup2` are async-signal-safe, so fit to run between
            // fork and exec, and act on descriptors this process owns. The copies above
            // 10 keep the two from overwriting each other on the way to 3 and 4.
            let ok = unsafe {
                let read = fcntl(read, F_DUPFD_CLOEXEC, 10);
                let write = fcntl(write, F_DUPFD_CLOEXEC, 10);
                read >= 0 && write >= 0 && dup2(read, 3) == 3 && dup2(write, 4) == 4
            };
            if ok {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        };
        let group = Group::spawn(
            binary,
            &["--remote-debugging-pipe".into(), "about:blank".into()],
            |command| {
                // SAFETY: `redirect` calls only async-signal-safe functions and does
                // not allocate.
                unsafe {
                    command.pre_exec(redirect);
                }
            },
        );
        drop((chromium_in, chromium_out));
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                message.pop_if(|b| *b == 0);
                let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                    continue;
                };
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        let mut devtools = DevTools {
            group,
            to,
            from: receiver,
            next: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let target = devtools.send(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"]
            .as_str()
            .expect("a target id")
            .to_string();
        let attached = devtools.send(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        devtools.session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        for domain in ["Page", "Network", "Log", "Runtime"] {
            devtools.call(&format!("{domain}.enable"), json!({}));
        }
        devtools
    }

    /// The next message, within what is left until `deadline`.
    fn receive(&mut self, deadline: Instant) -> Result<Value, RecvTimeoutError> {
        self.from
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    }

    /// Keeps an event if it is the page's.
    fn keep(&mut self, message: Value) {
        if message["sessionId"].as_str() == Some(self.session.as_str()) {
            self.events.push(message);
        }
    }

    /// Sends a command (to the page's session, or to the browser) and waits for its
    /// result, keeping the events that come first.
    fn send(&mut self, session: Option<String>, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        let mut bytes = serde_json::to_vec(&message).expect("JSON");
        bytes.push(0);
        self.to
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("{method}: {e}\n{}", self.group.complaint()));
        let deadline = Instant::now() + LIMIT;
        loop {
            let message = self.receive(deadline).unwrap_or_else(|e| {
                panic!(
                    "{method}: no answer from Chromium ({e})\n{}",
                    self.group.complaint()
                )
            });
            if message["id"].as_u64() == Some(id) {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.keep(message);
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.send(Some(self.session.clone()), method, params)
    }

    /// Evaluates `expression` in the page (DevTools is not bound by the page's CSP).
    fn evaluate(&mut self, expression: &str) -> Value {
        let answer = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        answer["result"]["value"].clone()
    }

    /// Loads `url`, waits for its load event and then for a quiet moment, and says
    /// what went wrong on the way.
    fn visit(&mut self, url: &str) -> Visit {
        self.visit_until(url, |_| true)
    }

    /// As [`DevTools::visit`], going on waiting (for at most [`LIMIT`]) after each
    /// quiet moment until `done` holds for what was seen.
    fn visit_until(&mut self, url: &str, done: impl Fn(&Visit) -> bool) -> Visit {
        self.events.clear();
        let navigated = self.call("Page.navigate", json!({"url": url}));
        assert!(navigated.get("errorText").is_none(), "{url}: {navigated}");
        let deadline = Instant::now() + LIMIT;
        let loaded = |events: &[Value]| events.iter().any(|e| e["method"] == "Page.loadEventFired");
        while !loaded(&self.events) {
            match self.receive(deadline) {
                Ok(message) => self.keep(message),
                Err(e) => panic!("{url}: no load event ({e})\n{}", self.group.complaint()),
            }
        }
        loop {
            match self.receive((Instant::now() + QUIET).min(deadline)) {
                Ok(message) => self.keep(message),
                Err(RecvTimeoutError::Timeout) => {
                    let visit = judge(&self.events);
                    if done(&visit) || Instant::now() >= deadline {
                        return visit;
                    }
                }
                Err(e) => panic!("{url}: {e}\n{}", self.group.complaint()),
            }
        }
    }

    /// Stops the browser, once the scan for survivors has shown it sees its processes.
    fn stop(self) {
        let running = survivors(&self.group.root.display().to_string());
        assert!(running.len() > 1, "Chromium's processes: {running:?}");
        self.group.stop();
    }
}

/// What the events of one page load say.
fn judge(events: &[Value]) -> Visit {
    let mut problems = Vec::new();
    let mut responses = BTreeMap::new();
    let mut urls: BTreeMap<String, String> = BTreeMap::new();
    for event in events {
        let params = &event["params"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        match event["method"].as_str().unwrap_or_default() {
            "Runtime.consoleAPICalled" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| a["value"].to_string())
                    .collect();
                problems.push(format!(
                    "console.{}: {}",
                    text(&params["type"]),
                    args.join(" ")
                ));
            }
            "Runtime.exceptionThrown" => {
                problems.push(format!("exception: {}", params["exceptionDetails"]));
            }
            "Log.entryAdded" => {
                let entry = &params["entry"];
                problems.push(format!(
                    "console {} {}: {} ({})",
                    text(&entry["source"]),
                    text(&entry["level"]),
                    text(&entry["text"]),
                    text(&entry["url"])
                ));
            }
            "Network.requestWillBeSent" => {
                urls.insert(text(&params["requestId"]), text(&params["request"]["url"]));
            }
            "Network.loadingFailed" => {
                let id = text(&params["requestId"]);
                problems.push(format!(
                    "failed to load {}: {} {}",
                    urls.get(&id).map_or("?", String::as_str),
                    text(&params["errorText"]),
                    text(&params["blockedReason"])
                ));
            }
            "Network.responseReceived" => {
                let response = &params["response"];
                let url = text(&response["url"]);
                let status = response["status"].as_u64().unwrap_or(0);
                if status >= 400 {
                    problems.push(format!("{url}: status {status}"));
                }
                let headers = response["headers"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.to_ascii_lowercase(), text(v)))
                    .collect();
                responses.insert(url, (status, headers));
            }
            _ => {}
        }
    }
    Visit {
        problems,
        responses,
    }
}

/// A page that breaks the rules the public pages keep: an inline style under the
/// server's CSP, a stylesheet that is not there, no favicon link (so Chromium asks
/// for `/favicon.ico`, which is not there either). Served at `/bad` on a loopback port,
/// every other path a 404, by threads that live as long as the test process.
fn bad_site() -> String {
    const PAGE: &str = "<!DOCTYPE html><html><head><title>bad</title>\
        <link rel=\"stylesheet\" href=\"/missing.css\"></head>\
        <body><p style=\"color:red\">an inline style</p></body></html>";
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(LIMIT));
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                let mut header = String::from("-");
                while !header.trim().is_empty() {
                    header.clear();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 {
                        break;
                    }
                }
                let (status, body) = if request.starts_with("GET /bad ") {
                    ("200 OK", PAGE)
                } else {
                    ("404 Not Found", "")
                };
                let _ = write!(
                    &stream,
                    "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n\
                     content-security-policy: default-src 'none'; style-src 'self'; \
                     img-src 'self' data:\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

/// The reports uploaded on [`TODAY`]: `kv/command` has two of its three labels, the
/// latency histogram all three buckets, with estimates in neither bound nor name order.
fn known_reports() -> Vec<telemetry_formats::report::Report> {
    vec![
        report(
            WEEK,
            0.125,
            &[
                ("kv/command:get", 3),
                ("kv/command:other", 1),
                ("kv/commands/get", 3),
                ("kv/latency:<1ms", 1),
                ("kv/latency:<10ms", 5),
            ],
            &[("kv/bug/corrupt\nkv/a\nkv/b", 1)],
        ),
        report(
            WEEK,
            0.25,
            &[("kv/command:get", 2), ("kv/latency:>=10ms", 3)],
            &[],
        ),
        report(
            WEEK,
            0.5,
            &[("kv/command:other", 5), ("kv/latency:<10ms", 2)],
            &[],
        ),
    ]
}

/// The tooltips of the bars of chart `chart` (of kv) in a rendered DOM, in the order
/// drawn: the SVG right after the chart's `<h3>`, whose anchor is its full name.
fn bars(dom: &str, chart: &str) -> Vec<String> {
    let heading = format!("<h3 id=\"kv:{chart}\">");
    let start = dom
        .find(&heading)
        .unwrap_or_else(|| panic!("no chart {chart} in the DOM"))
        + heading.len();
    let rest = &dom[start..];
    let svg = rest.find("<svg").expect("an SVG after the heading");
    assert!(!rest[..svg].contains("<h3"), "{chart}: no SVG of its own");
    let end = rest[svg..].find("</svg>").expect("the SVG ends") + svg;
    rest[svg..end]
        .split("<rect class=\"bar\"")
        .skip(1)
        .map(|bar| {
            let title = bar.split_once("<title>").expect("a tooltip").1;
            let title = title.split_once("</title>").expect("its end").0;
            title
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn the_public_pages_load_cleanly_and_draw_the_charts_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let started = Instant::now();
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("browser");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(&db, &collector.signed, TODAY, &[]);
    for sent in known_reports() {
        let answer = server.upload(&sent);
        assert_eq!(answer.status, 200, "{}", answer.text());
        let receipt: Value = serde_json::from_slice(&answer.body).expect("a JSON receipt");
        assert_eq!(receipt["stored"], true, "{receipt}");
        assert_eq!(receipt["dropped"], json!([]), "{receipt}");
    }
    assert!(server.terminate(), "a clean shutdown");
    // The next day, the reports are published.
    let server = ServerProcess::start(&db, &collector.signed, TOMORROW, &[]);
    let base = format!("http://{}", server.addr);

    let mut browser = DevTools::start(chromium);
    for page in PAGES {
        let url = format!("{base}{page}");
        let visit = browser.visit(&url);
        assert!(
            visit.problems.is_empty(),
            "{page} in Chromium:\n  {}",
            visit.problems.join("\n  ")
        );
        // The page came with the strict policy, and its stylesheet loaded and applies.
        let (status, headers) = visit.responses.get(&url).expect("the page's response");
        assert_eq!(*status, 200, "{page}");
        let policy = headers
            .get("content-security-policy")
            .map_or("", String::as_str);
        assert!(
            policy.contains("default-src 'none'") && policy.contains("style-src 'self'"),
            "{page}: policy {policy:?}"
        );
        let css = visit.responses.get(&format!("{base}/style.css"));
        assert_eq!(css.map(|r| r.0), Some(200), "{page}: /style.css");
        assert_eq!(
            browser.evaluate("getComputedStyle(document.body).maxWidth"),
            "960px",
            "{page}: the stylesheet is applied"
        );
        if page == "/charts" {
            assert_eq!(
                browser.evaluate(
                    "getComputedStyle(document.querySelector('svg.chart rect.bar')).fill"
                ),
                "rgb(59, 110, 168)",
                "the bars are drawn in the stylesheet's colour"
            );
        }
    }
    // The check sees what it must: an inline style under the server's CSP, a stylesheet
    // and a favicon that are not there, a page that is not there on this server. After
    // the pages, since Chromium asks a site for its favicon once.
    let bad = bad_site();
    let expected = [
        "inline style".to_string(),
        format!("{bad}/missing.css: status 404"),
        format!("{bad}/favicon.ico: status 404"),
    ];
    let seen = |visit: &Visit| {
        let said = visit.problems.join("\n  ");
        expected.iter().all(|e| said.contains(e.as_str()))
    };
    let said = browser
        .visit_until(&format!("{bad}/bad"), seen)
        .problems
        .join("\n  ");
    for e in &expected {
        assert!(said.contains(e.as_str()), "{e} is seen:\n  {said}");
    }
    let missing = browser.visit(&format!("{base}/no-such-page"));
    assert!(
        missing.problems.iter().any(|p| p.contains("status 404")),
        "a missing page is seen: {:?}",
        missing.problems
    );

    browser.stop();

    // The DOM as Chromium built it: one bar per bucket the reports carried.
    let dom = once(chromium, &["--dump-dom".into()], &format!("{base}/charts"));
    let dom = String::from_utf8(dom).expect("the DOM is UTF-8");
    assert!(dom.contains("<p>3 reports"), "{dom}");
    assert_eq!(
        bars(&dom, "kv/command"),
        [
            "kv/command:other: 6 in 2 of 3 reports",
            "kv/command:get: 5 in 2 of 3 reports"
        ],
        "kv/command: the two labels reported, the larger first"
    );
    assert_eq!(
        bars(&dom, "kv/latency"),
        [
            "kv/latency:<1ms: 1 in 1 of 3 reports",
            "kv/latency:<10ms: 7 in 2 of 3 reports",
            "kv/latency:>=10ms: 3 in 1 of 3 reports"
        ],
        "kv/latency: every bucket, in bound order"
    );
    assert_eq!(
        bars(&dom, "kv/commands/*"),
        ["kv/commands/get: 3 in 1 of 3 reports"]
    );
    for tally in ["version", "os", "arch", "toolchain"] {
        assert_eq!(bars(&dom, tally).len(), 1, "{tally}");
    }
    assert_eq!(dom.matches("<rect class=\"bar\"").count(), 4 + 2 + 1 + 3);

    // A screenshot: a PNG of the window's size, with something drawn in it.
    let png = dir.join("charts.png");
    once(
        chromium,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,2400".into(),
        ],
        &format!("{base}/charts"),
    );
    let bytes = std::fs::read(&png).expect("the screenshot is written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!((size(16), size(20)), (1200, 2400), "the window's size");
    // One line of text makes some 14 kB at this size; these charts, some 78 kB.
    assert!(
        bytes.len() > 40_000,
        "{} bytes: next to nothing drawn",
        bytes.len()
    );

    eprintln!(
        "browser test: {} pages, a DOM and a screenshot in {:.1?}",
        PAGES.len(),
        started.elapsed()
    );
}
