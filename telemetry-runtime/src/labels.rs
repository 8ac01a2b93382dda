//! Fixed label sets: one counter per label, chosen at run time.

use crate::counter::Counter;

/// A fixed set of labels: `counter!("mytool/editor:{vscode,vim,other}")`.
///
/// Each label is a counter of its own (`mytool/editor:vscode`, …). Every set has the
/// label `other`; the macro adds it when the list does not. [`inc`](LabelSet::inc) and
/// [`with`](LabelSet::with) count a label that is not in the set as `other`, so a value
/// from outside the program (an editor name read from the environment, say) can never
/// create a new name. Selecting is a `match` on the label that the macro writes and the
/// compiler lays out (by length, then by the bytes that differ): no allocation, no
/// hashing, no loop over the list.
#[derive(Debug)]
pub struct LabelSet {
    labels: &'static [&'static str],
    counters: &'static [&'static Counter],
    fallback: usize,
    /// The position of a label in `labels`, `None` when the set has no such label.
    index: fn(&str) -> Option<usize>,
}

impl LabelSet {
    /// Builds a label set for a `static`; `index` is the macro's `match` from a label
    /// to its position in `labels`. Not public API.
    #[doc(hidden)]
    pub const fn __new(
        labels: &'static [&'static str],
        counters: &'static [&'static Counter],
        fallback: usize,
        index: fn(&str) -> Option<usize>,
    ) -> LabelSet {
        assert!(labels.len() == counters.len() && fallback < labels.len());
        LabelSet {
            labels,
            counters,
            fallback,
            index,
        }
    }

    /// Counts `label` once (an unknown label counts as `other`).
    #[inline]
    pub fn inc(&'static self, label: &str) {
        self.with(label).inc();
    }

    /// The counter of `label`, or of `other` when the set has no such label.
    #[inline]
    pub fn with(&self, label: &str) -> &'static Counter {
        self.get(label).unwrap_or(self.counters[self.fallback])
    }

    /// The counter of `label`, if the set has it.
    #[inline]
    pub fn get(&self, label: &str) -> Option<&'static Counter> {
        self.counters.get((self.index)(label)?).copied()
    }

    /// The labels, in declaration order, `other` included.
    pub fn labels(&self) -> &'static [&'static str] {
        self.labels
    }

    /// The counters, in the order of [`labels`](LabelSet::labels).
    pub fn counters(&self) -> &'static [&'static Counter] {
        self.counters
    }
}
