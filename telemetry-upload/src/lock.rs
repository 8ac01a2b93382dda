//! The upload lock: one uploader per namespace at a time, across every process of
//! every program, and never a lock obeyed forever.
//!
//! The lock is the file `upload/lock`, created exclusively, holding the owner's process
//! id and the time it was taken. A lock whose process no longer runs, or that is older
//! than [`STALE_SECS`] (longer than any upload run may last), was left by a killed
//! uploader: it is taken over by renaming it to a unique name first (so that of two
//! processes recovering it at once, one wins) and creating a fresh one. Go's uploader
//! obeyed a stale lock forever (golang/go#68406).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use telemetry_formats::safe_fs;

/// A lock older than this is stale whoever holds it: no upload run lasts so long.
pub const STALE_SECS: u64 = 10 * 60;
/// The lock's file name in the upload directory.
pub const LOCK_FILE: &str = "lock";

/// A held lock; released (its file removed) when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Takes the lock in `dir`, recovering a stale one; `Ok(None)` when another live
/// process holds it.
pub fn take(dir: &Path, now: u64) -> io::Result<Option<Lock>> {
    let path = dir.join(LOCK_FILE);
    for _ in 0..2 {
        let text = format!("{} {now}\n", std::process::id());
        match safe_fs::write_new(&path, text.as_bytes()) {
            Ok(()) => return Ok(Some(Lock { path })),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        if !is_stale(&path, now) {
            return Ok(None);
        }
        // Move the stale lock out of the way; whoever loses this race sees it gone.
        let aside = dir.join(safe_fs::unique_name(LOCK_FILE, ".stale"));
        if fs::rename(&path, &aside).is_ok() {
            let _ = fs::remove_file(&aside);
        }
    }
    Ok(None)
}

/// Whether the lock at `path` was left by a process that is gone, or is too old.
fn is_stale(path: &Path, now: u64) -> bool {
    let Ok(Some(text)) = safe_fs::read_small(path) else {
        // Unreadable: treat as stale only once it is old by its file time.
        return fs::symlink_metadata(path)
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > STALE_SECS);
    };
    let mut fields = text.split_whitespace();
    let pid: Option<u32> = fields.next().and_then(|p| p.parse().ok());
    let taken: Option<u64> = fields.next().and_then(|t| t.parse().ok());
    match (pid, taken) {
        (Some(pid), Some(taken)) => now.saturating_sub(taken) > STALE_SECS || !alive(pid),
        _ => true,
    }
}

/// Whether a process of this id runs (and may be signalled by this user).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let result = unsafe { libc::kill(pid, 0) };
        result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("telemetry-lock-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = dir("one");
        let first = take(&dir, 1000).unwrap().expect("free");
        assert!(
            take(&dir, 1001).unwrap().is_none(),
            "held by a live process"
        );
        drop(first);
        assert!(take(&dir, 1002).unwrap().is_some());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_lock_of_a_dead_process_or_too_old_is_taken_over() {
        let dir = dir("stale");
        // A process id that does not run (pids are below 2^22 on Linux).
        fs::write(dir.join(LOCK_FILE), "4194303 1000\n").unwrap();
        assert!(take(&dir, 1001).unwrap().is_some(), "dead owner");
        fs::write(
            dir.join(LOCK_FILE),
            format!("{} 1000\n", std::process::id()),
        )
        .unwrap();
        assert!(
            take(&dir, 1000 + STALE_SECS - 1).unwrap().is_none(),
            "live and recent"
        );
        assert!(
            take(&dir, 1000 + STALE_SECS + 1).unwrap().is_some(),
            "too old"
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
