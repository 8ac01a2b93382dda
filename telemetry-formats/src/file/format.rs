//! The counter file format, version 1: layout, encoding of a new file, and the
//! validating reader. `docs/FORMAT.md` describes the same bytes for people; a change
//! here that changes a byte on disk needs a new [`VERSION`].
//!
//! ```text
//! offset  size  field
//!      0     8  magic "TTCOUNT\0"
//!      8     4  format version (u32 little-endian) = 1
//!     12     4  byte-order mark 0x01020304, in the writer's byte order
//!     16     4  header length H: bytes before the hash table, a multiple of 8
//!     20     4  bucket count B: a power of two, 1 ..= 2^20
//!     24     8  limit: end of the last allocated record (atomic, native order)
//!     32     8  week begin, Unix seconds (a UTC midnight)
//!     40     8  week end, Unix seconds (a UTC midnight, 1 to 7 days after begin)
//!     48     4  metadata length M (at most 1024)
//!     52     4  reserved, 0
//!     56     M  metadata: UTF-8 lines "key: value\n" (program, version, toolchain, os, arch)
//!      H   4*B  bucket heads: offset of the first record of each chain, 0 = empty (atomic)
//!      R        records, from R = round8(H + 4*B) up to limit, 8-byte aligned:
//!                 +0  u64 count (atomic, native order)
//!                 +8  u32 next: offset of the next record in the chain, 0 = end (atomic)
//!                +12  u32 name length N, 1 ..= 8192
//!                +16  N bytes of UTF-8 name, zero-padded to a multiple of 8
//! ```
//!
//! A name's chain is bucket `fnv1a32(name) & (B - 1)`. The file is cut in pages of
//! [`PAGE`] bytes, and no record touches the last [`TAIL`] bytes of a page: a process
//! growing the file may write zeros there without ever overwriting a record. Integers
//! other than the version are in the byte order of the writer, checked by the mark, so
//! a file is only ever read by hosts of its own byte order (its name holds the arch).

use std::collections::HashSet;
use std::fmt;

/// First bytes of every counter file.
pub const MAGIC: [u8; 8] = *b"TTCOUNT\0";
/// The format version this module reads and writes.
pub const VERSION: u32 = 1;
/// Written in native byte order; a reader of the other order sees it reversed.
pub const BYTE_ORDER_MARK: u32 = 0x0102_0304;
/// Unit of file growth. Records never straddle the reserved tail of a page.
pub const PAGE: u64 = 16 * 1024;
/// Bytes at the end of each page that no record uses.
pub const TAIL: u64 = 8;
/// The longest metadata text.
pub const MAX_META: usize = 1024;
/// The longest name a record holds: a stack chain of 32 frames of 200-byte names.
pub const MAX_NAME: usize = 8 * 1024;
const _: () = assert!(
    (telemetry_rules::MAX_DEPTH + 1) * (telemetry_rules::MAX_NAME_LEN + 1) <= MAX_NAME,
    "a stack counter's name and its deepest chain fit a record"
);
/// The most buckets.
pub const MAX_BUCKETS: u32 = 1 << 20;
/// A file never grows past this; names that do not fit are counted in memory.
pub const MAX_FILE_LEN: u64 = 64 << 20;
/// The longest week a file may cover.
pub const MAX_SPAN_SECS: u64 = 7 * 86_400;

/// Offset of the format version.
pub const OFF_VERSION: usize = 8;
/// Offset of the byte-order mark.
pub const OFF_ORDER: usize = 12;
/// Offset of the header length.
pub const OFF_HEADER_LEN: usize = 16;
/// Offset of the bucket count.
pub const OFF_BUCKETS: usize = 20;
/// Offset of `limit`, the end of the last allocated record.
pub const OFF_LIMIT: usize = 24;
/// Offset of the week's begin.
pub const OFF_BEGIN: usize = 32;
/// Offset of the week's end.
pub const OFF_END: usize = 40;
/// Offset of the metadata length.
/// Offset of the metadata text.
pub const OFF_META_LEN: usize = 48;
/// Offset of the metadata text.
pub const OFF_META: usize = 56;
/// Bytes of a record before its name.
pub const RECORD_HEAD: u64 = 16;

/// The metadata keys, in the order they are written.
pub const META_KEYS: [&str; 5] = ["program", "version", "toolchain", "os", "arch"];

/// What a file says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `program`, `version`, `toolchain`, `os`, `arch`, in that order.
    pub meta: Vec<(String, String)>,
    /// Unix seconds of the week's first day, 00:00 UTC.
    pub begin: u64,
    /// Unix seconds of the day after the week's last day, 00:00 UTC.
    pub end: u64,
}

impl Header {
    /// The value of a metadata key, or "".
    pub fn get(&self, key: &str) -> &str {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    fn meta_text(&self) -> String {
        self.meta
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect()
    }
}

/// Where the parts of a file start, derived from its header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes before the bucket heads.
    pub header_len: u64,
    /// The number of buckets.
    pub buckets: u32,
    /// Where records start.
    pub records_start: u64,
}

impl Layout {
    /// The layout of a file with `meta_len` bytes of metadata and `buckets` buckets.
    pub fn new(meta_len: usize, buckets: u32) -> Layout {
        let header_len = round8(OFF_META as u64 + meta_len as u64);
        let records_start = round8(header_len + 4 * u64::from(buckets));
        Layout {
            header_len,
            buckets,
            records_start,
        }
    }

    /// Offset of the head of `bucket`.
    pub fn head(&self, bucket: u32) -> u64 {
        self.header_len + 4 * u64::from(bucket)
    }

    /// The bucket whose chain holds `name`.
    pub fn bucket_of(&self, name: &str) -> u32 {
        fnv1a32(name.as_bytes()) & (self.buckets - 1)
    }
}

/// The 32-bit FNV-1a hash. Part of the format: changing it needs a new version.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// `n` rounded up to a multiple of 8.
pub const fn round8(n: u64) -> u64 {
    (n + 7) & !7
}

/// Bytes a record of a `name_len`-byte name takes.
pub fn record_len(name_len: usize) -> u64 {
    RECORD_HEAD + round8(name_len as u64)
}

/// Where a record of `name_len` bytes goes when the free space starts at `limit`:
/// `limit`, or the start of the next page if it would reach a page's reserved tail.
/// Returns the record's start and end, or `None` when they would lie past
/// [`MAX_FILE_LEN`] (a corrupt `limit` may hold any value; nothing here overflows).
pub fn place(limit: u64, name_len: usize) -> Option<(u64, u64)> {
    if limit > MAX_FILE_LEN || name_len > MAX_NAME {
        return None;
    }
    let len = record_len(name_len);
    let mut start = round8(limit);
    if start % PAGE + len > PAGE - TAIL {
        start = start.div_ceil(PAGE) * PAGE;
    }
    let end = start + len;
    (end <= MAX_FILE_LEN).then_some((start, end))
}

/// How many buckets a file made for `names` distinct names gets.
pub fn buckets_for(names: usize) -> u32 {
    let wanted = names.clamp(1024, MAX_BUCKETS as usize);
    wanted.next_power_of_two().min(MAX_BUCKETS as usize) as u32
}

/// The bytes of a new file holding `names` (distinct, valid), all at zero.
pub fn encode_new(header: &Header, names: &[&str]) -> Result<Vec<u8>, String> {
    let meta = header.meta_text();
    if meta.len() > MAX_META {
        return Err(format!(
            "metadata is {} bytes, more than {MAX_META}",
            meta.len()
        ));
    }
    let layout = Layout::new(meta.len(), buckets_for(names.len()));
    let mut limit = layout.records_start;
    let mut placed = Vec::with_capacity(names.len());
    for name in names {
        let (start, end) = place(limit, name.len())
            .ok_or_else(|| format!("{} names do not fit in {MAX_FILE_LEN} bytes", names.len()))?;
        placed.push(start);
        limit = end;
    }
    // Leave at least half a page free so the first new names need no growth.
    let len = (limit + PAGE / 2).div_ceil(PAGE) * PAGE;
    if len > MAX_FILE_LEN {
        return Err(format!(
            "{} names need {len} bytes, more than {MAX_FILE_LEN}",
            names.len()
        ));
    }
    let mut bytes = vec![0u8; len as usize];
    bytes[..8].copy_from_slice(&MAGIC);
    put_u32(&mut bytes, OFF_VERSION, VERSION.to_le());
    put_u32(&mut bytes, OFF_ORDER, BYTE_ORDER_MARK);
    put_u32(&mut bytes, OFF_HEADER_LEN, layout.header_len as u32);
    put_u32(&mut bytes, OFF_BUCKETS, layout.buckets);
    put_u64(&mut bytes, OFF_LIMIT, limit);
    put_u64(&mut bytes, OFF_BEGIN, header.begin);
    put_u64(&mut bytes, OFF_END, header.end);
    put_u32(&mut bytes, OFF_META_LEN, meta.len() as u32);
    bytes[OFF_META..OFF_META + meta.len()].copy_from_slice(meta.as_bytes());
    for (name, &start) in names.iter().zip(&placed) {
        let head_at = layout.head(layout.bucket_of(name)) as usize;
        let previous = get_u32(&bytes, head_at);
        let at = start as usize;
        put_u32(&mut bytes, at + 8, previous);
        put_u32(&mut bytes, at + 12, name.len() as u32);
        bytes[at + 16..at + 16 + name.len()].copy_from_slice(name.as_bytes());
        put_u32(&mut bytes, head_at, start as u32);
    }
    Ok(bytes)
}

/// Why a file cannot be read. Every variant is a reason to set the file aside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Zero bytes.
    Empty,
    /// Does not start with the magic: not a counter file.
    Foreign,
    /// A counter file of a format this program does not know.
    FutureVersion(u32),
    /// Written on a host of the other byte order.
    ByteOrder,
    /// Shorter than its own header says.
    Truncated {
        /// Bytes the file says it has.
        needed: u64,
        /// Bytes it has.
        actual: u64,
    },
    /// Longer than any counter file may be ([`MAX_FILE_LEN`]).
    TooLarge(u64),
    /// Internally inconsistent: what is wrong, and where.
    Corrupt(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Empty => f.write_str("empty file (0 bytes)"),
            FormatError::Foreign => {
                f.write_str("not a telemetry counter file (unknown magic bytes)")
            }
            FormatError::FutureVersion(v) => write!(
                f,
                "counter file format version {v}, newer than the version {VERSION} this program reads"
            ),
            FormatError::ByteOrder => {
                f.write_str("counter file written on a machine of the other byte order")
            }
            FormatError::Truncated { needed, actual } => write!(
                f,
                "truncated counter file: its header needs {needed} bytes, the file has {actual}"
            ),
            FormatError::TooLarge(len) => write!(
                f,
                "{len} bytes, larger than any counter file may be ({MAX_FILE_LEN} bytes)"
            ),
            FormatError::Corrupt(what) => write!(f, "corrupt counter file: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// Reads and checks the fixed header: everything needed to use the file, in constant
/// time. Chains are checked by [`parse`] and, lazily, by lookups.
pub fn parse_header(bytes: &[u8]) -> Result<(Header, Layout, u64), FormatError> {
    parse_header_prefix(bytes, bytes.len() as u64)
}

/// [`parse_header`] of a file of `actual` bytes given its first bytes (at least the
/// header and metadata, when the file is that long).
pub fn parse_header_prefix(
    bytes: &[u8],
    actual: u64,
) -> Result<(Header, Layout, u64), FormatError> {
    if actual == 0 {
        return Err(FormatError::Empty);
    }
    if actual > MAX_FILE_LEN {
        return Err(FormatError::TooLarge(actual));
    }
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        return Err(FormatError::Foreign);
    }
    if bytes.len() < OFF_META {
        return Err(FormatError::Truncated {
            needed: OFF_META as u64,
            actual,
        });
    }
    let version = u32::from_le(get_u32(bytes, OFF_VERSION));
    if version > VERSION {
        return Err(FormatError::FutureVersion(version));
    }
    if version != VERSION {
        return Err(FormatError::Corrupt(format!(
            "format version {version} is not a version"
        )));
    }
    match get_u32(bytes, OFF_ORDER) {
        BYTE_ORDER_MARK => {}
        mark if mark.swap_bytes() == BYTE_ORDER_MARK => return Err(FormatError::ByteOrder),
        mark => {
            return Err(FormatError::Corrupt(format!(
                "byte-order mark {mark:#010x}"
            )));
        }
    }
    let meta_len = get_u32(bytes, OFF_META_LEN) as usize;
    if meta_len > MAX_META {
        return Err(FormatError::Corrupt(format!(
            "metadata length {meta_len} exceeds {MAX_META}"
        )));
    }
    if bytes.len() < OFF_META + meta_len {
        return Err(FormatError::Truncated {
            needed: (OFF_META + meta_len) as u64,
            actual,
        });
    }
    let buckets = get_u32(bytes, OFF_BUCKETS);
    if !buckets.is_power_of_two() || buckets > MAX_BUCKETS {
        return Err(FormatError::Corrupt(format!(
            "bucket count {buckets} is not a power of two up to {MAX_BUCKETS}"
        )));
    }
    let layout = Layout::new(meta_len, buckets);
    let header_len = u64::from(get_u32(bytes, OFF_HEADER_LEN));
    if header_len != layout.header_len {
        return Err(FormatError::Corrupt(format!(
            "header length {header_len} does not match metadata length {meta_len}"
        )));
    }
    if actual < layout.records_start {
        return Err(FormatError::Truncated {
            needed: layout.records_start,
            actual,
        });
    }
    let limit = get_u64(bytes, OFF_LIMIT);
    if limit < layout.records_start || !limit.is_multiple_of(8) {
        return Err(FormatError::Corrupt(format!(
            "record limit {limit} is outside the record area"
        )));
    }
    if limit > actual {
        return Err(FormatError::Truncated {
            needed: limit,
            actual,
        });
    }
    let (begin, end) = (get_u64(bytes, OFF_BEGIN), get_u64(bytes, OFF_END));
    if begin % 86_400 != 0 || end % 86_400 != 0 || end <= begin || end - begin > MAX_SPAN_SECS {
        return Err(FormatError::Corrupt(format!(
            "week from {begin} to {end} is not 1 to 7 whole days"
        )));
    }
    let meta_bytes = &bytes[OFF_META..OFF_META + meta_len];
    let text = std::str::from_utf8(meta_bytes)
        .map_err(|_| FormatError::Corrupt("metadata is not UTF-8".into()))?;
    let mut meta = Vec::new();
    for line in text.lines() {
        let (key, value) = line.split_once(": ").ok_or_else(|| {
            FormatError::Corrupt(format!("metadata line {line:?} is not `key: value`"))
        })?;
        meta.push((key.to_string(), value.to_string()));
    }
    let keys: Vec<&str> = meta.iter().map(|(k, _)| k.as_str()).collect();
    if keys != META_KEYS {
        return Err(FormatError::Corrupt(format!(
            "metadata keys {keys:?}, expected {META_KEYS:?}"
        )));
    }
    Ok((Header { meta, begin, end }, layout, limit))
}

/// A fully checked file: its header and every counter, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contents {
    /// What the file says about itself.
    pub header: Header,
    /// Every counter and its value, in the order counters are listed
    /// (`telemetry_rules::bucket::cmp_names`: by name, a histogram's buckets by bound).
    pub counters: Vec<(String, u64)>,
}

/// Reads a whole file, checking every chain: offsets inside the record area and
/// aligned, names UTF-8 and in their own bucket, no name twice, no cycle. Never
/// panics and always ends, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Result<Contents, FormatError> {
    let (header, layout, limit) = parse_header(bytes)?;
    let corrupt = |what: String| Err(FormatError::Corrupt(what));
    // No chain can hold more records than fit between the record start and the limit.
    let max_records = (limit - layout.records_start) / (RECORD_HEAD + 8);
    let mut seen: HashSet<&str> = HashSet::new();
    let mut counters = Vec::new();
    let mut steps = 0u64;
    for bucket in 0..layout.buckets {
        let mut at = u64::from(get_u32(bytes, layout.head(bucket) as usize));
        while at != 0 {
            steps += 1;
            if steps > max_records {
                return corrupt(format!(
                    "bucket {bucket} loops or holds more records than fit"
                ));
            }
            if at < layout.records_start || at % 8 != 0 || at + RECORD_HEAD > limit {
                return corrupt(format!(
                    "bucket {bucket} points at {at}, outside the records"
                ));
            }
            let i = at as usize;
            let name_len = get_u32(bytes, i + 12) as usize;
            if name_len == 0 || name_len > MAX_NAME || at + record_len(name_len) > limit {
                return corrupt(format!("record at {at} has a name length of {name_len}"));
            }
            let Ok(name) = std::str::from_utf8(&bytes[i + 16..i + 16 + name_len]) else {
                return corrupt(format!("record at {at} has a name that is not UTF-8"));
            };
            if layout.bucket_of(name) != bucket {
                return corrupt(format!(
                    "record {name:?} at {at} is in bucket {bucket}, not its own"
                ));
            }
            if !seen.insert(name) {
                return corrupt(format!("counter {name:?} appears twice"));
            }
            counters.push((name.to_string(), get_u64(bytes, i)));
            at = u64::from(get_u32(bytes, i + 8));
        }
    }
    counters.sort_by(|(a, _), (b, _)| telemetry_rules::bucket::cmp_names(a, b));
    Ok(Contents { header, counters })
}

/// The native-order `u32` at `at`.
pub fn get_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_ne_bytes(word)
}

/// The native-order `u64` at `at`.
pub fn get_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_ne_bytes(word)
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_ne_bytes());
}

fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_ne_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            meta: META_KEYS
                .iter()
                .map(|k| (k.to_string(), format!("{k}-value")))
                .collect(),
            begin: 20_000 * 86_400,
            end: 20_007 * 86_400,
        }
    }

    fn sample() -> Vec<u8> {
        let names: Vec<String> = (0..300).map(|i| format!("fuzz/counter-{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        encode_new(&header(), &refs).unwrap()
    }

    use crate::test_rng::Rng;

    #[test]
    fn a_new_file_reads_back_every_name_at_zero() {
        let contents = parse(&sample()).unwrap();
        assert_eq!(contents.header, header());
        assert_eq!(contents.counters.len(), 300);
        assert!(
            contents
                .counters
                .iter()
                .all(|(n, v)| n.starts_with("fuzz/counter-") && *v == 0)
        );
    }

    #[test]
    fn counters_read_back_by_name_a_histograms_buckets_by_bound() {
        let names = [
            "kv/latency:>=500ms",
            "kv/latency:<100ms",
            "kv/get",
            "kv/latency:<5ms",
            "kv/latency-total",
            "kv/latency:<20ms",
        ];
        let contents = parse(&encode_new(&header(), &names).unwrap()).unwrap();
        let read: Vec<&str> = contents.counters.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            read,
            [
                "kv/get",
                "kv/latency-total",
                "kv/latency:<5ms",
                "kv/latency:<20ms",
                "kv/latency:<100ms",
                "kv/latency:>=500ms",
            ]
        );
    }

    #[test]
    fn every_truncation_is_an_error_or_a_valid_prefix_never_a_panic() {
        let bytes = sample();
        let (_, layout, limit) = parse_header(&bytes).unwrap();
        // Every length through the header and table, then every 13th through records.
        let lens = (0..layout.records_start as usize + 64).chain((0..bytes.len()).step_by(13));
        for len in lens {
            match parse(&bytes[..len]) {
                Ok(_) => assert!(
                    len as u64 >= limit,
                    "a file cut at {len} before its records end"
                ),
                Err(FormatError::Empty) => assert_eq!(len, 0),
                Err(FormatError::Foreign) => assert!(len < 8),
                Err(FormatError::Truncated { actual, .. }) => assert_eq!(actual, len as u64),
                Err(other) => panic!("cut at {len}: {other}"),
            }
        }
        assert!(layout.records_start < limit);
    }

    #[test]
    fn random_mutations_of_a_valid_file_never_panic_or_hang() {
        let original = sample();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut outcomes = [0usize; 2];
        for _ in 0..3000 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                match rng.below(4) {
                    0 => bytes[at] ^= 1 << rng.below(8),
                    1 => bytes[at] = rng.next() as u8,
                    // Aim at the header and the first chains, where damage matters most.
                    2 => {
                        let at = rng.below(4096.min(bytes.len()));
                        bytes[at] = rng.next() as u8;
                    }
                    _ => bytes.truncate(at),
                }
            }
            outcomes[usize::from(parse(&bytes).is_ok())] += 1;
        }
        assert!(
            outcomes[0] > 0 && outcomes[1] > 0,
            "both outcomes occur: {outcomes:?}"
        );
    }

    #[test]
    fn random_bytes_are_never_taken_for_a_counter_file() {
        let mut rng = Rng(42);
        for round in 0..2000 {
            let len = rng.below(40_000);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if round % 2 == 0 && len >= 8 {
                bytes[..8].copy_from_slice(&MAGIC); // get past the first check
            }
            assert!(parse(&bytes).is_err());
        }
    }

    #[test]
    fn a_chain_that_loops_is_reported_not_followed_forever() {
        let mut bytes = sample();
        let (_, layout, _) = parse_header(&bytes).unwrap();
        // Point some record's `next` back at itself.
        let name = "fuzz/counter-7";
        let mut at = get_u32(&bytes, layout.head(layout.bucket_of(name)) as usize) as usize;
        while &bytes[at + 16..at + 16 + name.len()] != name.as_bytes() {
            at = get_u32(&bytes, at + 8) as usize;
        }
        put_u32(&mut bytes, at + 8, at as u32);
        let error = parse(&bytes).unwrap_err().to_string();
        assert!(
            error.contains("loops") || error.contains("appears twice"),
            "{error}"
        );
    }

    #[test]
    fn a_limit_anywhere_near_two_to_the_64_places_nothing_and_never_overflows() {
        for limit in [
            u64::MAX,
            u64::MAX - 7,
            u64::MAX - PAGE,
            1 << 63,
            MAX_FILE_LEN + 1,
        ] {
            assert_eq!(place(limit, 10), None, "{limit}");
        }
        assert_eq!(place(MAX_FILE_LEN - 8, 10), None, "a record past the cap");
        assert!(place(MAX_FILE_LEN - 2 * PAGE, 10).is_some());
    }

    #[test]
    fn a_file_larger_than_the_cap_is_rejected_before_anything_is_read() {
        let bytes = sample();
        assert_eq!(
            parse_header_prefix(&bytes, MAX_FILE_LEN + 1).map(|_| ()),
            Err(FormatError::TooLarge(MAX_FILE_LEN + 1))
        );
    }

    #[test]
    fn records_never_touch_the_reserved_tail_of_a_page() {
        let mut limit = 0;
        for len in (1..=MAX_NAME).step_by(7) {
            let (start, end) = place(limit, len).unwrap();
            assert_eq!(start % 8, 0);
            assert!(
                (end - 1) % PAGE < PAGE - TAIL,
                "record [{start}, {end}) reaches a tail"
            );
            assert_eq!(
                start / PAGE,
                (end - 1) / PAGE,
                "record [{start}, {end}) straddles pages"
            );
            limit = end;
        }
    }
}
