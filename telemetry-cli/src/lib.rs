//! The library half of the `telemetry` command: reading the counter manifest of a
//! built program, and comparing it with a manifest committed earlier.
//!
//! The `telemetry manifest` command is built on it, and so are tests that keep a
//! program's committed manifest up to date (see `examples/kv/tests/manifest.rs`).
//! `docs/MANIFEST.md` describes the manifest, its records and the exit statuses.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod manifest;
