//! The `telemetry` command itself, shared by the two binaries it is installed as
//! (`telemetry`, and `cargo-telemetry` for `cargo telemetry …`).

mod args;
mod cargo;
mod commands;
mod context;
mod display;
mod error;
mod help;
mod listing;
mod table;

use std::io::{self, Write};
use std::process::ExitCode;

use error::CliError;

/// The manifest of a built program (for `cargo telemetry manifest`).
fn manifest_of_binary(
    path: &std::path::Path,
) -> Result<telemetry_formats::manifest::Manifest, telemetry_cli::manifest::ManifestError> {
    telemetry_cli::manifest::read_binary(path)
}

/// The whole command: parses, runs, prints, and gives the exit status.
pub(crate) fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown cause");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        error_line(&format!("internal error (a bug): {message}{at}"));
    }));
    let result = match cargo::subcommand_args() {
        Some(args) => cargo::run(&args),
        None => args::parse(std::env::args_os().skip(1)).and_then(|args| commands::run(&args)),
    };
    let report = match result {
        Ok(report) => report,
        Err(error @ CliError::Manifest(_)) => {
            error_lines(&error.to_string());
            return ExitCode::from(error.exit_status());
        }
        Err(error) => {
            error_line(&error.to_string());
            return ExitCode::from(error.exit_status());
        }
    };
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(report.out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        // The reader went away (`telemetry show | head`): not our failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            error_line(&format!("cannot write the output: {e}"));
            return ExitCode::from(error::FAILED);
        }
    }
    for warning in &report.warnings {
        error_line(warning);
    }
    if report.failed {
        ExitCode::from(error::FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints `telemetry: <message>` on stderr as one line, whatever the message holds.
fn error_line(message: &str) {
    let message = display::escaped(message);
    let _ = writeln!(io::stderr(), "telemetry: {message}");
}

/// Prints a message of several lines on stderr: the first as `telemetry: <line>`, the
/// others as they are, each with its control characters escaped.
fn error_lines(message: &str) {
    let mut stderr = io::stderr().lock();
    for (i, line) in message.split('\n').enumerate() {
        let prefix = if i == 0 { "telemetry: " } else { "" };
        let _ = writeln!(stderr, "{prefix}{}", display::escaped(line));
    }
}
