//! Runs one shell block of a doc in a scratch directory of its own:
//!
//! - `work/`, a copy of the repository's files as a fresh clone has them (no
//!   `target/`), is the working directory: every relative path of the docs means what
//!   it means at the root of a clone, and whatever a command writes stays there;
//! - `home/` is `HOME` and `tmp/` is `TMPDIR`, so the default telemetry directory
//!   (`~/.local/state/rust-telemetry`) and `mktemp -d` are inside the scratch
//!   directory too, and `TELEMETRY_DIR`, `TELEMETRY_MODE`, `DO_NOT_TRACK`, `CI` and
//!   `XDG_*` are unset;
//! - `bin/` is first on `PATH`: every binary of the workspace (as if installed) and
//!   `cargo`, the stand-in `docs-test-cargo`;
//! - `EDITOR` and `VISUAL` are `true`, so `$EDITOR config.json` returns at once.
//!
//! bash runs the block's script (see [`crate::shell`]) in a process group of its own.
//! Afterwards every process still in that group, and every process anywhere whose
//! environment holds this scratch directory's marker (a detached child too), is
//! killed; the test waits until none is left.

use std::fmt;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::expect;
use crate::markdown::Block;
use crate::setup::Setup;
use crate::shell::{self, ShellCommand, files};

/// The longest a block may run.
pub const BLOCK_LIMIT: Duration = Duration::from_secs(120);

/// The variable that marks every process a block started.
pub const MARKER: &str = "DOCS_TEST_SANDBOX";

/// What went wrong in a doc, at a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The doc, relative to the repository root.
    pub doc: String,
    /// The line.
    pub line: usize,
    /// What went wrong, possibly on several lines.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.doc, self.line, self.message)
    }
}

/// A block's scratch directory.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn work(&self) -> PathBuf {
        self.dir.join("work")
    }
    fn out(&self) -> PathBuf {
        self.dir.join("out")
    }
    fn read(&self, name: &str) -> Option<String> {
        fs::read_to_string(self.out().join(name)).ok()
    }
}

/// Runs the shell blocks `blocks` of `doc` as one script: a block and those that
/// continue it (the `continues` directive). Returns the failures, none when it worked.
pub fn run_blocks(setup: &Setup, doc: &str, blocks: &[&Block]) -> Vec<Failure> {
    let failure = |line: usize, message: String| Failure {
        doc: doc.to_string(),
        line,
        message,
    };
    let Some(first) = blocks.first() else {
        return Vec::new();
    };
    let mut commands = Vec::new();
    for block in blocks {
        match shell::commands(block) {
            Ok(found) => commands.extend(found),
            Err((line, message)) => return vec![failure(line, message)],
        }
    }
    if commands.is_empty() {
        return Vec::new();
    }
    let name = format!(
        "{}-{}",
        doc.replace(['/', '.'], "-").to_lowercase(),
        first.fence_line
    );
    let scratch = match prepare(setup, &name) {
        Ok(scratch) => scratch,
        Err(message) => return vec![failure(first.fence_line, message)],
    };
    let prelude = scratch.dir.join("prelude.sh");
    let script_path = scratch.dir.join("script.sh");
    let script = shell::script(&prelude.to_string_lossy(), &commands);
    if let Err(e) =
        fs::write(&prelude, shell::PRELUDE).and_then(|()| fs::write(&script_path, script))
    {
        return vec![failure(
            first.fence_line,
            format!("cannot write the script: {e}"),
        )];
    }
    let ended = execute(setup, &scratch, &script_path);
    let mut failures = Vec::new();
    match ended {
        Ended::TimedOut => {
            let line = scratch
                .read(files::AT)
                .and_then(|at| at.trim().parse().ok())
                .unwrap_or(first.fence_line);
            failures.push(failure(
                line,
                format!(
                    "still running after {} s: the block was stopped here{}",
                    BLOCK_LIMIT.as_secs(),
                    output_note(&scratch, line)
                ),
            ));
        }
        Ended::Error(message) => failures.push(failure(first.fence_line, message)),
        Ended::Exited(status, log) => {
            if let Some(failed) = scratch.read(files::FAILED) {
                let mut parts = failed.split_whitespace();
                let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
                let status = parts.next().unwrap_or("?").to_string();
                let command = commands.iter().find(|c| c.line == line);
                failures.push(failure(
                    line,
                    format!(
                        "`{}` failed (exit status {status}){}",
                        command
                            .map_or("?", |c| c.text.as_str())
                            .replace(" \\\n", " "),
                        output_note(&scratch, line)
                    ),
                ));
            } else if status != 0 || !log.trim().is_empty() {
                // bash itself complained: its messages name the doc's lines.
                failures.push(failure(
                    first.fence_line,
                    format!(
                        "the shell reported (line numbers are the doc's):\n{}",
                        indent(&log)
                    ),
                ));
            }
            if failures.is_empty() {
                failures.extend(compare(&scratch, &commands, doc));
            }
            failures.extend(background(&scratch, &commands, doc));
        }
    }
    if failures.is_empty() {
        let _ = fs::remove_dir_all(&scratch.dir);
    } else if let Some(first) = failures.first_mut() {
        first.message.push_str(&format!(
            "\n  (the block ran in {}; how the docs are tested: docs-tests/README.md)",
            scratch.work().display()
        ));
    }
    failures
}

/// Makes the scratch directory `name` afresh.
fn prepare(setup: &Setup, name: &str) -> Result<Scratch, String> {
    let dir = setup.scratch.join(name);
    let _ = fs::remove_dir_all(&dir);
    let scratch = Scratch { dir };
    let fail = |what: &Path, e: std::io::Error| format!("cannot make {}: {e}", what.display());
    for sub in ["work", "home", "tmp", "bin", "out"] {
        let path = scratch.dir.join(sub);
        fs::create_dir_all(&path).map_err(|e| fail(&path, e))?;
    }
    for file in setup.tracked_files() {
        let to = scratch.work().join(&file);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
        }
        fs::copy(setup.root.join(&file), &to).map_err(|e| fail(&to, e))?;
    }
    let bin = scratch.dir.join("bin");
    for (name, path) in setup.binaries() {
        std::os::unix::fs::symlink(&path, bin.join(&name)).map_err(|e| fail(&path, e))?;
    }
    let shim = setup.binaries.join("docs-test-cargo");
    std::os::unix::fs::symlink(&shim, bin.join("cargo")).map_err(|e| fail(&shim, e))?;
    Ok(scratch)
}

enum Ended {
    /// bash ended with this status and printed this.
    Exited(i32, String),
    TimedOut,
    Error(String),
}

/// Runs the script and stops every process it left.
fn execute(setup: &Setup, scratch: &Scratch, script: &Path) -> Ended {
    let log_path = scratch.dir.join("shell.log");
    let Ok(log) = fs::File::create(&log_path) else {
        return Ended::Error(format!("cannot create {}", log_path.display()));
    };
    let Ok(log_err) = log.try_clone() else {
        return Ended::Error("cannot share the log".to_string());
    };
    let mut command = Command::new("bash");
    command
        .arg("--noprofile")
        .arg("--norc")
        .arg(script)
        .current_dir(scratch.work())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0);
    let path = format!(
        "{}:{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        scratch.dir.join("bin").display(),
        scratch.dir.join("home/.cargo/bin").display()
    );
    let home = scratch.dir.join("home");
    for (key, value) in [
        ("PATH", path.as_str()),
        ("LANG", "C.UTF-8"),
        ("TERM", "dumb"),
        ("EDITOR", "true"),
        ("VISUAL", "true"),
    ] {
        command.env(key, value);
    }
    for (key, value) in [
        ("HOME", home.clone()),
        ("TMPDIR", scratch.dir.join("tmp")),
        ("CARGO", scratch.dir.join("bin/cargo")),
        ("DOCS_TEST_METADATA", setup.metadata_file.clone()),
        ("DOCS_TEST_BINARIES", setup.binaries.clone()),
        ("DOCS_TEST_WORK", scratch.work()),
        ("DOCS_TEST_OUT", scratch.out()),
        (MARKER, scratch.dir.clone()),
    ] {
        command.env(key, value);
    }
    for key in ["USER", "LOGNAME"] {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Ended::Error(format!("cannot start bash: {e}")),
    };
    let group = child.id() as libc::pid_t;
    let deadline = Instant::now() + BLOCK_LIMIT;
    let ended = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break Ended::Exited(
                    status.code().unwrap_or(-1),
                    fs::read_to_string(&log_path).unwrap_or_default(),
                );
            }
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                // SAFETY: kill(2) with a negative pid signals the process group that
                // bash leads; it touches no memory of this process.
                unsafe { libc::kill(-group, libc::SIGKILL) };
                let _ = child.wait();
                break Ended::TimedOut;
            }
            Err(e) => break Ended::Error(format!("cannot wait for bash: {e}")),
        }
    };
    // SAFETY: as above; the group may be empty already, which only returns ESRCH.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    if let Err(left) = stop_marked(&scratch.dir) {
        return Ended::Error(left);
    }
    ended
}

/// Kills every process whose environment holds `MARKER=dir` and waits until none is
/// left (at most 10 s).
fn stop_marked(dir: &Path) -> Result<(), String> {
    let needle = format!("{MARKER}={}", dir.display()).into_bytes();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = marked_processes(&needle);
        if found.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "processes started by the block could not be stopped: {found:?}"
            ));
        }
        for pid in found {
            // SAFETY: kill(2) on one process id; no memory is involved.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The processes (not zombies) whose environment holds `needle`.
fn marked_processes(needle: &[u8]) -> Vec<libc::pid_t> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|pid| {
            let environ = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let zombie = fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    stat.rsplit_once(')')
                        .map(|(_, rest)| rest.trim_start().starts_with('Z'))
                })
                .unwrap_or(true);
            !zombie && environ.split(|&b| b == 0).any(|entry| entry == needle)
        })
        .collect()
}

/// Compares each `console` command's output and status with what the doc shows.
fn compare(scratch: &Scratch, commands: &[ShellCommand], doc: &str) -> Vec<Failure> {
    let mut failures = Vec::new();
    for command in commands
        .iter()
        .filter(|c| c.compare && !c.background && !c.server)
    {
        let actual = scratch
            .read(&files::output(command.line))
            .unwrap_or_default();
        let status: i32 = scratch
            .read(&files::status(command.line))
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(-1);
        let mut problems = Vec::new();
        if status != command.expected_status {
            problems.push(format!(
                "exit status {status}, the doc shows {}",
                command.expected_status
            ));
        }
        if !expect::matches(&command.expected, &actual) {
            problems.push(format!(
                "its output differs from the doc's.\n  the doc shows:\n{}\n  it printed:\n{}",
                indent(&command.expected.join("\n")),
                indent(&actual)
            ));
        }
        if !problems.is_empty() {
            failures.push(Failure {
                doc: doc.to_string(),
                line: command.line,
                message: format!("`{}`: {}", command.text, problems.join("; ")),
            });
        }
    }
    failures
}

/// Failures of commands run in the background: one that ended with a failure before
/// the block did, or a server (the `server` directive) that did not keep running.
fn background(scratch: &Scratch, commands: &[ShellCommand], doc: &str) -> Vec<Failure> {
    let mut failures = Vec::new();
    for entry in scratch
        .read(files::BACKGROUND_END)
        .unwrap_or_default()
        .lines()
    {
        let mut parts = entry.split_whitespace();
        let line: usize = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        let state = parts.next().unwrap_or_default();
        let status = parts.next().unwrap_or_default();
        let command = commands.iter().find(|c| c.line == line);
        let text = command.map_or("?", |c| c.text.as_str());
        let message = match (state, command.is_some_and(|c| c.server)) {
            ("exited", true) => Some(format!(
                "`{text}` should run until it is stopped (a server), but exited with status {status}"
            )),
            ("exited", false) if status != "0" => Some(format!(
                "`{text}`, started in the background, exited with status {status}"
            )),
            _ => None,
        };
        if let Some(message) = message {
            failures.push(Failure {
                doc: doc.to_string(),
                line,
                message: format!("{message}{}", output_note(scratch, line)),
            });
        }
    }
    failures
}

/// The output of the command on `line`, indented, for a failure message.
fn output_note(scratch: &Scratch, line: usize) -> String {
    match scratch.read(&files::output(line)) {
        Some(output) if !output.trim().is_empty() => {
            let lines: Vec<&str> = output.lines().collect();
            let tail = &lines[lines.len().saturating_sub(30)..];
            format!("; its output:\n{}", indent(&tail.join("\n")))
        }
        _ => "; it printed nothing".to_string(),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
