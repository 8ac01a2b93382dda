//! The rules transparent telemetry states once and every part obeys: the macros
//! check declarations against them while a program compiles, the runtime counts by
//! them, the formats read and write by them, and the collection server accepts
//! reports by them.
//!
//! - [`name`]: what a counter name may be, and the errors that say why one is not;
//! - the limits ([`MAX_NAME_LEN`], [`MAX_DEPTH`], [`MAX_BOUNDS`]) and the label set's
//!   fallback label ([`FALLBACK_LABEL`]);
//! - [`bucket`]: how histogram buckets are named, and the order they are listed in;
//! - [`Kind`]: the kinds of counter, their names and their record codes, and
//!   [`Shape`], what makes two declarations of one name compatible;
//! - [`record`]: the fixed part of a manifest record (magic, version, codes, header);
//! - [`chain`]: how a stack counter's chain is named from its frames;
//! - [`derived`]: the name `#[counted]` derives from a module path;
//! - [`date`]: the `YYYY-MM-DD` dates of `expires = "…"` and the formats.
//!
//! No dependencies, so the proc-macro crate compiles it alongside `syn` at no cost.

#![warn(clippy::unwrap_used)]

pub mod bucket;
pub mod chain;
pub mod date;
pub mod derived;
mod kind;
pub mod name;
pub mod record;

pub use kind::{Kind, Shape};

/// The longest counter name a declaration may have, in bytes, a histogram bucket's or
/// a label's suffix included. A stack counter's chain names are longer by
/// construction: the stack counter's name and each frame's, one per line.
///
/// 200 bytes hold a deep module path with a type and a function, yet keep a chain of
/// [`MAX_DEPTH`] frames within a counter file's longest name (8 KiB), and a derived
/// name's length within the one byte the facade's derived records give it.
pub const MAX_NAME_LEN: usize = 200;

/// The deepest chain a stack counter records, and the most frames an upload config
/// may ask for.
pub const MAX_DEPTH: usize = 32;

/// The most bounds a histogram may have (it has one bucket more).
pub const MAX_BOUNDS: usize = 32;

/// The label every label set has (the macro adds it when the list lacks it), where
/// any label outside the set is counted.
pub const FALLBACK_LABEL: &str = "other";
