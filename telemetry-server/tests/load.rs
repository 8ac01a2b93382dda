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
