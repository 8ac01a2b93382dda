//! Manifest records: one self-describing byte string per declared counter, placed by
//! the macros in a link section of its own, so that a tool can list every counter of a
//! compiled binary without running it. `docs/MANIFEST.md` describes the same bytes.
//!
//! Records are plain bytes, built by `const fn`s while the program compiles: no
//! pointer, so reading them needs no relocation. The linker concatenates them (they
//! have an alignment of 1); a reader walks the section record by record.
//!
//! ```text
//! offset  size  field (integers little-endian)
//!      0     4  magic "TTMR"
//!      4     2  record format version = 1
//!      6     2  kind: 0 basic, 1 stack, 2 bucket, 3 label, 16 program
//!      8     4  total length of the record, header included
//!     12     4  line of the declaration (0 for a program record)
//!     16     4  stack depth, or the bucket's or label's index; else 0
//!     20     1  how the name was chosen: 0 derived by #[counted], 1 written, 2 program
//!     21     3  reserved, 0
//!     24        strings, each a u32 length and UTF-8 bytes:
//!                 counter: name, description, crate, file, unit
//!                 program: name, version
//!               then a u32 count and the list:
//!                 bucket: the bounds, u64 each; label: the labels, as strings;
//!                 others: count 0
//! ```
//!
//! A reader accepts the versions it knows and rejects a higher one with its number, so
//! an old tool says "newer format" instead of misreading a new binary.

/// First bytes of every record.
pub const MAGIC: [u8; 4] = *b"TTMR";
/// The record format this crate writes and reads.
pub const VERSION: u16 = 1;
/// The section holding the records, by object format.
pub const SECTION_ELF: &str = "telemetry_manifest";
/// Mach-O: segment `__DATA`, section `__tmanifest` (names are limited to 16 bytes).
pub const SECTION_MACHO: (&str, &str) = ("__DATA", "__tmanifest");
/// PE/COFF: image section names are limited to 8 bytes.
pub const SECTION_PE: &str = ".tmanif";

/// The kind code of a basic counter.
pub const KIND_BASIC: u16 = 0;
/// The kind code of a stack counter.
pub const KIND_STACK: u16 = 1;
/// The kind code of a histogram bucket.
pub const KIND_BUCKET: u16 = 2;
/// The kind code of a label of a label set.
pub const KIND_LABEL: u16 = 3;
/// The kind code of the program's name and version.
pub const KIND_PROGRAM: u16 = 16;
/// Bytes of a record before its strings.
pub const HEADER: usize = 24;

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
    /// `basic`, `stack`, `bucket` or `label`.
    pub kind: &'static str,
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
    let version = u16::from_le_bytes([r.u8()?, r.u8()?]);
    if version > VERSION {
        return Err(RecordError::NewerVersion(version));
    }
    if version == 0 {
        return Err(r.malformed("record format version 0"));
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
        let kind_name = match kind {
            KIND_BASIC => "basic",
            KIND_STACK => "stack",
            KIND_BUCKET => "bucket",
            KIND_LABEL => "label",
            other => return Err(r.malformed(&format!("unknown kind {other}"))),
        };
        let name = r.string()?;
        let description = r.string()?;
        let crate_name = r.string()?;
        let file = r.string()?;
        let unit = r.string()?;
        let count = r.u32()? as usize;
        let mut bounds = Vec::new();
        let mut labels = Vec::new();
        match kind {
            KIND_BUCKET => {
                for _ in 0..count {
                    bounds.push(u64::from_le_bytes(
                        r.take(8)?.try_into().unwrap_or_default(),
                    ));
                }
            }
            KIND_LABEL => {
                for _ in 0..count {
                    labels.push(r.string()?);
                }
            }
            _ if count != 0 => return Err(r.malformed("unexpected list")),
            _ => {}
        }
        Record::Counter(CounterRecord {
            name,
            kind: kind_name,
            depth: (kind == KIND_STACK).then_some(arg),
            index: matches!(kind, KIND_BUCKET | KIND_LABEL).then_some(arg),
            bounds,
            unit,
            labels,
            description,
            crate_name,
            file,
            line,
            derived: origin == 0,
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
