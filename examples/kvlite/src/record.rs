//! The record format: one line of the data file per record.
//!
//! ```text
//! set<TAB>key<TAB>value<TAB>checksum
//! del<TAB>key<TAB>checksum
//! ```
//!
//! - Every line ends with `\n`; records are only ever appended, so the last record of
//!   a key wins.
//! - `checksum` is the 32-bit FNV-1a hash of every byte before the last tab, written as
//!   8 lowercase hexadecimal digits.
//! - In keys and values a backslash, tab, newline and carriage return are written
//!   `\\`, `\t`, `\n` and `\r`, so a record is always one line and its fields never
//!   hold a tab. A key is never empty.
//!
//! A line that does not check out (a flipped bit, the tail of a write cut short by a
//! crash, a stray edit) is rejected by [`parse`], counted in the stack counter
//! `kvlite/bug/corrupt-record`, and skipped by every reader as if it had never been
//! written.

use std::fmt;

/// One record of the data file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// `key` has `value` from this record on.
    Set {
        /// The key, never empty.
        key: String,
        /// The value, possibly empty.
        value: String,
    },
    /// `key` has no value from this record on.
    Delete {
        /// The key, never empty.
        key: String,
    },
}

impl Record {
    /// The key the record is about.
    pub fn key(&self) -> &str {
        match self {
            Record::Set { key, .. } | Record::Delete { key } => key,
        }
    }

    /// The line holding this record, checksum included, without the final newline.
    pub fn encode(&self) -> String {
        let mut line = String::new();
        match self {
            Record::Set { key, value } => {
                line.push_str("set\t");
                escape_into(&mut line, key);
                line.push('\t');
                escape_into(&mut line, value);
            }
            Record::Delete { key } => {
                line.push_str("del\t");
                escape_into(&mut line, key);
            }
        }
        let sum = checksum(line.as_bytes());
        line.push_str(&format!("\t{sum:08x}"));
        line
    }
}

/// Why [`parse`] rejected a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The line has no checksum field: typically the tail of a write cut short.
    MissingChecksum,
    /// The checksum does not match the bytes of the line.
    ChecksumMismatch,
    /// The checksum matches, but the line is not a record this version understands.
    Malformed,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::MissingChecksum => "the line has no checksum",
            ParseError::ChecksumMismatch => "the checksum does not match the line",
            ParseError::Malformed => "the line is not a valid record",
        })
    }
}

impl std::error::Error for ParseError {}

/// Parses one line of a data file (without its newline) and verifies its checksum.
///
/// Every rejected line is counted in the stack counter `kvlite/bug/corrupt-record`,
/// under the chain of counted calls that read it.
#[telemetry::counted]
pub fn parse(line: &[u8]) -> Result<Record, ParseError> {
    let parsed = parse_verified(line);
    if parsed.is_err() {
        telemetry::stack_counter!(
            "kvlite/bug/corrupt-record",
            depth = 8,
            description = "Data file lines that failed their checksum and were skipped, \
                           by the chain of calls that read them"
        )
        .inc();
    }
    parsed
}

fn parse_verified(line: &[u8]) -> Result<Record, ParseError> {
    let at = line
        .iter()
        .rposition(|&b| b == b'\t')
        .ok_or(ParseError::MissingChecksum)?;
    let (body, sum) = (&line[..at], &line[at + 1..]);
    if parse_hex(sum).ok_or(ParseError::MissingChecksum)? != checksum(body) {
        return Err(ParseError::ChecksumMismatch);
    }
    let body = std::str::from_utf8(body).map_err(|_| ParseError::Malformed)?;
    let fields: Vec<&str> = body.split('\t').collect();
    let record = match fields.as_slice() {
        ["set", key, value] => Record::Set {
            key: unescape(key)?,
            value: unescape(value)?,
        },
        ["del", key] => Record::Delete {
            key: unescape(key)?,
        },
        _ => return Err(ParseError::Malformed),
    };
    if record.key().is_empty() {
        return Err(ParseError::Malformed);
    }
    Ok(record)
}

/// The 32-bit FNV-1a hash of `bytes`: the checksum of a line.
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash: u32, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Exactly 8 lowercase hexadecimal digits.
fn parse_hex(digits: &[u8]) -> Option<u32> {
    let valid = digits.len() == 8
        && digits
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid
        .then(|| std::str::from_utf8(digits).ok())
        .flatten()
        .and_then(|text| u32::from_str_radix(text, 16).ok())
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn unescape(field: &str) -> Result<String, ParseError> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('\\') => '\\',
            Some('t') => '\t',
            Some('n') => '\n',
            Some('r') => '\r',
            _ => return Err(ParseError::Malformed),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(key: &str, value: &str) -> Record {
        Record::Set {
            key: key.into(),
            value: value.into(),
        }
    }

    /// Reads lines the way a store does: keeps the good records, skips the rest.
    #[telemetry::counted]
    fn read_lines(lines: &[&[u8]]) -> Vec<Record> {
        lines.iter().filter_map(|line| parse(line).ok()).collect()
    }

    #[test]
    fn a_record_is_one_line_with_its_checksum_last() {
        assert_eq!(set("alpha", "1").encode(), "set\talpha\t1\t00791e44");
        let del = Record::Delete {
            key: "alpha".into(),
        };
        assert_eq!(
            del.encode(),
            format!("del\talpha\t{:08x}", checksum(b"del\talpha"))
        );
    }

    #[test]
    fn tabs_newlines_and_backslashes_survive_a_round_trip() {
        let record = set("a\tkey\\", "line one\nline two\r\n");
        let line = record.encode();
        assert!(!line.contains('\n'));
        assert_eq!(line.matches('\t').count(), 3);
        assert_eq!(parse(line.as_bytes()), Ok(record));
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let mut line = set("delta", "40").encode().into_bytes();
        line[11] ^= 1; // "40" now reads "41"
        assert_eq!(parse(&line), Err(ParseError::ChecksumMismatch));
    }

    #[test]
    fn a_line_cut_short_has_no_checksum() {
        let line = set("delta", "40").encode();
        assert_eq!(
            parse(&line.as_bytes()[..9]),
            Err(ParseError::MissingChecksum)
        );
        assert_eq!(parse(b""), Err(ParseError::MissingChecksum));
    }

    #[test]
    fn a_line_with_a_valid_checksum_but_unknown_shape_is_malformed() {
        let body = "put\tkey\tvalue";
        let line = format!("{body}\t{:08x}", checksum(body.as_bytes()));
        assert_eq!(parse(line.as_bytes()), Err(ParseError::Malformed));
        let empty_key = format!("del\t\t{:08x}", checksum(b"del\t"));
        assert_eq!(parse(empty_key.as_bytes()), Err(ParseError::Malformed));
    }

    #[test]
    fn a_corrupt_line_is_skipped_and_counted_under_the_chain_that_read_it() {
        let first = set("alpha", "1").encode();
        let mut corrupt = set("beta", "2").encode().into_bytes();
        corrupt[5] ^= 0x20; // "beta" now reads "bEta"
        let last = set("gamma", "3").encode();

        let records = read_lines(&[first.as_bytes(), &corrupt, last.as_bytes(), b"torn"]);

        assert_eq!(records, [set("alpha", "1"), set("gamma", "3")]);
        let stack = telemetry::stack_counter!("kvlite/bug/corrupt-record", depth = 8);
        let chains: Vec<(&str, u64)> = stack
            .chains()
            .filter(|chain| chain.name().ends_with("/read-lines"))
            .map(|chain| (chain.name(), chain.get()))
            .collect();
        assert_eq!(
            chains,
            [(
                "kvlite/bug/corrupt-record\nkvlite/record/parse\nkvlite/record/tests/read-lines",
                2
            )]
        );
    }
}
