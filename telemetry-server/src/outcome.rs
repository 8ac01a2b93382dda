//! How an upload ends. Every upload ends in exactly one [`Outcome`]: it decides the
//! answer (status, reason line or receipt) through `IntoResponse`, and what `/metrics`
//! counts, through [`Metrics::upload`](crate::metrics::Metrics::upload), once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::response::{json, text, unavailable};
use crate::validate::{Dropped, Refusal};

/// An upload answered with a receipt.
#[derive(Debug)]
pub(crate) enum Receipted {
    /// Stored now; the receipt names the parts dropped, which `/metrics` counts.
    New {
        /// The receipt.
        receipt: String,
        /// How many parts were dropped, by reason.
        dropped: Vec<(Dropped, usize)>,
    },
    /// The same report was stored before: the receipt it got then.
    Again(String),
}

/// An upload refused, or not stored.
#[derive(Debug)]
pub(crate) enum UploadError {
    /// The address's rate limit is spent (503: the client tries again later).
    RateLimited,
    /// A `Content-Encoding` other than identity (415).
    Compressed,
    /// Not `application/json` (415).
    NotJson,
    /// Refused whole by the checks (400 or 422).
    Refused(Refusal),
    /// Another report of the same week and `x` was stored before (409).
    Conflict,
    /// The writer has stopped: the server is shutting down (503).
    ShuttingDown,
    /// The commit failed (503).
    NotStored,
}

/// How an upload ended.
pub(crate) type Outcome = Result<Receipted, UploadError>;

impl IntoResponse for Receipted {
    fn into_response(self) -> Response {
        match self {
            Receipted::New { receipt, .. } | Receipted::Again(receipt) => {
                json(StatusCode::OK, receipt)
            }
        }
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        match self {
            UploadError::RateLimited => {
                unavailable("too many uploads from one address: try again later")
            }
            UploadError::Compressed => text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "compressed uploads are not accepted: send the report as it is\n".into(),
            ),
            UploadError::NotJson => text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "an upload is application/json\n".into(),
            ),
            UploadError::Refused(refusal) => {
                let status = match refusal {
                    Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
                    Refusal::Unacceptable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                };
                text(status, format!("{}\n", refusal.reason()))
            }
            UploadError::Conflict => text(
                StatusCode::CONFLICT,
                "a different report of the same week and x was stored before\n".into(),
            ),
            UploadError::ShuttingDown => unavailable("the server is shutting down"),
            UploadError::NotStored => {
                unavailable("the report could not be stored: try again later")
            }
        }
    }
}

impl From<Refusal> for UploadError {
    fn from(refusal: Refusal) -> UploadError {
        UploadError::Refused(refusal)
    }
}
