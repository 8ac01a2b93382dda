//! A counter file mapped into memory, shared by every process of one program build.
//!
//! Counts are `AtomicU64`s inside the mapping, so increments from any number of
//! processes land in the file exactly and without a lock. New names are appended
//! lock-free across processes: a compare-and-swap on the header's `limit` reserves
//! space, the record is written, and a compare-and-swap on its bucket's head publishes
//! it (a process that loses a race for the same name finds the winner's record and
//! leaves its own unreachable).
//!
//! Growing the file never rewrites a byte that may hold data: new space is allocated
//! with `fallocate` where the filesystem supports it, otherwise by writing zeros into a
//! page's reserved tail past the end. Every mapping made is kept for the life of the
//! process (cells handed out point into it); a newer, longer mapping of the same file
//! serves new names. Nothing here shrinks or truncates a file, and every loop is
//! bounded: a file that keeps pointing past its end is reported corrupt.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use super::format::{
    self, FormatError, Header, Layout, MAX_FILE_LEN, MAX_NAME, OFF_LIMIT, PAGE, RECORD_HEAD,
    record_len,
};

/// How often a lookup may find the file longer than its mapping and map it again
/// before calling the file corrupt.
const MAX_REMAPS: usize = 10;
/// How often an insert may lose a race before giving up (for this name, this time).
const MAX_RACES: usize = 1000;

/// Why a name has no cell in the file.
#[derive(Debug)]
pub(crate) enum CellError {
    /// The file is inconsistent.
    Corrupt,
    /// The file reached its size limit, or the disk is full.
    Full,
    /// The name cannot be stored (empty or too long).
    Unsupported,
    /// An I/O error while growing or mapping the file.
    Io,
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
        // it is valid for `'static`; every process only ever accesses these bytes
        // atomically once the file is published.
        unsafe { AtomicU32::from_ptr(self.raw.as_mut_ptr().add(offset as usize).cast()) }
    }

    /// The `AtomicU64` at `offset`, which must be 8-aligned and inside the mapping.
    fn u64_at(&'static self, offset: u64) -> &'static AtomicU64 {
        assert!(offset.is_multiple_of(8) && offset + 8 <= self.len());
        // SAFETY: as in `u32_at`, with 8-byte alignment.
        unsafe { AtomicU64::from_ptr(self.raw.as_mut_ptr().add(offset as usize).cast()) }
    }

    /// The `len` bytes at `offset` of a published name.
    fn name_at(&'static self, offset: u64, len: usize) -> &'static [u8] {
        assert!(offset + len as u64 <= self.len());
        // SAFETY: in bounds (checked above) of a mapping that lives for `'static`. A
        // name's bytes are written once, before its record is published with a Release
        // compare-and-swap that this process observed with Acquire, and never written
        // again, so nothing mutates them while the slice exists.
        unsafe { std::slice::from_raw_parts(self.raw.as_ptr().add(offset as usize), len) }
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
    /// Open while this is the file new names go to; closed once superseded (its
    /// mappings stay, for counters still holding cells in them).
    file: Mutex<Option<File>>,
    header: Header,
    layout: Layout,
    /// The newest mapping.
    map: AtomicPtr<Mapping>,
    /// Serializes this process's inserts and growth; other processes race by CAS.
    insert: Mutex<()>,
    /// Never published to counters, so its mapping may be unmapped on drop.
    private: bool,
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
    /// Maps an existing file after checking its header. A `private` file must never
    /// be published to counters: it is unmapped when dropped.
    pub(crate) fn open(path: &Path, private: bool) -> Result<MappedFile, OpenError> {
        let file = File::options().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        let prefix = read_prefix(&file, len)?;
        let (header, layout, _limit) = format::parse_header_prefix(&prefix, len)?;
        let mapping = map(&file, len)?;
        Ok(MappedFile {
            path: path.to_path_buf(),
            file: Mutex::new(Some(file)),
            header,
            layout,
            map: AtomicPtr::new(ptr::from_ref(mapping).cast_mut()),
            insert: Mutex::new(()),
            private,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    fn current(&self) -> &'static Mapping {
        // SAFETY: `map` only ever holds pointers from `Box::leak` in `map()`.
        unsafe { &*self.map.load(Ordering::Acquire) }
    }

    /// The cell counting `name`, appending a record when the file has none.
    pub(crate) fn cell(&self, name: &str) -> Result<&'static AtomicU64, CellError> {
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(CellError::Unsupported);
        }
        let bucket = self.layout.bucket_of(name);
        for _ in 0..MAX_REMAPS {
            let map = self.current();
            let head = map.u32_at(self.layout.head(bucket)).load(Ordering::Acquire);
            match self.find(map, head, 0, name)? {
                Found::Cell(cell) => return Ok(cell),
                Found::Missing => return self.insert(bucket, name),
                Found::Beyond => self.remap(map)?,
            }
        }
        Err(CellError::Corrupt)
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
            if map.name_at(at + RECORD_HEAD, len) == name.as_bytes() {
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
                let (start, end) = format::place(limit, name.len());
                if end > MAX_FILE_LEN {
                    return Err(CellError::Full);
                }
                if end > map.len() {
                    self.grow(end)?;
                    continue;
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
        let map = self.current();
        // SAFETY: `[start, start + record_len)` is inside the mapping (checked before the
        // reservation) and belongs to this process alone: the CAS on the limit gave it
        // to no one else, and no chain leads to it until it is published below.
        unsafe {
            ptr::copy_nonoverlapping(
                name.as_ptr(),
                map.raw.as_mut_ptr().add((start + RECORD_HEAD) as usize),
                name.len(),
            );
        }
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
                Found::Beyond => {
                    self.remap(map)?;
                    continue;
                }
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

    /// Makes the file at least `needed` bytes long, then maps it again.
    fn grow(&self, needed: u64) -> Result<(), CellError> {
        let guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let file = guard.as_ref().ok_or(CellError::Io)?;
        let len = file.metadata().map_err(|_| CellError::Io)?.len();
        if len < needed {
            let step = len.clamp(PAGE, 4 << 20);
            let target = (needed.max(len + step)).div_ceil(PAGE) * PAGE;
            let target = target.min(MAX_FILE_LEN).max(needed.div_ceil(PAGE) * PAGE);
            extend(file, len, target).map_err(|e| match e.raw_os_error() {
                Some(code) if code == libc_enospc() => CellError::Full,
                _ => CellError::Io,
            })?;
        }
        drop(guard);
        self.remap(self.current())
    }

    /// Maps the file again, unless a mapping longer than `seen` already exists. A file
    /// no longer than `seen`, whose chains lead past it, has been truncated.
    fn remap(&self, seen: &'static Mapping) -> Result<(), CellError> {
        if self.current().len() > seen.len() {
            return Ok(());
        }
        let guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let file = guard.as_ref().ok_or(CellError::Io)?;
        let len = file.metadata().map_err(|_| CellError::Io)?.len();
        if len <= seen.len() {
            return Err(CellError::Corrupt);
        }
        let mapping = map(file, len).map_err(|e| match e {
            OpenError::Io(_) => CellError::Io,
            OpenError::Format(_) => CellError::Corrupt,
        })?;
        self.map
            .store(ptr::from_ref(mapping).cast_mut(), Ordering::Release);
        Ok(())
    }
}

/// Why a file could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    Io(io::Error),
    Format(FormatError),
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        OpenError::Io(e)
    }
}

impl From<FormatError> for OpenError {
    fn from(e: FormatError) -> Self {
        OpenError::Format(e)
    }
}

fn map(file: &File, len: u64) -> Result<&'static Mapping, OpenError> {
    if len == 0 {
        return Err(OpenError::Format(FormatError::Empty));
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

/// Extends `file` from `len` to `target` bytes without writing over any byte that may
/// hold data.
fn extend(file: &File, len: u64, target: u64) -> io::Result<()> {
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
    // Portable: 8 zero bytes at the very end. They fall in the reserved tail of the
    // last page, where no record ever is, so a racing writer loses nothing.
    write_all_at(file, &[0u8; 8], target - 8)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    let n = std::os::windows::fs::FileExt::seek_write(file, buf, offset)?;
    if n == buf.len() {
        Ok(())
    } else {
        Err(io::ErrorKind::WriteZero.into())
    }
}

fn libc_enospc() -> i32 {
    #[cfg(unix)]
    {
        libc::ENOSPC
    }
    #[cfg(not(unix))]
    {
        112
    }
}
