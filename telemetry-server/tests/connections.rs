//! What the server does with connections: whose uploads share a rate limit.

mod common;

use std::net::{IpAddr, SocketAddr};

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
