//! The ways a command line of the `telemetry` command fails, and their exit statuses:
//! those of the shared commands ([`telemetry_command::Error`]), and `manifest`'s own.

use std::fmt;
use std::io;
use std::path::Path;

use telemetry_command::{FAILED, USAGE};

use crate::manifest::ManifestError;

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

impl From<telemetry_command::Error> for CliError {
    fn from(error: telemetry_command::Error) -> CliError {
        match error {
            telemetry_command::Error::Usage(message) => CliError::Usage(message),
            telemetry_command::Error::Failed(message) => CliError::Failed(message),
        }
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
