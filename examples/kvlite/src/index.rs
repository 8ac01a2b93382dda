//! The in-memory index: for each key, where its records lie in the data file.
//!
//! The index keeps every record of a key since the last compaction, not only the
//! latest: when the latest turns out to be corrupt on reading, the one before it is
//! the key's value, exactly as a fresh [`Store::open`](crate::Store::open) (which skips
//! the corrupt line) would see it.

use std::collections::HashMap;

use crate::record::{self, Record};
use crate::scan::{self, Span};

/// What a record did to its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Set,
    Delete,
}

/// One record of a key: what it did and where it lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) op: Op,
    pub(crate) span: Span,
}

/// Every key's records, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Index {
    keys: HashMap<String, Vec<Entry>>,
}

impl Index {
    /// Indexes every record of `bytes`; returns the index and the number of corrupt
    /// lines skipped.
    pub(crate) fn build(bytes: &[u8]) -> (Index, u64) {
        let mut index = Index::default();
        let mut corrupt = 0;
        for (span, line) in scan::lines(bytes) {
            match record::parse(line) {
                Ok(Record::Set { key, .. }) => index.push(key, Op::Set, span),
                Ok(Record::Delete { key }) => index.push(key, Op::Delete, span),
                Err(_) => corrupt += 1,
            }
        }
        (index, corrupt)
    }

    /// Records that `key` got a new record at `span`.
    pub(crate) fn push(&mut self, key: String, op: Op, span: Span) {
        self.keys.entry(key).or_default().push(Entry { op, span });
    }

    /// The newest record of `key` not yet found corrupt.
    pub(crate) fn latest(&self, key: &str) -> Option<Entry> {
        self.keys.get(key)?.last().copied()
    }

    /// Forgets the newest record of `key`, found corrupt on reading.
    pub(crate) fn forget_latest(&mut self, key: &str) {
        if let Some(entries) = self.keys.get_mut(key) {
            entries.pop();
            if entries.is_empty() {
                self.keys.remove(key);
            }
        }
    }

    /// True when the newest record of `key` sets it.
    pub(crate) fn is_live(&self, key: &str) -> bool {
        self.latest(key).is_some_and(|entry| entry.op == Op::Set)
    }

    /// The number of keys whose newest record sets them.
    pub(crate) fn live_len(&self) -> usize {
        self.keys
            .values()
            .filter(|entries| entries.last().is_some_and(|e| e.op == Op::Set))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: u64) -> Span {
        Span { offset, len: 1 }
    }

    #[test]
    fn forgetting_the_latest_record_falls_back_to_the_one_before() {
        let mut index = Index::default();
        index.push("k".into(), Op::Set, span(0));
        index.push("k".into(), Op::Delete, span(10));
        assert!(!index.is_live("k"));
        index.forget_latest("k");
        assert!(index.is_live("k"));
        assert_eq!(index.latest("k").map(|e| e.span), Some(span(0)));
        index.forget_latest("k");
        assert_eq!(index.latest("k"), None);
        assert_eq!(index.live_len(), 0);
    }
}
