//! The published data: `/data/` (the list of days), `/data/index.json` (the same for
//! programs) and `/data/<day>.ndjson` (a day's reports, as stored).

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use telemetry_pages::render::escape;

use crate::app::App;
use crate::handlers::pages::{html, not_found};
use crate::publish::sha256_hex;
use crate::response::{json, text};

pub(crate) async fn data_index(State(app): State<Arc<App>>) -> Response {
    let mut body = String::from(
        "<p>Every report accepted, one file per UTC day, published once the day is over. \
         Each line is one report as stored; lines are ordered by their own SHA-256, not \
         by arrival.</p>\n<p><a href=\"/data/index.json\">index.json</a></p>\n\
         <table><tr><th>day</th><th class=\"num\">reports</th><th class=\"num\">bytes</th>\
         <th>SHA-256</th></tr>\n",
    );
    if let Ok(view) = app.view.read() {
        for day in view.published.iter().rev() {
            let _ = writeln!(
                body,
                "<tr><td><a href=\"/data/{0}.ndjson\">{0}.ndjson</a></td>\
                 <td class=\"num\">{1}</td><td class=\"num\">{2}</td><td><code>{3}</code></td></tr>",
                escape(&day.day),
                day.reports,
                day.bytes,
                escape(&day.sha256)
            );
        }
    }
    body.push_str("</table>\n");
    html(&app, "Data", &body)
}

pub(crate) async fn data_index_json(State(app): State<Arc<App>>) -> Response {
    let days: Vec<serde_json::Value> = match app.view.read() {
        Ok(view) => view
            .published
            .iter()
            .map(|d| {
                serde_json::json!({
                    "day": d.day,
                    "file": format!("{}.ndjson", d.day),
                    "reports": d.reports,
                    "bytes": d.bytes,
                    "sha256": d.sha256,
                })
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let body = serde_json::to_string_pretty(&serde_json::json!({ "format": 1, "days": days }))
        .unwrap_or_default();
    json(StatusCode::OK, body + "\n")
}

pub(crate) async fn data_file(State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    let day = file.strip_suffix(".ndjson").unwrap_or("");
    let published = app
        .view
        .read()
        .ok()
        .and_then(|v| v.published.iter().find(|p| p.day == day).cloned());
    let Some(published) = published else {
        return not_found(State(app)).await;
    };
    let kept = match app.db.kept_of_day(day).await {
        Ok(kept) => kept,
        Err(e) => return text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    };
    let mut bytes = Vec::with_capacity(published.bytes as usize);
    for (line, _) in &kept {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    if sha256_hex(&bytes) != published.sha256 {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the stored reports of {day} no longer match what was published: run telemetry-server rebuild\n"
            ),
        );
    }
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", published.sha256)) {
        headers.insert(header::ETAG, etag);
    }
    response
}
