//! `cargo telemetry manifest [-p PKG] [--release] [--out DIR]`: the manifests of a
//! package's binaries, the cargo way. Builds them (`cargo build`, with cargo's own
//! output on stderr), then writes each binary's manifest as `<DIR>/<binary>-manifest.json`
//! (DIR defaults to the current directory), the JSON `telemetry manifest BINARY` prints.
//!
//! Cargo runs an external subcommand `cargo telemetry …` as `cargo-telemetry telemetry …`;
//! this binary is installed under both names.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use telemetry_command::{Report, display};

use crate::app::error::CliError;

const USAGE: &str = "cargo telemetry manifest [-p PKG] [--release] [--out DIR]";

/// `cargo telemetry --help`, and `cargo telemetry manifest --help`.
const HELP: &str = "\
cargo telemetry: the manifests of a package's binaries, the cargo way.

Usage: cargo telemetry manifest [-p PKG] [--release] [--out DIR]

Commands:
  manifest  builds the package (`cargo build`, its output on stderr), then writes the
            manifest of each of its binaries, the JSON `telemetry manifest BINARY`
            prints, as DIR/<binary>-manifest.json

Flags:
  -p, --package PKG  the package to build (default: cargo's, from the current directory)
  --release          build with the release profile
  --out DIR          where to write the manifests (default: the current directory)
  -h, --help         this text

Exit status: 0 success, 1 the build or a manifest failed, 2 usage error.
Installed with the `telemetry` command: cargo install --path telemetry-cli --locked
";

/// Whether this process was started by cargo as `cargo-telemetry telemetry …`;
/// returns the arguments after `telemetry`.
pub(crate) fn subcommand_args() -> Option<Vec<OsString>> {
    let mut args = std::env::args_os();
    let program = PathBuf::from(args.next()?);
    let stem = program.file_stem()?.to_string_lossy().into_owned();
    if stem != "cargo-telemetry" {
        return None;
    }
    let mut rest: Vec<OsString> = args.collect();
    if rest.first().is_some_and(|a| a == "telemetry") {
        rest.remove(0);
    }
    Some(rest)
}

/// Runs `cargo telemetry ARGS`.
pub(crate) fn run(args: &[OsString]) -> Result<Report, CliError> {
    let mut args = args.iter().map(|a| a.to_string_lossy().into_owned());
    if args.clone().any(|a| a == "--help" || a == "-h") {
        return Ok(Report::text(HELP.to_string()));
    }
    match args.next().as_deref() {
        Some("manifest") => {}
        Some("help") => return Ok(Report::text(HELP.to_string())),
        Some(other) => {
            return Err(CliError::usage(format!(
                "unknown cargo telemetry command {other:?}; {USAGE}"
            )));
        }
        None => return Err(CliError::usage(format!("usage: {USAGE}"))),
    }
    let (mut package, mut release, mut out) = (None, false, PathBuf::from("."));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-p" | "--package" => {
                package = Some(
                    args.next()
                        .ok_or_else(|| CliError::usage("-p needs a package"))?,
                )
            }
            "--release" => release = true,
            "--out" => {
                out = PathBuf::from(
                    args.next()
                        .ok_or_else(|| CliError::usage("--out needs a directory"))?,
                )
            }
            other => {
                return Err(CliError::usage(format!(
                    "unexpected argument {other:?}; {USAGE}"
                )));
            }
        }
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--message-format=json-render-diagnostics"]);
    if let Some(package) = &package {
        command.args(["-p", package]);
    }
    if release {
        command.arg("--release");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot run cargo: {e}")))?;
    let mut binaries = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let is_bin = message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
            if message["reason"] == "compiler-artifact"
                && is_bin
                && let (Some(name), Some(exe)) = (
                    message["target"]["name"].as_str(),
                    message["executable"].as_str(),
                )
            {
                binaries.push((name.to_string(), PathBuf::from(exe)));
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| CliError::Failed(format!("cargo: {e}")))?;
    if !status.success() {
        return Err(CliError::Failed(format!("cargo build failed ({status})")));
    }
    if binaries.is_empty() {
        return Err(CliError::Failed("the build made no binary".into()));
    }
    std::fs::create_dir_all(&out).map_err(|e| CliError::io("cannot create", &out, &e))?;
    let mut report = Report::default();
    for (name, exe) in binaries {
        match crate::manifest::read_binary(&exe) {
            Ok(manifest) => {
                let path = out.join(format!("{name}-manifest.json"));
                std::fs::write(&path, manifest.to_json())
                    .map_err(|e| CliError::io("cannot write", &path, &e))?;
                report.out.push_str(&format!(
                    "{name}: {} -> {}\n",
                    display::count(manifest.counters.len(), "counter", "counters"),
                    path.display()
                ));
            }
            Err(e) => report.warnings.push(format!("{name}: {e}")),
        }
    }
    Ok(report)
}
