//! Counters' manifest records, encoded by the macro: a byte-string literal the compiler
//! only copies (const-evaluating records field by field costs seconds for a program
//! with thousands of counters). Only a name that `#[counted]` derives from
//! `module_path!()` is unknown here: such a record is emitted in two parts, which the
//! runtime's `assemble_record` joins around the name. The layout is
//! `telemetry_runtime::manifest::record`'s, version 1.

use proc_macro2::TokenStream;
use quote::quote;

use crate::declare::{DeclParts, Origin};

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

/// The items placing the record of the counter `parts` describe in the manifest
/// section as `static #record`. When the macro does not know the name, `derived` is a
/// constant expression of type `&'static str` giving it.
pub(crate) fn record(
    record: &syn::Ident,
    kind: &RecordKind<'_>,
    parts: &DeclParts,
    derived: &TokenStream,
) -> TokenStream {
    let DeclParts {
        private,
        literal_name: name,
        description,
        site,
        origin,
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
    head.extend_from_slice(&1u16.to_le_bytes());
    head.extend_from_slice(&code.to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes()); // total length, set below
    head.extend_from_slice(&site.line.to_le_bytes());
    head.extend_from_slice(&arg.to_le_bytes());
    let origin = match origin {
        Origin::Derived => 0,
        Origin::Explicit => 1,
    };
    head.extend_from_slice(&[origin, 0, 0, 0]);
    let mut rest = Vec::new();
    string(&mut rest, description);
    string(&mut rest, &crate_name());
    string(&mut rest, &site.file);
    match kind {
        RecordKind::Bucket { bounds, unit, .. } => {
            string(&mut rest, unit);
            rest.extend_from_slice(&(bounds.len() as u32).to_le_bytes());
            for bound in *bounds {
                rest.extend_from_slice(&bound.to_le_bytes());
            }
        }
        RecordKind::Label { labels, .. } => {
            string(&mut rest, "");
            rest.extend_from_slice(&(labels.len() as u32).to_le_bytes());
            for label in *labels {
                string(&mut rest, label);
            }
        }
        RecordKind::Basic | RecordKind::Stack { .. } => {
            string(&mut rest, "");
            rest.extend_from_slice(&0u32.to_le_bytes());
        }
    }
    match name.as_deref() {
        Some(name) => {
            let mut whole = head;
            string(&mut whole, name);
            whole.extend_from_slice(&rest);
            let len = whole.len() as u32;
            whole[8..12].copy_from_slice(&len.to_le_bytes());
            let (len, bytes) = (whole.len(), bytes(&whole));
            quote!(#private::manifest_record!(#record = bytes #len, *#bytes);)
        }
        None => {
            let (head, rest) = (bytes(&head), bytes(&rest));
            quote! {
                #private::manifest_record!(#record = parts
                    #private::RecordParts { head: #head, name: #derived, rest: #rest }
                );
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

fn bytes(bytes: &[u8]) -> TokenStream {
    let literal = proc_macro2::Literal::byte_string(bytes);
    quote!(#literal)
}
