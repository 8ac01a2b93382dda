//! Manifest records as the runtime writes them: `const fn` encoders of the layout
//! `telemetry_formats::manifest::record` defines and reads (its docs and
//! `docs/MANIFEST.md` describe the bytes).

use telemetry_rules::record::{
    HEADER, KIND_PROGRAM, ORIGIN_DERIVED, ORIGIN_PROGRAM, ORIGIN_WRITTEN,
};

use crate::counter::{Decl, Kind, Origin};

/// The record's kind code and its argument: the depth or the index.
const fn kind_code(kind: &Kind) -> (u16, u32) {
    let arg = match kind {
        Kind::Basic => 0,
        Kind::Stack { depth } => *depth as u32,
        Kind::Bucket { index, .. } | Kind::Label { index, .. } => *index as u32,
    };
    (kind.rule().code(), arg)
}

const fn origin_code(origin: Origin) -> u8 {
    match origin {
        Origin::Derived => ORIGIN_DERIVED,
        Origin::Explicit | Origin::Chain => ORIGIN_WRITTEN,
    }
}

/// The length of the record of `decl`.
pub(crate) const fn record_len(decl: &Decl) -> usize {
    // Six strings (the expiry empty: the runtime's own counters never expire), the
    // list's count.
    let mut len = HEADER
        + 6 * 4
        + decl.name.len()
        + decl.description.len()
        + first_segment(decl.module_path).len()
        + decl.file.len()
        + 4;
    match decl.kind {
        Kind::Bucket { bounds, unit, .. } => len += unit.len() + 8 * bounds.len(),
        Kind::Label { labels, .. } => {
            let mut i = 0;
            while i < labels.len() {
                len += 4 + labels[i].len();
                i += 1;
            }
        }
        Kind::Basic | Kind::Stack { .. } => {}
    }
    len
}

/// The record of `decl`; `N` is [`record_len`] of it.
pub(crate) const fn encode_record<const N: usize>(decl: &Decl) -> [u8; N] {
    let mut out = [0u8; N];
    let (kind, arg) = kind_code(&decl.kind);
    let mut w = Writer::new(&mut out);
    w.header(kind, N, decl.line, arg, origin_code(decl.origin));
    w.string(decl.description);
    w.string(first_segment(decl.module_path));
    w.string(decl.file);
    let unit = match decl.kind {
        Kind::Bucket { unit, .. } => unit,
        _ => "",
    };
    w.string(unit);
    w.string(""); // expires: never
    match decl.kind {
        Kind::Bucket { bounds, .. } => {
            w.u32(bounds.len() as u32);
            let mut i = 0;
            while i < bounds.len() {
                w.bytes(&bounds[i].to_le_bytes());
                i += 1;
            }
        }
        Kind::Label { labels, .. } => {
            w.u32(labels.len() as u32);
            let mut i = 0;
            while i < labels.len() {
                w.string(labels[i]);
                i += 1;
            }
        }
        Kind::Basic | Kind::Stack { .. } => w.u32(0),
    }
    w.string(decl.name);
    assert!(w.at == N, "manifest record length mismatch");
    out
}

/// The length of a program's record. Not public API.
#[doc(hidden)]
pub const fn program_record_len(name: &str, version: &str) -> usize {
    HEADER + 4 + name.len() + 4 + version.len() + 4
}

/// A program's record: its name and version. Not public API.
#[doc(hidden)]
pub const fn encode_program_record<const N: usize>(name: &str, version: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let mut w = Writer::new(&mut out);
    w.header(KIND_PROGRAM, N, 0, 0, ORIGIN_PROGRAM);
    w.string(name);
    w.string(version);
    w.u32(0);
    assert!(w.at == N, "manifest record length mismatch");
    out
}

/// The crate of a module path: everything before the first `::`.
const fn first_segment(module_path: &str) -> &str {
    let bytes = module_path.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() && !(bytes[i] == b':' && bytes[i + 1] == b':') {
        i += 1;
    }
    if i + 1 >= bytes.len() {
        return module_path;
    }
    match core::str::from_utf8(bytes.split_at(i).0) {
        Ok(text) => text,
        Err(_) => module_path,
    }
}

struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl<'a> Writer<'a> {
    const fn new(buf: &'a mut [u8]) -> Writer<'a> {
        Writer { buf, at: 0 }
    }

    const fn bytes(&mut self, bytes: &[u8]) {
        let (_, rest) = self.buf.split_at_mut(self.at);
        let (target, _) = rest.split_at_mut(bytes.len());
        target.copy_from_slice(bytes);
        self.at += bytes.len();
    }

    const fn u32(&mut self, value: u32) {
        self.bytes(&value.to_le_bytes());
    }

    const fn string(&mut self, text: &str) {
        self.u32(text.len() as u32);
        self.bytes(text.as_bytes());
    }

    const fn header(&mut self, kind: u16, len: usize, line: u32, arg: u32, origin: u8) {
        self.bytes(&telemetry_rules::record::header(
            kind, len as u32, line, arg, origin,
        ));
    }
}
