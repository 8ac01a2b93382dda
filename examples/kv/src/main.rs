//! `kv`: a tiny persistent key-value store on the command line, built on `kvlite` and
//! instrumented with transparent telemetry.
//!
//! ```text
//! kv [--dir DIR] set KEY VALUE | get KEY | del KEY | list | import FILE | compact
//! kv demo        a scripted session, then everything it counted
//! kv counters    every counter kv can report, with its value in this process
//! kv telemetry on | off | local | status | show | upload --dry-run | help …
//! ```
//!
//! `kv telemetry …` is the telemetry library's handler, so kv's users choose its mode
//! and see what it counted without installing anything; its words and exit statuses
//! are those of the `telemetry` command. kv opts into the library's prompt: at a
//! terminal, after a week of use, a sample of its users are asked, at most a few times,
//! whether kv may upload its weekly counts (only when it names a collector, see below).
//!
//! `kv manifest`, left out of the help, prints the manifest of the running process
//! (`telemetry::manifest()`) as JSON: a test checks that it is byte for byte what
//! `telemetry manifest` reads from the binary.
//!
//! Each command is counted in `kv/command:<name>`, timed in the histogram
//! `kv/command-latency`, and its handler is `#[counted]` (`kv/commands/get`, …), so a
//! corrupt record found by `kvlite` is counted under the command that read it.
//!
//! Exit status: 0 success, 1 key not found, 2 bad usage, 3 a file could not be used.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod commands;
mod demo;
mod import;
mod metrics;
mod report;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use kvlite::Store;

use cli::{Command, StoreCommand};
use commands::{CommandError, Reply};

/// The exit status of a command line that cannot be run.
const USAGE_ERROR: u8 = 2;
/// The exit status when the output cannot be written.
const OUTPUT_ERROR: u8 = 3;

fn main() -> ExitCode {
    let parsed = cli::parse(std::env::args_os().skip(1));
    // kv has no collector of its own. A real program writes its collector's address and
    // public key here as constants; kv reads them from the environment so that the
    // README can show the whole path against a collector started on this machine.
    let program = telemetry::program!();
    let program = match (
        std::env::var("KV_COLLECTOR"),
        std::env::var("KV_COLLECTOR_KEY"),
    ) {
        (Ok(url), Ok(key)) => program.upload(url, key),
        _ => program,
    };
    // Someone typing `kv telemetry …` is choosing already: never ask them.
    let choosing = matches!(&parsed, Ok(i) if matches!(i.command, Command::Telemetry(_)));
    let program = if choosing {
        program
    } else {
        program.prompt(telemetry::prompt!(
            "to learn which kv commands people use, and how fast they are"
        ))
    };
    let session = program.start();
    let invocation = match parsed {
        Ok(invocation) => invocation,
        Err(error) => {
            say(format_args!("kv: {error}"));
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let result = match &invocation.command {
        Command::Help => Ok(Reply {
            out: cli::USAGE.to_owned(),
        }),
        Command::Demo => metrics::measured("demo", commands::demo),
        Command::Counters => metrics::measured("counters", || Ok(commands::counters())),
        Command::Telemetry(args) => {
            return metrics::measured("telemetry", || telemetry::command::run(session, args));
        }
        Command::Manifest => Ok(Reply {
            out: telemetry::manifest().to_json(),
        }),
        Command::Store(command) => {
            metrics::measured(command.name(), || run_on_store(&invocation.dir, command))
        }
    };
    match result {
        Ok(reply) => print(&reply),
        Err(error) => {
            say(format_args!("kv: {error}"));
            ExitCode::from(error.exit_code())
        }
    }
}

/// Opens the store in `dir` and runs `command` on it, warning about corrupt records.
fn run_on_store(dir: &Path, command: &StoreCommand) -> Result<Reply, CommandError> {
    let mut store = Store::open(dir)?;
    let result = commands::dispatch(&mut store, command);
    if let Some(warning) = commands::corrupt_warning(&store, 0) {
        say(format_args!("kv: warning: {warning}"));
    }
    result
}

/// Writes the reply to standard output. A closed pipe (`kv list | head -1`) is not an
/// error.
fn print(reply: &Reply) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(reply.out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            say(format_args!("kv: cannot write the output: {error}"));
            ExitCode::from(OUTPUT_ERROR)
        }
    }
}

/// Writes one line to standard error; there is nowhere to report a failure to.
fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}
