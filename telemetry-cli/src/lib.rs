//! The `telemetry` command, and the library half of it: reading the counter manifest
//! of a built program, and comparing it with a manifest committed earlier.
//!
//! The `telemetry manifest` command is built on it, and so are tests that keep a
//! program's committed manifest up to date (see `examples/kv/tests/manifest.rs`).
//! `docs/MANIFEST.md` describes the manifest, its records and the exit statuses.
//!
//! The commands a program's users need (`on`, `off`, `local`, `status`, `show`, …) are
//! not here but in `transparent-telemetry-command`, which programs also link to offer
//! them as their own `telemetry` subcommand; [`main`] adds to them the commands of
//! reviewers and collectors.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod app;
pub mod manifest;

pub use telemetry_command::display::escaped;

/// The whole `telemetry` command, as the `telemetry` and `cargo-telemetry` binaries
/// run it: parses the process's arguments, runs the command, prints its output and
/// errors, and gives the exit status.
pub fn main() -> std::process::ExitCode {
    app::main()
}
