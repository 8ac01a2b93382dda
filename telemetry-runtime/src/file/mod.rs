//! Counter files: their names, opening or creating this week's file, and reading any
//! file back. The byte layout lives in [`format`] and `docs/FORMAT.md`.

pub mod format;
mod mapped;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use format::{Contents, FormatError, Header};
pub(crate) use mapped::{CellError, MappedFile, OpenError};

use crate::date;
use crate::program::ProgramInfo;

/// Every counter file name ends so.
pub const SUFFIX: &str = ".v1.count";
/// A file set aside as unreadable gets this appended to its name.
pub const BAD_SUFFIX: &str = ".bad";

/// The file name for one build of a program and one week:
/// `<program>@<version>-<toolchain>-<os>-<arch>-<begin date>.v1.count`.
pub fn file_name(program: &ProgramInfo, begin_day: u64) -> String {
    format!(
        "{}@{}-{}-{}-{}-{}{SUFFIX}",
        clean(&program.name),
        clean(&program.version),
        clean(&program.toolchain),
        clean(&program.os),
        clean(&program.arch),
        date::format(begin_day)
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

/// Reads a counter file and checks every byte of its structure.
pub fn read(path: &Path) -> Result<Contents, ReadError> {
    let bytes = fs::read(path).map_err(ReadError::Io)?;
    format::parse(&bytes).map_err(ReadError::Format)
}

/// What opening this week's file found.
pub(crate) struct Opened {
    pub file: MappedFile,
    /// A file that was there but unreadable, renamed to this path, and why.
    pub set_aside: Option<(PathBuf, String)>,
}

/// Opens the file `name` in `local`, or creates it holding `names`. An existing file
/// that is not a valid counter file of this build and week is renamed aside with
/// [`BAD_SUFFIX`] and replaced. A `private` file is unmapped when dropped, and must
/// never hand out cells.
pub(crate) fn open_or_create(
    local: &Path,
    name: &str,
    header: &Header,
    names: &dyn Fn() -> Vec<&'static str>,
    private: bool,
) -> Result<Opened, io::Error> {
    create_private_dir(local)?;
    let path = local.join(name);
    let mut set_aside = None;
    for _ in 0..3 {
        match MappedFile::open(&path, private) {
            Ok(file) if file.header() == header => return Ok(Opened { file, set_aside }),
            Ok(file) => {
                let why = format!(
                    "its header does not match its name (it says {} {} for {} to {})",
                    file.header().get("program"),
                    file.header().get("version"),
                    date::format(date::day_of(file.header().begin)),
                    date::format(date::day_of(file.header().end)),
                );
                set_aside = Some((rename_aside(&path)?, why));
            }
            Err(OpenError::Format(e)) => set_aside = Some((rename_aside(&path)?, e.to_string())),
            Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                create(&path, header, &names())?;
            }
            Err(OpenError::Io(e)) => return Err(e),
        }
    }
    Err(io::Error::other(
        "the counter file keeps changing under this process",
    ))
}

/// Renames a bad file aside; returns the new path.
pub(crate) fn rename_aside(path: &Path) -> io::Result<PathBuf> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(BAD_SUFFIX);
    let aside = PathBuf::from(aside);
    fs::rename(path, &aside)?;
    Ok(aside)
}

/// Writes a complete new file next to `path`, then links it into place, so no process
/// ever sees a partly written file. Losing the race to another process is fine: its
/// file is as good.
fn create(path: &Path, header: &Header, names: &[&str]) -> io::Result<()> {
    let bytes = format::encode_new(header, names).map_err(io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id(),
        date::now_nanos()
    ));
    let result = write_new(&temp, &bytes).and_then(|()| match fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        // A filesystem without hard links: a rename cannot fail on an existing
        // file, so only do it when there is none (a race then costs the loser's
        // first counts, never a corrupt file).
        Err(_) if !path.exists() => fs::rename(&temp, path),
        Err(e) => Err(e),
    });
    let _ = fs::remove_file(&temp);
    result
}

/// Creates `path`, which must not exist, readable by the user alone, holding `bytes`.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)
}

/// Creates a directory (and its parents) readable by the user alone.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
