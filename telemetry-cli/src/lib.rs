//! The library half of the `telemetry` command: reading the counter manifest of a
//! built program, and comparing it with a manifest committed earlier.
//!
//! The `telemetry manifest` command is built on it, and so are tests that keep a
//! program's committed manifest up to date (see `examples/kv/tests/manifest.rs`).
//! `docs/MANIFEST.md` describes the manifest, its records and the exit statuses.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod manifest;

/// `text` with every control character escaped (`\t`, `\u{1b}`, …), so that nothing read
/// from a file reaches a terminal raw and each item stays on one line.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}
