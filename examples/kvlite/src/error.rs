//! The one error type of the store.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a store operation failed. Corrupt data is never an error: corrupt lines are
/// skipped and counted.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be created, read or written.
    Io {
        /// What was being done, e.g. `"read"`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// Keys must not be empty.
    EmptyKey,
}

impl Error {
    /// An [`Error::Io`] that happened while doing `action` to `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::EmptyKey => f.write_str("keys must not be empty"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::EmptyKey => None,
        }
    }
}
