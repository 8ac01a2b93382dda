//! The public pages: plain HTML, no script, no cookie, no login; charts drawn here as
//! SVG by the renderer `telemetry view` uses too.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use telemetry_formats::config;
use telemetry_pages::render::{self, escape};

use crate::app::App;
use crate::configs::ByVersion;

const NAV: &[(&str, &str)] = &[
    ("/", "Summary"),
    ("/charts", "Charts"),
    ("/trends", "Trends"),
    ("/counters", "Counters"),
    ("/data/", "Data"),
    ("/config", "Config"),
    ("/privacy", "Privacy"),
];

/// A page of the site: its title, the navigation, `body`.
pub(crate) fn html(app: &App, title: &str, body: &str) -> Response {
    let mut response = render::page(&app.settings.site, NAV, title, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

pub(crate) async fn style() -> Response {
    let mut response = render::STYLE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

pub(crate) async fn not_found(State(app): State<Arc<App>>) -> Response {
    let mut response = html(&app, "Not found", "<p>There is no such page.</p>");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

pub(crate) async fn home(State(app): State<Arc<App>>) -> Response {
    let (days, reports, latest) = match app.view.read() {
        Ok(view) => (
            view.published.len(),
            view.published.iter().map(|p| p.reports).sum::<u64>(),
            view.published.last().map(|p| p.day.clone()),
        ),
        Err(_) => (0, 0, None),
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>This server collects weekly telemetry reports from programs whose users chose \
         to upload them. A report holds counts of named events and the program's build, \
         nothing that identifies a person or a machine, and only what the \
         <a href=\"/config\">signed config</a> (version {}) asks for. Every report it \
         accepted is <a href=\"/data/\">published</a>, day by day, once the day is over.</p>\n\
         <p>{} published over {}{}.</p>\n<h2>Programs</h2>\n<ul>",
        app.current.version,
        render::plural(reports, "report", "reports"),
        render::plural(days as u64, "day", "days"),
        latest
            .map(|d| format!(", the latest on {}", escape(&d)))
            .unwrap_or_default()
    );
    for program in &app.current.programs {
        let _ = write!(
            body,
            "<li><a href=\"/charts#{0}\">{0}</a> {1}: {2}, {3}</li>",
            escape(&program.name),
            escape(&program.versions),
            render::plural(program.counters.len() as u64, "counter", "counters"),
            render::plural(
                program.stacks.len() as u64,
                "stack counter",
                "stack counters"
            )
        );
    }
    body.push_str("</ul>\n");
    html(&app, "Transparent telemetry", &body)
}

pub(crate) async fn charts(State(app): State<Arc<App>>, query: RawQuery) -> Response {
    let week = telemetry_pages::serving::week_of(query.0.as_deref());
    let body = match app.view.read() {
        Ok(view) => match app.configs.read() {
            Ok(configs) => render::charts(
                view.weeks.aggregate(),
                &ByVersion(&configs),
                week.as_deref(),
                telemetry_pages::stats::LEVEL,
            ),
            Err(_) => String::from("<p>Unavailable.</p>"),
        },
        Err(_) => String::from("<p>Unavailable.</p>"),
    };
    html(&app, "Charts", &body)
}

pub(crate) async fn counters(State(app): State<Arc<App>>) -> Response {
    let mut body = String::from(
        "<p>Every counter each program's manifest declares, generated from its source at \
         build time, next to what the current config collects. Nothing that is not on \
         this page can be in a report.</p>\n",
    );
    // Program → name → (rate, expires) from the current config.
    let mut collected: BTreeMap<&str, BTreeMap<String, (f64, Option<&str>)>> = BTreeMap::new();
    for program in &app.current.programs {
        let names = collected.entry(&program.name).or_default();
        for entry in &program.counters {
            for name in config::expand(&entry.name).unwrap_or_default() {
                names.insert(name, (entry.rate, entry.expires.as_deref()));
            }
        }
        for entry in &program.stacks {
            names.insert(entry.name.clone(), (entry.rate, entry.expires.as_deref()));
        }
    }
    if app.manifests.is_empty() {
        body.push_str("<p>This server was started without manifests.</p>\n");
    }
    for manifest in &app.manifests {
        let Some((name, version)) = &manifest.program else {
            continue;
        };
        let _ = write!(
            body,
            "<h2 id=\"{0}\">{0} {1}</h2>\n<table><tr><th>counter</th><th>kind</th>\
             <th>description</th><th>collected</th></tr>\n",
            escape(name),
            escape(version)
        );
        let names = collected.get(name.as_str());
        for counter in &manifest.counters {
            let state = match names.and_then(|n| n.get(&counter.name)) {
                Some((rate, expires)) => format!(
                    "yes, rate {rate}{}",
                    expires
                        .map(|d| format!(", until {}", escape(d)))
                        .unwrap_or_default()
                ),
                None => "no".into(),
            };
            let _ = writeln!(
                body,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{state}</td></tr>",
                escape(&counter.name),
                escape(counter.kind.as_str()),
                render::inline_code(&counter.description)
            );
        }
        body.push_str("</table>\n");
    }
    html(&app, "Counters", &body)
}

pub(crate) async fn privacy(State(app): State<Arc<App>>) -> Response {
    let limit = app.settings.rate_limit;
    let body = format!(
        "<h2>What is collected</h2>\n<p>Only weekly reports that programs upload after their \
         user turned upload on (<code>telemetry on</code>), holding only the counters the \
         <a href=\"/config\">signed config</a> asks for, each of which its program declares \
         in its source (see <a href=\"/counters\">Counters</a>). A report carries no \
         identifier: the program's name, version, toolchain, operating system and \
         architecture, the week, a random number drawn for that report alone, and counts.</p>\n\
         <h2>What is not</h2>\n<p>The server never stores or logs IP addresses, user \
         agents or any other request header, and sets no cookie. The time a report \
         arrived is kept only as its UTC day. Uploads are limited to {} a minute from one \
         address by counters keyed with a hash of the address under a key drawn at random \
         and redrawn every hour, in memory only.</p>\n\
         <h2>What is published</h2>\n<p>Every accepted report, as stored, in the file of \
         the day it arrived, once that day is over, in an order that does not reveal the \
         order of arrival; the charts are computed from those files alone. Reports larger \
         than {} bytes, or not matching the config, are refused or cut down to what the \
         config asks for, and the sender is told exactly what was dropped.</p>\n",
        if limit == 0 {
            "any number".to_string()
        } else {
            limit.to_string()
        },
        app.settings.max_body
    );
    html(&app, "Privacy", &body)
}
