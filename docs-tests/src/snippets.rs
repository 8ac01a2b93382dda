//! The Rust snippets of the docs, compiled as doc tests of this crate (run too, unless
//! marked `no_run`), with warnings denied (see `lib.rs`): a snippet that stops
//! compiling, or that makes a new user's program warn, fails `cargo test`. Every
//! Markdown file with a Rust block is included here; `tests/docs.rs` checks that none
//! is left out.

/// `README.md`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub mod readme {}

/// `telemetry/README.md`, the facade's page on crates.io.
#[cfg(doctest)]
#[doc = include_str!("../../telemetry/README.md")]
pub mod telemetry_readme {}

/// `docs/MANIFEST.md`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/MANIFEST.md")]
pub mod manifest {}

/// `docs/CONSENT.md`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/CONSENT.md")]
pub mod consent {}

/// `docs/UPLOAD.md`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/UPLOAD.md")]
pub mod upload {}
