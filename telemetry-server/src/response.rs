//! How answers are made: plain-text reasons, JSON, "try again later", and the security
//! headers every answer carries.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use telemetry_pages::serving::CSP;

/// How long a client told to try again later waits, in seconds.
pub(crate) const RETRY_AFTER: &str = "3600";

/// How long a client waits when the server itself was too slow (its database busy or
/// locked, say), in seconds: shorter, as this is the server's trouble, not the client's.
pub(crate) const BUSY_RETRY_AFTER: &str = "300";

/// A `text/plain` answer.
pub(crate) fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// An `application/json` answer.
pub(crate) fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// 503 with `Retry-After`: the client keeps what it sent and tries again later.
pub(crate) fn unavailable(reason: &str) -> Response {
    let mut response = text(StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n"));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
    response
}

/// 503 with a short `Retry-After`: the server could not answer in time.
pub(crate) fn busy() -> Response {
    let mut response = text(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy: try again later\n".into(),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(BUSY_RETRY_AFTER),
    );
    response
}

/// Headers on every answer: no script, no frame, no referrer, no sniffing.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
