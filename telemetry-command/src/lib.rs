//! The commands a user of an instrumented program needs, written once: `on`, `off`,
//! `local`, `status`, `show`, `csv`, `reports`, `clean` and, with the `upload`
//! feature, `upload [--dry-run]`, with their `--help` texts, wording and exit
//! statuses.
//!
//! Two kinds of host run them. The `telemetry` command (package
//! `transparent-telemetry-cli`) adds commands of its own (`manifest`, `config`,
//! `view`) through [`Host::extra`]; a program built on transparent telemetry offers
//! them as its own `telemetry` subcommand (`mytool telemetry status`). Either way the
//! same parser, texts and code run, so a user reads the same words and gets the same
//! exit statuses from both.
//!
//! This crate reads and writes files through `transparent-telemetry-formats` only:
//! it never links the counting engine, and a program linking it links nothing of the
//! `telemetry` command's object-file parsing.
//!
//! ```no_run
//! use telemetry_command::Host;
//!
//! // `mytool telemetry …`: everything after `telemetry`.
//! let host = Host::new("mytool telemetry");
//! let status = telemetry_command::main(&host, std::env::args_os().skip(2));
//! std::process::exit(status.into());
//! ```
//!
//! Exit statuses: 0 success, 1 the command failed ([`FAILED`]), 2 usage error
//! ([`USAGE`]). Every error is one line on stderr, `<name>: <message>`.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod args;
#[cfg(feature = "clap")]
pub mod clap;
mod commands;
mod context;
pub mod display;
mod error;
mod help;
mod host;
pub mod listing;
pub mod table;

use std::ffi::OsString;
use std::io::{self, Write};

pub use args::{Args, Command, parse};
pub use context::Context;
pub use error::{Error, FAILED, USAGE};
pub use host::{Declared, Extra, Host, Operand};

/// What a command produced: its output, and problems worth a line on stderr that
/// did not stop it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Text for stdout.
    pub out: String,
    /// Lines for stderr, each printed as `<name>: <line>`.
    pub warnings: Vec<String>,
    /// True when part of the work failed (the exit status is then 1).
    pub failed: bool,
}

impl Report {
    /// A report of `out` alone.
    pub fn text(out: String) -> Report {
        Report {
            out,
            ..Report::default()
        }
    }

    /// Writes the output to stdout and the warnings to stderr, each as
    /// `<name>: <warning>`, and gives the exit status: 0, or [`FAILED`] when part of
    /// the work failed or stdout could not be written. A reader that went away
    /// (`<name> show | head`) is not a failure.
    pub fn print(&self, name: &str) -> u8 {
        let mut stdout = io::stdout().lock();
        match stdout
            .write_all(self.out.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                error_line(name, &format!("cannot write the output: {e}"));
                return FAILED;
            }
        }
        for warning in &self.warnings {
            error_line(name, warning);
        }
        if self.failed { FAILED } else { 0 }
    }
}

/// Runs the command of `args`, parsed for `host`. An extra command of the host
/// ([`Command::Extra`]) is the host's to run: it is a usage error here.
pub fn run(host: &Host, args: &Args) -> Result<Report, Error> {
    // Only commands that touch the directory read the environment and the clock.
    let context = || Context::new(host, args);
    match args.command {
        Command::Help(topic) => Ok(Report::text(help::text(host, topic))),
        Command::Version => Ok(Report::text(help::version(host))),
        Command::SetMode(mode) => commands::mode::run(&context(), mode),
        Command::Status => commands::status::run(&context()),
        Command::Show if args.json => commands::show::run_json(&context()),
        Command::Show => commands::show::run(&context()),
        Command::Csv => commands::csv::run(&context()),
        Command::Reports => commands::reports::run(&context(), args.json),
        Command::Clean => commands::clean::run(&context()),
        #[cfg(feature = "upload")]
        Command::Upload => commands::upload::run(
            &context(),
            args.dry_run,
            args.collector
                .as_ref()
                .map(|(u, k)| (u.as_str(), k.as_str())),
        ),
        Command::Extra(name) => Err(Error::usage(format!(
            "`{name}` is not a command this library runs"
        ))),
    }
}

/// The whole command line of `host`, the arguments after its name: parses, runs,
/// prints the output on stdout and every error or warning on stderr as one line,
/// `<name>: <message>`, and gives the exit status (0, [`FAILED`] or [`USAGE`]).
pub fn main(host: &Host, args: impl IntoIterator<Item = OsString>) -> u8 {
    match parse(host, args).and_then(|args| run(host, &args)) {
        Ok(report) => report.print(host.name()),
        Err(error) => {
            error_line(host.name(), &error.line(host.name()));
            error.exit_status()
        }
    }
}

/// Prints `<name>: <message>` on stderr as one line, whatever the message holds.
pub fn error_line(name: &str, message: &str) {
    let message = display::escaped(message);
    let _ = writeln!(io::stderr(), "{name}: {message}");
}
