//! Counter files as the engine uses them: opening or creating this week's file and
//! mapping it. Names, the byte layout and the reader are `telemetry_formats::file`'s.

mod mapped;

use std::io;
use std::path::{Path, PathBuf};

pub(crate) use mapped::{CellError, MappedFile, OpenError};
use telemetry_formats::file::{BAD_SUFFIX, Header, TEMP_SUFFIX, format};
use telemetry_formats::{date, safe_fs};

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
        if let Some(aside) = self::set_aside(&path, id)? {
            set_aside = Some((aside, why));
        }
    }
    Err(io::Error::other(
        "the counter file keeps changing under this process",
    ))
}

/// Renames the bad counter file `id` at `path` aside, to a unique name ending in
/// [`BAD_SUFFIX`] (see `safe_fs::set_aside`).
pub(crate) fn set_aside(path: &Path, id: safe_fs::FileId) -> io::Result<Option<PathBuf>> {
    safe_fs::set_aside(path, id, BAD_SUFFIX)
}

/// Writes a complete new file next to `path`, then moves it into place without
/// replacing anything, so no process ever sees a partly written file. Losing the race
/// to another process is fine: its file is as good.
fn create(path: &Path, header: &Header, names: &[&str]) -> io::Result<()> {
    let bytes = format::encode_new(header, names).map_err(io::Error::other)?;
    let temp = safe_fs::temp_beside(path, TEMP_SUFFIX);
    safe_fs::write_new(&temp, &bytes)?;
    safe_fs::place_new(&temp, path).map(drop)
}
