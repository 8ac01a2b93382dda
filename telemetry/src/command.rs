//! The program's own `telemetry` subcommand: `mytool telemetry on|off|local|status|show`
//! (and `csv`, `reports`, `clean`, and with the `upload` feature `upload --dry-run`),
//! so the program's users control and inspect its telemetry without installing
//! anything. The commands are those of the `telemetry` command, from one library
//! (`transparent-telemetry-command`): the same words, `--help` and exit statuses. They
//! work on the program's namespace, know its defaults and its collector, and write
//! nothing but the mode file (`on`, `off`, `local`) or delete what `clean` names.
//!
//! With a hand-written command line:
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! fn main() -> ExitCode {
//!     let session = telemetry::start!();
//!     let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
//!     if args.first().is_some_and(|a| a == "telemetry") {
//!         return telemetry::command::run(session, &args[1..]);
//!     }
//!     // … the program's own commands …
//!     ExitCode::SUCCESS
//! }
//! ```
//!
//! With clap (feature `clap` of `transparent-telemetry`), a subcommand holds
//! `TelemetryArgs` (`Telemetry(telemetry::command::TelemetryArgs)` in a
//! `#[derive(Subcommand)]` enum, or `subcommand("telemetry")` with the builder),
//! and `telemetry::command::run(session, &args.args)` runs it: clap hands every
//! argument over, `--help` included, so the texts stay the library's.

use std::ffi::OsString;
use std::process::ExitCode;

#[cfg(feature = "clap")]
pub use telemetry_command::clap::{TelemetryArgs, subcommand};
pub use telemetry_command::{Declared, Host};

use crate::Session;

/// The host of the commands for the program of `session`, typed as `name`.
pub fn host(session: &Session, name: impl Into<String>) -> Host {
    let program = session.program();
    Host::program(
        name.into(),
        session.namespace(),
        session.defaults(),
        session
            .collector()
            .map(|(url, key)| (url.to_string(), key.to_string())),
    )
    .declared(Declared {
        program: program.name.clone(),
        version: program.version.clone(),
        names: crate::registry()
            .iter()
            .map(|counter| counter.name().to_string())
            .collect(),
    })
}

/// Runs `<program> telemetry ARGS`, where `args` are the arguments after `telemetry`:
/// prints the output and every error (one line, `<program> telemetry: <message>`) and
/// gives the exit status, 0, 1 (the command failed) or 2 (usage error).
pub fn run<I>(session: &Session, args: I) -> ExitCode
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    run_as(
        session,
        format!("{} telemetry", session.program().name),
        args,
    )
}

/// [`run`], for a subcommand typed as `name` (`mytool privacy`, say).
pub fn run_as<I>(session: &Session, name: impl Into<String>, args: I) -> ExitCode
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let host = host(session, name);
    ExitCode::from(telemetry_command::main(
        &host,
        args.into_iter().map(Into::into),
    ))
}

/// What the prompt's "more" says would be sent: which of this week's counters the
/// collector's cached config asks for, if a config signed by the program's collector
/// is on disk (nothing is fetched).
#[cfg(feature = "upload")]
pub(crate) fn upload_facts(namespace_dir: &std::path::Path, counted: &[(&str, u64)]) -> String {
    use telemetry_formats::{config, signature};
    let none = "What would be sent: nothing yet. No config of the collector is on this \
                machine; after a yes, the first upload fetches it, and only what it asks \
                for is sent, each week once it has ended.\n"
        .to_string();
    let state = telemetry_upload::state(namespace_dir);
    let Some((_, key)) = state.collector else {
        return none;
    };
    let cached = telemetry_upload::files::upload_dir(namespace_dir).join("config.json");
    let Ok(bytes) = telemetry_formats::safe_fs::read_capped(&cached, 1 << 20) else {
        return none;
    };
    let verified = signature::PublicKey::parse(&key)
        .ok()
        .and_then(|key| signature::verify(&bytes, &key).ok());
    let Some(config) = verified else {
        return none;
    };
    let mut asked = std::collections::BTreeSet::new();
    for program in &config.programs {
        for counter in &program.counters {
            asked.extend(config::expand(&counter.name).unwrap_or_default());
        }
        for stack in &program.stacks {
            asked.insert(stack.name.clone());
        }
    }
    let sent: Vec<&str> = counted
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| asked.contains(*name))
        .collect();
    let mut out = format!(
        "What would be sent: the collector's config (version {}, on this machine) asks \
         for {} of the {} counted, at its sample rates:\n",
        config.version,
        sent.len(),
        telemetry_command::display::count(counted.len(), "counter", "counters")
    );
    for name in sent.iter().take(40) {
        out.push_str(&format!("  {name}\n"));
    }
    out
}
