//! Building a week's report: reading its counter file of 10,000 counters, each counted,
//! merging, and encoding the JSON: `cargo bench -p transparent-telemetry-formats --bench
//! report`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use telemetry_formats::file::format::{self, Header, META_KEYS, OFF_LIMIT, place};
use telemetry_formats::file::{self, Contents};
use telemetry_formats::report;

/// The bytes of a counter file holding `names`, every count set to its index + 1.
fn counted_file(names: &[String]) -> Vec<u8> {
    let header = Header {
        meta: META_KEYS
            .iter()
            .map(|k| (k.to_string(), format!("{k}-1")))
            .collect(),
        begin: 20_000 * 86_400,
        end: 20_007 * 86_400,
    };
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut bytes = format::encode_new(&header, &refs).expect("fits");
    let (_, layout, _) = format::parse_header(&bytes).expect("valid");
    let mut limit = layout.records_start;
    for (i, name) in names.iter().enumerate() {
        let (start, end) = place(limit, name.len()).expect("fits");
        let at = start as usize;
        bytes[at..at + 8].copy_from_slice(&(i as u64 + 1).to_ne_bytes());
        limit = end;
    }
    assert_eq!(format::get_u64(&bytes, OFF_LIMIT), limit);
    bytes
}

fn build(c: &mut Criterion) {
    let names: Vec<String> = (0..10_000)
        .map(|i| format!("bench-program/area-{}/counter-{i}", i % 37))
        .collect();
    let dir = std::env::temp_dir().join(format!("telemetry-report-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench@1-1-1-1-2024-10-04.v1.count");
    std::fs::write(&path, counted_file(&names)).unwrap();
    let contents = file::read(&path).unwrap();
    assert_eq!(
        contents.counters.iter().filter(|(_, v)| *v > 0).count(),
        10_000
    );
    c.bench_function(
        "report of a week: read a 10,000-counter file, merge, encode",
        |b| {
            b.iter(|| {
                let contents: Contents = file::read(black_box(&path)).expect("readable");
                let report = report::build(20_007, std::slice::from_ref(&contents), "", 0.5);
                report.to_json()
            })
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, build);
criterion_main!(benches);
