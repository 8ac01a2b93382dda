//! The commands, one per file, and what each one hands back to `main`.

mod clean;
mod config;
mod csv;
mod manifest;
mod mode;
mod reports;
mod show;
mod status;
mod upload;
mod view;

use crate::app::args::{Args, Command};
use crate::app::context::Context;
use crate::app::error::CliError;
use crate::app::help;

/// What a command produced: its output, and problems worth a line on stderr that
/// did not stop it.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Text for stdout.
    pub out: String,
    /// Lines for stderr, each printed as `telemetry: <line>`.
    pub warnings: Vec<String>,
    /// True when part of the work failed (the exit status is then 1).
    pub failed: bool,
}

impl Report {
    /// A report of `out` alone.
    pub(crate) fn text(out: String) -> Report {
        Report {
            out,
            ..Report::default()
        }
    }
}

/// Runs the command of `args`.
pub(crate) fn run(args: &Args) -> Result<Report, CliError> {
    // Only commands that touch the directory read the environment and the clock.
    let context = || Context::new(args);
    match args.command {
        Command::Help(topic) => Ok(Report::text(help::text(topic))),
        Command::Version => Ok(Report::text(help::version())),
        Command::SetMode(mode) => mode::run(&context(), mode),
        Command::Status => status::run(&context()),
        Command::Show if args.json => show::run_json(&context()),
        Command::Show => show::run(&context()),
        Command::Csv => csv::run(&context()),
        Command::Reports => reports::run(&context(), args.json),
        Command::View => view::run(&context(), args.addr.as_deref()),
        Command::Clean => clean::run(&context()),
        Command::Manifest => manifest::run(args),
        Command::Config => config::run(&args.rest),
        Command::Upload => upload::run(
            &context(),
            args.dry_run,
            args.collector
                .as_ref()
                .map(|(u, k)| (u.as_str(), k.as_str())),
        ),
    }
}
