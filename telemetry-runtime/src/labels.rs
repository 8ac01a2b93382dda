//! Fixed label sets: one counter per label, chosen at run time.

use crate::counter::Counter;

/// A fixed set of labels: `counter!("mytool/editor:{vscode,vim,other}")`.
///
/// Each label is a counter of its own (`mytool/editor:vscode`, …). Every set has the
/// label `other`; the macro adds it when the list does not. [`inc`](LabelSet::inc) and
/// [`with`](LabelSet::with) count a label that is not in the set as `other`, so a value
/// from outside the program (an editor name read from the environment, say) can never
/// create a new name. Selecting compares the label against the fixed list: no
/// allocation, no hashing.
#[derive(Debug)]
pub struct LabelSet {
    labels: &'static [&'static str],
    counters: &'static [&'static Counter],
    fallback: usize,
}

impl LabelSet {
    /// Builds a label set for a `static`. Not public API.
    #[doc(hidden)]
    pub const fn __new(
        labels: &'static [&'static str],
        counters: &'static [&'static Counter],
        fallback: usize,
    ) -> LabelSet {
        assert!(labels.len() == counters.len() && fallback < labels.len());
        LabelSet {
            labels,
            counters,
            fallback,
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
        let at = self.labels.iter().position(|l| *l == label)?;
        Some(self.counters[at])
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
