//! Why a server cannot start, or stopped serving.

use std::net::SocketAddr;
use std::path::PathBuf;

use telemetry_formats::signature::SignatureError;

use crate::app::TODAY_VAR;
use crate::store::StoreError;

/// Why a server cannot start, or stopped serving.
#[derive(Debug)]
pub enum StartError {
    /// A file named on the command line cannot be read.
    Read {
        /// What it was to be (`signed config`, `manifest`).
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not a signed config.
    NotSigned {
        /// Its path.
        path: PathBuf,
        /// What is wrong.
        source: serde_json::Error,
    },
    /// The signed config's key or signature is refused, or the config in it.
    Signature {
        /// Its path.
        path: PathBuf,
        /// Why.
        source: SignatureError,
    },
    /// A manifest that is not UTF-8.
    ManifestNotText(PathBuf),
    /// A manifest that cannot be read.
    Manifest {
        /// Its path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The config asks for counters no manifest declares.
    Undeclared(Vec<String>),
    /// [`TODAY_VAR`] is set to something other than a date.
    BadToday,
    /// The config is older than one this database served.
    Rollback {
        /// The config's path.
        path: PathBuf,
        /// Its version.
        version: u64,
        /// The newest version served before.
        newest: u64,
    },
    /// The database refused.
    Store(StoreError),
    /// The address cannot be listened on.
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    Serve(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Read { what, path, source } => {
                write!(f, "cannot read the {what} {}: {source}", path.display())
            }
            StartError::NotSigned { path, source } => {
                write!(f, "{}: not a signed config: {source}", path.display())
            }
            StartError::Signature { path, source } => write!(f, "{}: {source}", path.display()),
            StartError::ManifestNotText(path) => write!(f, "{}: not UTF-8", path.display()),
            StartError::Manifest { path, reason } => write!(f, "{}: {reason}", path.display()),
            StartError::Undeclared(problems) => write!(
                f,
                "the config asks for what no manifest declares:\n  {}",
                problems.join("\n  ")
            ),
            StartError::BadToday => write!(f, "{TODAY_VAR} is not a YYYY-MM-DD date"),
            StartError::Rollback {
                path,
                version,
                newest,
            } => write!(
                f,
                "{} is config version {version}, older than version {newest} this database \
                 served: serve that one or a newer one (clients never go back to an older config)",
                path.display()
            ),
            StartError::Store(e) => e.fmt(f),
            StartError::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            StartError::Serve(source) => write!(f, "serving: {source}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Read { source, .. }
            | StartError::Listen { source, .. }
            | StartError::Serve(source) => Some(source),
            StartError::NotSigned { source, .. } => Some(source),
            StartError::Signature { source, .. } => Some(source),
            StartError::Store(source) => Some(source),
            StartError::ManifestNotText(_)
            | StartError::Manifest { .. }
            | StartError::Undeclared(_)
            | StartError::BadToday
            | StartError::Rollback { .. } => None,
        }
    }
}

impl From<StoreError> for StartError {
    fn from(e: StoreError) -> StartError {
        StartError::Store(e)
    }
}
