//! The JSON API and the trend pages as an analyst meets them, on every backend: the
//! numbers are those `telemetry_pages::series` computes from the published reports
//! (one computation, two forms), answers carry an `ETag` and honour `If-None-Match`,
//! and bad queries get a clear refusal.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};
use telemetry_formats::report::Report;
use telemetry_pages::{Aggregate, ConfigRates, series};

const TODAY: &str = "2026-12-01";
const TOMORROW: &str = "2026-12-02";
const WEEK: &str = "2026-11-28";

fn json_of(response: &Response) -> Value {
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{}",
        response.text()
    );
    serde_json::from_slice(&response.body).expect("the answer is JSON")
}

/// Twenty reports of the test config's `kv`: every one counts `kv/command:get`, every
/// other one `kv/command:set`; those with `x` at most 0.5 carry `kv/rare` (rate 0.5).
fn reports() -> Vec<Report> {
    (1..=20u64)
        .map(|i| {
            let x = i as f64 / 21.0;
            let mut counters = vec![("kv/command:get", i)];
            if i % 2 == 0 {
                counters.push(("kv/command:set", 1));
            }
            if x <= 0.5 {
                counters.push(("kv/rare", 3));
            }
            report(WEEK, x, &counters, &[])
        })
        .collect()
}

/// The published day's reports, aggregated here as the server aggregates them.
fn aggregate_of(ndjson: &str, collector: &Collector) -> (Aggregate, BTreeMap<String, ConfigRates>) {
    let rates = ConfigRates::new(&collector.config);
    let mut aggregate = Aggregate::new();
    for line in ndjson.lines() {
        let report = Report::parse(line.as_bytes()).expect("a published report");
        aggregate.add(&report, &rates);
    }
    (aggregate, BTreeMap::from([("1".to_string(), rates)]))
}

/// The example answer of `GET /api/v1/series` in docs/SERVER.md.
fn documented_series() -> Value {
    let doc = include_str!("../../docs/SERVER.md");
    let at = doc
        .find("`GET /api/v1/series?program=kv&counter=kv/command:get`")
        .expect("the API's section");
    let block = doc[at..]
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("its example");
    serde_json::from_str(block).expect("the example is JSON")
}

fn the_api_answers_with_the_pages_computation_of_the_published_reports(backend: Backend) {
    let collector = Collector::new(test_config(1));
    for db in databases(&collector.dir, backend) {
        let server = ServerProcess::start(&db.url, &collector.signed, TODAY, &[]);
        for r in reports() {
            assert_eq!(server.upload(&r).status, 200, "{}", db.name);
        }
        // Nothing is published before the day is over: no program yet.
        let early = server.get("/api/v1/participation?program=kv");
        assert_eq!(early.status, 404, "{}", db.name);
        assert_eq!(
            json_of(&early),
            json!({"error": "program `kv` has no published reports"})
        );
        drop(server);
        let server = ServerProcess::start(&db.url, &collector.signed, TOMORROW, &[]);
        let published = server.get(&format!("/data/{TODAY}.ndjson")).text();
        let (aggregate, rates) = aggregate_of(&published, &collector);

        // A counter every report carries, at rate 1: exact counts.
        let get = json_of(&server.get("/api/v1/series?program=kv&counter=kv/command:get"));
        assert_eq!(get["program"], "kv");
        assert_eq!(get["counter"], "kv/command:get");
        assert_eq!(get["level"], 0.95);
        let week = &get["weeks"][0];
        assert_eq!(get["weeks"].as_array().map(Vec::len), Some(1));
        assert_eq!(week["week"], WEEK);
        assert_eq!(week["reports"], 20);
        assert_eq!(week["carrying"], 20);
        assert_eq!(week["estimate"], 210.0, "{}: 1 + 2 + … + 20", db.name);
        assert_eq!(
            (week["low"].clone(), week["high"].clone()),
            (json!(210.0), json!(210.0))
        );
        assert_eq!(week["exact"], true);
        let expected = series::series(&aggregate, &rates, "kv", "kv/command:get", 0.95);
        assert_eq!(
            get,
            serde_json::to_value(expected).expect("JSON"),
            "{}",
            db.name
        );
        assert_eq!(
            get,
            documented_series(),
            "docs/SERVER.md's example is this answer"
        );

        // A sampled counter: an estimate with an interval, the same as computed here.
        let rare = json_of(&server.get("/api/v1/series?program=kv&counter=kv%2Frare&level=90"));
        let week = &rare["weeks"][0];
        assert_eq!(week["carrying"], 10, "{}: x = 1/21 … 10/21", db.name);
        assert_eq!(week["estimate"], 60.0, "{}: 10 × 3 ÷ 0.5", db.name);
        assert!(week["low"].as_f64() < Some(60.0) && week["high"].as_f64() > Some(60.0));
        assert_eq!(week["exact"], false);
        assert_eq!(rare["level"], 0.9);
        let expected = series::series(&aggregate, &rates, "kv", "kv/rare", 0.9);
        assert_eq!(
            rare,
            serde_json::to_value(expected).expect("JSON"),
            "{}",
            db.name
        );

        // A family: one entry per member, each with its weeks.
        let family = json_of(&server.get("/api/v1/series?program=kv&counter=kv/command"));
        assert_eq!(family["kind"], "family");
        let members: Vec<(&str, u64)> = family["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| {
                (
                    m["counter"].as_str().unwrap_or(""),
                    m["weeks"][0]["carrying"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(
            members,
            [
                ("kv/command:get", 20),
                ("kv/command:other", 0),
                ("kv/command:set", 10)
            ]
        );

        // Participation: reports ÷ the sample rate (1 here: exact).
        let participation = json_of(&server.get("/api/v1/participation?program=kv"));
        assert_eq!(participation["program"], "kv");
        let week = &participation["weeks"][0];
        assert_eq!(
            (
                week["week"].clone(),
                week["reports"].clone(),
                week["installations"].clone(),
                week["low"].clone(),
                week["high"].clone()
            ),
            (
                json!(WEEK),
                json!(20),
                json!(20.0),
                json!(20.0),
                json!(20.0)
            )
        );
        assert_eq!(week["versions"][0]["value"], "0.1.0");
        let expected = series::participation(&aggregate, "kv", 0.95);
        assert_eq!(
            participation,
            serde_json::to_value(expected).expect("JSON"),
            "{}",
            db.name
        );

        // The trend pages are drawn from the same numbers.
        let page = server.get("/trend?program=kv&counter=kv%2Frare");
        assert_eq!(page.status, 200, "{}", db.name);
        let html = page.text();
        assert!(html.contains("<title>kv/rare"), "{html}");
        assert!(html.contains("10 of 20 reports"), "{html}");
        let trends = server.get("/trends?program=kv").text();
        assert!(trends.contains("Reporting installations"), "{trends}");
        assert!(
            trends.contains("href=\"/trend?program=kv&amp;counter=kv/rare\""),
            "{trends}"
        );
        let decide = server.get("/decide?program=kv&below=60%25");
        assert_eq!(decide.status, 200, "{}", decide.text());
        assert!(
            decide.text().contains("Used by fewer than 60%"),
            "{}",
            decide.text()
        );
        let index = server.get("/trends").text();
        assert!(index.contains("href=\"/trends?program=kv\""), "{index}");
    }
}

#[test]
fn answers_carry_an_etag_that_changes_only_with_the_data() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("api-etag");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(&db, &collector.signed, TODAY, &[]);
    for r in reports() {
        assert_eq!(server.upload(&r).status, 200);
    }
    drop(server);
    let server = ServerProcess::start(&db, &collector.signed, TOMORROW, &[]);
    let path = "/api/v1/series?program=kv&counter=kv/command:get";
    let first = server.get(path);
    let etag = first.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert!(
        first
            .header("cache-control")
            .is_some_and(|c| c.contains("max-age"))
    );
    assert_eq!(
        server.get(path).header("etag"),
        Some(etag.as_str()),
        "stable"
    );
    let again = http::request(server.addr, "GET", path, &[("If-None-Match", &etag)], b"");
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = http::request(server.addr, "GET", path, &[("If-None-Match", "\"x\"")], b"");
    assert_eq!(other.status, 200);
    // Another question, another tag; the pages have theirs too.
    let level = server.get(&format!("{path}&level=99"));
    assert_ne!(level.header("etag"), Some(etag.as_str()));
    let page = server.get("/trends?program=kv");
    let page_tag = page.header("etag").expect("the page's ETag").to_string();
    let page_again = http::request(
        server.addr,
        "GET",
        "/trends?program=kv",
        &[("If-None-Match", &page_tag)],
        b"",
    );
    assert_eq!(page_again.status, 304);
    // A new day published: new numbers, a new tag.
    let late = report(WEEK, 0.99, &[("kv/command:get", 1000)], &[]);
    assert_eq!(server.upload(&late).status, 200);
    drop(server);
    let server = ServerProcess::start(&db, &collector.signed, "2026-12-03", &[]);
    let after = server.get(path);
    assert_ne!(after.header("etag"), Some(etag.as_str()));
    assert_eq!(json_of(&after)["weeks"][0]["estimate"], 1210.0);
    let stale = http::request(server.addr, "GET", path, &[("If-None-Match", &etag)], b"");
    assert_eq!(stale.status, 200);
}

#[test]
fn bad_queries_are_refused_with_the_reason() {
    let collector = Collector::new(test_config(1));
    let dir = TempDir::new("api-bad");
    let db = format!("sqlite:{}", dir.join("server.db").display());
    let server = ServerProcess::start(&db, &collector.signed, TODAY, &[]);
    assert_eq!(server.upload(&reports()[0]).status, 200);
    drop(server);
    let server = ServerProcess::start(&db, &collector.signed, TOMORROW, &[]);
    let refused = |path: &str, status: u16| -> String {
        let response = server.get(path);
        assert_eq!(response.status, status, "{path}: {}", response.text());
        json_of(&response)["error"]
            .as_str()
            .expect("an error")
            .to_string()
    };
    assert_eq!(
        refused("/api/v1/series?counter=kv/rare", 400),
        "`program` is required"
    );
    assert_eq!(
        refused("/api/v1/series?program=kv", 400),
        "`counter` is required"
    );
    assert_eq!(
        refused("/api/v1/series?program=kv&counter=kv/rare&colour=red", 400),
        "unknown parameter `colour`; this address takes `program`, `counter`, `level`"
    );
    assert_eq!(
        refused("/api/v1/participation?program=kv&program=kv", 400),
        "`program` is given twice"
    );
    assert_eq!(
        refused("/api/v1/participation?program=kv&level=100", 400),
        "`level` is `100`; it must be from 50 to 99.9 (a percentage) or 0.5 to 0.999"
    );
    assert_eq!(
        refused("/api/v1/series?program=kv&counter=kv/nothing", 404),
        "program `kv` has no counter `kv/nothing` in any published week or config"
    );
    assert_eq!(
        refused("/api/v1/participation?program=nobody", 404),
        "program `nobody` has no published reports"
    );
    assert!(
        refused(
            &format!("/api/v1/participation?program={}", "a".repeat(201)),
            400
        )
        .ends_with("the limit is 200")
    );
    assert!(refused("/api/v2/series", 404).starts_with("no such API address"));
    let long = format!(
        "/api/v1/participation?program=kv&level={}",
        "9".repeat(30_000)
    );
    let response = server.get(&long);
    assert!(
        response.status == 414 || response.status == 431,
        "{}: {}",
        response.status,
        response.text()
    );
    // The pages refuse alike, as pages.
    let page = server.get("/decide?program=kv&below=2");
    assert_eq!(page.status, 400);
    assert!(
        page.text().contains("must be a share above 0"),
        "{}",
        page.text()
    );
    let page = server.get("/trend?program=kv&counter=kv/nothing");
    assert_eq!(page.status, 404);
    // Still serving.
    assert_eq!(server.get("/api/v1/participation?program=kv").status, 200);
}

on_each_backend!(the_api_answers_with_the_pages_computation_of_the_published_reports);
