//! Opt-in upload of weekly reports, for programs that enable the `upload` feature of
//! `transparent-telemetry` and name their collector:
//!
//! ```text
//! telemetry::program!()
//!     .upload("https://telemetry.example.org", "ed25519:7b00…95b8")
//!     .start();
//! ```
//!
//! Only in mode `on`, and never with data from before the day `on` was chosen: once a
//! day at most, `start!()` starts a detached child process ([`child`]) that makes the
//! reports of finished weeks, fetches the collector's signed config (at most once a
//! day, verified with the embedded key on every use, never rolled back), filters each
//! report by it (`telemetry_formats::upload`) and posts what is left, exactly once per
//! week, keeping a copy of every byte sent and the collector's receipt
//! ([`mod@run`]). `docs/UPLOAD.md` describes the files and every failure's handling.
//!
//! This crate has no engine: it reads and writes the formats of
//! `transparent-telemetry-formats`, so the `telemetry` command runs the same code for
//! `telemetry upload`.

#![warn(clippy::unwrap_used)]

pub mod answer;
pub mod child;
pub mod config;
pub mod files;
pub mod http;
pub mod lock;
pub mod padding;
pub mod preview;
mod reports;
pub mod run;
pub mod state;
mod work;

pub use child::on_start;
pub use preview::Preview;
pub use run::{Options, Outcome, Target, Week, run};
pub use state::{State, state};
