//! Where uploads run: a detached child process, never the program's own path.
//!
//! A command-line tool may exit 5 ms after `start!()`; a thread would die with it. So,
//! as Go does, `start!()` in a program whose mode is `on` and that has something due
//! starts the program's own executable again as a child with [`CHILD_VAR`] set, at most
//! once a day per namespace (the time of `upload/token`), and returns at once. The
//! child is detached (a session of its own, no terminal, standard streams closed), so
//! the program's exit neither waits for it nor ends it. The child gets the program's
//! arguments, so that argument checks before `start!()` pass as they did. In the
//! child, `start!()` runs the upload and exits the process: the program's `main` never
//! goes past `start!()`, but whatever it did before `start!()` runs twice, with the
//! same arguments — call `start!()` first thing. The
//! child never starts another child, and ends itself when its time limit is up
//! ([`LIMIT`]), whatever the collector does.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use telemetry_formats::date::{self, DAY};
use telemetry_formats::mode::{Env, Mode};
use telemetry_formats::{file, report, safe_fs};

use crate::files;
use crate::run::{self, Options, Target};

pub use telemetry_formats::upload::CHILD_VAR;
/// Lowers the child's time limit (for tests; it can only shorten [`LIMIT`]).
pub const LIMIT_VAR: &str = "TELEMETRY_UPLOAD_LIMIT_SECS";
/// The most an upload child lives.
pub const LIMIT: Duration = Duration::from_secs(60);
/// An upload is tried at most once per this long.
pub const EVERY_SECS: u64 = DAY;

/// Whether this process is an upload child.
pub fn is_child() -> bool {
    std::env::var_os(CHILD_VAR).is_some()
}

/// What `start!()` calls when the program names a collector: in the upload child, runs
/// the upload and exits the process; otherwise starts the child when an upload is due,
/// and returns at once. `Err` says why nothing can be uploaded (a bad URL or key).
pub fn on_start(mode: Mode, namespace_dir: &Path, url: &str, key: &str) -> Result<(), String> {
    if is_child() {
        child_main(namespace_dir, &Target::new(url, key)?)
    }
    // Cheap checks only on the program's path; the child checks the key in full.
    crate::http::check_url(url)?;
    let hex = key
        .strip_prefix(telemetry_formats::signature::KEY_PREFIX)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hex.is_none() {
        return Err(format!(
            "{key:?} is not a public key: ed25519: and 64 hex digits"
        ));
    }
    if mode != Mode::On {
        return Ok(());
    }
    let now = date::now_secs();
    let dir = files::upload_dir(namespace_dir);
    let token = dir.join("token");
    let recent = std::fs::symlink_metadata(&token)
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() < EVERY_SECS);
    if recent || !due(namespace_dir, now) {
        return Ok(());
    }
    safe_fs::ensure_dir(&dir, false).map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
    // Whoever replaces the token starts the child; the others see it fresh.
    let _ = std::fs::remove_file(&token);
    if safe_fs::write_new(&token, b"").is_err() {
        return Ok(());
    }
    spawn().map_err(|e| format!("cannot start the upload process: {e}"))
}

/// Whether anything may be due: a week's report not yet uploaded nor refused, or
/// counter files of a week that has ended.
fn due(namespace_dir: &Path, now: u64) -> bool {
    let local = namespace_dir.join(telemetry_formats::dirs::LOCAL);
    if !matches!(safe_fs::check_dir(&local, false), Ok(true)) {
        return false;
    }
    let dir = files::upload_dir(namespace_dir);
    let reported = report::list(&local).into_iter().any(|(week, _)| {
        [report::REPORT_SUFFIX, files::REJECTED_SUFFIX]
            .iter()
            .all(|suffix| std::fs::symlink_metadata(dir.join(format!("{week}{suffix}"))).is_err())
    });
    reported
        || std::fs::read_dir(&local).is_ok_and(|read| {
            read.flatten().any(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_suffix(file::SUFFIX)
                    .and_then(|stem| stem.get(stem.len().saturating_sub(10)..))
                    .and_then(date::parse)
                    .is_some_and(|begin| (begin + 7) * DAY + 3600 <= now)
            })
        })
}

/// Starts this executable again, with the same arguments, as the upload child,
/// detached; a thread reaps it.
fn spawn() -> std::io::Result<()> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .env(CHILD_VAR, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: `setsid` is async-signal-safe and touches no memory of this process;
        // it only makes the child the leader of a new session, without a terminal.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    let mut child = command.spawn()?;
    let _ = std::thread::Builder::new()
        .name("telemetry-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        });
    Ok(())
}

/// The upload child: runs one upload, within its time limit, and exits.
fn child_main(namespace_dir: &Path, target: &Target) -> ! {
    let limit = std::env::var(LIMIT_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(LIMIT, |secs| LIMIT.min(Duration::from_secs(secs)));
    let _ = std::thread::Builder::new()
        .name("telemetry-limit".into())
        .spawn(move || {
            std::thread::sleep(limit);
            // Out of time: end; the system releases the upload lock with the process.
            std::process::exit(3);
        });
    let mut options = Options::now();
    options.request_limit = options.request_limit.min(limit);
    let _ = std::panic::catch_unwind(|| {
        run::run(namespace_dir, target, &Env::from_process(), &options);
    });
    std::process::exit(0)
}
