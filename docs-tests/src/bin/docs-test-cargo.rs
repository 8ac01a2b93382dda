//! `cargo`, as the commands of the docs meet it when the docs test runs them.
//!
//! `cargo run`, `cargo build` and `cargo install` are checked with cargo's rules
//! against the workspace (`docs_tests::cargo_model`); then the binaries that the
//! workspace's test build made are put where cargo would have put them (the scratch
//! copy's `target/debug/` or `target/release/`, or `~/.cargo/bin/`) and, for `run`,
//! started in place of this process. `cargo SUBCOMMAND` runs `cargo-SUBCOMMAND` as
//! cargo does. Anything else (`cargo test`, `cargo bench`, …) is refused: the docs
//! test runs inside `cargo test`, and a block running those is skipped with a
//! directive.
//!
//! Its environment, set by the docs test: `DOCS_TEST_METADATA` (the output of `cargo
//! metadata`), `DOCS_TEST_BINARIES` (the directory of the built binaries) and
//! `DOCS_TEST_WORK` (the scratch copy of the repository the docs run in).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use docs_tests::cargo_model::{CargoCall, Workspace, parse_call};

/// Cargo's exit status for a failed command.
const FAILED: u8 = 101;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!(
                "(this is docs-test-cargo, the docs test's stand-in for cargo, which follows \
                 cargo's rules: see docs-tests/README.md)"
            );
            ExitCode::from(FAILED)
        }
    }
}

fn var(name: &str) -> Result<PathBuf, String> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{name} is not set: run the docs through the docs test"))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let metadata = std::fs::read_to_string(var("DOCS_TEST_METADATA")?)
        .map_err(|e| format!("cannot read the workspace's metadata: {e}"))?;
    let workspace = Workspace::from_metadata(&metadata)?;
    let binaries = var("DOCS_TEST_BINARIES")?;
    let call = parse_call(&args)?;
    match call.subcommand.as_str() {
        "run" => {
            let (_, bin) = workspace.run_target(&call)?;
            let path = if call.examples.is_empty() {
                place(&binaries, &bin, &profile_dir(&call)?)?
            } else {
                // `cargo test` builds examples too, into `examples/`.
                place(
                    &binaries.join("examples"),
                    &bin,
                    &profile_dir(&call)?.join("examples"),
                )?
            };
            Err(format!(
                "cannot run {}: {}",
                path.display(),
                Command::new(&path).args(&call.args).exec()
            ))
        }
        "build" => {
            let dir = profile_dir(&call)?;
            for bin in workspace.built_binaries(&call)? {
                let path = place(&binaries, &bin, &dir)?;
                if call
                    .message_format
                    .as_deref()
                    .is_some_and(|f| f.starts_with("json"))
                {
                    println!("{}", artifact(&bin, &path));
                }
            }
            if call.message_format.is_some() {
                println!(r#"{{"reason":"build-finished","success":true}}"#);
            }
            Ok(())
        }
        "install" => {
            if call.path.is_none() && call.packages.is_empty() {
                return Err("`cargo install` needs `--path DIR` here".to_string());
            }
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
                .ok_or("neither CARGO_HOME nor HOME is set")?;
            for bin in workspace.built_binaries(&call)? {
                place(&binaries, &bin, &home.join("bin"))?;
            }
            Ok(())
        }
        "test" | "bench" | "check" | "clippy" | "doc" | "fmt" | "fetch" | "publish"
        | "metadata" | "tree" | "clean" => Err(format!(
            "the docs test does not run `cargo {}` (it runs inside `cargo test`, and \
             builds nothing): mark the block `<!-- docs-test: skip: REASON -->`",
            call.subcommand
        )),
        external => {
            let program = binaries.join(format!("cargo-{external}"));
            if !program.is_file() {
                return Err(format!(
                    "no such command: `{external}` (no binary cargo-{external} in the workspace)"
                ));
            }
            let mut argv: Vec<OsString> = vec![external.into()];
            argv.extend(call.args.iter().map(OsString::from));
            Err(format!(
                "cannot run {}: {}",
                program.display(),
                Command::new(&program).args(argv).exec()
            ))
        }
    }
}

/// `target/debug` or `target/release` of the scratch copy.
fn profile_dir(call: &CargoCall) -> Result<PathBuf, String> {
    let profile = if call.release { "release" } else { "debug" };
    Ok(var("DOCS_TEST_WORK")?.join("target").join(profile))
}

/// Puts the built binary `bin` into `dir`, as cargo would after building it. Returns
/// its new path. A copy, not a link: what a doc does to it (`strip`, `chmod -x`) must
/// not reach the workspace's own build.
fn place(binaries: &Path, bin: &str, dir: &Path) -> Result<PathBuf, String> {
    let from = binaries.join(bin);
    if !from.is_file() {
        return Err(format!(
            "{} is not built: the docs test builds the workspace first",
            from.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let to = dir.join(bin);
    let _ = std::fs::remove_file(&to);
    std::fs::copy(&from, &to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(to)
}

/// The line `cargo build --message-format=json` prints for a built binary.
fn artifact(bin: &str, path: &Path) -> String {
    serde_json::json!({
        "reason": "compiler-artifact",
        "target": { "kind": ["bin"], "crate_types": ["bin"], "name": bin },
        "executable": path.to_string_lossy(),
        "fresh": true,
    })
    .to_string()
}
