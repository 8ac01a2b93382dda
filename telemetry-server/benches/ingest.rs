//! The server's costs per report, apart from HTTP: checking a report against the config
//! and the limits, and storing a batch of reports in SQLite (one transaction, one
//! synchronous commit), next to a baseline of parsing the same report.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use telemetry_formats::config::Config;
use telemetry_formats::date;
use telemetry_formats::report::Report;
use telemetry_server::publish::sha256_hex;
use telemetry_server::store::{Db, NewReport};
use telemetry_server::validate::{self, Declared, Limits};
use test_support::load::Maker;

fn config() -> Config {
    let text = include_str!("../../docs/kv-manifest.json");
    let manifest =
        telemetry_formats::manifest::Manifest::parse_json(text).expect("the kv manifest");
    Config::from_manifests(&[manifest]).expect("a config")
}

fn reports(n: usize) -> (Config, Vec<Vec<u8>>) {
    let config = config();
    let mut maker = Maker::new(config.clone());
    let today = date::day_of(date::now_secs());
    let bodies = (0..n)
        .map(|i| maker.report(today, (i % 7) as u64).to_json())
        .collect();
    (config, bodies)
}

fn checking(c: &mut Criterion) {
    let (config, bodies) = reports(64);
    let today = date::day_of(date::now_secs());
    let limits = Limits::default();
    let declared = Declared::default();
    let mut group = c.benchmark_group("server/report");
    group.bench_function("parse (baseline)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % bodies.len();
            black_box(Report::parse(&bodies[i]).is_ok())
        })
    });
    group.bench_function("parse, check, digest, receipt", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % bodies.len();
            let report = Report::parse(&bodies[i]).expect("a report");
            let accepted = validate::accept(&report, &config, &declared, today, &limits);
            let kept = accepted
                .kept
                .map(|k| serde_json::to_string(&k).unwrap_or_default());
            black_box((sha256_hex(&bodies[i]), kept, accepted.receipt.to_json()))
        })
    });
    group.finish();
}

fn storing(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("telemetry-server-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory");
    let db = runtime
        .block_on(Db::open(&format!(
            "sqlite:{}",
            dir.join("bench.db").display()
        )))
        .expect("the database");
    let (_, all) = reports(128);
    let mut next = 0u64;
    let mut group = c.benchmark_group("server/store");
    group.sample_size(20);
    for size in [1usize, 32, 128] {
        let bodies = &all[..size];
        group.bench_function(format!("sqlite, batch of {size}"), |b| {
            b.iter(|| {
                let batch: Vec<NewReport> = bodies
                    .iter()
                    .map(|body| {
                        next += 1;
                        NewReport {
                            week: "2026-11-28".into(),
                            x: next.to_string(),
                            digest: sha256_hex(body),
                            day: "2026-12-01".into(),
                            config: 1,
                            kept: Some(String::from_utf8_lossy(body).into_owned()),
                            kept_digest: Some(sha256_hex(&next.to_le_bytes())),
                            receipt: "{}".into(),
                        }
                    })
                    .collect();
                black_box(runtime.block_on(db.store(&batch)).expect("stored"))
            })
        });
    }
    group.finish();
    runtime.block_on(db.close());
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, checking, storing);
criterion_main!(benches);
