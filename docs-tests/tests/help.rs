//! Every `--help`, `-h` and `help` of every command and subcommand of the workspace's
//! binaries: each exits 0 and prints the help of that command; every command a help
//! lists answers its own help; and for `telemetry` and `cargo telemetry`, whose
//! parsers check every flag before they honour `--help`, the command line a usage line
//! shows (flags, values, operands) is accepted. Help writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use docs_tests::setup::Setup;
use docs_tests::usage::commands_in;

fn setup() -> &'static Setup {
    Setup::get(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-tests-help"),
    )
}

/// A directory that is both the working directory and `HOME` of the programs run,
/// checked empty at the end: help writes nothing.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = setup().scratch.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    /// Runs `binary ARGS`; returns its exit status and stdout, with stderr for
    /// messages.
    fn run(&self, binary: &str, args: &[String]) -> (Option<i32>, String, String) {
        let mut command = Command::new(setup().binaries.join(binary));
        command
            .args(args)
            .current_dir(&self.0)
            .env_clear()
            .env("HOME", &self.0)
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::null());
        if binary == "kv" {
            // kv counts every run, help included, as an instrumented program does
            // (`start!()` comes first in `main`); here only what its help writes counts.
            command.env("DO_NOT_TRACK", "1");
        }
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("{binary} runs: {e}"));
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Runs `binary ARGS` and returns what it printed, asserting exit status 0.
    fn help(&self, display: &str, binary: &str, args: &[String]) -> String {
        let (status, stdout, stderr) = self.run(binary, args);
        assert_eq!(
            status,
            Some(0),
            "`{display} {}` exits 0; it said:\n{stdout}{stderr}",
            args.join(" ")
        );
        assert!(
            !stdout.trim().is_empty(),
            "`{display} {}` prints help",
            args.join(" ")
        );
        stdout
    }

    fn wrote_nothing(&self) {
        let left: Vec<_> = std::fs::read_dir(&self.0)
            .expect("the scratch directory")
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert!(left.is_empty(), "help wrote {left:?}");
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The command line a usage line shows, runnable: brackets dropped, the first of
/// `a|b`, placeholders (`FILE…`, `CONFIG`) as `x`.
fn usage_argv(usage: &str) -> Vec<String> {
    let mut argv = Vec::new();
    for token in usage.split_whitespace() {
        let token = token.trim_matches(|c| c == '[' || c == ']');
        let token = token.split('|').next().unwrap_or_default().replace('…', "");
        if token.is_empty() {
            continue;
        }
        let placeholder = token
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
        argv.push(if placeholder && !token.starts_with('-') {
            "x".to_string()
        } else {
            token
        });
    }
    argv
}

/// The line of a help text after `Usage: `.
fn usage_line(help: &str) -> &str {
    help.lines()
        .find_map(|line| line.strip_prefix("Usage: "))
        .unwrap_or_default()
}

#[test]
fn every_telemetry_command_and_config_action_answers_help() {
    let scratch = Scratch::new("telemetry");
    let run = |args: &[&str]| scratch.help("telemetry", "telemetry", &strings(args));
    let top = run(&["--help"]);
    for form in [&["-h"][..], &["help"], &[]] {
        assert_eq!(run(form), top, "`telemetry {}` is the help", form.join(" "));
    }
    let commands = commands_in(&top, "telemetry");
    for expected in [
        "on", "off", "local", "status", "show", "manifest", "config", "view", "help",
    ] {
        assert!(
            commands.contains(expected),
            "the help lists {expected}: {commands:?}"
        );
    }
    for command in &commands {
        let help = run(&[command, "--help"]);
        assert!(
            help.starts_with(&format!("Usage: telemetry {command}")),
            "`telemetry {command} --help` is its own help:\n{help}"
        );
        assert_eq!(run(&[command, "-h"]), help);
        assert_eq!(run(&["help", command]), help);
        if command != "help" {
            // Every flag and operand the usage line shows, then `--help`: accepted.
            let mut argv = usage_argv(usage_line(&help));
            assert_eq!(argv.first().map(String::as_str), Some("telemetry"));
            argv.remove(0);
            argv.push("--help".into());
            assert_eq!(
                scratch.help("telemetry", "telemetry", &argv),
                if command == "config" {
                    run(&["config", "init", "--help"])
                } else {
                    help.clone()
                },
                "`telemetry {}` is accepted",
                argv.join(" ")
            );
        }
        for action in commands_in(&help, command) {
            let action_help = run(&[command, &action, "--help"]);
            assert!(
                action_help.starts_with(&format!("Usage: telemetry {command} {action}")),
                "`telemetry {command} {action} --help` is its own help:\n{action_help}"
            );
            assert_eq!(run(&[command, &action, "-h"]), action_help);
            let mut argv = usage_argv(usage_line(&action_help));
            argv.remove(0);
            argv.push("-h".into());
            assert_eq!(
                scratch.help("telemetry", "telemetry", &argv),
                action_help,
                "`telemetry {}` is accepted",
                argv.join(" ")
            );
        }
    }
    // Only what exists is accepted: an unknown flag before `--help` is still an error.
    let (status, _, stderr) = scratch.run("telemetry", &strings(&["show", "--jsn", "--help"]));
    assert_eq!(status, Some(2), "{stderr}");
    scratch.wrote_nothing();
}

#[test]
fn cargo_telemetry_answers_help() {
    let scratch = Scratch::new("cargo-telemetry");
    let run = |args: &[&str]| {
        let mut argv = vec!["telemetry".to_string()];
        argv.extend(strings(args));
        scratch.help("cargo telemetry", "cargo-telemetry", &argv)
    };
    let top = run(&["--help"]);
    assert_eq!(run(&["-h"]), top);
    assert_eq!(run(&["help"]), top);
    let commands = commands_in(&top, "telemetry");
    assert!(commands.contains("manifest"), "{commands:?}");
    for command in &commands {
        let help = run(&[command, "--help"]);
        assert!(
            help.contains(&format!("cargo telemetry {command}")),
            "{help}"
        );
        assert_eq!(run(&[command, "-h"]), help);
        let argv = usage_argv(usage_line(&help));
        assert_eq!(argv[..2], ["cargo", "telemetry"]);
        let mut args: Vec<&str> = argv[2..].iter().map(String::as_str).collect();
        args.push("--help");
        assert_eq!(run(&args), help);
    }
    scratch.wrote_nothing();
}

#[test]
fn telemetry_server_answers_help() {
    let scratch = Scratch::new("telemetry-server");
    let run = |args: &[&str]| scratch.help("telemetry-server", "telemetry-server", &strings(args));
    let top = run(&["--help"]);
    assert_eq!(run(&["-h"]), top);
    assert_eq!(run(&["help"]), top);
    let commands = commands_in(&top, "telemetry-server");
    assert!(
        commands.contains("serve") && commands.contains("rebuild"),
        "{commands:?}"
    );
    for command in &commands {
        for flag in ["--help", "-h"] {
            let help = run(&[command, flag]);
            assert!(
                help.contains(&format!("telemetry-server {command}")),
                "{help}"
            );
        }
    }
    scratch.wrote_nothing();
}

#[test]
fn kv_answers_help() {
    let scratch = Scratch::new("kv");
    let run = |args: &[&str]| scratch.help("kv", "kv", &strings(args));
    let top = run(&["--help"]);
    assert_eq!(run(&["-h"]), top);
    assert_eq!(run(&["help"]), top);
    let commands = commands_in(&top, "kv");
    for expected in ["set", "get", "list", "demo"] {
        assert!(commands.contains(expected), "{commands:?}");
    }
    // `kv telemetry` hands its arguments to the shared telemetry command, whose help is
    // tested with `telemetry`'s.
    for command in commands.iter().filter(|c| *c != "telemetry") {
        for flag in ["--help", "-h"] {
            assert_eq!(run(&[command, flag]), top, "`kv {command} {flag}`");
        }
    }
    scratch.wrote_nothing();
}

#[test]
fn usage_lines_become_command_lines() {
    assert_eq!(
        usage_argv("telemetry manifest BINARY [--format json|md] [--check FILE]"),
        strings(&[
            "telemetry",
            "manifest",
            "x",
            "--format",
            "json",
            "--check",
            "x"
        ])
    );
    assert_eq!(
        usage_argv("telemetry config init --manifest FILE… [--out CONFIG]"),
        strings(&[
            "telemetry",
            "config",
            "init",
            "--manifest",
            "x",
            "--out",
            "x"
        ])
    );
    assert_eq!(
        usage_argv("telemetry upload [--dry-run] [--collector URL --key ed25519:…]"),
        strings(&[
            "telemetry",
            "upload",
            "--dry-run",
            "--collector",
            "x",
            "--key",
            "ed25519:"
        ])
    );
}
