//! `telemetry`: choose what the programs of a namespace may count, and look at or
//! delete what they counted.
//!
//! ```text
//! telemetry [--dir DIR] [--namespace NAME] on | off | local | status | show [--json] | csv | clean | help
//! telemetry manifest BINARY [--format json|md] [--check FILE]
//! cargo telemetry manifest [-p PKG] [--release] [--out DIR]   (installed as cargo-telemetry)
//! ```
//!
//! Exit status: 0 success, 1 the command failed, 2 usage error; `manifest` has its
//! own, 0 to 6 (`docs/MANIFEST.md`). Every error is one line on stderr,
//! `telemetry: <message>`, except the conflicts `manifest` finds, which list every
//! declaring site on a line of its own.

fn main() -> std::process::ExitCode {
    telemetry_cli::main()
}
