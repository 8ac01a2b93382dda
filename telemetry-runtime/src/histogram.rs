//! Histograms: buckets declared at compile time, chosen at run time.

use crate::counter::Counter;

/// A histogram: `histogram!("mytool/latency-ms", [10, 50, 100, 500])`.
///
/// Its buckets are counters named by upper bound: `mytool/latency-ms:<10`, `:<50`,
/// `:<100`, `:<500`, and the overflow bucket `:>=500` (with `unit = "ms"`, `:<10ms` and
/// so on). [`record(v)`](Histogram::record) counts `v` in the first bucket whose bound
/// is greater than `v`, so `:<50` counts values in `[10, 50)`. Choosing the bucket is a
/// search in a fixed array: no allocation, no lock.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    buckets: &'static [&'static Counter],
}

impl Histogram {
    /// Builds a histogram for a `static`; `buckets` has one more entry than `bounds`.
    /// Not public API.
    #[doc(hidden)]
    pub const fn __new(bounds: &'static [u64], buckets: &'static [&'static Counter]) -> Histogram {
        assert!(buckets.len() == bounds.len() + 1);
        Histogram { bounds, buckets }
    }

    /// Counts one value.
    #[inline]
    pub fn record(&'static self, value: u64) {
        self.bucket_for(value).inc();
    }

    /// Counts the length of a [`Duration`](std::time::Duration) in milliseconds.
    #[inline]
    pub fn record_millis(&'static self, elapsed: std::time::Duration) {
        self.record(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    }

    /// The bucket counter that `value` falls in.
    #[inline]
    pub fn bucket_for(&self, value: u64) -> &'static Counter {
        // Counting the bounds at or below `value` without branching on each comparison
        // keeps the cost flat when successive values fall in different buckets (a binary
        // search mispredicts there). Bounds are few: at most 32.
        let at: usize = self
            .bounds
            .iter()
            .map(|&bound| usize::from(bound <= value))
            .sum();
        // `at <= bounds.len() < buckets.len()`, checked by `__new`.
        self.buckets[at]
    }

    /// The upper bounds, increasing.
    pub fn bounds(&self) -> &'static [u64] {
        self.bounds
    }

    /// The bucket counters, lowest first, the overflow bucket last.
    pub fn buckets(&self) -> &'static [&'static Counter] {
        self.buckets
    }
}
