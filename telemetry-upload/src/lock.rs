//! The upload lock: one uploader per namespace at a time, across every process of
//! every program, and never a lock obeyed forever.
//!
//! The lock is the operating system's exclusive lock on the open file `upload/lock`
//! (`flock` on Unix, `LockFileEx` on Windows, through `File::try_lock`), taken without
//! waiting. The system releases it when its holder closes the file or ends in any way,
//! killed included, so there is no stale lock to recover and nothing to take over:
//! Go's uploader obeyed a lock file left by a killed process forever (golang/go#68406),
//! and recovering such files by renaming them (what this crate did before) let two
//! processes hold the lock at once when one moved the other's fresh file aside. The
//! file is never deleted, so every process locks the same file; it holds the holder's
//! process id and the time it was taken, for people. A lock file left by an earlier
//! version (`<pid> <time>`, held by nobody) is simply locked and rewritten.

use std::fs::{File, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use telemetry_formats::safe_fs;

/// The lock's file name in the upload directory.
pub const LOCK_FILE: &str = "lock";
/// The lock file holds a line; anything longer is not one of ours.
const MAX_LOCK_FILE: u64 = safe_fs::MAX_SMALL_FILE;

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Lock {
    file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Say nobody holds it any more, then let go (closing the file unlocks it).
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Takes the lock in `dir` if no other process holds it: `Ok(None)` when one does.
/// `now` (Unix seconds) is written into the file with this process's id.
pub fn take(dir: &Path, now: u64) -> io::Result<Option<Lock>> {
    let mut file = safe_fs::open_or_create(&dir.join(LOCK_FILE), MAX_LOCK_FILE)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(None),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(format!("{} {now}\n", std::process::id()).as_bytes())?;
    Ok(Some(Lock { file }))
}

/// Who holds the lock in `dir`, if a process does: the text its holder wrote (its
/// process id and the time it took the lock). Writes nothing, creates nothing.
pub fn holder(dir: &Path) -> Option<String> {
    let mut file = safe_fs::open_regular(&dir.join(LOCK_FILE), false, MAX_LOCK_FILE).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = (&mut file).take(MAX_LOCK_FILE).read_to_string(&mut text);
            Some(text.trim().to_string())
        }
        Err(TryLockError::Error(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

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
        assert_eq!(holder(&dir), None, "no file, no holder");
        let first = take(&dir, 1000).unwrap().expect("free");
        assert!(take(&dir, 1001).unwrap().is_none(), "held");
        assert_eq!(
            holder(&dir).as_deref(),
            Some(format!("{} 1000", std::process::id()).as_str())
        );
        drop(first);
        assert_eq!(holder(&dir), None);
        assert!(take(&dir, 1002).unwrap().is_some());
        assert!(
            dir.join(LOCK_FILE).exists(),
            "the file stays: all lock one file"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_lock_file_nobody_holds_is_taken_whatever_it_says() {
        let dir = dir("left");
        // What an earlier version left when killed: a process that does not run.
        fs::write(dir.join(LOCK_FILE), "4194303 1000\n").unwrap();
        assert_eq!(holder(&dir), None);
        let lock = take(&dir, 1001).unwrap().expect("nobody holds it");
        assert_eq!(
            fs::read_to_string(dir.join(LOCK_FILE)).unwrap(),
            format!("{} 1001\n", std::process::id())
        );
        drop(lock);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_link_or_a_fifo_in_place_of_the_lock_is_refused() {
        let dir = dir("link");
        let target = dir.join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.join(LOCK_FILE)).unwrap();
        let error = take(&dir, 1).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert!(!target.exists(), "nothing created through the link");
        fs::remove_file(dir.join(LOCK_FILE)).unwrap();
        fs::create_dir(dir.join(LOCK_FILE)).unwrap();
        assert!(take(&dir, 1).is_err(), "a directory");
        fs::remove_dir_all(dir).unwrap();
    }
}
