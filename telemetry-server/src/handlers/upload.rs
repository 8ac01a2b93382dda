//! `POST /upload/<week>`: where an upload is answered. The checks run in the order
//! docs/SERVER.md lists them; the first that fails refuses the whole report, and a
//! report that passes them all is partially accepted, stored, and answered with its
//! receipt. Every way this can end is an [`Outcome`], answered and counted in one
//! place.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use telemetry_formats::date;
use telemetry_formats::report::Report;

use crate::app::App;
use crate::outcome::{Outcome, Receipted, UploadError};
use crate::publish::sha256_hex;
use crate::routes::BodyIn;
use crate::store::{NewReport, Stored};
use crate::validate::{self, Refusal};
use crate::writer::NotStored;

/// Checks, keeps and stores one report, and answers with its receipt.
pub(crate) async fn upload(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(week): Path<String>,
    Extension(body_in): Extension<BodyIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The body is in: from here on, a slow answer is the server's doing.
    let _ = body_in.0.set(std::time::Instant::now());
    let outcome = receive(&app, peer, &week, &headers, &body).await;
    app.metrics.upload(&outcome);
    outcome.into_response()
}

async fn receive(
    app: &App,
    peer: SocketAddr,
    week: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    if !app.limiter.allow(peer.ip()) {
        return Err(UploadError::RateLimited);
    }
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
        && encoding.as_bytes() != b"identity"
    {
        return Err(UploadError::Compressed);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim() == "application/json")
        });
    if !is_json {
        return Err(UploadError::NotJson);
    }
    let today = app.today();
    let report = Report::parse(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
    validate::check_envelope(&report, week, today, &app.limits)?;
    let version = validate::config_version(&report)?;
    let config = match app.config(version) {
        Some(c) => c,
        None => {
            // Another process may have stored it since.
            let _ = app.reload_configs().await;
            app.config(version).ok_or_else(|| {
                Refusal::Unacceptable(format!("config version {version} was never served here"))
            })?
        }
    };
    let accepted = validate::accept(&report, &config, &app.declared, today, &app.limits);
    let kept = accepted
        .kept
        .as_ref()
        .map(|k| serde_json::to_string(k).unwrap_or_default());
    let receipt = accepted.receipt.to_json();
    let job = NewReport {
        week: report.week.clone(),
        x: serde_json::to_string(&report.x).unwrap_or_default(),
        digest: sha256_hex(body),
        day: date::format(today),
        config: version,
        kept_digest: kept.as_deref().map(|k| sha256_hex(k.as_bytes())),
        kept,
        receipt: receipt.clone(),
    };
    match app.writer.store(job).await {
        Ok(Stored::New) => Ok(Receipted::New {
            receipt,
            dropped: accepted.receipt.reasons(),
        }),
        Ok(Stored::Same(receipt)) => Ok(Receipted::Again(receipt)),
        Ok(Stored::Conflict) => Err(UploadError::Conflict),
        Err(NotStored::ShuttingDown) => Err(UploadError::ShuttingDown),
        Err(NotStored::Failed) => Err(UploadError::NotStored),
    }
}
