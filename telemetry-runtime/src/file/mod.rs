//! Counter files: their names, opening or creating this week's file, and reading any
//! file back. The byte layout lives in [`format`](mod@format) and `docs/FORMAT.md`.

pub mod format;
mod mapped;

use std::io;
use std::path::{Path, PathBuf};

pub use format::{Contents, FormatError, Header};
pub(crate) use mapped::{CellError, MappedFile, OpenError};

use crate::date;
use crate::safe_fs;

/// Every counter file name ends so.
pub const SUFFIX: &str = ".v1.count";
/// A file set aside as unreadable gets this appended to its name.
pub const BAD_SUFFIX: &str = ".bad";

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

/// What opening this week's file found.
pub(crate) struct Opened {
    pub file: MappedFile,
    /// A file that was there but unreadable, renamed to this path, and why.
    pub set_aside: Option<(PathBuf, String)>,
}

/// Opens the file `name` in `local`, or creates it holding `names`. An existing file
/// that is not a valid counter file of this build and week is renamed aside (to a
/// unique name ending in [`BAD_SUFFIX`]) and replaced, unless another process replaced
/// it first. A file that is not a regular file of this user's is left alone, and the
/// caller counts in memory. A `private` file is unmapped when dropped, and must never
/// hand out cells.
pub(crate) fn open_or_create(
    local: &Path,
    name: &str,
    header: &Header,
    names: &dyn Fn() -> Vec<&'static str>,
    private: bool,
) -> Result<Opened, io::Error> {
    let path = local.join(name);
    let mut set_aside = None;
    for _ in 0..4 {
        let (why, id) = match MappedFile::open(&path, private) {
            Ok(file) if file.header() == header => return Ok(Opened { file, set_aside }),
            Ok(file) => (
                format!(
                    "its header does not match its name (it says {} {} for {} to {})",
                    file.header().get("program"),
                    file.header().get("version"),
                    date::format(date::day_of(file.header().begin)),
                    date::format(date::day_of(file.header().end)),
                ),
                file.id(),
            ),
            Err(OpenError::Format(e, id)) => (e.to_string(), id),
            Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                create(&path, header, &names())?;
                continue;
            }
            Err(OpenError::Io(e)) => return Err(e),
        };
        if let Some(aside) = safe_fs::set_aside(&path, id)? {
            set_aside = Some((aside, why));
        }
    }
    Err(io::Error::other(
        "the counter file keeps changing under this process",
    ))
}

/// Writes a complete new file next to `path`, then moves it into place without
/// replacing anything, so no process ever sees a partly written file. Losing the race
/// to another process is fine: its file is as good.
fn create(path: &Path, header: &Header, names: &[&str]) -> io::Result<()> {
    let bytes = format::encode_new(header, names).map_err(io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(safe_fs::unique_name(&stem, TEMP_SUFFIX));
    safe_fs::write_new(&temp, &bytes)?;
    safe_fs::place_new(&temp, path).map(drop)
}

/// Temporary files (a counter file or weekday file being written) end so.
pub const TEMP_SUFFIX: &str = ".tmp";
