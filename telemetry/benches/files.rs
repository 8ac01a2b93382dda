//! Counter files: the increment with the week's file mapped, and start-up with 10,120
//! registered counters, creating the file or finding it present. All in one run:
//! `cargo bench -p transparent-telemetry --bench files`.
//!
//! Start-up is measured through `start_unpublished`, which does everything `start!()`
//! does (mode, directories, weekday, open or create and map, the walk over every
//! counter) except publishing the file to counters, so that the mapping can be undone
//! and the benchmark can start thousands of times in one process. The registry index,
//! built once per process, is measured on its own: a first start pays both.

mod many;

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use telemetry_formats::mode::Env;
use telemetry_runtime::testing::{build_index_uncached, start_uncached, start_unpublished};

static RAW: AtomicU64 = AtomicU64::new(0);

fn env_for(dir: &Path) -> Env {
    Env {
        dir: Some(dir.to_path_buf()),
        ..Env::default()
    }
}

fn files(c: &mut Criterion) {
    let sets = black_box(many::sets());
    let registered = telemetry::registry().len();
    assert!(registered >= 10_120, "{registered} registered");
    let root = std::env::temp_dir().join(format!("telemetry-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let program = telemetry::program!();

    let mut group = c.benchmark_group("start");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500));
    group.bench_function("registry index: sort and check 10,120 entries", |b| {
        b.iter(build_index_uncached)
    });
    let mut fresh = 0u64;
    group.bench_function("create and map this week's file for 10,120 counters", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                fresh += 1;
                let dir = root.join(format!("fresh-{fresh}"));
                let env = env_for(&dir);
                let started = Instant::now();
                let file = start_unpublished(&program, &env);
                total += started.elapsed();
                assert!(file.is_ok(), "{file:?}");
                let _ = std::fs::remove_dir_all(&dir);
            }
            total
        })
    });
    let present = root.join("present");
    let env = env_for(&present);
    assert!(start_uncached(&program, &env).file().is_some());
    group.bench_function("open and map the file already present", |b| {
        b.iter(|| start_unpublished(&program, &env).expect("opens"))
    });
    group.finish();

    // The file under `present` is the active one now: counters count into it.
    let mut group = c.benchmark_group("increment with the file mapped");
    group.bench_function("raw static AtomicU64 fetch_add", |b| {
        b.iter(|| black_box(&RAW).fetch_add(1, Ordering::Relaxed))
    });
    let counter = telemetry::counter!("bench/mapped");
    counter.inc();
    assert!(telemetry::counter_file().is_some());
    group.bench_function("telemetry counter!().inc() into the mapped file", |b| {
        b.iter(|| black_box(counter).inc())
    });
    let label = sets[42].with("v7");
    group.bench_function("one of 10,120 counters, inc() into the mapped file", |b| {
        b.iter(|| black_box(label).inc())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, files);
criterion_main!(benches);
