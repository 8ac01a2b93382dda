//! The load generator (`telemetry-server load`) does what docs/BENCHMARKS.md relies on:
//! every report it makes is one the server accepts whole (filtered as a client filters
//! it), each is distinct, and it stops at the count it was given.

mod common;

use std::process::Command;

use common::*;

#[test]
fn the_load_generator_sends_exactly_its_reports_and_all_are_stored() {
    let collector = Collector::new(test_config(1));
    let today = telemetry_formats::date::format(telemetry_formats::date::day_of(
        telemetry_formats::date::now_secs(),
    ));
    for db in databases(&collector.dir) {
        let server =
            ServerProcess::start(&db.url, &collector.signed, &today, &["--rate-limit", "0"]);
        let out = Command::new(binary())
            .args(["load", "--reports", "300", "--connections", "6", "--url"])
            .arg(format!("http://{}", server.addr))
            .arg("--config")
            .arg(&collector.signed)
            .output()
            .expect("the load generator runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {text}", db.name);
        assert!(text.starts_with("300 reports in "), "{text}");
        assert!(text.contains("; 0 failed;"), "{text}");
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
