//! Bad input gets a clean 4xx with a reason, never a 5xx, a panic or a hang: oversize,
//! compressed, malformed, deeply nested, mistyped, out-of-window and absurd uploads,
//! and a few hundred random mutations of a valid one; on every backend.

mod common;

use common::*;
use test_support::Rng;

const TODAY: &str = "2026-12-01";
const WEEK: &str = "2026-11-28";

fn start(db: &Database, collector: &Collector, extra: &[&str]) -> ServerProcess {
    let mut args = vec!["--rate-limit", "0"];
    args.extend_from_slice(extra);
    ServerProcess::start(&db.url, &collector.signed, TODAY, &args)
}

fn valid() -> telemetry_formats::report::Report {
    report(
        WEEK,
        0.5,
        &[("kv/command:get", 3)],
        &[("kv/bug/corrupt\nkv/commands/get", 1)],
    )
}

fn each_kind_of_bad_upload_gets_its_status_and_reason(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = start(&db, &collector, &[]);
        let path = format!("/upload/{WEEK}");
        let body = valid().to_json();
        let text = String::from_utf8_lossy(&body).to_string();
        let swap = |from: &str, to: &str| {
            assert!(text.contains(from), "{from} in the valid report");
            text.replacen(from, to, 1).into_bytes()
        };
        let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)).into_bytes();
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            (
                "not JSON",
                b"{\"format\": 1, ".to_vec(),
                400,
                "not a report",
            ),
            ("empty", Vec::new(), 400, "not a report"),
            ("deeply nested", nested, 400, "not a report"),
            (
                "a string for x",
                swap("\"x\": 0.5", "\"x\": \"0.5\""),
                400,
                "invalid type",
            ),
            (
                "x of 0",
                swap("\"x\": 0.5", "\"x\": 0.0"),
                400,
                "is not in (0, 1)",
            ),
            (
                "x of 1",
                swap("\"x\": 0.5", "\"x\": 1.0"),
                400,
                "is not in (0, 1)",
            ),
            (
                "an unknown field",
                swap("\"x\": 0.5", "\"x\": 0.5, \"id\": 7"),
                400,
                "unknown field `id`",
            ),
            (
                "a future format",
                swap("\"format\": 1", "\"format\": 2"),
                400,
                "newer than the format",
            ),
            (
                "a negative count",
                swap("\"kv/command:get\": 3", "\"kv/command:get\": -3"),
                400,
                "invalid value",
            ),
            (
                "a count past u64",
                swap(
                    "\"kv/command:get\": 3",
                    "\"kv/command:get\": 18446744073709551616",
                ),
                400,
                "not a report",
            ),
            (
                "a counter listed twice",
                swap(
                    "\"kv/command:get\": 3",
                    "\"kv/command:get\": 3, \"kv/command:get\": 5",
                ),
                400,
                "\"kv/command:get\" is listed twice",
            ),
            (
                "a chain listed twice",
                swap(
                    "\"kv/bug/corrupt\\nkv/commands/get\": 1",
                    "\"kv/bug/corrupt\\nkv/commands/get\": 1, \"kv/bug/corrupt\\nkv/commands/get\": 1",
                ),
                400,
                "is listed twice",
            ),
            (
                "a week that is no date",
                swap(WEEK, "2026-02-30"),
                400,
                "is not a date",
            ),
            (
                "another week than the path",
                swap(WEEK, "2026-11-27"),
                400,
                "posted to /upload/2026-11-28",
            ),
            (
                "no config version",
                swap("\"config\": \"1\"", "\"config\": \"\""),
                422,
                "not a config version",
            ),
            (
                "a config version with a zero",
                swap("\"config\": \"1\"", "\"config\": \"01\""),
                422,
                "not a config version",
            ),
            (
                "a bad last week",
                swap("\"last_week\": \"\"", "\"last_week\": \"2026-12-05\""),
                422,
                "last_week",
            ),
        ];
        let malformed = cases.iter().filter(|c| c.2 == 400).count() as u64;
        let unacceptable = cases.iter().filter(|c| c.2 == 422).count() as u64;
        for (what, body, status, reason) in cases {
            let answer = server.post(&path, &body);
            assert_eq!(answer.status, status, "{what}: {}", answer.text());
            assert!(answer.text().contains(reason), "{what}: {}", answer.text());
        }
        // Weeks outside the window, each posted to its own path.
        for week in ["2026-12-05", "2025-01-04", "1970-01-08"] {
            let mut r = valid();
            r.week = week.into();
            let answer = server.upload(&r);
            assert_eq!(answer.status, 422, "{week}: {}", answer.text());
            assert!(answer.text().contains("outside the accepted window"));
        }
        // Oversize, compressed, or not JSON at all: refused before reading a report.
        let mut big = valid();
        for i in 0..5000 {
            big.programs[0]
                .counters
                .insert(format!("kv/padding/{i:05}"), 1);
        }
        let answer = server.upload(&big);
        assert_eq!(answer.status, 413, "{}", answer.text());
        let gzip = http::request(
            server.addr,
            "POST",
            &path,
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
        );
        assert_eq!(gzip.status, 415);
        assert!(gzip.text().contains("compressed uploads are not accepted"));
        let form = http::request(
            server.addr,
            "POST",
            &path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        );
        assert_eq!(form.status, 415);
        assert_eq!(server.get("/upload/2026-11-28").status, 405);
        assert_eq!(server.get("/no/such/page").status, 404);
        assert_eq!(server.metric("telemetry_reports_accepted_total"), 0);
        // Each refusal is counted once, under its own name (the three weeks outside
        // the window are 422s too).
        assert_eq!(
            server.metric("telemetry_reports_malformed_total"),
            malformed,
            "{}",
            db.name
        );
        assert_eq!(
            server.metric("telemetry_reports_refused_total"),
            unacceptable + 3
        );
        assert_eq!(server.metric("telemetry_uploads_unacceptable_total"), 2);
        assert_eq!(server.metric("telemetry_uploads_store_errors_total"), 0);
        assert_eq!(server.get("/healthz").status, 200, "{}", db.name);
    }
}

fn absurd_parts_are_dropped_and_the_rest_kept(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = start(&db, &collector, &[]);
        let mut r = report(
            WEEK,
            0.25,
            &[
                ("kv/command:get", 2),
                ("kv/command:set", 0),
                ("kv/command:other", u64::MAX),
            ],
            &[
                ("kv/bug/corrupt\nkv/commands/get", 1),
                ("kv/bug/corrupt\nhas space", 1),
                ("kv/bug/corrupt\n<script>", 1),
            ],
        );
        let mut odd = r.programs[0].clone();
        odd.toolchain = "<img src=x>".into();
        r.programs.push(odd);
        for i in 0..20 {
            let mut extra = r.programs[0].clone();
            extra.version = format!("0.{}.0", i + 2);
            r.programs.push(extra);
        }
        let answer = server.upload(&r);
        assert_eq!(answer.status, 200, "{}", answer.text());
        let receipt: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
        let reasons = |code: &str| {
            receipt["dropped"]
                .as_array()
                .map_or(0, |d| d.iter().filter(|p| p["reason"] == code).count())
        };
        // Of 22 builds, six past the limit of 16 and one with a bad toolchain are dropped;
        // the other 15 keep their one sane counter and their one sane chain.
        assert_eq!(
            receipt["kept"],
            serde_json::json!({"programs": 15, "counters": 15, "stacks": 15})
        );
        assert_eq!(reasons("too-many"), 6);
        assert_eq!(reasons("bad-toolchain"), 1);
        assert_eq!(reasons("value-out-of-bounds"), 30);
        assert_eq!(reasons("bad-frame"), 30, "{}", db.name);
    }
}

fn random_mutations_of_a_report_never_get_a_server_error(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = start(&db, &collector, &[]);
        let path = format!("/upload/{WEEK}");
        let base = valid().to_json();
        let values: [&[u8]; 12] = [
            b"null",
            b"-1",
            b"1e309",
            b"\"\"",
            b"[]",
            b"{}",
            b"true",
            b"18446744073709551615",
            b"\"\\u0000\"",
            b"\"\\ud800\"",
            b"0.5",
            b"\"kv/command:get\"",
        ];
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut statuses = std::collections::BTreeMap::new();
        for case in 0..400 {
            let mut body = base.clone();
            for _ in 0..1 + rng.below(3) {
                match rng.below(4) {
                    0 => {
                        let i = rng.below(body.len());
                        body[i] = (rng.next_u64() & 0xff) as u8;
                    }
                    1 => {
                        let at = rng.below(body.len());
                        body.truncate(at);
                    }
                    2 => {
                        // Replace a token (a run of non-structural bytes) with an odd value.
                        let i = rng.below(body.len());
                        let end = body[i..]
                            .iter()
                            .position(|b| b",}]\n".contains(b))
                            .map_or(body.len(), |p| i + p);
                        let value = values[rng.below(values.len())];
                        body.splice(i..end, value.iter().copied());
                    }
                    _ => {
                        let i = rng.below(body.len());
                        let copy = body[i..(i + rng.below(40)).min(body.len())].to_vec();
                        let at = rng.below(body.len());
                        body.splice(at..at, copy);
                    }
                }
            }
            let answer = server.post(&path, &body);
            assert!(
                matches!(answer.status, 200 | 400 | 409 | 413 | 422),
                "case {case}: {} for {:?}: {}",
                answer.status,
                String::from_utf8_lossy(&body),
                answer.text()
            );
            if answer.status == 200 {
                // Whatever was accepted holds only what the config names.
                let receipt: serde_json::Value =
                    serde_json::from_slice(&answer.body).expect("a receipt");
                assert!(
                    receipt["kept"]["counters"].as_u64().is_some_and(|n| n <= 1),
                    "case {case}"
                );
            }
            *statuses.entry(answer.status).or_insert(0) += 1;
        }
        assert!(statuses.get(&400).is_some_and(|n| *n > 100), "{statuses:?}");
        assert_eq!(server.get("/healthz").status, 200);
        assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
    }
}

fn the_rate_limit_turns_away_a_burst_with_retry_after(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server =
            ServerProcess::start(&db.url, &collector.signed, TODAY, &["--rate-limit", "3"]);
        let statuses: Vec<u16> = (1..=5)
            .map(|i| {
                server
                    .upload(&report(WEEK, i as f64 / 8.0, &[("kv/command:get", 1)], &[]))
                    .status
            })
            .collect();
        assert_eq!(statuses, [200, 200, 200, 503, 503]);
        let refused = server.upload(&report(WEEK, 0.9, &[("kv/command:get", 1)], &[]));
        assert_eq!(refused.header("retry-after"), Some("3600"));
        assert_eq!(server.metric("telemetry_uploads_rate_limited_total"), 3);
        // Pages are not limited.
        assert_eq!(server.get("/").status, 200, "{}", db.name);
    }
}

#[test]
fn a_client_that_stops_half_way_through_its_body_gets_408_in_the_time_limit() {
    use std::io::{Read, Write};
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("slow");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(&db, &collector.signed, TODAY, &["--request-timeout", "1"]);
    let mut stream = std::net::TcpStream::connect(server.addr).expect("a connection");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("a read timeout");
    let started = std::time::Instant::now();
    stream
        .write_all(
            format!(
                "POST /upload/{WEEK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: 1000\r\n\r\n{{\"format\": 1,"
            )
            .as_bytes(),
        )
        .expect("half a request");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The server still serves others.
    assert_eq!(server.get("/healthz").status, 200);
}

/// A report in compact JSON, as an attacker writes it: one build of `kv` with the given
/// version and counters, each counted once.
fn compact(x: f64, version: &str, names: &[String]) -> Vec<u8> {
    let counters: Vec<String> = names.iter().map(|n| format!("\"{n}\":1")).collect();
    format!(
        "{{\"format\":1,\"week\":\"{WEEK}\",\"last_week\":\"\",\"x\":{x},\"config\":\"1\",\
         \"programs\":[{{\"program\":\"kv\",\"version\":\"{version}\",\"toolchain\":\"1.95.0\",\
         \"os\":\"linux\",\"arch\":\"x86_64\",\"counters\":{{{}}},\"stacks\":{{}}}}]}}",
        counters.join(",")
    )
    .into_bytes()
}

fn no_upload_within_the_body_limit_makes_the_server_produce_or_keep_much_more(backend: Backend) {
    const MAX_BODY: usize = 102_400;
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = start(&db, &collector, &[]);
        let path = format!("/upload/{WEEK}");
        // The attack as it was found: a 45 KB version (build metadata still matches
        // `>=0.1.0`) and 4,000 counters the config does not ask for.
        let long = format!("0.1.0+{}", "a".repeat(45_000));
        let names: Vec<String> = (0..4_000).map(|i| format!("kv/x{i}")).collect();
        let body = compact(0.5, &long, &names);
        assert!(body.len() <= MAX_BODY, "{}", body.len());
        let refused = server.post(&path, &body);
        assert_eq!(refused.status, 400, "{}", db.name);
        assert!(
            refused.text().contains("a version of 45006 bytes"),
            "{}",
            refused.text()
        );
        assert!(refused.body.len() < 200);

        // The worst that is accepted: the longest version, and as many counters the
        // config does not ask for as fit; three times over.
        let version = format!("0.1.0+{}", "b".repeat(58));
        let before = server.peak_memory();
        let (mut sizes, mut dropped) = (Vec::new(), Vec::new());
        for (i, x) in [0.25, 0.5, 0.75].into_iter().enumerate() {
            let mut names: Vec<String> = Vec::new();
            let mut len = compact(x, &version, &names).len();
            while len + 16 < MAX_BODY {
                let name = format!("kv/y{i}{:05}", names.len());
                len += name.len() + 5;
                names.push(name);
            }
            let body = compact(x, &version, &names);
            let answer = server.post(&path, &body);
            assert_eq!(answer.status, 200, "{}: {}", db.name, answer.text());
            let receipt: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
            // The receipt names the first 256 parts and counts the rest.
            assert_eq!(receipt["dropped"].as_array().map(Vec::len), Some(256));
            // Past 4,096 counters in a build the rest are dropped as too many.
            let unlisted: Vec<(String, usize)> = receipt["unlisted"]
                .as_array()
                .expect("the parts not listed")
                .iter()
                .map(|u| {
                    let reason = u["reason"].as_str().unwrap_or("").to_string();
                    (reason, u["parts"].as_u64().unwrap_or(0) as usize)
                })
                .collect();
            assert_eq!(
                unlisted.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(),
                ["not-in-config", "too-many"]
            );
            assert_eq!(
                unlisted.iter().map(|u| u.1).sum::<usize>(),
                names.len() - 256
            );
            assert_eq!(receipt["stored"], false);
            sizes.push((body.len(), answer.body.len()));
            dropped.push(names.len());
        }
        for (sent, answered) in &sizes {
            assert!(
                answered < &(2 * sent),
                "{}: {answered} bytes answered to {sent}",
                db.name
            );
        }
        // One row per report, holding its receipt and nothing else of it.
        assert_eq!(number(&db.url, "SELECT COUNT(*) FROM reports"), 3);
        assert_eq!(number(&db.url, "SELECT COUNT(kept) FROM reports"), 0);
        let stored = number(&db.url, "SELECT SUM(LENGTH(receipt)) FROM reports") as usize;
        assert!(
            stored < 3 * 2 * MAX_BODY,
            "{}: {stored} bytes stored",
            db.name
        );
        // Every part is counted, listed or not.
        assert_eq!(
            (server.metric("telemetry_dropped_total{reason=\"not-in-config\"}")
                + server.metric("telemetry_dropped_total{reason=\"too-many\"}"))
                as usize,
            dropped.iter().sum::<usize>()
        );
        let peak = server.peak_memory();
        assert!(
            peak < before + (64 << 20),
            "{}: peak memory grew from {} to {} MiB",
            db.name,
            before >> 20,
            peak >> 20
        );
        eprintln!(
            "{}: receipts {:?} bytes for bodies of {:?}; peak memory {} → {} MiB",
            db.name,
            sizes.iter().map(|s| s.1).collect::<Vec<_>>(),
            sizes.iter().map(|s| s.0).collect::<Vec<_>>(),
            before >> 20,
            peak >> 20
        );
    }
}

on_each_backend!(
    each_kind_of_bad_upload_gets_its_status_and_reason,
    absurd_parts_are_dropped_and_the_rest_kept,
    random_mutations_of_a_report_never_get_a_server_error,
    the_rate_limit_turns_away_a_burst_with_retry_after,
    no_upload_within_the_body_limit_makes_the_server_produce_or_keep_much_more,
);
