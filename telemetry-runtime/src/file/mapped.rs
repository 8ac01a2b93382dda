//! A counter file mapped into memory, shared by every process of one program build.
//!
//! Counts are `AtomicU64`s inside the mapping, so increments from any number of
//! processes land in the file exactly and without a lock. New names are appended
//! lock-free across processes: a compare-and-swap on the header's `limit` reserves
//! space, the record is written, and a compare-and-swap on its bucket's head publishes
//! it (a process that loses a race for the same name finds the winner's record and
//! leaves its own unreachable).
//!
//! Every byte another process may write is read and written with atomic operations,
//! names included, so a hostile or racing writer can produce wrong values but never a
//! data race in this process.
//!
//! Growing the file only ever adds space that is really allocated: `fallocate` where
//! the filesystem supports it, otherwise zeros written past the end while holding an
//! exclusive lock on the file, after checking that the disk has room. A hole, whose
//! first store would raise `SIGBUS` on a full disk, is never handed out. Every mapping
//! made is kept for the life of the process (cells handed out point into it); a newer,
//! longer mapping of the same file serves new names, and a shorter one is never
//! installed. Nothing here shrinks or truncates a file, and every loop is bounded: a
//! file that keeps pointing past its end is reported corrupt.
//!
//! A lookup never makes a system call: a name that needs the file grown, or mapped
//! again after another process grew it, is an error saying so, and the runtime's
//! worker thread does it ([`MappedFile::grow_as_asked`], [`MappedFile::catch_up`]).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use telemetry_formats::file::format::{
    self, FormatError, Header, Layout, MAX_FILE_LEN, MAX_NAME, OFF_LIMIT, PAGE, RECORD_HEAD,
    record_len,
};
use telemetry_formats::safe_fs::{self, FileId};

/// How often an insert may lose a race before giving up (for this name, this time).
const MAX_RACES: usize = 1000;
/// Growth leaves at least this much of the disk free for the user.
const KEEP_FREE: u64 = 16 << 20;
/// How long growth waits for another process's growth (10 ms steps).
const LOCK_TRIES: usize = 100;

/// Why a name has no cell in the file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CellError {
    /// The file is inconsistent.
    Corrupt,
    /// The file reached its size limit, or the disk is full.
    Full,
    /// The name cannot be stored (empty or too long).
    Unsupported,
    /// An I/O error while growing or mapping the file.
    Io,
    /// Another process grew the file: it must be mapped again first.
    NeedsRemap,
    /// The file must grow for this name first.
    NeedsGrowth,
}

/// One `mmap` of the file; leaked, so it stays mapped for the life of the process.
struct Mapping {
    raw: MmapRaw,
}

impl Mapping {
    fn len(&self) -> u64 {
        self.raw.len() as u64
    }

    /// The `AtomicU32` at `offset`, which must be 4-aligned and inside the mapping.
    fn u32_at(&'static self, offset: u64) -> &'static AtomicU32 {
        assert!(offset.is_multiple_of(4) && offset + 4 <= self.len());
        // SAFETY: the mapping is page-aligned and `offset` is a multiple of 4, so the
        // pointer is aligned; it is in bounds (checked above); the mapping is leaked, so
        // it is valid for `'static`; these bytes are only ever accessed atomically.
        unsafe { AtomicU32::from_ptr(self.raw.as_mut_ptr().add(offset as usize).cast()) }
    }

    /// The `AtomicU64` at `offset`, which must be 8-aligned and inside the mapping.
    fn u64_at(&'static self, offset: u64) -> &'static AtomicU64 {
        assert!(offset.is_multiple_of(8) && offset + 8 <= self.len());
        // SAFETY: as in `u32_at`, with 8-byte alignment.
        unsafe { AtomicU64::from_ptr(self.raw.as_mut_ptr().add(offset as usize).cast()) }
    }

    /// The byte at `offset`, which must be inside the mapping.
    fn u8_at(&'static self, offset: u64) -> &'static AtomicU8 {
        assert!(offset < self.len());
        // SAFETY: in bounds (checked above), any alignment suits a byte, the mapping
        // lives for `'static`, and name bytes are only ever accessed atomically.
        unsafe { AtomicU8::from_ptr(self.raw.as_mut_ptr().add(offset as usize)) }
    }

    /// Whether the `len` bytes at `offset` are `name`, read byte by byte atomically
    /// (another process may be writing them).
    fn name_is(&'static self, offset: u64, name: &[u8]) -> bool {
        (0..name.len() as u64)
            .all(|i| self.u8_at(offset + i).load(Ordering::Relaxed) == name[i as usize])
    }

    /// Writes `name` at `offset`, byte by byte atomically.
    fn write_name(&'static self, offset: u64, name: &[u8]) {
        for (i, &b) in name.iter().enumerate() {
            self.u8_at(offset + i as u64).store(b, Ordering::Relaxed);
        }
    }
}

enum Found {
    Cell(&'static AtomicU64),
    /// Not in the chain.
    Missing,
    /// The chain leads past this mapping: the file grew.
    Beyond,
}

/// An open, mapped counter file.
pub(crate) struct MappedFile {
    path: PathBuf,
    /// The file opened, to notice when the path comes to name another one.
    id: FileId,
    /// Open while this is the file new names go to; closed once superseded (its
    /// mappings stay, for counters still holding cells in them).
    file: Mutex<Option<File>>,
    header: Header,
    layout: Layout,
    /// The newest mapping.
    map: AtomicPtr<Mapping>,
    /// Serializes this process's inserts; other processes race by CAS.
    insert: Mutex<()>,
    /// Never published to counters, so its mapping may be unmapped on drop.
    private: bool,
    /// The length a growth asked for; the worker grows to it.
    wanted: AtomicU64,
    /// The length of the longest mapping a lookup found too short; the worker maps the
    /// file again if it is still the current length.
    too_short: AtomicU64,
    /// Growth failed (disk full, or an I/O error): new names that need it are counted
    /// in memory from then on, without asking again.
    stuck: AtomicBool,
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        if self.private {
            // SAFETY: a private file hands out no cell (it is never published), so
            // nothing points into its mapping, which came from `Box::leak` in `map()`.
            drop(unsafe { Box::from_raw(self.map.load(Ordering::Acquire)) });
        }
    }
}

impl MappedFile {
    /// Maps an existing file after checking its header. The file must be a regular
    /// file of this user's (see [`safe_fs::open_regular`]); one longer than
    /// [`MAX_FILE_LEN`] is a format error. A `private` file must never be published to
    /// counters: it is unmapped when dropped.
    pub(crate) fn open(path: &Path, private: bool) -> Result<MappedFile, OpenError> {
        let file = safe_fs::open_regular(path, true, u64::MAX)?;
        let meta = file.metadata()?;
        let id = FileId::of(&meta);
        let len = meta.len();
        let prefix = read_prefix(&file, len)?;
        let (header, layout, _limit) =
            format::parse_header_prefix(&prefix, len).map_err(|e| OpenError::Format(e, id))?;
        let mapping = map(&file, len).map_err(|e| match e {
            OpenError::Format(e, _) => OpenError::Format(e, id),
            io => io,
        })?;
        Ok(MappedFile {
            path: path.to_path_buf(),
            id,
            file: Mutex::new(Some(file)),
            header,
            layout,
            map: AtomicPtr::new(ptr::from_ref(mapping).cast_mut()),
            insert: Mutex::new(()),
            private,
            wanted: AtomicU64::new(0),
            too_short: AtomicU64::new(0),
            stuck: AtomicBool::new(false),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// The device and inode of the file this maps.
    pub(crate) fn id(&self) -> FileId {
        self.id
    }

    /// Whether the path still names the file this maps (not when another process, or
    /// a person, moved or replaced it).
    pub(crate) fn still_in_place(&self) -> bool {
        FileId::at(&self.path).is_ok_and(|id| id == self.id)
    }

    fn current(&self) -> &'static Mapping {
        // SAFETY: `map` only ever holds pointers from `Box::leak` in `map()`.
        unsafe { &*self.map.load(Ordering::Acquire) }
    }

    /// The cell counting `name`, appending a record when the file has none. A name
    /// that needs the file grown or mapped again is [`CellError::NeedsGrowth`] or
    /// [`CellError::NeedsRemap`]: no system call is made here.
    pub(crate) fn cell(&self, name: &str) -> Result<&'static AtomicU64, CellError> {
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(CellError::Unsupported);
        }
        let bucket = self.layout.bucket_of(name);
        let map = self.current();
        let head = map.u32_at(self.layout.head(bucket)).load(Ordering::Acquire);
        match self.find(map, head, 0, name)? {
            Found::Cell(cell) => Ok(cell),
            Found::Missing => self.insert(bucket, name),
            Found::Beyond => Err(self.needs_remap(map)),
        }
    }

    /// Records that `map` was found too short, for [`MappedFile::catch_up`].
    fn needs_remap(&self, map: &'static Mapping) -> CellError {
        self.too_short.fetch_max(map.len(), Ordering::Relaxed);
        CellError::NeedsRemap
    }

    /// Walks the chain from `from` until `until` (exclusive) looking for `name`.
    fn find(
        &self,
        map: &'static Mapping,
        from: u32,
        until: u32,
        name: &str,
    ) -> Result<Found, CellError> {
        let max_steps = map.len() / (RECORD_HEAD + 8) + 1;
        let mut at = u64::from(from);
        let mut steps = 0;
        while at != 0 && at != u64::from(until) {
            steps += 1;
            if steps > max_steps {
                return Err(CellError::Corrupt);
            }
            if at < self.layout.records_start || at % 8 != 0 {
                return Err(CellError::Corrupt);
            }
            if at + RECORD_HEAD > map.len() {
                return Ok(Found::Beyond);
            }
            let len = map.u32_at(at + 12).load(Ordering::Relaxed) as usize;
            if len == 0 || len > MAX_NAME {
                return Err(CellError::Corrupt);
            }
            if at + record_len(len) > map.len() {
                return Ok(Found::Beyond);
            }
            if len == name.len() && map.name_is(at + RECORD_HEAD, name.as_bytes()) {
                return Ok(Found::Cell(map.u64_at(at)));
            }
            at = u64::from(map.u32_at(at + 8).load(Ordering::Acquire));
        }
        Ok(Found::Missing)
    }

    #[cold]
    fn insert(&self, bucket: u32, name: &str) -> Result<&'static AtomicU64, CellError> {
        let _guard = self.insert.lock().unwrap_or_else(|p| p.into_inner());
        let head_at = self.layout.head(bucket);
        // Reserve space: a CAS on the limit, growing the file first when needed.
        let start = 'reserve: {
            for _ in 0..MAX_RACES {
                let map = self.current();
                let limit_cell = map.u64_at(OFF_LIMIT as u64);
                let limit = limit_cell.load(Ordering::Acquire);
                if limit < self.layout.records_start || !limit.is_multiple_of(8) {
                    return Err(CellError::Corrupt);
                }
                let Some((start, end)) = format::place(limit, name.len()) else {
                    // Past the largest file: a corrupt limit, or a full one.
                    return Err(if limit > MAX_FILE_LEN {
                        CellError::Corrupt
                    } else {
                        CellError::Full
                    });
                };
                if limit > map.len() {
                    // Another process grew the file and used the new space: it must be
                    // mapped again (a limit past the end of the file itself is then
                    // found corrupt).
                    return Err(self.needs_remap(map));
                }
                if end > map.len() {
                    if self.stuck.load(Ordering::Relaxed) {
                        return Err(CellError::Full);
                    }
                    self.wanted.fetch_max(end, Ordering::Relaxed);
                    return Err(CellError::NeedsGrowth);
                }
                if limit_cell
                    .compare_exchange(limit, end, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    break 'reserve start;
                }
            }
            return Err(CellError::Corrupt);
        };
        // `[start, start + record_len)` is inside the current mapping (checked before
        // the reservation) and belongs to this process alone: the CAS on the limit gave
        // it to no one else, and no chain leads to it until it is published below.
        let map = self.current();
        map.write_name(start + RECORD_HEAD, name.as_bytes());
        map.u32_at(start + 12)
            .store(name.len() as u32, Ordering::Relaxed);
        // Publish: link the record at the head of its chain, unless another thread or
        // process published the same name first.
        let mut seen_head = 0u32;
        for _ in 0..MAX_RACES {
            let map = self.current();
            let head_cell = map.u32_at(head_at);
            let head = head_cell.load(Ordering::Acquire);
            match self.find(map, head, seen_head, name)? {
                Found::Cell(cell) => return Ok(cell),
                // The reserved record stays unreachable; the name is tried again
                // once the worker has mapped the longer file.
                Found::Beyond => return Err(self.needs_remap(map)),
                Found::Missing => {}
            }
            map.u32_at(start + 8).store(head, Ordering::Relaxed);
            if head_cell
                .compare_exchange(head, start as u32, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Ok(map.u64_at(start));
            }
            // Lost: only the records linked since `head` are new; look at them next.
            seen_head = head;
        }
        Err(CellError::Corrupt)
    }

    /// Closes the file descriptor: this file takes no new names any more.
    pub(crate) fn close(&self) {
        drop(self.file.lock().unwrap_or_else(|p| p.into_inner()).take());
    }

    /// Makes the file at least `needed` bytes long with really allocated space, then
    /// maps it again. Holds an exclusive lock on the file meanwhile, so processes
    /// writing zeros past the end never overwrite each other's records.
    fn grow(&self, needed: u64) -> Result<(), CellError> {
        let guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let file = guard.as_ref().ok_or(CellError::Io)?;
        let locked = (0..LOCK_TRIES).any(|_| match file.try_lock() {
            Ok(()) => true,
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                false
            }
        });
        if !locked {
            return Err(CellError::Io);
        }
        let grown = grow_locked(file, needed);
        let _ = file.unlock();
        if grown.is_err() {
            self.stuck.store(true, Ordering::Relaxed);
        }
        grown?;
        drop(guard);
        self.remap(self.current())
    }

    /// Maps the file again, unless a mapping longer than `seen` already exists. A file
    /// no longer than the current mapping, whose chains lead past it, has been
    /// truncated: corrupt. Checked and installed under the file's lock, so a shorter
    /// mapping never replaces a longer one.
    fn remap(&self, seen: &'static Mapping) -> Result<(), CellError> {
        let guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.current();
        if current.len() > seen.len() {
            return Ok(());
        }
        let file = guard.as_ref().ok_or(CellError::Io)?;
        let len = file
            .metadata()
            .map_err(|_| CellError::Io)?
            .len()
            .min(MAX_FILE_LEN);
        if len <= current.len() {
            return Err(CellError::Corrupt);
        }
        let mapping = map(file, len).map_err(|e| match e {
            OpenError::Io(_) => CellError::Io,
            OpenError::Format(..) => CellError::Corrupt,
        })?;
        self.map
            .store(ptr::from_ref(mapping).cast_mut(), Ordering::Release);
        Ok(())
    }

    /// Maps the file again: for the worker, when a lookup found a chain (or the limit)
    /// leading past its mapping. Nothing to do when a longer mapping exists already;
    /// [`CellError::Corrupt`] when the file itself is no longer than that mapping.
    pub(crate) fn catch_up(&self) -> Result<(), CellError> {
        let seen = self.too_short.swap(0, Ordering::Relaxed);
        let current = self.current();
        if seen == 0 || current.len() > seen {
            return Ok(());
        }
        self.remap(current)
    }

    /// Grows the file as an increment asked: for the worker. A failure makes every
    /// later name that needs growth count in memory.
    pub(crate) fn grow_as_asked(&self) -> Result<(), CellError> {
        let wanted = self.wanted.swap(0, Ordering::Relaxed);
        if wanted == 0 || self.stuck.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.grow(wanted)
    }
}

/// Extends the locked `file` to hold `needed` bytes, by a step proportional to its
/// size, in space that is really allocated.
fn grow_locked(file: &File, needed: u64) -> Result<(), CellError> {
    let len = file.metadata().map_err(|_| CellError::Io)?.len();
    if len >= needed {
        return Ok(());
    }
    let step = len.clamp(PAGE, 4 << 20);
    let target = needed.max(len + step).div_ceil(PAGE) * PAGE;
    let target = target.min(MAX_FILE_LEN).max(needed.div_ceil(PAGE) * PAGE);
    if target > MAX_FILE_LEN {
        return Err(CellError::Full);
    }
    if let Some(free) = safe_fs::free_bytes(file)
        && free < (target - len).saturating_add(KEEP_FREE)
    {
        return Err(CellError::Full);
    }
    allocate(file, len, target).map_err(|e| {
        if is_no_space(&e) {
            CellError::Full
        } else {
            CellError::Io
        }
    })
}

/// Why a file could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The file could not be opened or read, or is not one to trust.
    Io(io::Error),
    /// Its bytes are not a counter file; the identity of the file found so.
    Format(FormatError, FileId),
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        OpenError::Io(e)
    }
}

fn map(file: &File, len: u64) -> Result<&'static Mapping, OpenError> {
    let id = FileId::of(&file.metadata()?);
    if len == 0 {
        return Err(OpenError::Format(FormatError::Empty, id));
    }
    if len > MAX_FILE_LEN {
        return Err(OpenError::Format(FormatError::TooLarge(len), id));
    }
    let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::FileTooLarge))?;
    let raw = MmapOptions::new().len(len).map_raw(file)?;
    Ok(Box::leak(Box::new(Mapping { raw })))
}

/// The header and metadata bytes, read with `pread` rather than from the mapping.
fn read_prefix(file: &File, len: u64) -> io::Result<Vec<u8>> {
    let want = len.min((format::OFF_META + format::MAX_META) as u64) as usize;
    let mut prefix = vec![0u8; want];
    read_exact_at(file, &mut prefix, 0)?;
    Ok(prefix)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n =
            std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        done += n;
    }
    Ok(())
}

/// Extends `file` from `len` to `target` bytes of allocated space; the caller holds
/// the file's lock, and no byte below `len` is written.
fn allocate(file: &File, len: u64, target: u64) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (offset, add) = (len as libc::off_t, (target - len) as libc::off_t);
        // SAFETY: plain system call on a valid descriptor; mode 0 allocates and zeroes
        // only space that holds no data, and never shrinks the file.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, offset, add) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if !matches!(error.raw_os_error(), Some(libc::EOPNOTSUPP | libc::ENOSYS)) {
            return Err(error);
        }
    }
    // Portable: write the zeros. Under the lock no other process writes past `len`,
    // and no process has records there: nobody could map them yet.
    let zeros = vec![0u8; 64 << 10];
    let mut at = len;
    while at < target {
        let n = (target - at).min(zeros.len() as u64) as usize;
        write_all_at(file, &zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n =
            std::os::windows::fs::FileExt::seek_write(file, &buf[done..], offset + done as u64)?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        done += n;
    }
    Ok(())
}

fn is_no_space(error: &io::Error) -> bool {
    if error.kind() == io::ErrorKind::StorageFull {
        return true;
    }
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(libc::ENOSPC)
    }
    #[cfg(not(unix))]
    {
        false
    }
}
