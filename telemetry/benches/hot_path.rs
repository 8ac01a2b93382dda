//! The increment hot path against its baselines, all in one run:
//! `cargo bench -p transparent-telemetry --bench hot_path`.
//!
//! Baselines: a raw `static AtomicU64` add, a plain non-inlined empty function, and the
//! `metrics` crate (macro per call, and a saved handle) with a simple recorder.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use criterion::{Criterion, criterion_group, criterion_main};
use telemetry::{StackCounter, counted};

static RAW: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
fn empty() {
    black_box(());
}

#[inline(never)]
fn empty_with_counter() {
    telemetry::counter!("bench/empty-with-counter").inc();
    black_box(());
}

#[counted("bench/counted-empty")]
#[inline(never)]
fn counted_empty() {
    black_box(());
}

/// The simplest useful `metrics` recorder: one `AtomicU64` per key behind a lock.
#[derive(Default)]
struct Recorder {
    counters: RwLock<HashMap<metrics::Key, Arc<AtomicU64>>>,
}

impl metrics::Recorder for Recorder {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }

    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        if let Some(found) = self.counters.read().unwrap().get(key) {
            return metrics::Counter::from_arc(Arc::clone(found));
        }
        let mut counters = self.counters.write().unwrap();
        let cell = counters.entry(key.clone()).or_default();
        metrics::Counter::from_arc(Arc::clone(cell))
    }

    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }

    fn register_histogram(
        &self,
        _: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        metrics::Histogram::noop()
    }
}

macro_rules! nest {
    ($($name:ident => $next:ident),* ; $last:ident) => {
        $(
            #[counted]
            #[inline(never)]
            fn $name(body: &mut dyn FnMut()) {
                $next(body)
            }
        )*
        #[counted]
        #[inline(never)]
        fn $last(body: &mut dyn FnMut()) {
            body()
        }
    };
}

nest!(frame1 => frame2, frame2 => frame3, frame3 => frame4, frame4 => frame5,
      frame5 => frame6, frame6 => frame7, frame7 => frame8; frame8);

fn hot_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("increment");
    group.bench_function("raw static AtomicU64 fetch_add", |b| {
        b.iter(|| black_box(&RAW).fetch_add(1, Ordering::Relaxed))
    });
    group.bench_function("telemetry counter!().inc()", |b| {
        b.iter(|| telemetry::counter!("bench/counter").inc())
    });
    let handle = telemetry::counter!("bench/handle");
    group.bench_function("telemetry saved &Counter inc()", |b| {
        b.iter(|| black_box(handle).inc())
    });
    metrics::set_global_recorder(Recorder::default()).expect("first recorder");
    group.bench_function("metrics counter!().increment(1)", |b| {
        b.iter(|| metrics::counter!("bench/metrics").increment(1))
    });
    let metrics_handle = metrics::counter!("bench/metrics-handle");
    group.bench_function("metrics saved handle increment(1)", |b| {
        b.iter(|| black_box(&metrics_handle).increment(1))
    });
    group.finish();

    let mut group = c.benchmark_group("function");
    group.bench_function("plain empty fn", |b| b.iter(empty));
    group.bench_function("empty fn + counter!().inc()", |b| {
        b.iter(empty_with_counter)
    });
    group.bench_function("#[counted] empty fn", |b| b.iter(counted_empty));
    group.finish();

    let mut group = c.benchmark_group("buckets");
    let histogram = telemetry::histogram!("bench/latency-ms", [10, 50, 100, 500]);
    // Values cycle through every bucket, so the choice is not predictable from one
    // call to the next; the loop is written out so that it adds nothing but the load.
    let values = [3u64, 27, 75, 250, 900, 12, 64, 499];
    group.bench_function("histogram record (5 buckets, varying values)", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            for i in 0..iters {
                histogram.record(black_box(values[i as usize & 7]));
            }
            start.elapsed()
        })
    });
    group.bench_function("raw AtomicU64 fetch_add (same loop, baseline)", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            for i in 0..iters {
                black_box(&RAW).fetch_add(black_box(values[i as usize & 7]), Ordering::Relaxed);
            }
            start.elapsed()
        })
    });
    // The label is opaque to the compiler (`black_box`): the set's `match` runs.
    group.bench_function("label set counter!().inc(label) (4th of 5 labels)", |b| {
        b.iter(|| {
            telemetry::counter!("bench/editor:{vscode,vim,emacs,helix}").inc(black_box("helix"))
        })
    });
    let editors = telemetry::counter!("bench/saved-editor:{vscode,vim,emacs,helix}");
    group.bench_function(
        "label set saved &LabelSet inc(label) (4th of 5 labels)",
        |b| b.iter(|| black_box(editors).inc(black_box("helix"))),
    );
    group.finish();

    let mut group = c.benchmark_group("stack");
    let stack: &'static StackCounter = telemetry::stack_counter!("bench/bug", depth = 8);
    frame1(&mut || {
        group.bench_function("stack_counter inc, depth 8 of 8 frames", |b| {
            b.iter(|| stack.inc())
        });
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
