//! The docs are tested like code: every command line in `README.md` and `docs/*.md`
//! runs in `cargo test --workspace`, in a scratch copy of the repository, against the
//! output the doc shows where it shows one; every `--help` of every command is checked
//! against the commands that exist; and the docs' Rust snippets are compiled. How to
//! write docs that the test can run is in this crate's `README.md`.
//!
//! - [`markdown`] reads the code blocks, directives and inline code spans of a doc;
//! - [`shell`] turns a shell block into a bash script that keeps the doc's line numbers;
//! - [`expect`] compares output with what a `console` block shows;
//! - [`cargo_model`] knows the workspace as cargo does, for `docs-test-cargo`, the
//!   stand-in for `cargo` the docs' commands run;
//! - [`setup`] builds the workspace once and finds the docs;
//! - [`runner`] runs a block in its scratch directory and stops what it started;
//! - [`usage`] checks the commands named in prose against the binaries' help;
//! - `snippets` holds the docs' Rust blocks as doc tests.

// Doc tests (the docs' Rust snippets) fail on any warning a user would see.
#![doc(test(attr(deny(warnings))))]

pub mod cargo_model;
pub mod expect;
pub mod markdown;
pub mod runner;
pub mod setup;
pub mod shell;
mod snippets;
pub mod usage;
