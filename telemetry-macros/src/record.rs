//! Counters' manifest records, encoded by the macro: a byte-string literal the compiler
//! only copies (const-evaluating records field by field costs seconds for a program
//! with thousands of counters). Only a name that `#[counted]` derives from
//! `module_path!()` is unknown here: such a record is the facade's `DerivedRecord`,
//! the macro's bytes around the name the compiler derives. The layout is
//! `telemetry_formats::manifest::record`'s, version 2 (`VERSION` below).

use crate::declare::{CounterName, DeclParts, Origin};
use crate::emit::{P, bytes_lit, str_lit};

/// The record format version written; keep in step with
/// `telemetry_formats::manifest::record::VERSION`.
const VERSION: u16 = 2;

/// What kind of counter a record describes, with its list.
pub(crate) enum RecordKind<'a> {
    Basic,
    Stack {
        depth: u32,
    },
    Bucket {
        index: u32,
        bounds: &'a [u64],
        unit: &'a str,
    },
    Label {
        index: u32,
        labels: &'a [String],
    },
}

/// A record, as items and as what the counter's `Decl` takes from it, all as code.
pub(crate) struct Record {
    /// The items placing it in the manifest section.
    pub items: String,
    /// The counter's name: a `&'static str` expression.
    pub name: String,
    /// The record: a `&'static [u8]` expression.
    pub bytes: String,
}

/// The record of the counter `parts` describe, as `static #record` in the manifest
/// section.
pub(crate) fn record(record: &str, kind: &RecordKind<'_>, parts: &DeclParts) -> Record {
    let DeclParts {
        name,
        description,
        expires,
        site,
        ..
    } = parts;
    let (code, arg): (u16, u32) = match kind {
        RecordKind::Basic => (0, 0),
        RecordKind::Stack { depth } => (1, *depth),
        RecordKind::Bucket { index, .. } => (2, *index),
        RecordKind::Label { index, .. } => (3, *index),
    };
    let mut head = Vec::with_capacity(24);
    head.extend_from_slice(b"TTMR");
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.extend_from_slice(&code.to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes()); // total length, set below
    head.extend_from_slice(&site.line.to_le_bytes());
    head.extend_from_slice(&arg.to_le_bytes());
    let origin = match parts.origin() {
        Origin::Derived => 0,
        Origin::Explicit => 1,
    };
    head.extend_from_slice(&[origin, 0, 0, 0]);
    let mut rest = Vec::new();
    string(&mut rest, description);
    string(&mut rest, &crate_name());
    string(&mut rest, &site.file);
    let unit = match kind {
        RecordKind::Bucket { unit, .. } => unit,
        _ => "",
    };
    string(&mut rest, unit);
    string(&mut rest, expires);
    match kind {
        RecordKind::Bucket { bounds, .. } => {
            rest.extend_from_slice(&(bounds.len() as u32).to_le_bytes());
            for bound in *bounds {
                rest.extend_from_slice(&bound.to_le_bytes());
            }
        }
        RecordKind::Label { labels, .. } => {
            rest.extend_from_slice(&(labels.len() as u32).to_le_bytes());
            for label in *labels {
                string(&mut rest, label);
            }
        }
        RecordKind::Basic | RecordKind::Stack { .. } => {
            rest.extend_from_slice(&0u32.to_le_bytes());
        }
    }
    match name {
        CounterName::Literal(name) => {
            let mut whole = head;
            string(&mut whole, name);
            whole.extend_from_slice(&rest);
            let len = whole.len() as u32;
            whole[8..12].copy_from_slice(&len.to_le_bytes());
            let (len, bytes) = (whole.len(), bytes_lit(&whole));
            Record {
                items: format!(
                    "{P}::manifest_static! {{ \
                     static {record}: [::core::primitive::u8; {len}] = *{bytes}; }}"
                ),
                name: str_lit(name),
                bytes: format!("&{record}"),
            }
        }
        CounterName::Derived { tail } => {
            // Around the length field, which the name's length decides.
            let (start, middle) = (bytes_lit(&head[..8]), bytes_lit(&head[12..]));
            let (rest_len, rest) = (rest.len(), bytes_lit(&rest));
            let tail = str_lit(tail);
            Record {
                items: format!(
                    "const __TELEMETRY_NAME_LEN: ::core::primitive::usize = \
                     {P}::derived_name_len({P}::module_path!(), {tail}); \
                     {P}::manifest_static! {{ \
                     static {record}: {P}::DerivedRecord<__TELEMETRY_NAME_LEN, {rest_len}> = \
                     {P}::DerivedRecord::new({start}, {middle}, {P}::module_path!(), {tail}, {rest}); }}"
                ),
                name: format!("{record}.name()"),
                bytes: format!("{record}.bytes()"),
            }
        }
    }
}

/// The crate being compiled, as Cargo names it for the compiler.
fn crate_name() -> String {
    std::env::var("CARGO_CRATE_NAME").unwrap_or_default()
}

fn string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}
