//! Counter files: their names, and reading any file back. The byte layout lives in
//! [`format`](mod@format) and `docs/FORMAT.md`; the engine that maps and updates them
//! is the runtime's.

pub mod format;

use std::io;
use std::path::Path;

pub use format::{Contents, FormatError, Header};

use crate::date;
use crate::safe_fs;

/// Every counter file name ends so.
pub const SUFFIX: &str = ".v1.count";
/// A file set aside as unreadable gets a unique tag and this appended to its name.
pub const BAD_SUFFIX: &str = ".bad";
/// Temporary files (a counter file or weekday file being written) end so.
pub const TEMP_SUFFIX: &str = ".tmp";

/// The file name for one build of a program and one week, from the file's header:
/// `<program>@<version>-<toolchain>-<os>-<arch>-<begin date>.v1.count`.
pub fn file_name(header: &Header) -> String {
    format!(
        "{}@{}-{}-{}-{}-{}{SUFFIX}",
        clean(header.get("program")),
        clean(header.get("version")),
        clean(header.get("toolchain")),
        clean(header.get("os")),
        clean(header.get("arch")),
        date::format(date::day_of(header.begin))
    )
}

/// Keeps a field of a file name to `[A-Za-z0-9._+]`, so that `-` and `@` only ever
/// separate fields.
fn clean(field: &str) -> String {
    field
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read at all.
    Io(io::Error),
    /// The bytes are not a valid counter file.
    Format(FormatError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
            ReadError::Format(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a counter file and checks every byte of its structure. The file must be a
/// regular file of this user's no longer than [`format::MAX_FILE_LEN`].
pub fn read(path: &Path) -> Result<Contents, ReadError> {
    let bytes = safe_fs::read_capped(path, format::MAX_FILE_LEN).map_err(ReadError::Io)?;
    format::parse(&bytes).map_err(ReadError::Format)
}
