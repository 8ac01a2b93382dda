//! What the workspace's tests share, so that each test file states behaviour and not
//! plumbing:
//!
//! - [`TempDir`]: a fresh directory per test, removed when the test ends;
//! - child-process roles: a test binary re-runs itself as a child that plays one role
//!   ([`role`], [`child`], [`finish`], [`say`], [`role_out`]), so behaviour that crosses
//!   processes (many processes at once, a crash, `off` writing nothing) is tested for
//!   real;
//! - reading back what was counted ([`counter_files`], [`counts`], [`tree`]);
//! - waiting, with a bound, for something another thread or process does ([`wait_for`]);
//! - a collector on a loopback port that answers as told and counts requests
//!   ([`server`]);
//! - a program run in a real pseudo-terminal, read and typed at as a person would
//!   (`pty`, on Unix);
//! - test data: a report and a counter file of the example program ([`kv_report`],
//!   [`kv_counter_file`]) and a deterministic random source ([`Rng`]);
//! - a load generator for the collection server ([`load`]).

mod data;
pub mod http;
pub mod load;
#[cfg(unix)]
pub mod pty;
pub mod server;

pub use data::{Rng, kv_counter_file, kv_report};

use std::collections::BTreeMap;
use std::fs;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The variables through which the environment changes what telemetry does; removed
/// from every child unless a test sets them.
pub const TELEMETRY_VARS: [&str; 7] = [
    "DO_NOT_TRACK",
    "TELEMETRY_MODE",
    "TELEMETRY_DIR",
    "TELEMETRY_POLICY",
    "TELEMETRY_PROMPT",
    "TELEMETRY_PROMPT_TIMEOUT",
    "TELEMETRY_DEBUG_DAYS_AGO",
];

/// The variable that names a child's role.
pub const ROLE_VAR: &str = "TELEMETRY_TEST_ROLE";

/// A fresh, empty directory, removed with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new directory under the system's temporary directory, named after `label`,
    /// this process and a counter, so parallel tests never share one.
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "telemetry-test-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("the temporary directory can be created");
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The role this process plays, when a test started it as a child; `None` in the
/// test run itself. A test binary has one entry test that does nothing without a role,
/// and that [`child`] names:
///
/// ```text
/// #[test]
/// fn child_process_entry() {
///     let Some(role) = test_support::role() else { return };
///     match role.as_str() {
///         "count" => { /* play it */ }
///         other => panic!("unknown role {other}"),
///     }
/// }
/// ```
pub fn role() -> Option<String> {
    std::env::var(ROLE_VAR).ok()
}

/// A command running this test binary again as a child playing `role`, with its
/// output captured and the telemetry variables removed. `entry` is the name of the
/// test function that dispatches roles.
pub fn child(entry: &str, role: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args([entry, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE_VAR, role)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in TELEMETRY_VARS {
        command.env_remove(var);
    }
    command
}

/// A child that runs until the test stops it: killed and waited for when dropped, so
/// that a test failing half-way never leaves it running.
#[derive(Debug)]
pub struct Running(Child);

impl Running {
    /// Starts `command`.
    pub fn spawn(command: &mut Command) -> Running {
        Running(command.spawn().expect("the child starts"))
    }

    /// The child's exit status, if it has ended.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.0.try_wait().expect("the child can be waited for")
    }

    /// Kills the child and waits for it.
    pub fn stop(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for a child and asserts that it succeeded, showing its output if not.
pub fn finish(child: Child) -> Output {
    let output = child
        .wait_with_output()
        .expect("the child can be waited for");
    assert!(
        output.status.success(),
        "child failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Prints a line of a child's result, for [`role_out`] to find.
pub fn say(line: impl std::fmt::Display) {
    println!("ROLE-OUT: {line}");
}

/// The lines a child printed with [`say`], in order.
pub fn role_out(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        // The harness may have printed `test entry ... ` on the same line.
        .filter_map(|l| l.split_once("ROLE-OUT: ").map(|(_, out)| out.to_string()))
        .collect()
}

/// The counter files of `namespace` under the telemetry root `root`, sorted.
pub fn counter_files(root: &Path, namespace: &str) -> Vec<PathBuf> {
    let local = root.join(namespace).join("local");
    let mut files: Vec<PathBuf> = fs::read_dir(&local)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.to_string_lossy().ends_with(".v1.count"));
    files.sort();
    files
}

/// Every counter of a counter file and its value; panics when the file is unreadable.
pub fn counts(path: &Path) -> BTreeMap<String, u64> {
    match telemetry_formats::file::read(path) {
        Ok(contents) => contents.counters.into_iter().collect(),
        Err(e) => panic!("{} is unreadable: {e}", path.display()),
    }
}

/// The only counter file of `namespace` under `root`; panics unless there is exactly
/// one.
pub fn only_file(root: &Path, namespace: &str) -> PathBuf {
    let files = counter_files(root, namespace);
    assert_eq!(files.len(), 1, "exactly one counter file: {files:?}");
    files.into_iter().next().unwrap_or_default()
}

/// Every path under `dir` (itself included) with whether it is a directory, its length
/// and its modification time: equal snapshots mean nothing was created or modified.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, (bool, u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&at) else {
            continue;
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        out.insert(at.clone(), (meta.is_dir(), meta.len(), modified));
        if meta.is_dir()
            && let Ok(entries) = fs::read_dir(&at)
        {
            stack.extend(entries.filter_map(|e| Some(e.ok()?.path())));
        }
    }
    out
}

/// Polls `check` every 10 ms until it returns `Some`, for at most `limit`; panics
/// naming `what` when it never does.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
