//! The `telemetry` command itself, run by the two binaries it is installed as
//! (`telemetry`, and `cargo-telemetry` for `cargo telemetry …`).
//!
//! The commands a program's users need (`on`, `off`, `local`, `status`, `show`,
//! `csv`, `reports`, `clean`, `upload`) and the command line itself are the shared
//! command crate's, `telemetry_command`, which programs also offer as their own
//! `telemetry` subcommand; this module adds the commands of reviewers and collectors
//! (`manifest`, `config`), the local viewer (`view`) and `cargo telemetry`.

mod cargo;
mod commands;
mod error;

use std::ffi::OsString;
use std::process::ExitCode;

use telemetry_command::{Args, Extra, Host, Operand, Report};

use error::CliError;

/// The name every line of output and every error starts with.
const NAME: &str = "telemetry";

/// The commands this crate adds to the shared ones, in the order `help` lists them.
const EXTRA: &[Extra] = &[
    Extra {
        name: "view",
        usage: "telemetry view [--addr 127.0.0.1:PORT]",
        about: "Serves pages of what was counted here, to this machine only: at / the charts
of every weekly report and of this week so far (read from the counter files),
drawn by the code of a collector's public charts; at /sent every uploaded copy
with the collector's receipt (what it kept and dropped). Prints the address and
runs until stopped (Ctrl-C). Without --addr it listens on 127.0.0.1:8701 (or
the next free port up to 8710, then any free port); an address that is not
loopback is refused. When a view of the same namespace already runs there, it
says where instead of serving a second one. Slow clients cannot hold it: a
request head must arrive within 10 s, and at most 32 connections are open (the
one waiting longest for its head is closed to make room). It only reads:
nothing is written, in any mode.",
        namespaced: true,
        operand: Operand::None,
        flags: &["addr"],
        footer: "",
    },
    Extra {
        name: "manifest",
        usage: "telemetry manifest BINARY [--format json|md] [--check FILE]",
        about: "Every counter the built program BINARY can report, read from its file without
running it: JSON (sorted, the same for the same program), or with --format md a
Markdown table for reviewers. Stripped and non-executable files work, and ELF,
Mach-O and PE files (and COFF objects) are all read, whatever this system is.
--check FILE compares with the JSON manifest FILE committed earlier: prints that
it is up to date, or the counters added, removed and changed (with the fields)
and the command that regenerates FILE.
Exit status: 0 printed, or up to date; 1 FILE is stale; 2 usage error; 3 BINARY
or FILE cannot be read, BINARY is not an executable or is truncated or damaged,
or FILE is not a manifest; 4 BINARY has no counter registry; 5 its registry is
in a newer record format; 6 it declares one name in conflicting ways (every
declaring site is listed).",
        namespaced: false,
        operand: Operand::One,
        flags: &["format", "check"],
        footer: MANIFEST_FOOTER,
    },
    Extra {
        name: "config",
        usage: "telemetry config init|check|keygen|sign|verify …",
        about: "The upload config a collector publishes (docs/CONFIG.md), made from manifests:
  config init --manifest FILE… [--out CONFIG]   a first config: every counter of
      each manifest at rate 1, to edit down
  config check CONFIG --manifest FILE…          every entry no manifest declares
      or allows, such as one collected past its declared expiry (exit 1 when
      there is one)
  config keygen --out KEYFILE                   a new Ed25519 key pair: the private
      key to KEYFILE (mode 0600), the public key printed
  config sign CONFIG --key KEYFILE [--out SIGNED]  the signed config
  config verify SIGNED --key ed25519:…          checks signature and config
Nothing is fetched or written but the --out file, which must not exist.",
        namespaced: false,
        operand: Operand::Rest,
        flags: &[],
        footer: MANIFEST_FOOTER,
    },
];

const MANIFEST_FOOTER: &str = "
The manifest format, and how a reviewer uses it: docs/MANIFEST.md.
";

/// The `telemetry` command as a host of the shared commands.
pub(crate) fn host() -> Host {
    Host::new(NAME)
        .version(format!("telemetry {}", env!("CARGO_PKG_VERSION")))
        .extra(EXTRA)
        .exit_note(" `manifest` has statuses of its own: see `telemetry help manifest`.")
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
        telemetry_command::error_line(NAME, &format!("internal error (a bug): {message}{at}"));
    }));
    let result = match cargo::subcommand_args() {
        Some(args) => cargo::run(&args),
        None => run(std::env::args_os().skip(1)),
    };
    match result {
        Ok(report) => ExitCode::from(report.print(NAME)),
        Err(error @ CliError::Manifest(_)) => {
            error_lines(&error.to_string());
            ExitCode::from(error.exit_status())
        }
        Err(error) => {
            telemetry_command::error_line(NAME, &error.to_string());
            ExitCode::from(error.exit_status())
        }
    }
}

/// Parses and runs a command line: this crate's commands here, the others by the
/// shared command crate.
fn run(args: impl IntoIterator<Item = OsString>) -> Result<Report, CliError> {
    let host = host();
    let args: Args = telemetry_command::parse(&host, args)?;
    match args.command {
        telemetry_command::Command::Extra(name) => commands::run(&host, name, &args),
        _ => Ok(telemetry_command::run(&host, &args)?),
    }
}

/// Prints a message of several lines on stderr: the first as `telemetry: <line>`, the
/// others as they are, each with its control characters escaped.
fn error_lines(message: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    for (i, line) in message.split('\n').enumerate() {
        let prefix = if i == 0 { "telemetry: " } else { "" };
        let _ = writeln!(
            stderr,
            "{prefix}{}",
            telemetry_command::display::escaped(line)
        );
    }
}
