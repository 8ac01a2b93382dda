//! The fixed part of a manifest record: the bytes a macro writes for each declaration
//! into the binary's manifest section, and every reader checks. The whole layout, and
//! the reader, are `telemetry_formats::manifest::record`'s; `docs/MANIFEST.md`
//! describes it for people.
//!
//! ```text
//! offset  size  field (integers little-endian)
//!      0     4  magic "TTMR"
//!      4     2  record format version
//!      6     2  kind code (Kind::code, or 16 for a program)
//!      8     4  total length of the record, header included
//!     12     4  line of the declaration (0 for a program record)
//!     16     4  stack depth, or the bucket's or label's index; else 0
//!     20     1  origin: how the name was chosen
//!     21     3  reserved, 0
//! ```

use crate::Kind;

/// First bytes of every record.
pub const MAGIC: [u8; 4] = *b"TTMR";
/// The record format version written, and the newest read.
pub const VERSION: u16 = 2;
/// The oldest record format read: version 1, without `expires`.
pub const OLDEST_VERSION: u16 = 1;
/// The kind code of a program's name and version (a counter's is [`Kind::code`]).
pub const KIND_PROGRAM: u16 = 16;
/// Bytes of a record before its strings.
pub const HEADER: usize = 24;
/// Offset of the record's total length, a `u32`.
pub const LEN_AT: usize = 8;

/// The origin code of a name `#[counted]` derived from its function.
pub const ORIGIN_DERIVED: u8 = 0;
/// The origin code of a name written in the declaration.
pub const ORIGIN_WRITTEN: u8 = 1;
/// The origin code of a program record.
pub const ORIGIN_PROGRAM: u8 = 2;

/// The section holding the records in an ELF object.
pub const SECTION_ELF: &str = "telemetry_manifest";
/// Mach-O: segment `__DATA`, section `__tmanifest` (names are limited to 16 bytes).
pub const SECTION_MACHO: (&str, &str) = ("__DATA", "__tmanifest");
/// PE/COFF: image section names are limited to 8 bytes.
pub const SECTION_PE: &str = ".tmanif";

/// The header of a record of `len` bytes: `kind` is a counter's [`Kind::code`] or
/// [`KIND_PROGRAM`], `arg` the depth or index, `origin` an `ORIGIN_*` code.
pub const fn header(kind: u16, len: u32, line: u32, arg: u32, origin: u8) -> [u8; HEADER] {
    let [m0, m1, m2, m3] = MAGIC;
    let [v0, v1] = VERSION.to_le_bytes();
    let [k0, k1] = kind.to_le_bytes();
    let [n0, n1, n2, n3] = len.to_le_bytes();
    let [l0, l1, l2, l3] = line.to_le_bytes();
    let [a0, a1, a2, a3] = arg.to_le_bytes();
    [
        m0, m1, m2, m3, v0, v1, k0, k1, n0, n1, n2, n3, l0, l1, l2, l3, a0, a1, a2, a3, origin, 0,
        0, 0,
    ]
}

/// The header of a counter's record: [`header`] with the kind's code.
pub const fn counter_header(kind: Kind, len: u32, line: u32, arg: u32, origin: u8) -> [u8; HEADER] {
    header(kind.code(), len, line, arg, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_laid_out_as_documented() {
        let head = counter_header(Kind::Label, 0x0102_0304, 7, 2, ORIGIN_WRITTEN);
        assert_eq!(&head[..4], b"TTMR");
        assert_eq!(head[4..6], VERSION.to_le_bytes());
        assert_eq!(head[6..8], [3, 0]);
        assert_eq!(head[LEN_AT..LEN_AT + 4], [4, 3, 2, 1]);
        assert_eq!(head[12..16], [7, 0, 0, 0]);
        assert_eq!(head[16..20], [2, 0, 0, 0]);
        assert_eq!(head[20..], [1, 0, 0, 0]);
    }
}
