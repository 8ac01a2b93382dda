//! The read-only JSON API, version 1: the numbers the pages are drawn from, as data.
//!
//! - `GET /api/v1/series?program=P&counter=C[&level=L]`: one name of a program week by
//!   week ([`telemetry_pages::series::Series`]);
//! - `GET /api/v1/participation?program=P[&level=L]`: a program's reports, reporting
//!   installations and builds week by week
//!   ([`telemetry_pages::series::Participation`]).
//!
//! Both are computed by `telemetry_pages::series` from the aggregates stored when each
//! day was published (never from the raw reports), exactly as the trend pages are: one
//! computation, two forms. An answer is the same until the next day is published or a
//! new config is served, and carries an `ETag` saying so; `If-None-Match` with it gets
//! a 304 without any computation. Inputs are bounded (the query's length, each
//! parameter's), unknown or repeated parameters are refused, and every refusal is a
//! JSON object `{"error": "…"}` with a 4xx status.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use telemetry_pages::render::url_decode;
use telemetry_pages::{series, stats};

use crate::app::App;
use crate::configs::ByVersion;
use crate::response;

/// The API's version, the first part of every path.
pub(crate) const VERSION: &str = "v1";

/// The longest query string accepted, in bytes: room for the longest stack chain
/// (33 names of 200 bytes, percent-encoded) and nothing more.
pub(crate) const MAX_QUERY: usize = 24 * 1024;

/// The longest program name accepted, in bytes.
pub(crate) const MAX_PROGRAM: usize = telemetry_rules::MAX_NAME_LEN;

/// The longest counter accepted, in bytes: a stack chain of the deepest depth.
pub(crate) const MAX_COUNTER: usize =
    (telemetry_rules::MAX_DEPTH + 1) * (telemetry_rules::MAX_NAME_LEN + 1);

/// How long a client may reuse an answer without asking again, in seconds: numbers
/// change once a day, when a day is published.
const MAX_AGE: &str = "public, max-age=300";

/// A refused request: its status and reason.
pub(crate) struct Refusal(pub StatusCode, pub String);

impl Refusal {
    fn bad(reason: impl Into<String>) -> Refusal {
        Refusal(StatusCode::BAD_REQUEST, reason.into())
    }
}

/// The parameters of a query, each at most once, each one of `allowed`, decoded.
pub(crate) fn params(
    query: Option<&str>,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, Refusal> {
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY {
        return Err(Refusal(
            StatusCode::URI_TOO_LONG,
            format!(
                "the query is {} bytes long; the limit is {MAX_QUERY}",
                query.len()
            ),
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = url_decode(key).ok_or_else(|| Refusal::bad("a parameter name is not UTF-8"))?;
        if !allowed.contains(&key.as_str()) {
            return Err(Refusal::bad(format!(
                "unknown parameter `{}`; this address takes {}",
                key.escape_debug(),
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(Refusal::bad(format!("`{key}` is given twice")));
        }
        let value = url_decode(value)
            .ok_or_else(|| Refusal::bad(format!("`{key}` is not UTF-8 once decoded")))?;
        out.push((key, value));
    }
    Ok(out)
}

/// The value of `name` among `params`.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The required parameter `name`, non-empty and at most `max` bytes.
pub(crate) fn required<'a>(
    params: &'a [(String, String)],
    name: &str,
    max: usize,
) -> Result<&'a str, Refusal> {
    match param(params, name) {
        None | Some("") => Err(Refusal::bad(format!("`{name}` is required"))),
        Some(value) if value.len() > max => Err(Refusal::bad(format!(
            "`{name}` is {} bytes long; the limit is {max}",
            value.len()
        ))),
        Some(value) => Ok(value),
    }
}

/// The level of the intervals: `level` (`0.9`, `90` or `90%`), 95% by default.
pub(crate) fn level(params: &[(String, String)]) -> Result<f64, Refusal> {
    match param(params, "level") {
        None => Ok(stats::LEVEL),
        Some(text) => stats::parse_level(text).ok_or_else(|| {
            Refusal::bad(format!(
                "`level` is `{}`; it must be from 50 to 99.9 (a percentage) or 0.5 to 0.999",
                text.escape_debug()
            ))
        }),
    }
}

/// The entity tag of what `what` (the path and the normalized request) answers while
/// the published days and the configs stay the same.
pub(crate) fn etag(app: &App, what: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"transparent-telemetry api\n");
    for part in what {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    if let Ok(view) = app.view.read() {
        for day in &view.published {
            hash.update(day.day.as_bytes());
            hash.update(day.sha256.as_bytes());
        }
    }
    if let Ok(configs) = app.configs.read() {
        for version in configs.keys() {
            hash.update(version.to_le_bytes());
        }
    }
    let digest = hash.finalize();
    let mut tag = String::from("\"");
    for byte in &digest[..16] {
        tag.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        tag.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    tag.push('"');
    tag
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`).
pub(crate) fn fresh(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

/// Adds the caching headers to an answer.
pub(crate) fn cacheable(mut response: Response, etag: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    response
}

/// 304 with the tag.
pub(crate) fn not_modified(etag: &str) -> Response {
    cacheable(StatusCode::NOT_MODIFIED.into_response(), etag)
}

fn error(refusal: Refusal) -> Response {
    let body = serde_json::json!({ "error": refusal.1 }).to_string();
    response::json(refusal.0, body)
}

/// What a computation found: the JSON, or that there is no such thing.
enum Found {
    Json(String),
    Missing(String),
}

/// Answers with `compute` run away from the async workers, with an `ETag` of `what`.
async fn answer(
    app: Arc<App>,
    headers: &HeaderMap,
    what: Vec<String>,
    compute: impl FnOnce(&App) -> Found + Send + 'static,
) -> Response {
    let parts: Vec<&str> = what.iter().map(String::as_str).collect();
    let tag = etag(&app, &parts);
    if fresh(headers, &tag) {
        return not_modified(&tag);
    }
    let found = tokio::task::spawn_blocking(move || compute(&app)).await;
    match found {
        Ok(Found::Json(body)) => cacheable(response::json(StatusCode::OK, body), &tag),
        Ok(Found::Missing(reason)) => error(Refusal(StatusCode::NOT_FOUND, reason)),
        Err(_) => error(Refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the computation failed".into(),
        )),
    }
}

/// `GET /api/v1/series?program=P&counter=C[&level=L]`.
pub(crate) async fn series(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let parsed = match params(query.as_deref(), &["program", "counter", "level"]) {
        Ok(p) => p,
        Err(refusal) => return error(refusal),
    };
    let request = required(&parsed, "program", MAX_PROGRAM).and_then(|program| {
        Ok((
            program.to_string(),
            required(&parsed, "counter", MAX_COUNTER)?.to_string(),
            level(&parsed)?,
        ))
    });
    let (program, counter, level) = match request {
        Ok(r) => r,
        Err(refusal) => return error(refusal),
    };
    let what = vec![
        "series".into(),
        program.clone(),
        counter.clone(),
        level.to_string(),
    ];
    answer(app, &headers, what, move |app| {
        let (Ok(view), Ok(configs)) = (app.view.read(), app.configs.read()) else {
            return Found::Missing("the published data is unavailable".into());
        };
        match series::series(
            view.weeks.aggregate(),
            &ByVersion(&configs),
            &program,
            &counter,
            level,
        ) {
            Some(s) => Found::Json(serde_json::to_string(&s).unwrap_or_default()),
            None => Found::Missing(format!(
                "program `{}` has no counter `{}` in any published week or config",
                program.escape_debug(),
                counter.escape_debug()
            )),
        }
    })
    .await
}

/// `GET /api/v1/participation?program=P[&level=L]`.
pub(crate) async fn participation(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let parsed = match params(query.as_deref(), &["program", "level"]) {
        Ok(p) => p,
        Err(refusal) => return error(refusal),
    };
    let request = required(&parsed, "program", MAX_PROGRAM)
        .and_then(|program| Ok((program.to_string(), level(&parsed)?)));
    let (program, level) = match request {
        Ok(r) => r,
        Err(refusal) => return error(refusal),
    };
    let what = vec!["participation".into(), program.clone(), level.to_string()];
    answer(app, &headers, what, move |app| {
        let Ok(view) = app.view.read() else {
            return Found::Missing("the published data is unavailable".into());
        };
        match series::participation(view.weeks.aggregate(), &program, level) {
            Some(p) => Found::Json(serde_json::to_string(&p).unwrap_or_default()),
            None => Found::Missing(format!(
                "program `{}` has no published reports",
                program.escape_debug()
            )),
        }
    })
    .await
}

/// Any other address under `/api/`: 404, in JSON, naming what there is.
pub(crate) async fn unknown() -> Response {
    error(Refusal(
        StatusCode::NOT_FOUND,
        format!(
            "no such API address; there are /api/{VERSION}/series?program=P&counter=C and \
             /api/{VERSION}/participation?program=P"
        ),
    ))
}
