//! `POST /upload/<week>`: where an upload is answered. The checks run in the order
//! docs/SERVER.md lists them; the first that fails refuses the whole report, and a
//! report that passes them all is partially accepted, stored, and answered with its
//! receipt.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use telemetry_formats::date;
use telemetry_formats::report::Report;

use crate::app::App;
use crate::publish::sha256_hex;
use crate::response::{json, text, unavailable};
use crate::store::{NewReport, Stored};
use crate::validate::{self, Refusal};
use crate::writer::NotStored;

fn refusal(app: &App, r: Refusal) -> Response {
    if r.status == 400 {
        app.metrics.malformed.fetch_add(1, Relaxed);
    } else {
        app.metrics.refused.fetch_add(1, Relaxed);
    }
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    text(status, format!("{}\n", r.reason))
}

/// Checks, keeps and stores one report, and answers with its receipt.
pub(crate) async fn upload(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(week): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !app.limiter.allow(peer.ip()) {
        app.metrics.rate_limited.fetch_add(1, Relaxed);
        return unavailable("too many uploads from one address: try again later");
    }
    app.metrics.bytes.fetch_add(body.len() as u64, Relaxed);
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
        && encoding.as_bytes() != b"identity"
    {
        app.metrics.too_large_or_encoded.fetch_add(1, Relaxed);
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "compressed uploads are not accepted: send the report as it is\n".into(),
        );
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
        app.metrics.too_large_or_encoded.fetch_add(1, Relaxed);
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an upload is application/json\n".into(),
        );
    }
    let today = app.today();
    let report = match Report::parse(&body) {
        Ok(report) => report,
        Err(e) => {
            return refusal(
                &app,
                Refusal {
                    status: 400,
                    reason: e.to_string(),
                },
            );
        }
    };
    if let Err(r) = validate::check_envelope(&report, &week, today, &app.limits) {
        return refusal(&app, r);
    }
    let version = match validate::config_version(&report) {
        Ok(v) => v,
        Err(r) => return refusal(&app, r),
    };
    let config = match app.config(version) {
        Some(c) => c,
        None => {
            // Another process may have stored it since.
            let _ = app.reload_configs().await;
            match app.config(version) {
                Some(c) => c,
                None => {
                    return refusal(
                        &app,
                        Refusal {
                            status: 422,
                            reason: format!("config version {version} was never served here"),
                        },
                    );
                }
            }
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
        digest: sha256_hex(&body),
        day: date::format(today),
        config: version,
        kept_digest: kept.as_deref().map(|k| sha256_hex(k.as_bytes())),
        kept,
        receipt: receipt.clone(),
    };
    match app.writer.store(job).await {
        Ok(Stored::New) => {
            app.metrics.accepted.fetch_add(1, Relaxed);
            for part in &accepted.receipt.dropped {
                app.metrics.drop(part.reason);
            }
            json(StatusCode::OK, receipt)
        }
        Ok(Stored::Same(receipt)) => {
            app.metrics.duplicates.fetch_add(1, Relaxed);
            json(StatusCode::OK, receipt)
        }
        Ok(Stored::Conflict) => {
            app.metrics.conflicts.fetch_add(1, Relaxed);
            text(
                StatusCode::CONFLICT,
                "a different report of the same week and x was stored before\n".into(),
            )
        }
        Err(NotStored::ShuttingDown) => {
            app.metrics.store_errors.fetch_add(1, Relaxed);
            unavailable("the server is shutting down")
        }
        Err(NotStored::Failed) => {
            app.metrics.store_errors.fetch_add(1, Relaxed);
            unavailable("the report could not be stored: try again later")
        }
    }
}
