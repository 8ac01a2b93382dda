//! `telemetry`: choose what the programs of a namespace may count, and look at or
//! delete what they counted.
//!
//! ```text
//! telemetry [--dir DIR] [--namespace NAME] on | off | local | status | show [--json] | csv | clean | help
//! telemetry manifest BINARY [--format json|md] [--check FILE]
//! ```
//!
//! Exit status: 0 success, 1 the command failed, 2 usage error; `manifest` has its
//! own, 0 to 6 (`docs/MANIFEST.md`). Every error is one line on stderr,
//! `telemetry: <message>`, except the conflicts `manifest` finds, which list every
//! declaring site on a line of its own.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod args;
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

fn main() -> ExitCode {
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
    let result = args::parse(std::env::args_os().skip(1)).and_then(|args| commands::run(&args));
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
