//! The ways a command line fails, and their exit statuses.

use std::fmt;
use std::io;
use std::path::Path;

/// Exit status of a command line that cannot be run as written.
pub const USAGE: u8 = 2;
/// Exit status of a command that was understood but could not be carried out.
pub const FAILED: u8 = 1;

/// Why a command did not succeed. Printed as one line, `<name>: <message>`; a usage
/// error is followed by where to find the usage (see [`Error::line`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The command line is wrong: unknown command or flag, missing value, extra
    /// argument.
    Usage(String),
    /// The command could not do its work: a directory or file could not be used.
    Failed(String),
}

impl Error {
    /// A usage error with this message.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    /// An operational error: `what` failed on `path` because of `error`.
    pub fn io(what: &str, path: &Path, error: &io::Error) -> Error {
        Error::Failed(format!("{what} {}: {error}", path.display()))
    }

    /// The process exit status for this error.
    pub fn exit_status(&self) -> u8 {
        match self {
            Error::Usage(_) => USAGE,
            Error::Failed(_) => FAILED,
        }
    }

    /// The error as printed by the command typed as `name` (`telemetry`, or
    /// `mytool telemetry`): a usage error names the help command.
    pub fn line(&self, name: &str) -> String {
        match self {
            Error::Usage(message) => format!("{message} (run `{name} help` for usage)"),
            Error::Failed(message) => message.clone(),
        }
    }
}

/// The message alone, without the pointer to the help.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
