//! Counters' manifest records, encoded by the macro: a byte-string literal the compiler
//! only copies (const-evaluating records field by field costs seconds for a program
//! with thousands of counters). Only a name that `#[counted]` derives from
//! `module_path!()` is unknown here: such a record is the facade's `DerivedRecord`,
//! the macro's bytes followed by the name the compiler derives (the name is the
//! record's last field for this reason). The layout is
//! `telemetry_formats::manifest::record`'s; its header, the kind and origin codes and
//! the section are `telemetry_rules::record`'s.

use std::sync::OnceLock;

use telemetry_rules::Kind;
use telemetry_rules::record::{
    self as rules, LEN_AT, ORIGIN_DERIVED, ORIGIN_WRITTEN, SECTION_ELF, SECTION_MACHO, SECTION_PE,
};

use crate::emit::{P, bytes_lit, str_lit};
use crate::model::{CounterName, DeclParts, Origin, RecordKind};

/// The record of the counter `parts` describe, as the items placing `static #record`
/// in the manifest section: `[u8; N]`, or the facade's `DerivedRecord` when the name
/// is derived.
pub(crate) fn record(record: &str, kind: &RecordKind<'_>, parts: &DeclParts) -> String {
    let DeclParts {
        name,
        description,
        expires,
        site,
        ..
    } = parts;
    let (kind_code, arg) = match kind {
        RecordKind::Basic => (Kind::Basic, 0),
        RecordKind::Stack { depth } => (Kind::Stack, *depth),
        RecordKind::Bucket { index, .. } => (Kind::Bucket, *index),
        RecordKind::Label { index, .. } => (Kind::Label, *index),
    };
    let origin = match parts.origin() {
        Origin::Derived => ORIGIN_DERIVED,
        Origin::Explicit => ORIGIN_WRITTEN,
    };
    // Everything but the name, which comes last; the total length is set below.
    let mut fixed = rules::counter_header(kind_code, 0, site.line, arg, origin).to_vec();
    string(&mut fixed, description);
    string(&mut fixed, &crate_name());
    string(&mut fixed, &site.file);
    let unit = match kind {
        RecordKind::Bucket { unit, .. } => unit,
        _ => "",
    };
    string(&mut fixed, unit);
    string(&mut fixed, expires);
    match kind {
        RecordKind::Bucket { bounds, .. } => {
            fixed.extend_from_slice(&(bounds.len() as u32).to_le_bytes());
            for bound in *bounds {
                fixed.extend_from_slice(&bound.to_le_bytes());
            }
        }
        RecordKind::Label { labels, .. } => {
            fixed.extend_from_slice(&(labels.len() as u32).to_le_bytes());
            for label in *labels {
                string(&mut fixed, label);
            }
        }
        RecordKind::Basic | RecordKind::Stack { .. } => {
            fixed.extend_from_slice(&0u32.to_le_bytes());
        }
    }
    match name {
        CounterName::Literal(name) => {
            let mut whole = fixed;
            string(&mut whole, name);
            let len = whole.len() as u32;
            whole[LEN_AT..LEN_AT + 4].copy_from_slice(&len.to_le_bytes());
            let (len, bytes) = (whole.len(), bytes_lit(&whole));
            format!(
                "{} static {record}: [::core::primitive::u8; {len}] = *{bytes};",
                section_attrs()
            )
        }
        CounterName::Derived { tail } => {
            // The compiler appends the name, and fills in the length field.
            let (fixed_len, fixed) = (fixed.len(), bytes_lit(&fixed));
            let tail = str_lit(tail);
            format!(
                "{} static {record}: {P}::DerivedRecord<{fixed_len}> = \
                 {P}::DerivedRecord::new({fixed}, {P}::module_path!(), {tail});",
                section_attrs()
            )
        }
    }
}

/// The attributes placing a record's `static` in the manifest section of the target's
/// object format (`telemetry_rules::record::SECTION_*`), and keeping it there. Written
/// out in each expansion rather than through the runtime's `manifest_static!`, which
/// does the same for the runtime's own records: a `macro_rules!` call per declaration
/// cost the compiler about a tenth of a counted function's check.
pub(crate) fn section_attrs() -> &'static str {
    static ATTRS: OnceLock<String> = OnceLock::new();
    ATTRS.get_or_init(|| {
        let (segment, section) = SECTION_MACHO;
        format!(
            "#[cfg_attr(target_vendor = \"apple\", unsafe(link_section = \"{segment},{section}\"))] \
             #[cfg_attr(windows, unsafe(link_section = \"{SECTION_PE}\"))] \
             #[cfg_attr(not(any(windows, target_vendor = \"apple\")), \
                 unsafe(link_section = \"{SECTION_ELF}\"))] \
             #[used]"
        )
    })
}

/// The crate being compiled, as Cargo names it for the compiler.
fn crate_name() -> String {
    std::env::var("CARGO_CRATE_NAME").unwrap_or_default()
}

fn string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}
