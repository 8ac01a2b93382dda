//! Reading a whole data file: its lines, where each starts, and what they add up to.

use std::collections::BTreeMap;

use crate::record::{self, Record};

/// Where one line of the data file lies: its first byte and its length without the
/// newline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) offset: u64,
    pub(crate) len: usize,
}

/// Every line of `bytes` with its span. A last line without a newline (a write cut
/// short) is a line too; a final newline does not start an empty one.
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = (Span, &[u8])> {
    let mut offset = 0u64;
    bytes.split_inclusive(|&b| b == b'\n').map(move |piece| {
        let line = piece.strip_suffix(b"\n").unwrap_or(piece);
        let span = Span {
            offset,
            len: line.len(),
        };
        offset += piece.len() as u64;
        (span, line)
    })
}

/// True when the file's last write was cut short: the next append must first end
/// that line, or the new record would be glued to the broken one.
pub(crate) fn has_torn_tail(bytes: &[u8]) -> bool {
    !bytes.is_empty() && !bytes.ends_with(b"\n")
}

/// The live contents of a data file, replayed record by record.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// Every key with a value, and its value.
    pub(crate) values: BTreeMap<String, String>,
    /// Lines that parsed.
    pub(crate) records: u64,
    /// Lines that failed their checksum (or were otherwise not records), skipped.
    pub(crate) corrupt: u64,
}

/// Replays every record of `bytes` in order, skipping corrupt lines.
pub(crate) fn replay(bytes: &[u8]) -> Replay {
    let mut replay = Replay::default();
    for (_, line) in lines(bytes) {
        match record::parse(line) {
            Ok(Record::Set { key, value }) => {
                replay.records += 1;
                replay.values.insert(key, value);
            }
            Ok(Record::Delete { key }) => {
                replay.records += 1;
                replay.values.remove(&key);
            }
            Err(_) => replay.corrupt += 1,
        }
    }
    replay
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_each_line_without_its_newline() {
        let spans: Vec<(u64, usize)> = lines(b"ab\n\ncde\nf")
            .map(|(span, _)| (span.offset, span.len))
            .collect();
        assert_eq!(spans, [(0, 2), (3, 0), (4, 3), (8, 1)]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"x\n").count(), 1);
    }

    #[test]
    fn a_file_not_ending_in_a_newline_has_a_torn_tail() {
        assert!(has_torn_tail(b"set\tx"));
        assert!(!has_torn_tail(b"set\tx\n"));
        assert!(!has_torn_tail(b""));
    }

    #[test]
    fn the_last_record_of_a_key_wins_and_deletions_remove_it() {
        let file: String = [
            Record::Set {
                key: "a".into(),
                value: "1".into(),
            },
            Record::Set {
                key: "b".into(),
                value: "2".into(),
            },
            Record::Set {
                key: "a".into(),
                value: "3".into(),
            },
            Record::Delete { key: "b".into() },
        ]
        .iter()
        .map(|r| r.encode() + "\n")
        .collect();
        let replay = replay(file.as_bytes());
        assert_eq!(
            replay.values.into_iter().collect::<Vec<_>>(),
            [("a".into(), "3".into())]
        );
        assert_eq!((replay.records, replay.corrupt), (4, 0));
    }
}
