//! The published data: `/data/` (the list of days), `/data/index.json` (the same for
//! programs) and `/data/<day>.ndjson` (a day's reports, as stored).

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use telemetry_pages::render::escape;

use crate::app::App;
use crate::files::Served;
use crate::handlers::pages::{html, not_found};
use crate::response::{json, text, unavailable};

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

/// A published day's file: made once when the day was published and served as
/// stored, with its SHA-256 as a strong `ETag` (`If-None-Match` gets 304), in gzip to
/// a client that accepts it, and in parts (`Range: bytes=…`, one range; 206, or 416
/// beyond the end).
pub(crate) async fn data_file(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let day = file.strip_suffix(".ndjson").unwrap_or("");
    let published = app
        .view
        .read()
        .ok()
        .and_then(|v| v.published.iter().find(|p| p.day == day).cloned());
    let Some(published) = published else {
        return not_found(State(app)).await;
    };
    let served = match app.files.get(day) {
        Some(served) => served,
        None => match app.db.day_file(day).await {
            Ok(Some(file)) => {
                let served = Served::from(file);
                app.files.put(day, &served);
                served
            }
            Ok(None) => {
                return text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "the stored reports of {day} no longer match what was published: \
                         run telemetry-server rebuild\n"
                    ),
                );
            }
            Err(e) => return unavailable(&format!("{e}")),
        },
    };
    let etag = format!("\"{}\"", published.sha256);
    let names_this = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|tag| tag.trim() == etag || tag.trim() == "*")
            })
    };
    let mut response = if names_this(header::IF_NONE_MATCH) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // A range only of this very file (If-Range names it, or is absent).
        let range = headers
            .get(header::RANGE)
            .filter(|_| headers.get(header::IF_RANGE).is_none() || names_this(header::IF_RANGE))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| range(v, served.body.len()));
        match range {
            Some(Some((first, last))) => {
                let total = served.body.len();
                let mut response = served.body.slice(first..=last).into_response();
                *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                if let Ok(value) = HeaderValue::from_str(&format!("bytes {first}-{last}/{total}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                response
            }
            Some(None) => {
                let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                let total = served.body.len();
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                response
            }
            None if accepts_gzip(&headers) => {
                let mut response = served.gzip.clone().into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            None => served.body.clone().into_response(),
        }
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, etag);
    }
    response
}

/// Whether `Accept-Encoding` accepts gzip (named, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// A `Range` header of one byte range of a file of `len` bytes: `None` when it is not
/// one (the whole file is served), `Some(None)` when it lies beyond the end (416),
/// else the first and last byte.
fn range(header: &str, len: usize) -> Option<Option<(usize, usize)>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let number = |t: &str| t.trim().parse::<usize>().ok();
    let (first, last) = match (first.trim().is_empty(), last.trim().is_empty()) {
        // The last n bytes.
        (true, false) => {
            let n = number(last)?;
            if n == 0 || len == 0 {
                return Some(None);
            }
            (len.saturating_sub(n), len - 1)
        }
        (false, true) => (number(first)?, len.saturating_sub(1)),
        (false, false) => {
            let (first, last) = (number(first)?, number(last)?);
            if last < first {
                return None;
            }
            (first, last.min(len.saturating_sub(1)))
        }
        (true, true) => return None,
    };
    if first >= len {
        return Some(None);
    }
    Some(Some((first, last)))
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn a_range_is_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-9", 100), Some(Some((0, 9))));
        assert_eq!(range("bytes=90-", 100), Some(Some((90, 99))));
        assert_eq!(range("bytes=-10", 100), Some(Some((90, 99))));
        assert_eq!(range("bytes=-1000", 100), Some(Some((0, 99))));
        assert_eq!(range("bytes=50-1000", 100), Some(Some((50, 99))));
        assert_eq!(range("bytes=100-", 100), Some(None));
        assert_eq!(range("bytes=-0", 100), Some(None));
        // Not one satisfiable range of bytes: the whole file.
        assert_eq!(range("bytes=0-1,5-6", 100), None);
        assert_eq!(range("bytes=9-0", 100), None);
        assert_eq!(range("lines=0-1", 100), None);
        assert_eq!(range("bytes=x-1", 100), None);
        assert_eq!(range("bytes=-", 100), None);
    }
}
