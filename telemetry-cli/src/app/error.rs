//! The ways a command line fails, and their exit statuses.

use std::fmt;
use std::io;
use std::path::Path;

use telemetry_cli::manifest::ManifestError;

/// Exit status of a command line that cannot be run as written.
pub(crate) const USAGE: u8 = 2;
/// Exit status of a command that was understood but could not be carried out.
pub(crate) const FAILED: u8 = 1;

/// Why the command did not succeed. Printed as one line, `telemetry: <message>`.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The command line is wrong: unknown command or flag, missing value, extra
    /// argument.
    Usage(String),
    /// The command could not do its work: a directory or file could not be used.
    Failed(String),
    /// `manifest` found no manifest to print or compare; it has exit statuses of its
    /// own, and its message may span several lines (conflicts list every site).
    Manifest(ManifestError),
}

impl From<ManifestError> for CliError {
    fn from(error: ManifestError) -> CliError {
        CliError::Manifest(error)
    }
}

impl CliError {
    /// A usage error with this message.
    pub(crate) fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    /// An operational error: `what` failed on `path` because of `error`.
    pub(crate) fn io(what: &str, path: &Path, error: &io::Error) -> CliError {
        CliError::Failed(format!("{what} {}: {error}", path.display()))
    }

    /// The process exit status for this error.
    pub(crate) fn exit_status(&self) -> u8 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Failed(_) => FAILED,
            CliError::Manifest(error) => error.exit_status(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) => {
                write!(f, "{message} (run `telemetry help` for usage)")
            }
            CliError::Failed(message) => f.write_str(message),
            CliError::Manifest(error) => error.fmt(f),
        }
    }
}
