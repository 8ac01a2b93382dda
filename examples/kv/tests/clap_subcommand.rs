//! The `telemetry` subcommand through clap (feature `clap` of `transparent-telemetry`)
//! is the same command as kv's hand-parsed `kv telemetry`: one implementation, so the
//! same output, errors, `--help` and exit statuses, byte for byte.
//!
//! Without the test harness: run with `TELEMETRY_TEST_ROLE=program`, this binary is a
//! clap program named like kv, whose `telemetry` subcommand is the library's; run
//! without it, it is the test, comparing that program with the real kv.

use std::path::Path;
use std::process::{Command, ExitCode, Output};

use clap_builder::FromArgMatches;
use test_support::{ROLE_VAR, TELEMETRY_VARS, TempDir};

fn main() -> ExitCode {
    if std::env::var_os(ROLE_VAR).is_some() {
        return program();
    }
    the_clap_subcommand_is_the_same_command_as_kv_telemetry();
    println!("clap_subcommand: ok");
    ExitCode::SUCCESS
}

/// A program built on clap, with the library's `telemetry` subcommand.
fn program() -> ExitCode {
    let session = telemetry::start!();
    let cli = clap_builder::Command::new("kv")
        .subcommand(clap_builder::Command::new("get").arg(clap_builder::Arg::new("key")))
        .subcommand(telemetry::command::subcommand("telemetry"));
    let matches = cli.get_matches_from(std::env::args_os());
    match matches.subcommand() {
        Some(("telemetry", sub)) => {
            let args = telemetry::command::TelemetryArgs::from_arg_matches(sub)
                .expect("clap hands the arguments over");
            telemetry::command::run(session, &args.args)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// Runs `program` with `args` and `TELEMETRY_DIR=root`, no other telemetry variable.
fn run(program: &Path, role: bool, root: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(program);
    command.args(args);
    for var in TELEMETRY_VARS
        .iter()
        .chain(&["KV_COLLECTOR", "KV_COLLECTOR_KEY", ROLE_VAR])
    {
        command.env_remove(var);
    }
    if role {
        command.env(ROLE_VAR, "program");
    }
    command.env("TELEMETRY_DIR", root).output().expect("runs")
}

fn the_clap_subcommand_is_the_same_command_as_kv_telemetry() {
    let kv = Path::new(env!("CARGO_BIN_EXE_kv"));
    let this = std::env::current_exe().expect("this binary");
    let root = TempDir::new("kv-clap");
    // Off first, so that neither program writes a counter file of its own.
    let off = run(&this, true, &root, &["telemetry", "off"]);
    assert!(off.status.success(), "{off:?}");
    assert_eq!(
        std::fs::read_to_string(root.join("default/mode"))
            .expect("the clap subcommand wrote the mode file")
            .split(' ')
            .next(),
        Some("off")
    );
    for args in [
        &["telemetry", "status"][..],
        &["telemetry", "--help"],
        &["telemetry", "help", "status"],
        &["telemetry", "show"],
        &["telemetry", "bogus"],
        &["telemetry", "status", "--bogus"],
        &["telemetry"],
    ] {
        let through_clap = run(&this, true, &root, args);
        let by_hand = run(kv, false, &root, args);
        assert_eq!(
            through_clap.status.code(),
            by_hand.status.code(),
            "exit status of {args:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&through_clap.stdout),
            String::from_utf8_lossy(&by_hand.stdout),
            "stdout of {args:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&through_clap.stderr),
            String::from_utf8_lossy(&by_hand.stderr),
            "stderr of {args:?}"
        );
    }
    let usage = run(&this, true, &root, &["telemetry", "bogus"]);
    assert_eq!(usage.status.code(), Some(2), "a usage error");
}
