//! The commands, one per file.

pub(crate) mod clean;
pub(crate) mod csv;
pub(crate) mod mode;
pub(crate) mod reports;
pub(crate) mod show;
pub(crate) mod status;
#[cfg(feature = "upload")]
pub(crate) mod upload;
