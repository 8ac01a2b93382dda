//! File-system operations that trust nothing found on disk.
//!
//! Every file and directory telemetry uses lives in directories it expects to own. What
//! is found there may still be hostile or broken: a directory created first by another
//! user, a FIFO or a symbolic link where a file should be, a file of absurd size, a home
//! directory on a network filesystem shared by several machines. The functions here
//! turn each of those into an error the caller can report, never into a hang, a crash
//! or a write somewhere unexpected:
//!
//! - directories must be directories owned by this user that neither group nor others
//!   may write ([`check_dir`]); inside the tree no symbolic link is followed;
//! - files are opened without following a final symbolic link and without blocking (a
//!   FIFO opens at once and is then refused), and must be regular files owned by this
//!   user, no larger than the caller's cap ([`open_regular`]);
//! - new files are created exclusively, readable by this user alone ([`write_new`]),
//!   and moved into place without ever replacing a file ([`place_new`]);
//! - network and FUSE filesystems are recognised ([`filesystem`]), so that shared
//!   mappings, which are coherent within one machine only, are never used on them.

use std::fs::{self, File};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The mode and weekday files are a line each; anything longer is not one of ours.
pub const MAX_SMALL_FILE: u64 = 4096;

/// An error of kind `PermissionDenied` that says why a path is not trusted.
fn untrusted(path: &Path, why: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{} is not trusted: {why}", path.display()),
    )
}

/// The effective user id of this process.
#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Checks metadata of a directory telemetry uses: a directory (not a link to one),
/// owned by this user, not writable by group or others.
#[cfg(unix)]
fn check_dir_metadata(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if meta.file_type().is_symlink() {
        return Err(untrusted(path, "a symbolic link"));
    }
    if !meta.is_dir() {
        return Err(untrusted(path, "not a directory"));
    }
    if meta.uid() != euid() {
        return Err(untrusted(
            path,
            format_args!(
                "owned by user {}, not by this user ({})",
                meta.uid(),
                euid()
            ),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(untrusted(
            path,
            format_args!(
                "group or others may write it (mode {:o}); `chmod go-w` it",
                meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir_metadata(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    if meta.is_dir() {
        Ok(())
    } else {
        Err(untrusted(path, "not a directory"))
    }
}

/// Checks an existing directory: `Ok(false)` when there is none. A `root` may be a
/// symbolic link to a directory (a user's choice of where data lives); directories
/// inside the tree may not.
pub fn check_dir(path: &Path, root: bool) -> io::Result<bool> {
    let meta = if root {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    };
    match meta {
        Ok(meta) => check_dir_metadata(path, &meta).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Makes sure `dir` exists and is trusted, creating it (mode 0700) when missing. Its
/// parent must exist unless `dir` is a `root`, whose missing parents are created too.
pub fn ensure_dir(dir: &Path, root: bool) -> io::Result<()> {
    if check_dir(dir, root)? {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(root);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        // Another process created it meanwhile: check what it made.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    if check_dir(dir, root)? {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} vanished as it was created", dir.display()),
        ))
    }
}

/// Opens a regular file owned by this user, for reading (and writing when `write`),
/// refusing a symbolic link, a FIFO, a device, a directory, or a file longer than
/// `max_len`. Never blocks: a FIFO opens at once and is then refused.
pub fn open_regular(path: &Path, write: bool, max_len: u64) -> io::Result<File> {
    open_checked(path, write, false, max_len)
}

/// Opens the regular file `path` of this user's for reading and writing, creating it
/// (readable by this user alone) when it is missing; refuses what [`open_regular`]
/// refuses. For a file several processes open at once, such as a lock.
pub fn open_or_create(path: &Path, max_len: u64) -> io::Result<File> {
    open_checked(path, true, true, max_len)
}

fn open_checked(path: &Path, write: bool, create: bool, max_len: u64) -> io::Result<File> {
    let mut options = File::options();
    options.read(true).write(write).create(create);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return untrusted(path, "a symbolic link");
        }
        e
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(untrusted(path, "not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != euid() {
            return Err(untrusted(
                path,
                format_args!("owned by user {}, not by this user", meta.uid()),
            ));
        }
    }
    if meta.len() > max_len {
        return Err(untrusted(
            path,
            format_args!("{} bytes, more than the {max_len} it may have", meta.len()),
        ));
    }
    Ok(file)
}

/// The text of a small file (at most [`MAX_SMALL_FILE`] bytes), or `Ok(None)` when
/// there is none. The file is checked as by [`open_regular`], and read with a cap even
/// if it grows meanwhile.
pub fn read_small(path: &Path) -> io::Result<Option<String>> {
    let file = match open_regular(path, false, MAX_SMALL_FILE) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    file.take(MAX_SMALL_FILE + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SMALL_FILE {
        return Err(untrusted(path, "it grew past its size cap while read"));
    }
    Ok(Some(text))
}

/// Reads a whole file checked as by [`open_regular`], at most `max_len` bytes.
pub fn read_capped(path: &Path, max_len: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path, false, max_len)?;
    let mut bytes = Vec::new();
    file.take(max_len + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_len {
        return Err(untrusted(path, "it grew past its size cap while read"));
    }
    Ok(bytes)
}

/// Creates `path`, which must not exist, readable by this user alone, holding `bytes`.
/// Never follows a symbolic link.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(bytes);
    if written.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    written
}

/// A tag no other process (on this machine or in another container sharing the
/// directory) picks: the process id and 64 random bits.
fn random_tag() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(crate::date::now_nanos());
    hasher.write_u32(std::process::id());
    format!("{}.{:016x}", std::process::id(), hasher.finish())
}

/// A unique name for a temporary file: `.<stem>.<pid>.<random><suffix>`.
pub fn unique_name(stem: &str, suffix: &str) -> String {
    format!(".{stem}.{}{suffix}", random_tag())
}

/// A path for a temporary file beside `path`, in its directory and named after it:
/// `.<file name>.<pid>.<random><suffix>`, which [`place_new`] can then move to `path`.
pub fn temp_beside(path: &Path, suffix: &str) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(unique_name(&stem, suffix))
}

/// Renames `from` to `to` unless `to` exists, atomically: an error of kind
/// `AlreadyExists` when it does. Where the system has no such rename, an error of kind
/// `Unsupported`: a plain rename could replace a file another process uses.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::ffi::OsStrExt;
        let from = std::ffi::CString::new(from.as_os_str().as_bytes())?;
        let to = std::ffi::CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both pointers are valid NUL-terminated strings for the duration of
        // the call; the call only reads them.
        let result = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_NOREPLACE as _,
            )
        };
        if result == 0 {
            Ok(())
        } else {
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EINVAL | libc::ENOSYS) => Err(io::ErrorKind::Unsupported.into()),
                _ => Err(error),
            }
        }
    }
    #[cfg(target_vendor = "apple")]
    {
        use std::os::unix::ffi::OsStrExt;
        let from = std::ffi::CString::new(from.as_os_str().as_bytes())?;
        let to = std::ffi::CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both pointers are valid NUL-terminated strings for the duration of
        // the call; the call only reads them.
        let result = unsafe { libc::renamex_np(from.as_ptr(), to.as_ptr(), libc::RENAME_EXCL) };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = (from, to);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Moves the complete file `temp` to `path` unless a file is already there: with a
/// hard link (then `temp` is removed), or an exclusive rename where the filesystem has
/// no hard links. `Ok(true)` when this call placed it, `Ok(false)` when another file
/// was there first; `temp` is gone either way.
pub fn place_new(temp: &Path, path: &Path) -> io::Result<bool> {
    let placed = match fs::hard_link(temp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(_) => match rename_noreplace(temp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        },
    };
    let _ = fs::remove_file(temp);
    placed
}

/// What identifies a file on this machine: its device and inode numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes.
    #[cfg(unix)]
    pub fn of(meta: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// The identity of the file `meta` describes (by size and time where there are no
    /// inode numbers).
    #[cfg(not(unix))]
    pub fn of(meta: &fs::Metadata) -> FileId {
        let time = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        FileId {
            dev: time,
            ino: meta.len(),
        }
    }

    /// The identity of what is at `path` now, without following a symbolic link.
    pub fn at(path: &Path) -> io::Result<FileId> {
        fs::symlink_metadata(path).map(|meta| FileId::of(&meta))
    }
}

/// Renames the file `id` found at `path` to a unique `<path>.<…><suffix>` name (a
/// counter file's is `file::BAD_SUFFIX`), unless the file at `path` is no longer that
/// one (another process already replaced it with a good file, which must not be
/// moved). Returns the new path, or `Ok(None)` when the file at `path` is another one.
pub fn set_aside(path: &Path, id: FileId, suffix: &str) -> io::Result<Option<PathBuf>> {
    if FileId::at(path)? != id {
        return Ok(None);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = path.with_file_name(format!("{name}.{}{suffix}", random_tag()));
    rename_noreplace(path, &aside).or_else(|e| match e.kind() {
        io::ErrorKind::Unsupported => fs::rename(path, &aside),
        _ => Err(e),
    })?;
    // Between the check and the rename another process may have put a good file in
    // place: if what moved is not the bad file, put it back.
    if FileId::at(&aside)? != id {
        let _ = rename_noreplace(&aside, path);
        return Ok(None);
    }
    Ok(Some(aside))
}

/// What kind of filesystem holds a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filesystem {
    /// A filesystem of this machine: shared mappings are coherent.
    Local,
    /// A network or FUSE filesystem (named): several machines, or a user-space server,
    /// may see the same file, and shared mappings are not coherent between them.
    Remote(&'static str),
    /// Could not be determined.
    Unknown,
}

/// The filesystem of `path`, or of its nearest existing ancestor.
pub fn filesystem(path: &Path) -> Filesystem {
    let mut at = Some(path);
    while let Some(dir) = at {
        if fs::symlink_metadata(dir).is_ok() {
            return filesystem_of(dir);
        }
        at = dir.parent();
    }
    Filesystem::Unknown
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn filesystem_of(path: &Path) -> Filesystem {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return Filesystem::Unknown;
    };
    // SAFETY: `statfs` is plain old data; all-zero bytes are a valid value.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid NUL-terminated string and `stat` a valid, writable
    // `statfs` for the duration of the call.
    if unsafe { libc::statfs(path.as_ptr(), &mut stat) } != 0 {
        return Filesystem::Unknown;
    }
    linux_filesystem(stat.f_type as u64 & 0xffff_ffff)
}

/// The kind of a Linux filesystem by its magic number (`statfs.f_type`).
#[cfg(any(target_os = "linux", target_os = "android", test))]
pub(crate) fn linux_filesystem(magic: u64) -> Filesystem {
    let remote = match magic {
        0x6969 => "nfs",
        0x517b => "smb",
        0xff53_4d42 => "cifs",
        0xfe53_4d42 => "smb2",
        0x6573_5546 => "fuse",
        0x0102_1997 => "9p",
        0x7375_7245 => "coda",
        0x5346_414f => "afs",
        0x6b41_4653 => "kafs",
        0x00c3_6400 => "ceph",
        0x0116_1970 => "gfs2",
        0x7461_636f => "ocfs2",
        0x0bd0_0bd0 => "lustre",
        0x0000_564c => "ncp",
        _ => return Filesystem::Local,
    };
    Filesystem::Remote(remote)
}

#[cfg(target_vendor = "apple")]
fn filesystem_of(path: &Path) -> Filesystem {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return Filesystem::Unknown;
    };
    // SAFETY: `statfs` is plain old data; all-zero bytes are a valid value.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid NUL-terminated string and `stat` a valid, writable
    // `statfs` for the duration of the call.
    if unsafe { libc::statfs(path.as_ptr(), &mut stat) } != 0 {
        return Filesystem::Unknown;
    }
    if stat.f_flags & libc::MNT_LOCAL as u32 != 0 {
        return Filesystem::Local;
    }
    let name: Vec<u8> = stat
        .f_fstypename
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Filesystem::Remote(match name.as_slice() {
        b"nfs" => "nfs",
        b"smbfs" => "smb",
        b"afpfs" => "afp",
        b"webdav" => "webdav",
        _ => "network",
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn filesystem_of(_path: &Path) -> Filesystem {
    Filesystem::Unknown
}

/// Bytes free for this user on the filesystem of `file`, if the system says.
pub fn free_bytes(file: &File) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `statvfs` is plain old data; all-zero bytes are a valid value.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: a valid open descriptor and a valid, writable `statvfs`.
        if unsafe { libc::fstatvfs(file.as_raw_fd(), &mut stat) } != 0 {
            return None;
        }
        Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("telemetry-safe-fs-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn network_and_fuse_filesystems_are_remote_and_disk_ones_local() {
        assert_eq!(linux_filesystem(0x6969), Filesystem::Remote("nfs"));
        assert_eq!(linux_filesystem(0xff53_4d42), Filesystem::Remote("cifs"));
        assert_eq!(linux_filesystem(0x6573_5546), Filesystem::Remote("fuse"));
        assert_eq!(linux_filesystem(0xef53), Filesystem::Local, "ext4");
        assert_eq!(linux_filesystem(0x0102_1994), Filesystem::Local, "tmpfs");
        assert_eq!(linux_filesystem(0x5846_5342), Filesystem::Local, "xfs");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_temp_directory_is_on_a_local_filesystem() {
        assert_eq!(filesystem(&std::env::temp_dir()), Filesystem::Local);
        assert_eq!(
            filesystem(&std::env::temp_dir().join("no/such/dir")),
            Filesystem::Local,
            "the nearest existing ancestor decides"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once_instead_of_blocking() {
        let dir = temp("fifo");
        let fifo = dir.join("mode");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let error = read_small(&fifo).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_refused() {
        let dir = temp("symlink");
        std::os::unix::fs::symlink("/dev/zero", dir.join("weekday")).unwrap();
        let error = read_small(&dir.join("weekday")).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_over_its_cap_is_refused() {
        let dir = temp("big");
        fs::write(dir.join("mode"), vec![b'x'; MAX_SMALL_FILE as usize + 1]).unwrap();
        let error = read_small(&dir.join("mode")).unwrap_err();
        assert!(error.to_string().contains("more than the 4096"), "{error}");
        assert_eq!(read_small(&dir.join("missing")).unwrap(), None);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_may_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp("writable");
        let open = dir.join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let error = ensure_dir(&open, false).unwrap_err();
        assert!(
            error.to_string().contains("group or others may write"),
            "{error}"
        );
        let private = dir.join("private");
        ensure_dir(&private, false).unwrap();
        assert_eq!(
            fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_of_another_user_is_refused() {
        let dir = temp("owner");
        let theirs = dir.join("theirs");
        fs::create_dir(&theirs).unwrap();
        let c = std::ffi::CString::new(theirs.to_str().unwrap()).unwrap();
        // SAFETY: a valid path string. Only root may give a file away; others skip.
        if unsafe { libc::chown(c.as_ptr(), 65534, 65534) } != 0 {
            return;
        }
        let error = check_dir(&theirs, false).unwrap_err();
        assert!(error.to_string().contains("owned by user 65534"), "{error}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_temporary_file_goes_beside_its_target_named_after_it() {
        let target = Path::new("/some/dir/2026-11-26.v1.count");
        let temp = temp_beside(target, ".tmp");
        assert_eq!(temp.parent(), target.parent());
        let name = temp.file_name().unwrap().to_str().unwrap();
        let pid = std::process::id();
        assert!(
            name.starts_with(&format!(".2026-11-26.v1.count.{pid}.")) && name.ends_with(".tmp"),
            "{name}"
        );
        assert_ne!(temp, temp_beside(target, ".tmp"), "each name is new");
        // A bare file name: the temporary file is a bare name too, in the same place.
        let bare = temp_beside(Path::new("file"), ".tmp");
        assert_eq!(bare.components().count(), 1, "{}", bare.display());
    }

    #[test]
    fn placing_a_new_file_never_replaces_one() {
        let dir = temp("place");
        let path = dir.join("file");
        let first = dir.join(unique_name("file", ".tmp"));
        write_new(&first, b"first").unwrap();
        assert!(place_new(&first, &path).unwrap());
        let second = dir.join(unique_name("file", ".tmp"));
        write_new(&second, b"second").unwrap();
        assert!(!place_new(&second, &path).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert!(!first.exists() && !second.exists(), "temp files are gone");
        let third = dir.join("third");
        write_new(&third, b"third").unwrap();
        let error = rename_noreplace(&third, &path).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn setting_aside_moves_only_the_file_found_bad() {
        let dir = temp("aside");
        let path = dir.join("week.v1.count");
        fs::write(&path, b"bad").unwrap();
        let bad = FileId::at(&path).unwrap();
        // Another process replaced it with a good file: that one stays.
        fs::remove_file(&path).unwrap();
        fs::write(&path, b"good").unwrap();
        let good = FileId::at(&path).unwrap();
        if good != bad {
            assert_eq!(set_aside(&path, bad, ".bad").unwrap(), None);
            assert_eq!(fs::read(&path).unwrap(), b"good");
        }
        let first = set_aside(&path, good, ".bad").unwrap().unwrap();
        fs::write(&path, b"bad again").unwrap();
        let second = set_aside(&path, FileId::at(&path).unwrap(), ".bad")
            .unwrap()
            .unwrap();
        assert_ne!(first, second, "each set-aside name is unique");
        for aside in [&first, &second] {
            let name = aside.file_name().unwrap().to_str().unwrap();
            assert!(
                name.starts_with("week.v1.count.") && name.ends_with(".bad"),
                "{name}"
            );
        }
        assert!(!path.exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
