//! Why a server cannot start.

use crate::store::StoreError;

/// Why a server cannot start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<StoreError> for StartError {
    fn from(e: StoreError) -> StartError {
        StartError(e.0)
    }
}
