//! Manifest records: one self-describing byte string per declared counter, placed by
//! the macros in a link section of its own, so that a tool can list every counter of a
//! compiled binary without running it. `docs/MANIFEST.md` describes the same bytes.
//!
//! Records are plain bytes, written by the macros as literals (or by `const fn`s for
//! the runtime's own counters and the program): no pointer, so reading them needs no
//! relocation. The linker concatenates them (they have an alignment of 1); a reader
//! walks the section record by record.
//!
//! ```text
//! offset  size  field (integers little-endian)
//!      0     4  magic "TTMR"
//!      4     2  record format version = 2
//!      6     2  kind: 0 basic, 1 stack, 2 bucket, 3 label, 16 program
//!      8     4  total length of the record, header included
//!     12     4  line of the declaration (0 for a program record)
//!     16     4  stack depth, or the bucket's or label's index; else 0
//!     20     1  how the name was chosen: 0 derived by #[counted], 1 written, 2 program
//!     21     3  reserved, 0
//!     24        counter: strings, each a u32 length and UTF-8 bytes: description,
//!                 crate, file, unit, expires; then a u32 count and the list (bucket:
//!                 the bounds, u64 each; label: the labels, as strings; others:
//!                 count 0); then the name, a string
//!               program: the strings name and version, then a u32 count 0
//! ```
//!
//! `expires` is the last day the counter is uploaded, `YYYY-MM-DD`, or empty. The name
//! comes last so that a record whose name only the compiler knows (derived by
//! `#[counted]` from `module_path!()`) is bytes the macro wrote followed by the name;
//! such a record's `static` holds room for the longest name, zero bytes that a reader
//! skips as it skips the linker's padding.
//!
//! Version 1 put the name first, before the description, and had no `expires`; it is
//! still read (as a counter that does not expire), since a binary linking two
//! semver-incompatible versions of `telemetry` holds the records of both in one
//! section. A program record is the same in both.
//!
//! A reader accepts the versions it knows and rejects a higher one with its number, so
//! an old tool says "newer format" instead of misreading a new binary.
//!
//! The header's constants (magic, versions, kind and origin codes, the section names)
//! are `telemetry_rules::record`'s: the macros write them there too.

use telemetry_rules::Kind;
use telemetry_rules::record::{
    HEADER, KIND_PROGRAM, MAGIC, OLDEST_VERSION, ORIGIN_DERIVED, VERSION,
};

/// One decoded record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A counter declaration.
    Counter(CounterRecord),
    /// The program's name and version, from `telemetry::program!()`.
    Program {
        /// Package name.
        name: String,
        /// Package version.
        version: String,
    },
}

/// A counter declaration as its record states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterRecord {
    /// The full counter name.
    pub name: String,
    /// What it declares.
    pub kind: Kind,
    /// Stack depth (stack counters only).
    pub depth: Option<u32>,
    /// Index of the bucket or label in its histogram or set.
    pub index: Option<u32>,
    /// Histogram bounds (buckets only).
    pub bounds: Vec<u64>,
    /// Histogram unit (buckets only; may be empty).
    pub unit: String,
    /// Every label of the set (labels only).
    pub labels: Vec<String>,
    /// The description, or "".
    pub description: String,
    /// The crate that declares the counter.
    pub crate_name: String,
    /// Source file relative to the crate root.
    pub file: String,
    /// Line in `file`.
    pub line: u32,
    /// True when `#[counted]` derived the name.
    pub derived: bool,
    /// The last day (`YYYY-MM-DD`, UTC) the counter is uploaded, when its declaration
    /// says `expires = "…"`. After it the counter still counts locally.
    pub expires: Option<String>,
}

/// Why a section's bytes are not a list of records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// A record of a format version this reader does not know.
    NewerVersion(u16),
    /// The bytes are damaged or cut short at this offset.
    Malformed {
        /// Offset in the section.
        at: usize,
        /// What is wrong.
        what: String,
    },
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::NewerVersion(v) => write!(
                f,
                "the counter registry was written in manifest record format {v}, newer than \
                 the format {VERSION} this tool reads; use a newer `telemetry`"
            ),
            RecordError::Malformed { at, what } => {
                write!(f, "malformed counter registry at byte {at}: {what}")
            }
        }
    }
}

impl std::error::Error for RecordError {}

/// Decodes every record of a section's bytes. Zero bytes between records (padding a
/// linker may add) are skipped.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<Record>, RecordError> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == 0 {
            at += 1;
            continue;
        }
        let (record, len) = decode_one(&bytes[at..]).map_err(|e| match e {
            RecordError::Malformed { at: inner, what } => RecordError::Malformed {
                at: at + inner,
                what,
            },
            newer => newer,
        })?;
        records.push(record);
        at += len;
    }
    Ok(records)
}

/// Decodes the record at the start of `bytes`; returns it and its length.
pub fn decode_one(bytes: &[u8]) -> Result<(Record, usize), RecordError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(r.malformed("not a manifest record (bad magic)"));
    }
    let format = u16::from_le_bytes([r.u8()?, r.u8()?]);
    if format > VERSION {
        return Err(RecordError::NewerVersion(format));
    }
    if format < OLDEST_VERSION {
        return Err(r.malformed(&format!("record format version {format}")));
    }
    let kind = u16::from_le_bytes([r.u8()?, r.u8()?]);
    let len = r.u32()? as usize;
    if len < HEADER || len > bytes.len() {
        return Err(r.malformed(&format!("record length {len} does not fit")));
    }
    let mut r = Reader {
        bytes: &bytes[..len],
        at: r.at,
    };
    let line = r.u32()?;
    let arg = r.u32()?;
    let origin = r.u8()?;
    r.take(3)?;
    let record = if kind == KIND_PROGRAM {
        let name = r.string()?;
        let version = r.string()?;
        if r.u32()? != 0 {
            return Err(r.malformed("a program record has no list"));
        }
        Record::Program { name, version }
    } else {
        let Some(kind) = Kind::from_code(kind) else {
            return Err(r.malformed(&format!("unknown kind {kind}")));
        };
        // Version 1 starts with the name; version 2 ends with it, after the list, so
        // that a name only the compiler knows (derived by `#[counted]`) is appended to
        // bytes the macro wrote.
        let first = if format == 1 { Some(r.string()?) } else { None };
        let description = r.string()?;
        let crate_name = r.string()?;
        let file = r.string()?;
        let unit = r.string()?;
        let expires = if format >= 2 {
            let text = r.string()?;
            if !text.is_empty() && crate::date::parse(&text).is_none() {
                return Err(r.malformed(&format!("expiry {text:?} is not a YYYY-MM-DD date")));
            }
            (!text.is_empty()).then_some(text)
        } else {
            None
        };
        let count = r.u32()? as usize;
        let mut bounds = Vec::new();
        let mut labels = Vec::new();
        match kind {
            Kind::Bucket => {
                for _ in 0..count {
                    bounds.push(u64::from_le_bytes(
                        r.take(8)?.try_into().unwrap_or_default(),
                    ));
                }
            }
            Kind::Label => {
                for _ in 0..count {
                    labels.push(r.string()?);
                }
            }
            _ if count != 0 => return Err(r.malformed("unexpected list")),
            _ => {}
        }
        let name = match first {
            Some(name) => name,
            None => r.string()?,
        };
        Record::Counter(CounterRecord {
            name,
            kind,
            depth: (kind == Kind::Stack).then_some(arg),
            index: matches!(kind, Kind::Bucket | Kind::Label).then_some(arg),
            bounds,
            unit,
            labels,
            description,
            crate_name,
            file,
            line,
            derived: origin == ORIGIN_DERIVED,
            expires,
        })
    };
    if r.at != len {
        return Err(r.malformed("record length does not match its contents"));
    }
    Ok((record, len))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn malformed(&self, what: &str) -> RecordError {
        RecordError::Malformed {
            at: self.at,
            what: what.to_string(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], RecordError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(self.malformed("cut short"));
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, RecordError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, RecordError> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.malformed("text is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter record of format `version`, laid out as the module docs say, from
    /// its name and its other strings: the name first in version 1, after the list
    /// from version 2 on.
    fn counter(version: u16, kind: u16, arg: u32, strings: &[&str], list: &[u8]) -> Vec<u8> {
        let string = |body: &mut Vec<u8>, text: &str| {
            body.extend_from_slice(&(text.len() as u32).to_le_bytes());
            body.extend_from_slice(text.as_bytes());
        };
        let (name, others) = strings.split_first().unwrap();
        let mut body = Vec::new();
        if version == 1 {
            string(&mut body, name);
        }
        for text in others {
            string(&mut body, text);
        }
        body.extend_from_slice(list);
        if version != 1 {
            string(&mut body, name);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(HEADER as u32 + body.len() as u32).to_le_bytes());
        out.extend_from_slice(&7u32.to_le_bytes());
        out.extend_from_slice(&arg.to_le_bytes());
        out.extend_from_slice(&[1, 0, 0, 0]);
        out.extend_from_slice(&body);
        out
    }

    fn only(bytes: &[u8]) -> CounterRecord {
        match decode_all(bytes) {
            Ok(records) => match records.as_slice() {
                [Record::Counter(c)] => c.clone(),
                other => panic!("{other:?}"),
            },
            Err(e) => panic!("{e}"),
        }
    }

    const NO_LIST: [u8; 4] = [0; 4];

    #[test]
    fn a_version_2_record_carries_its_expiry_or_none() {
        let strings = ["app/a", "A", "app", "src/main.rs", "", "2027-06-30"];
        let expiring = only(&counter(2, Kind::Basic.code(), 0, &strings, &NO_LIST));
        assert_eq!(expiring.expires.as_deref(), Some("2027-06-30"));
        assert_eq!((expiring.name.as_str(), expiring.line), ("app/a", 7));
        let strings = ["app/a", "A", "app", "src/main.rs", "", ""];
        assert_eq!(
            only(&counter(2, Kind::Basic.code(), 0, &strings, &NO_LIST)).expires,
            None
        );
        let mut list = 1u32.to_le_bytes().to_vec();
        list.extend_from_slice(&5u64.to_le_bytes());
        let strings = ["app/l:<5ms", "", "app", "src/main.rs", "ms", "2030-01-01"];
        let bucket = only(&counter(2, Kind::Bucket.code(), 0, &strings, &list));
        assert_eq!((bucket.unit.as_str(), &bucket.bounds[..]), ("ms", &[5][..]));
        assert_eq!(bucket.expires.as_deref(), Some("2030-01-01"));
        // A derived name's record is followed by the zero bytes of its room for the
        // longest name: skipped like a linker's padding.
        let strings = ["app/a", "A", "app", "src/main.rs", "", ""];
        let first = counter(2, Kind::Basic.code(), 0, &strings, &NO_LIST);
        let section = [first.clone(), vec![0; 195], first].concat();
        assert_eq!(decode_all(&section).map(|r| r.len()), Ok(2));
    }

    #[test]
    fn version_1_records_are_still_read_as_never_expiring() {
        let strings = ["app/old", "", "app", "src/lib.rs", ""];
        let v1 = counter(1, Kind::Stack.code(), 4, &strings, &NO_LIST);
        let strings = ["app/new", "", "app", "src/lib.rs", "", "2027-06-30"];
        let v2 = counter(2, Kind::Stack.code(), 4, &strings, &NO_LIST);
        // Both versions in one section, as two telemetry versions in one binary leave.
        let section = [v1, vec![0, 0], v2].concat();
        let records = decode_all(&section).unwrap();
        let expiries: Vec<(&str, Option<&str>, Option<u32>)> = records
            .iter()
            .map(|r| match r {
                Record::Counter(c) => (c.name.as_str(), c.expires.as_deref(), c.depth),
                Record::Program { .. } => panic!("{r:?}"),
            })
            .collect();
        assert_eq!(
            expiries,
            [
                ("app/old", None, Some(4)),
                ("app/new", Some("2027-06-30"), Some(4))
            ]
        );
    }

    #[test]
    fn unknown_versions_and_bad_expiries_are_refused() {
        let strings = ["app/a", "", "app", "src/main.rs", "", ""];
        let newer = counter(3, Kind::Basic.code(), 0, &strings, &NO_LIST);
        assert_eq!(decode_all(&newer), Err(RecordError::NewerVersion(3)));
        let message = RecordError::NewerVersion(3).to_string();
        assert!(
            message.contains("record format 3, newer than the format 2"),
            "{message}"
        );
        let zero = counter(0, Kind::Basic.code(), 0, &strings, &NO_LIST);
        assert!(matches!(
            decode_all(&zero),
            Err(RecordError::Malformed { what, .. }) if what == "record format version 0"
        ));
        for bad in ["2027-02-30", "2027-6-30", "soon"] {
            let strings = ["app/a", "", "app", "src/main.rs", "", bad];
            let error =
                decode_all(&counter(2, Kind::Basic.code(), 0, &strings, &NO_LIST)).unwrap_err();
            assert!(
                error.to_string().contains("is not a YYYY-MM-DD date"),
                "{error}"
            );
        }
        // A version 1 record read as version 2 is malformed: its name would be read as
        // the description, the description as the crate, and so on.
        let strings = ["app/a", "", "app", "src/main.rs", ""];
        let mut v1 = counter(1, Kind::Basic.code(), 0, &strings, &NO_LIST);
        v1[4] = 2;
        assert!(matches!(
            decode_all(&v1),
            Err(RecordError::Malformed { .. })
        ));
    }
}
