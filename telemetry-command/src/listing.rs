//! What a namespace's `local/` directory holds, each file classified by its name.
//!
//! ```text
//! *.count          counter files (the runtime writes *.v1.count)
//! *.bad            files a program set aside as unreadable
//! *.tmp            temporary files being written (or left by a crash)
//! <date>.json      weekly reports
//! weekday          the weekday every week ends on
//! anything else    not telemetry's: listed, never touched
//! ```

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use telemetry_formats::file::format::MAX_FILE_LEN;
use telemetry_formats::file::{self as counter_file, BAD_SUFFIX, Contents};
use telemetry_formats::report::REPORT_SUFFIX;
use telemetry_formats::week::WEEKDAY_FILE;

use crate::error::Error;

/// What a file in `local/` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A counter file.
    Counter,
    /// A file set aside as unreadable.
    SetAside,
    /// A weekly report, `<week>.json`.
    Report,
    /// A temporary file.
    Temporary,
    /// The weekday file.
    Weekday,
    /// Not a file telemetry writes (or not a regular file).
    Other,
}

/// One entry of `local/`.
#[derive(Debug)]
pub struct Found {
    /// The file name, as text (lossy if the name is not UTF-8).
    pub name: String,
    /// The full path.
    pub path: PathBuf,
    /// Its length in bytes (0 for what is not a regular file).
    pub size: u64,
    /// What it is.
    pub kind: Kind,
    /// When it was last modified, if known.
    pub modified: Option<SystemTime>,
}

impl Found {
    /// Reads the file as a counter file: its contents, or what was found instead.
    pub fn read(&self) -> Result<Contents, String> {
        if self.size > MAX_FILE_LEN {
            return Err(format!(
                "{} bytes, larger than any counter file ({MAX_FILE_LEN} bytes at most)",
                self.size
            ));
        }
        counter_file::read(&self.path).map_err(|e| e.to_string())
    }
}

/// The entries of a `local/` directory.
#[derive(Debug)]
pub struct Listing {
    /// The directory.
    pub dir: PathBuf,
    /// False when the directory does not exist: there is no data.
    pub exists: bool,
    /// Its entries, sorted by name.
    pub files: Vec<Found>,
}

impl Listing {
    /// The entries of one kind, in name order.
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = &Found> {
        self.files.iter().filter(move |f| f.kind == kind)
    }

    /// The counter files and set-aside files, in name order: what `show` shows.
    pub fn data_files(&self) -> impl Iterator<Item = &Found> {
        self.files
            .iter()
            .filter(|f| matches!(f.kind, Kind::Counter | Kind::SetAside))
    }
}

/// Lists `dir`. A directory that does not exist is an empty listing; one that
/// cannot be read is an operational error.
pub fn list(dir: &Path) -> Result<Listing, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Listing {
                dir: dir.to_path_buf(),
                exists: false,
                files: Vec::new(),
            });
        }
        Err(e) => return Err(Error::io("cannot read directory", dir, &e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("cannot read directory", dir, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // A file deleted since the listing began is simply not there.
        let Ok(meta) = entry.metadata() else { continue };
        let kind = if meta.is_file() {
            classify(&name)
        } else {
            Kind::Other
        };
        files.push(Found {
            name,
            path: entry.path(),
            size: if meta.is_file() { meta.len() } else { 0 },
            kind,
            modified: meta.modified().ok(),
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Listing {
        dir: dir.to_path_buf(),
        exists: true,
        files,
    })
}

/// Disk use of `dir` and everything under it: regular files and their total
/// length. Symbolic links are not followed. A directory that does not exist uses
/// nothing.
pub fn disk_use(dir: &Path) -> io::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    Ok((files, bytes))
}

/// The kind of a regular file named `name`.
fn classify(name: &str) -> Kind {
    if name.ends_with(BAD_SUFFIX) {
        Kind::SetAside
    } else if name.ends_with(".tmp") {
        Kind::Temporary
    } else if name.ends_with(".count") {
        Kind::Counter
    } else if name == WEEKDAY_FILE {
        Kind::Weekday
    } else if name
        .strip_suffix(REPORT_SUFFIX)
        .is_some_and(|week| telemetry_formats::date::parse(week).is_some())
    {
        Kind::Report
    } else {
        Kind::Other
    }
}

/// The weekday in `local/weekday`: `Ok(None)` when there is none yet, `Err` with a
/// description when it holds something else.
pub fn weekday(dir: &Path) -> Result<Option<u8>, String> {
    telemetry_formats::week::read_weekday(dir).map_err(|e| e.to_string())
}

/// The English name of a weekday number, 0 being Sunday.
pub fn weekday_name(day: u8) -> &'static str {
    const NAMES: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    NAMES.get(usize::from(day)).copied().unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_classified_by_their_names() {
        assert_eq!(
            classify("kv@1-1.95.0-linux-x86_64-2026-11-19.v1.count"),
            Kind::Counter
        );
        assert_eq!(classify("kv@1-2026-11-19.v1.count.bad"), Kind::SetAside);
        assert_eq!(classify(".kv.v1.count.12.34.tmp"), Kind::Temporary);
        assert_eq!(classify("weekday"), Kind::Weekday);
        assert_eq!(classify("2026-11-26.json"), Kind::Report);
        assert_eq!(classify("notes.json"), Kind::Other);
        assert_eq!(classify("notes.txt"), Kind::Other);
    }

    #[test]
    fn weekday_names_start_on_sunday() {
        assert_eq!(weekday_name(0), "Sunday");
        assert_eq!(weekday_name(4), "Thursday");
        assert_eq!(weekday_name(9), "?");
    }
}
