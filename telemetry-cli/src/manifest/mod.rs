//! The counter manifest of a built program, read from its file without running it.
//!
//! [`read_binary`] finds the counter registry section of an ELF, Mach-O (thin or
//! universal) or PE file, or of a COFF object, decodes its records and gathers them
//! into a [`Manifest`]; [`check::check`] compares it with a manifest committed
//! earlier. Every way this fails is a [`ManifestError`] with the exit status
//! `telemetry manifest` documents in `docs/MANIFEST.md`.

pub mod binary;
pub mod check;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use telemetry_formats::manifest::record::{self, RecordError};
pub use telemetry_formats::manifest::{Manifest, ManifestConflict};

/// The exit statuses of `telemetry manifest`, as `docs/MANIFEST.md` lists them.
pub mod exit {
    /// The manifest was printed, or `--check` found the file up to date.
    pub const OK: u8 = 0;
    /// `--check`: the committed file is stale.
    pub const STALE: u8 = 1;
    /// Bad command line.
    pub const USAGE: u8 = 2;
    /// A file cannot be read, is not an executable, is truncated or damaged, or the
    /// `--check` file is not a manifest.
    pub const UNREADABLE: u8 = 3;
    /// The executable has no counter registry.
    pub const NO_REGISTRY: u8 = 4;
    /// The registry was written in a newer record format.
    pub const NEWER_FORMAT: u8 = 5;
    /// One name is declared in ways that cannot share a counter.
    pub const CONFLICT: u8 = 6;
}

/// Why there is no manifest to print or compare.
#[derive(Debug)]
pub enum ManifestError {
    /// A file could not be read at all.
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// The file is none of ELF, Mach-O, PE or COFF.
    NotExecutable {
        /// The file.
        path: PathBuf,
    },
    /// The file starts like an executable but is cut short or damaged.
    Truncated {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        what: String,
    },
    /// The registry section holds bytes that are not records.
    Damaged {
        /// The file.
        path: PathBuf,
        /// Where and how the records are damaged.
        error: RecordError,
    },
    /// The executable has no registry section, or no counter in it.
    NoRegistry {
        /// The file.
        path: PathBuf,
        /// The program's name and version, when its record is there.
        program: Option<(String, String)>,
    },
    /// A record is in a format newer than this reader knows.
    NewerVersion {
        /// The file.
        path: PathBuf,
        /// The record format version found.
        version: u16,
    },
    /// Names declared in ways that cannot share one counter.
    Conflicts {
        /// The file.
        path: PathBuf,
        /// Every conflicting name, with all its declarations.
        conflicts: Vec<ManifestConflict>,
    },
    /// The file given to compare with is not a manifest.
    NotAManifest {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

impl ManifestError {
    /// The exit status of `telemetry manifest` for this error (see [`exit`]).
    pub fn exit_status(&self) -> u8 {
        match self {
            ManifestError::Read { .. }
            | ManifestError::NotExecutable { .. }
            | ManifestError::Truncated { .. }
            | ManifestError::Damaged { .. }
            | ManifestError::NotAManifest { .. } => exit::UNREADABLE,
            ManifestError::NoRegistry { .. } => exit::NO_REGISTRY,
            ManifestError::NewerVersion { .. } => exit::NEWER_FORMAT,
            ManifestError::Conflicts { .. } => exit::CONFLICT,
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Read { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
            ManifestError::NotExecutable { path } => write!(
                f,
                "{} is not an executable: it is neither ELF, Mach-O nor PE (nor a COFF object)",
                path.display()
            ),
            ManifestError::Truncated { path, what } => {
                write!(f, "{} is truncated or damaged: {what}", path.display())
            }
            ManifestError::Damaged { path, error } => write!(f, "{}: {error}", path.display()),
            ManifestError::NoRegistry {
                path,
                program: None,
            } => write!(
                f,
                "{} has no counter registry: it does not use telemetry, or none of the \
                 counters it declares is linked in",
                path.display()
            ),
            ManifestError::NoRegistry {
                path,
                program: Some((name, version)),
            } => write!(
                f,
                "{} ({name} {version}) has no counter in its registry: none of the counters \
                 it declares is linked in",
                path.display()
            ),
            ManifestError::NewerVersion { path, version } => write!(
                f,
                "{}: {}",
                path.display(),
                RecordError::NewerVersion(*version)
            ),
            ManifestError::Conflicts { path, conflicts } => {
                write!(
                    f,
                    "{} declares {} counter name{} in ways that cannot share one counter:",
                    path.display(),
                    conflicts.len(),
                    if conflicts.len() == 1 { "" } else { "s" }
                )?;
                for conflict in conflicts {
                    write!(f, "\n{conflict}")?;
                }
                Ok(())
            }
            ManifestError::NotAManifest { path, why } => write!(
                f,
                "{} is not a manifest written by `telemetry manifest`: {why}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Read { error, .. } => Some(error),
            ManifestError::Damaged { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The manifest of the program in the file at `path`: every counter its registry
/// declares, sorted, with the program's name and version when it has a
/// `telemetry::program!()` record.
///
/// The file is read whole, so it need not be executable; it may be stripped. Fails
/// when the file cannot be read, is not an executable, is truncated, has no counter
/// in its registry, holds records of a newer format, or declares one name in
/// conflicting ways.
pub fn read_binary(path: &Path) -> Result<Manifest, ManifestError> {
    let data = std::fs::read(path).map_err(|error| ManifestError::Read {
        path: path.to_owned(),
        error,
    })?;
    manifest_of(&data, path)
}

/// The manifest of the executable whose bytes are `data`; `path` names it in errors.
/// [`read_binary`] without the reading.
pub fn manifest_of(data: &[u8], path: &Path) -> Result<Manifest, ManifestError> {
    let path = || path.to_owned();
    let sections = binary::registry_sections(data).map_err(|problem| match problem {
        binary::Problem::NotExecutable => ManifestError::NotExecutable { path: path() },
        binary::Problem::Truncated(what) => ManifestError::Truncated { path: path(), what },
    })?;
    let mut records = Vec::new();
    for section in &sections {
        records.extend(record::decode_all(section).map_err(|error| match error {
            RecordError::NewerVersion(version) => ManifestError::NewerVersion {
                path: path(),
                version,
            },
            error @ RecordError::Malformed { .. } => ManifestError::Damaged {
                path: path(),
                error,
            },
        })?);
    }
    let manifest = Manifest::from_records(records);
    if manifest.counters.is_empty() {
        return Err(ManifestError::NoRegistry {
            path: path(),
            program: manifest.program,
        });
    }
    let conflicts = manifest.conflicts();
    if !conflicts.is_empty() {
        return Err(ManifestError::Conflicts {
            path: path(),
            conflicts,
        });
    }
    Ok(manifest)
}
