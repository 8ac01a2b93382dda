//! The hot paths' instruction counts under callgrind, against `baseline.txt`.
//!
//! Builds `telemetry-callgrind` with the bench profile (optimized, LTO) into a target
//! directory of its own, runs each of its paths under `valgrind --tool=callgrind`
//! with collection on only in the measured function, and compares the instructions per
//! call with the committed baseline (`telemetry_callgrind::allowed` says how far they
//! may move). `CALLGRIND_BLESS=1` writes the measured counts to the baseline instead.
//!
//! Counts belong to the compiler that produced them: a baseline recorded with another
//! `rustc` is not compared. In CI (`CI` set) that fails, as does a missing valgrind
//! (`.ci/run` installs it); elsewhere the test says why it did not compare and passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use telemetry_callgrind::{Baseline, Comparison, totals};
use test_support::TempDir;

/// Measured calls of each path.
const CALLS: u64 = 100_000;

const PROGRAM: &str = "telemetry-callgrind";

fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Fails in CI, else tells why the guard did not run.
fn cannot_compare(why: &str) {
    assert!(!in_ci(), "{why}");
    eprintln!("skipped: {why}");
}

#[test]
fn hot_paths_cost_the_instructions_of_the_baseline() {
    let bless = std::env::var_os("CALLGRIND_BLESS").is_some_and(|v| v == "1");
    let baseline_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.txt");
    let text = std::fs::read_to_string(&baseline_file)
        .unwrap_or_else(|e| panic!("{}: {e}", baseline_file.display()));
    let baseline =
        Baseline::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", baseline_file.display()));

    if !command_works("valgrind", &["--version"]) {
        return cannot_compare(
            "valgrind is not installed (Debian: apt-get install valgrind; .ci/run installs it)",
        );
    }
    let rustc = rustc_version();
    if !bless && rustc != baseline.rustc {
        return cannot_compare(&format!(
            "{} was recorded with {}, and this is {rustc}: instruction counts are only \
             comparable from one compiler; re-record with \
             CALLGRIND_BLESS=1 cargo test -p telemetry-callgrind --test guard",
            baseline_file.display(),
            baseline.rustc
        ));
    }

    let program = build();
    let scratch = TempDir::new("callgrind");
    let measured = measure(&program, &paths(&program), scratch.path());

    if bless {
        let recorded = Baseline {
            rustc,
            paths: measured,
        };
        std::fs::write(&baseline_file, recorded.render())
            .unwrap_or_else(|e| panic!("{}: {e}", baseline_file.display()));
        eprintln!(
            "recorded {}:\n{}",
            baseline_file.display(),
            recorded.render()
        );
        return;
    }
    let comparison = Comparison::new(&baseline, &measured);
    eprintln!("instructions per call ({CALLS} calls of each path):\n{comparison}");
    assert!(
        comparison.passes(),
        "instructions per call moved from {}:\n{comparison}\nA regression is mended in the \
         code; an intended change is recorded with \
         CALLGRIND_BLESS=1 cargo test -p telemetry-callgrind --test guard (commit baseline.txt \
         and the figures of docs/BENCHMARKS.md with it)",
        baseline_file.display()
    );
}

fn command_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The `rustc --version` line of the compiler cargo builds with.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", rustc.to_string_lossy()));
    assert!(output.status.success(), "rustc --version failed");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Builds the program with the bench profile, in `<target>/callgrind` so that it never
/// waits for the build directory of the `cargo test` running this test (a `--release`
/// one would hold `target/release`); returns the executable.
fn build() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let this_test = std::env::current_exe().expect("the test's own path");
    // <target>/<profile>/deps/guard-…
    let target = this_test
        .ancestors()
        .nth(3)
        .expect("the test runs from <target>/<profile>/deps");
    let output = Command::new(cargo)
        .args([
            "build",
            "--profile",
            "bench",
            "-p",
            PROGRAM,
            "--bin",
            PROGRAM,
        ])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--target-dir",
        ])
        .arg(target.join("callgrind"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs cargo");
    assert!(
        output.status.success(),
        "building {PROGRAM} with the bench profile failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == PROGRAM)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the built executable")
}

/// The program's paths, in its order.
fn paths(program: &Path) -> Vec<String> {
    let output = Command::new(program)
        .arg("--list")
        .output()
        .expect("runs the program");
    assert!(output.status.success());
    let paths: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(!paths.is_empty(), "{PROGRAM} --list named no path");
    paths
}

/// Runs every path under callgrind, all at once (each counts only its own
/// instructions, whatever else runs), and returns each one's instructions per call.
fn measure(program: &Path, paths: &[String], scratch: &Path) -> Vec<(String, f64)> {
    let runs: Vec<_> = paths
        .iter()
        .map(|path| {
            let out = scratch.join(format!("{path}.callgrind"));
            let child = Command::new("valgrind")
                .args(["--tool=callgrind", "--collect-atstart=no"])
                .arg("--toggle-collect=telemetry_callgrind_measured")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(program)
                .args([path.as_str(), &CALLS.to_string()])
                // Counts in memory: no file, no thread, no clock (see src/main.rs).
                .env("TELEMETRY_MODE", "off")
                .env("TELEMETRY_DIR", scratch.join("telemetry"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starts valgrind");
            (path, out, child)
        })
        .collect();
    runs.into_iter()
        .map(|(path, out, child)| {
            let output = child.wait_with_output().expect("valgrind runs");
            assert!(
                output.status.success(),
                "{path} under callgrind: {}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            let text = std::fs::read_to_string(&out)
                .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
            let total = totals(&text).unwrap_or_else(|| panic!("{path}: no totals in {text}"));
            // Zero: the measured function was never entered, e.g. renamed.
            assert!(
                total >= CALLS,
                "{path}: {total} instructions in {CALLS} calls: is telemetry_callgrind_measured still the measured function?"
            );
            (path.clone(), total as f64 / CALLS as f64)
        })
        .collect()
}
