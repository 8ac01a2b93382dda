//! The pages across weeks, drawn by `telemetry_pages::render` from the same
//! computation the JSON API answers with ([`super::api`]):
//!
//! - `/trends`: every program with its latest week;
//! - `/trends?program=P`: one program's reporting installations, builds and every name
//!   with its trend;
//! - `/trend?program=P&counter=C[&week=W]`: one name's page;
//! - `/decide?program=P[&below=B][&week=W]`: what is rarely used, what moved, which
//!   versions are in use.
//!
//! Each takes `level` too (95% by default), carries an `ETag` like the API's, and
//! refuses unknown, repeated or oversized parameters with a page saying why.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use telemetry_formats::date;
use telemetry_pages::decide;
use telemetry_pages::render::{self, SERVER_LINKS, escape, url_encode};

use super::api::{self, MAX_COUNTER, MAX_PROGRAM, Refusal};
use super::pages::html;
use crate::app::App;
use crate::configs::ByVersion;

/// The share below which `/decide` lists a name when the reader names none: 1%.
const BELOW: f64 = 0.01;

/// A page's title and body, or why there is none.
type Page = Result<(String, String), Refusal>;

fn refused(app: &App, refusal: Refusal) -> Response {
    let mut response = html(
        app,
        if refusal.0 == StatusCode::NOT_FOUND {
            "Not found"
        } else {
            "Bad request"
        },
        &format!("<p>{}</p>\n", escape(&refusal.1)),
    );
    *response.status_mut() = refusal.0;
    response
}

/// Serves one page: its tag first, then the page computed away from the async workers.
async fn serve(
    app: Arc<App>,
    headers: &HeaderMap,
    what: Vec<String>,
    compute: impl FnOnce(&App) -> Page + Send + 'static,
) -> Response {
    let parts: Vec<&str> = what.iter().map(String::as_str).collect();
    let tag = api::etag(&app, &parts);
    if api::fresh(headers, &tag) {
        return api::not_modified(&tag);
    }
    let worker = app.clone();
    match tokio::task::spawn_blocking(move || compute(&worker)).await {
        Ok(Ok((title, body))) => api::cacheable(html(&app, &title, &body), &tag),
        Ok(Err(refusal)) => refused(&app, refusal),
        Err(_) => refused(
            &app,
            Refusal(StatusCode::INTERNAL_SERVER_ERROR, "The page failed.".into()),
        ),
    }
}

/// The optional `week`, a valid day.
fn week(params: &[(String, String)]) -> Result<Option<String>, Refusal> {
    match api::param(params, "week") {
        None => Ok(None),
        Some(w) if date::parse(w).is_some() => Ok(Some(w.to_string())),
        Some(w) => Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("`week` is `{}`, not a day (YYYY-MM-DD)", w.escape_debug()),
        )),
    }
}

/// The optional `below`: a share (`0.004`) or a percentage (`0.4%`), more than 0 and at
/// most 100%.
fn below(params: &[(String, String)]) -> Result<f64, Refusal> {
    let Some(text) = api::param(params, "below") else {
        return Ok(BELOW);
    };
    let value = match text.trim().strip_suffix('%') {
        Some(percent) => percent.parse::<f64>().ok().map(|p| p / 100.0),
        None => text.trim().parse::<f64>().ok(),
    };
    match value {
        Some(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!(
                "`below` is `{}`; it must be a share above 0 and at most 1 (0.004) or a \
                 percentage (0.4%)",
                text.escape_debug()
            ),
        )),
    }
}

/// `/trends` and `/trends?program=P`.
pub(crate) async fn trends(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = api::params(query.as_deref(), &["program", "level"]).and_then(|p| {
        let program = match api::param(&p, "program") {
            Some(_) => Some(api::required(&p, "program", MAX_PROGRAM)?.to_string()),
            None => None,
        };
        Ok((program, api::level(&p)?))
    });
    let (program, level) = match request {
        Ok(r) => r,
        Err(refusal) => return refused(&app, refusal),
    };
    let what = vec![
        "trends".into(),
        program.clone().unwrap_or_default(),
        level.to_string(),
    ];
    serve(app, &headers, what, move |app| {
        let (Ok(view), Ok(configs)) = (app.view.read(), app.configs.read()) else {
            return Err(unavailable());
        };
        let Some(program) = program else {
            return Ok((
                "Trends".into(),
                render::programs_page(view.weeks.aggregate(), level, &SERVER_LINKS),
            ));
        };
        let decide = decide_link(&program, None);
        render::program_page(
            &view.weeks,
            &ByVersion(&configs),
            &program,
            level,
            &SERVER_LINKS,
            Some(&decide),
            true,
        )
        .map(|body| (format!("{program}, week by week"), body))
        .ok_or_else(|| not_found(&program))
    })
    .await
}

/// `/trend?program=P&counter=C[&week=W]`.
pub(crate) async fn trend(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request =
        api::params(query.as_deref(), &["program", "counter", "week", "level"]).and_then(|p| {
            Ok((
                api::required(&p, "program", MAX_PROGRAM)?.to_string(),
                api::required(&p, "counter", MAX_COUNTER)?.to_string(),
                week(&p)?,
                api::level(&p)?,
            ))
        });
    let (program, counter, week, level) = match request {
        Ok(r) => r,
        Err(refusal) => return refused(&app, refusal),
    };
    let what = vec![
        "trend".into(),
        program.clone(),
        counter.clone(),
        week.clone().unwrap_or_default(),
        level.to_string(),
    ];
    serve(app, &headers, what, move |app| {
        let (Ok(view), Ok(configs)) = (app.view.read(), app.configs.read()) else {
            return Err(unavailable());
        };
        render::counter_page(
            view.weeks.aggregate(),
            &ByVersion(&configs),
            &program,
            &counter,
            week.as_deref(),
            level,
            &SERVER_LINKS,
        )
        .map(|body| (render::display_name(&counter), body))
        .ok_or_else(|| {
            Refusal(
                StatusCode::NOT_FOUND,
                format!(
                    "{program} has no counter {} in any published week or config.",
                    render::display_name(&counter)
                ),
            )
        })
    })
    .await
}

/// `/decide?program=P[&below=B][&week=W][&level=L]`.
pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request =
        api::params(query.as_deref(), &["program", "below", "week", "level"]).and_then(|p| {
            Ok((
                api::required(&p, "program", MAX_PROGRAM)?.to_string(),
                below(&p)?,
                week(&p)?,
                api::level(&p)?,
            ))
        });
    let (program, below, week, level) = match request {
        Ok(r) => r,
        Err(refusal) => return refused(&app, refusal),
    };
    let what = vec![
        "decide".into(),
        program.clone(),
        below.to_string(),
        week.clone().unwrap_or_default(),
        level.to_string(),
    ];
    serve(app, &headers, what, move |app| {
        let (Ok(view), Ok(configs)) = (app.view.read(), app.configs.read()) else {
            return Err(unavailable());
        };
        let d = decide::decide(
            &view.weeks,
            &ByVersion(&configs),
            &program,
            week.as_deref(),
            below,
            level,
        )
        .ok_or_else(|| not_found(&program))?;
        let link = |t: f64| decide_link(&program, Some(t));
        Ok((
            format!("{program}: decide"),
            render::decide_page(&d, &SERVER_LINKS, &link),
        ))
    })
    .await
}

/// The address of a program's decide summary at threshold `below`.
fn decide_link(program: &str, below: Option<f64>) -> String {
    let mut link = format!("/decide?program={}", url_encode(program));
    if let Some(below) = below {
        link.push_str(&format!("&below={below}"));
    }
    link
}

fn not_found(program: &str) -> Refusal {
    Refusal(
        StatusCode::NOT_FOUND,
        format!("{program} has no published reports for that week or at all."),
    )
}

fn unavailable() -> Refusal {
    Refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "The published data is unavailable.".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn below_reads_shares_and_percentages_and_refuses_the_rest() {
        assert_eq!(below(&p(&[])).ok(), Some(BELOW));
        assert_eq!(below(&p(&[("below", "0.004")])).ok(), Some(0.004));
        assert_eq!(below(&p(&[("below", "0.4%")])).ok(), Some(0.004));
        for bad in ["0", "-1", "2", "150%", "x", "NaN"] {
            let refusal = below(&p(&[("below", bad)])).err().map(|r| r.1);
            assert!(
                refusal
                    .as_deref()
                    .is_some_and(|r| r.contains("must be a share")),
                "{bad}: {refusal:?}"
            );
        }
    }

    #[test]
    fn parameters_are_bounded_known_and_given_once() {
        let refusal = |q: &str| {
            api::params(Some(q), &["program", "level"])
                .err()
                .map(|r| r.1)
        };
        assert_eq!(
            refusal("program=kv&colour=red").as_deref(),
            Some("unknown parameter `colour`; this address takes `program`, `level`")
        );
        assert_eq!(
            refusal("program=kv&program=x").as_deref(),
            Some("`program` is given twice")
        );
        let long = format!("program={}", "a".repeat(api::MAX_QUERY));
        assert!(refusal(&long).is_some_and(|r| r.contains("the limit is")));
        let ok = api::params(Some("program=kv%2Fx&level=90"), &["program", "level"]).ok();
        let ok = ok.unwrap_or_default();
        assert_eq!(api::param(&ok, "program"), Some("kv/x"));
        assert_eq!(api::level(&ok).ok(), Some(0.9));
        assert!(api::level(&p(&[("level", "100")])).is_err());
        let long_name = p(&[("program", &"a".repeat(MAX_PROGRAM + 1))]);
        assert_eq!(
            api::required(&long_name, "program", MAX_PROGRAM)
                .err()
                .map(|r| r.1),
            Some(format!(
                "`program` is {} bytes long; the limit is {MAX_PROGRAM}",
                MAX_PROGRAM + 1
            ))
        );
    }
}
