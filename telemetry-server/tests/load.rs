//! The load generator (the `load` example, `test_support::load`) does what
//! docs/BENCHMARKS.md relies on: every report it makes is one the server accepts whole
//! (filtered as a client filters it), each is distinct, and it stops at the count it
//! was given.

mod common;

use std::time::Duration;

use common::*;
use test_support::load::{self, Plan};

fn the_load_generator_sends_exactly_its_reports_and_all_are_stored(backend: Backend) {
    let collector = Collector::new(test_config(1));
    let today = telemetry_formats::date::format(telemetry_formats::date::day_of(
        telemetry_formats::date::now_secs(),
    ));
    for db in databases(&collector.dir, backend) {
        let server =
            ServerProcess::start(&db.url, &collector.signed, &today, &["--rate-limit", "0"]);
        let outcome = load::run(&Plan {
            url: format!("http://{}", server.addr),
            config: collector.signed.clone(),
            reports: 300,
            connections: 6,
            limit: Duration::from_secs(300),
            ..Plan::default()
        })
        .expect("the load generator runs");
        let text = outcome.to_string();
        assert!(text.starts_with("300 reports in "), "{text}");
        assert!(text.contains("; 0 failed;"), "{}: {text}", db.name);
        assert_eq!(outcome.ok, 300);
        assert_eq!(
            server.metric("telemetry_reports_accepted_total"),
            300,
            "{}",
            db.name
        );
        assert_eq!(server.metric("telemetry_reports_duplicate_total"), 0);
        for reason in [
            "not-in-config",
            "bad-frame",
            "build-not-allowed",
            "value-out-of-bounds",
        ] {
            assert_eq!(
                server.metric(&format!("telemetry_dropped_total{{reason=\"{reason}\"}}")),
                0,
                "{}: {reason}",
                db.name
            );
        }
    }
}

on_each_backend!(the_load_generator_sends_exactly_its_reports_and_all_are_stored,);

/// The days before and of today, by the clock the load generator dates its reports by.
fn yesterday_and_today() -> (String, String) {
    let today = telemetry_formats::date::day_of(telemetry_formats::date::now_secs());
    (
        telemetry_formats::date::format(today - 1),
        telemetry_formats::date::format(today),
    )
}

#[test]
fn beside_the_uploads_it_holds_half_open_connections_and_downloads_a_published_day() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("load-beside");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let (yesterday, today) = yesterday_and_today();
    let plan = |reports| Plan {
        config: collector.signed.clone(),
        reports,
        connections: 4,
        ..Plan::default()
    };
    // A day of reports, published by a server started the day after.
    let before = ServerProcess::start(&db, &collector.signed, &yesterday, &["--rate-limit", "0"]);
    let seeded = load::run(&Plan {
        url: format!("http://{}", before.addr),
        ..plan(200)
    })
    .expect("the day's reports are sent");
    assert_eq!((seeded.ok, seeded.failed), (200, 0));
    assert!(before.terminate());
    // The head deadline is long enough that no connection is closed by it in the run.
    let server = ServerProcess::start(
        &db,
        &collector.signed,
        &today,
        &["--rate-limit", "0", "--head-timeout", "600"],
    );
    let index: serde_json::Value =
        serde_json::from_slice(&server.get("/data/index.json").body).expect("JSON");
    assert_eq!(index["days"][0]["day"], yesterday.as_str(), "{index}");
    assert_eq!(index["days"][0]["reports"], 200);
    let path = format!("/data/{yesterday}.ndjson");
    let published = server.get(&path);
    assert_eq!(published.status, 200);
    assert_eq!(index["days"][0]["bytes"], published.body.len());

    let outcome = load::run(&Plan {
        url: format!("http://{}", server.addr),
        half_open: 60,
        downloaders: 2,
        download: path.clone(),
        ..plan(200)
    })
    .expect("the load generator runs");
    let text = outcome.to_string();
    assert_eq!((outcome.ok, outcome.failed), (200, 0), "{text}");
    assert_eq!(server.metric("telemetry_reports_accepted_total"), 200);

    // 25 from each address: all 60 held from start to end, none refused by the cap of
    // 32 per address.
    let half_open = outcome.half_open.clone().expect("half-open connections");
    assert_eq!(
        half_open,
        load::beside::HalfOpenOutcome {
            asked: 60,
            addresses: 3,
            at_start: 60,
            at_end: 60,
            fewest: 60,
            closed: 0,
            failed: 0,
            error: None,
        },
        "{text}"
    );
    assert!(
        text.contains(
            "half-open connections: 60 asked for, from 3 loopback addresses; 60 held at the \
             start, 60 at the end"
        ),
        "{text}"
    );
    assert_eq!(
        server.metric("telemetry_connections_refused_per_address_total"),
        0
    );

    // Every download is the published file, whole, with its digest as its ETag.
    let downloads = outcome.downloads.clone().expect("downloads");
    assert!(downloads.ok >= 2, "{text}");
    assert_eq!((downloads.failed, downloads.differed), (0, 0), "{text}");
    assert_eq!(downloads.length, published.body.len());
    assert_eq!(
        downloads.bytes,
        (downloads.ok * published.body.len()) as u64
    );
    assert_eq!(
        downloads.fingerprint,
        load::beside::fingerprint(&published.body)
    );
    let sha256 = index["days"][0]["sha256"].as_str().expect("a digest");
    assert_eq!(downloads.etag, Some(format!("\"{sha256}\"")));
    assert!(
        text.contains(&format!("downloads of {path}: 2 clients, ")),
        "{text}"
    );

    // Asked for gzip, each download is the day's compressed bytes, the same ETag.
    let compressed = http::request(
        server.addr,
        "GET",
        &path,
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    assert!(compressed.body.len() < published.body.len());
    let outcome = load::run(&Plan {
        url: format!("http://{}", server.addr),
        downloaders: 1,
        download: path.clone(),
        accept_encoding: "gzip".into(),
        ..plan(20)
    })
    .expect("the load generator runs");
    let downloads = outcome.downloads.clone().expect("downloads");
    assert_eq!(
        (outcome.ok, downloads.failed, downloads.differed),
        (20, 0, 0)
    );
    assert!(downloads.ok >= 1);
    assert_eq!(downloads.length, compressed.body.len());
    assert_eq!(
        downloads.fingerprint,
        load::beside::fingerprint(&compressed.body)
    );
    assert_eq!(downloads.etag, Some(format!("\"{sha256}\"")));
    assert!(
        outcome.to_string().contains(&format!(
            "downloads of {path} (Accept-Encoding: gzip): 1 client, "
        )),
        "{outcome}"
    );
}

#[test]
fn half_open_connections_the_server_closes_are_opened_again() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("load-reopen");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let (_, today) = yesterday_and_today();
    let server = ServerProcess::start(&db, &collector.signed, &today, &["--head-timeout", "1"]);
    let url = format!("http://{}", server.addr);
    let held = load::beside::HalfOpen::hold(&url, 30, &today).expect("30 connections open");
    // Each is closed by the head deadline, and opened again.
    test_support::wait_for("the server to close 30", Duration::from_secs(60), || {
        (held.closed() >= 30).then_some(())
    });
    test_support::wait_for("30 held again", Duration::from_secs(60), || {
        (held.held() == 30).then_some(())
    });
    let outcome = held.stop(30);
    assert!(outcome.closed >= 30, "{outcome}");
    assert_eq!((outcome.failed, outcome.addresses), (0, 2), "{outcome}");
    // The server still answers, and turned none away by its caps.
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(
        server.metric("telemetry_connections_refused_per_address_total"),
        0
    );
    assert_eq!(server.metric("telemetry_connections_refused_total"), 0);
}
