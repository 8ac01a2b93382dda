//! The whole path, end to end: kv counts, a finished week's report goes to a collection
//! server started here, and the next day its counters are in the public data and on
//! the charts; a counter the config does not ask for is nowhere on the server.
//!
//! The server is the workspace's `telemetry-server` binary, and the command its
//! `telemetry` binary, which `cargo test --workspace` builds beside this test.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use telemetry_formats::config::Config;
use telemetry_formats::manifest::Manifest;
use telemetry_formats::report::{self, Report};
use telemetry_formats::{date, file, signature};
use test_support::{TempDir, counter_files, http, wait_for};

/// The counter the collector's config leaves out.
const LEFT_OUT: &str = "kv/commands/list";

/// A binary of the workspace built beside this test: `telemetry-server` or `telemetry`.
fn binary(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    // target/debug/deps/collector-… → target/debug/<name>
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join(name))
        .unwrap_or_default();
    assert!(
        path.exists(),
        "{} is not built: run `cargo test --workspace`, or `cargo build -p {package}` first",
        path.display()
    );
    path
}

fn server_binary() -> PathBuf {
    binary("telemetry-server", "transparent-telemetry-server")
}

struct Collector(Child, SocketAddr);

impl Collector {
    fn start(signed: &Path, db: &str, today: u64) -> Collector {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/kv-manifest.json");
        let mut child = Command::new(server_binary())
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--rate-limit",
                "0",
                "--db",
                db,
            ])
            .arg("--config")
            .arg(signed)
            .args(["--manifest", manifest])
            .env("TELEMETRY_SERVER_TODAY", date::format(today))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("its output");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("it says where it listens");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Collector(child, addr)
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kv(dir: &Path, args: &[&str], env: &[(&str, &str)]) {
    let status = Command::new(env!("CARGO_BIN_EXE_kv"))
        .arg("--dir")
        .arg(dir.join("store"))
        .args(args)
        .env_remove("DO_NOT_TRACK")
        .env_remove("TELEMETRY_MODE")
        .env("TELEMETRY_DIR", dir)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .status()
        .expect("kv runs");
    assert!(status.success(), "kv {args:?}");
}

#[test]
fn a_finished_week_of_kv_reaches_the_public_data_and_charts_and_nothing_else_does() {
    let dir = TempDir::new("kv-collector");
    let today = date::day_of(date::now_secs());
    // Upload was turned on 30 days ago, and this installation's weeks end on
    // yesterday's weekday.
    let ns = dir.join("default");
    std::fs::create_dir_all(ns.join("local")).expect("the namespace");
    std::fs::write(
        ns.join("mode"),
        format!("on {}\n", date::format(today - 30)),
    )
    .expect("mode");
    std::fs::write(
        ns.join("local").join("weekday"),
        format!("{}\n", date::weekday(today - 1)),
    )
    .expect("weekday");

    // kv counts for real; that week is then the one that just ended (its counter
    // file made into the report kv's worker would have made yesterday).
    kv(&dir, &["set", "a", "1"], &[]);
    kv(&dir, &["get", "a"], &[]);
    kv(&dir, &["get", "a"], &[]);
    kv(&dir, &["list"], &[]);
    let files = counter_files(&dir, "default");
    let contents: Vec<_> = files
        .iter()
        .map(|f| file::read(f).expect("a counter file"))
        .collect();
    for f in &files {
        std::fs::remove_file(f).expect("the file is moved to a finished week");
    }
    let week = report::build(today - 1, &contents, "", 0.5);
    assert_eq!(week.programs[0].counters["kv/commands/get"], 2);
    assert_eq!(week.programs[0].counters[LEFT_OUT], 1);
    std::fs::write(
        ns.join("local").join(format!("{}.json", week.week)),
        week.to_json(),
    )
    .expect("the week's report");

    // The collector: a config made from kv's manifest, less one counter, signed.
    let manifest = Manifest::parse_json(include_str!("../../../docs/kv-manifest.json"))
        .expect("kv's manifest");
    let mut config = Config::from_manifests(&[manifest]).expect("a config");
    config.programs[0].counters.retain(|c| c.name != LEFT_OUT);
    let (secret, key) = signature::keygen().expect("keys");
    let signed = dir.join("signed-config.json");
    std::fs::write(
        &signed,
        signature::sign(&config.to_json(), &secret).expect("signed"),
    )
    .expect("written");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = Collector::start(&signed, &db, today);

    // kv starts with the collector named: it exits at once, and its detached upload
    // child sends the week.
    let url = format!("http://{}", server.1);
    let key = key.to_string();
    kv(
        &dir,
        &["get", "a"],
        &[
            ("KV_COLLECTOR", &url),
            ("KV_COLLECTOR_KEY", &key),
            ("TELEMETRY_UPLOAD_LIMIT_SECS", "20"),
        ],
    );
    let upload = ns.join("upload");
    let receipt = wait_for("the receipt", Duration::from_secs(60), || {
        std::fs::read(upload.join(format!("{}.receipt.json", week.week))).ok()
    });
    // The child has ended once its run's record is written and its lock released.
    wait_for("the upload run to end", Duration::from_secs(60), || {
        (upload.join("last-run.json").exists() && telemetry_upload::lock::holder(&upload).is_none())
            .then_some(())
    });
    let receipt: serde_json::Value = serde_json::from_slice(&receipt).expect("JSON");
    assert_eq!(receipt["stored"], true, "{receipt}");
    let sent = Report::read(&upload.join(format!("{}.json", week.week))).expect("the copy");
    assert!(!sent.programs[0].counters.contains_key(LEFT_OUT));
    assert_eq!(sent.programs[0].counters["kv/commands/get"], 2);
    drop(server);

    // The next day it is public: the stored report is the one sent, and the left-out
    // counter is on no page (it is only on /counters, as declared and not collected).
    let server = Collector::start(&signed, &db, today + 1);
    let data = http::get(server.1, &format!("/data/{}.ndjson", date::format(today)));
    assert_eq!(data.status, 200, "{}", data.text());
    let lines: Vec<Report> = data
        .text()
        .lines()
        .map(|l| Report::parse(l.as_bytes()).expect("a report"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].programs[0].counters, sent.programs[0].counters);
    let charts = http::get(server.1, "/charts").text();
    let commands = charts
        .split("<h3 id=\"kv:kv/commands/*\">kv/commands/*</h3>")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .unwrap_or_else(|| panic!("no kv/commands/* chart in {charts}"));
    // One bar per command counted that week and collected: get and set; list is
    // left out. (The run that uploaded counts in this week, not that one.)
    assert_eq!(
        commands.matches("<rect class=\"bar\"").count(),
        2,
        "{commands}"
    );
    assert!(
        commands.contains("<title>kv/commands/get: 2 in 1 report</title>"),
        "{commands}"
    );
    assert!(!commands.contains(">list<"), "{commands}");
    for page in ["/", "/charts", "/data/", "/data/index.json"] {
        let text = http::get(server.1, page).text();
        assert!(!text.contains(LEFT_OUT), "{LEFT_OUT} on {page}");
    }
    let counters = http::get(server.1, "/counters").text();
    let row = counters
        .lines()
        .find(|l| l.contains(&format!("<code>{LEFT_OUT}</code>")))
        .expect("declared, on /counters");
    assert!(row.ends_with("<td>no</td></tr>"), "{row}");
}

/// `telemetry ARGS` for the installation at `dir` (or none), with `env`; its output,
/// after checking that it succeeded.
fn telemetry(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(binary("telemetry", "transparent-telemetry-cli"));
    for var in test_support::TELEMETRY_VARS {
        command.env_remove(var);
    }
    if let Some(dir) = dir {
        command.env("TELEMETRY_DIR", dir);
    }
    let output = command
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("telemetry runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "telemetry {args:?}: {text}");
    text
}

/// The README's "The collection server", step by step: a collector made from kv's
/// manifest; a user who turned upload on today sees this week in progress and when
/// the first week can go; a scratch installation made as it would have been 15 and 8
/// days ago (`TELEMETRY_DEBUG_DAYS_AGO`, debug builds only) uploads its finished week
/// at once, and the collector restarted as tomorrow publishes it: the counts kv made
/// are the ones on the server.
#[cfg(debug_assertions)]
#[test]
fn the_readme_path_shows_this_week_and_charts_a_week_counted_days_ago() {
    let scratch = TempDir::new("kv-readme");
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/kv-manifest.json");
    let collector = scratch.join("collector");
    std::fs::create_dir(&collector).expect("the collector's directory");
    let path = |name: &str| collector.join(name).display().to_string();
    telemetry(
        None,
        &[
            "config",
            "init",
            "--manifest",
            manifest,
            "--out",
            &path("config.json"),
        ],
        &[],
    );
    let keygen = telemetry(
        None,
        &["config", "keygen", "--out", &path("collector.key")],
        &[],
    );
    let key = keygen
        .lines()
        .find(|l| l.starts_with("ed25519:"))
        .unwrap_or_else(|| panic!("no public key in {keygen}"))
        .to_string();
    telemetry(
        None,
        &[
            "config",
            "sign",
            &path("config.json"),
            "--key",
            &path("collector.key"),
            "--out",
            &path("signed-config.json"),
        ],
        &[],
    );
    let signed = collector.join("signed-config.json");
    let db = format!("sqlite:{}", path("server.db"));
    let today = date::day_of(date::now_secs());
    let server = Collector::start(&signed, &db, today);
    let url = format!("http://{}", server.1);

    // Upload turned on today: this week stays local, and the dry run says until when.
    let first = scratch.join("first");
    telemetry(Some(&first), &["on"], &[]);
    kv(&first, &["demo"], &[]);
    let dry = telemetry(
        Some(&first),
        &["upload", "--dry-run", "--collector", &url, "--key", &key],
        &[],
    );
    assert!(
        dry.contains(
            " (in progress, counted so far): stays local: the week began before the day \
             upload was turned on\n  The first week that can go runs from "
        ),
        "{dry}"
    );
    assert!(dry.contains("\n  in   kv/commands/get\n"), "{dry}");
    assert!(!first.join("default").join("upload").exists(), "{dry}");

    // As it would have been: upload turned on 15 days ago, kv run 8 days ago.
    let second = scratch.join("second");
    telemetry(
        Some(&second),
        &["on"],
        &[("TELEMETRY_DEBUG_DAYS_AGO", "15")],
    );
    kv(&second, &["demo"], &[("TELEMETRY_DEBUG_DAYS_AGO", "8")]);
    let sent = telemetry(
        Some(&second),
        &["upload", "--collector", &url, "--key", &key],
        &[],
    );
    let week = sent
        .lines()
        .find_map(|l| l.strip_prefix("Week ")?.strip_suffix(": uploaded"))
        .unwrap_or_else(|| panic!("nothing uploaded: {sent}"))
        .to_string();
    let copy = Report::read(
        &second
            .join("default")
            .join("upload")
            .join(format!("{week}.json")),
    )
    .expect("the copy of what was sent");
    assert!(copy.programs[0].counters["kv/commands/get"] > 0, "{copy:?}");
    drop(server);

    // The collector, restarted as tomorrow, publishes today's reports.
    let server = Collector::start(&signed, &db, today + 1);
    let data = http::get(server.1, &format!("/data/{}.ndjson", date::format(today)));
    assert_eq!(data.status, 200, "{}", data.text());
    let published: Vec<Report> = data
        .text()
        .lines()
        .map(|l| Report::parse(l.as_bytes()).expect("a report"))
        .collect();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].week, week);
    assert_eq!(published[0].programs[0].counters, copy.programs[0].counters);
    let charts = http::get(server.1, "/charts").text();
    assert!(charts.contains("kv/commands"), "{charts}");
}
