//! The pages of `telemetry view`, drawn afresh from the namespace's files at each
//! request by the collection server's renderer (`telemetry_pages`): local reports
//! are aggregated with [`Unsampled`] rates, so every bar is an exact count, and the
//! week still running is aggregated from its counter files as the report it will
//! become.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::io;
use std::path::Path;

use telemetry_formats::date::{self, DAY};
use telemetry_formats::file::Contents;
use telemetry_formats::mode::{self, DefaultMode};
use telemetry_formats::report::{self, ProgramReport, Report as WeekReport};
use telemetry_formats::{dirs, safe_fs};
use telemetry_pages::render::{self, escape};
use telemetry_pages::serving::week_of;
use telemetry_pages::{Aggregate, Indexed, Unsampled, stats};

use super::Site;
use super::http::{Request, Response};
use telemetry_command::display;
use telemetry_command::listing::{self, Kind};

/// The site's name, in every page's title.
const SITE: &str = "telemetry view";
/// Every page's navigation.
const NAV: &[(&str, &str)] = &[
    ("/", "Counted here"),
    ("/trends", "Week by week"),
    ("/sent", "Sent"),
];
/// What the week still running is called.
pub(crate) const RUNNING: &str = "this week so far";
/// The longest receipt or refusal read, as long as the uploader reads an answer.
const MAX_ANSWER: u64 = 1 << 20;
/// The `x` of the report a running week is drawn as: unsampled charts never use it.
const RUNNING_X: f64 = 0.5;

/// The answer to a `GET`.
pub(crate) fn answer(site: &Site, request: &Request) -> Response {
    match request.path {
        "/" => html(
            200,
            "What this machine counted",
            &home(site, week_of(request.query).as_deref(), date::now_secs()),
        ),
        "/sent" => html(200, "What was sent", &sent(site)),
        "/trends" | "/trend" => trends(site, request.path, request.query, date::now_secs()),
        "/style.css" => Response {
            status: 200,
            content_type: "text/css; charset=utf-8",
            body: render::STYLE.as_bytes().to_vec(),
        },
        _ => html(404, "Not found", "<p>There is no such page.</p>\n"),
    }
}

fn html(status: u16, title: &str, body: &str) -> Response {
    Response {
        status,
        content_type: "text/html; charset=utf-8",
        body: render::page(SITE, NAV, title, body).into_bytes(),
    }
}

/// A path for a page.
fn shown(path: &Path) -> String {
    escape(&path.display().to_string())
}

/// What `local/` holds, ready to draw.
#[derive(Debug)]
struct Counted {
    /// Every report, and every week's counter files not yet in a report.
    aggregate: Aggregate,
    /// The weeks drawn from counter files whose end is still to come.
    running: BTreeSet<String>,
    /// Files left out, and why.
    problems: Vec<(String, String)>,
}

/// Reads the reports and counter files of `local` at `now` (Unix seconds).
fn counted(local: &Path, now: u64) -> Counted {
    let mut aggregate = Aggregate::new();
    let mut problems = Vec::new();
    let mut reported = BTreeSet::new();
    for (week, path) in report::list(local) {
        match WeekReport::read(&path) {
            Ok(read) => {
                aggregate.add(&read, &Unsampled);
                reported.insert(week);
            }
            Err(e) => problems.push((format!("{week}{}", report::REPORT_SUFFIX), e.to_string())),
        }
    }
    // Week (its end day) → its counter files, which `telemetry show` reads the same way.
    let mut weeks: BTreeMap<u64, Vec<Contents>> = BTreeMap::new();
    match listing::list(local) {
        Ok(found) => {
            for file in found.of(Kind::Counter) {
                match file.read() {
                    Ok(contents) => weeks
                        .entry(date::day_of(contents.header.end))
                        .or_default()
                        .push(contents),
                    Err(why) => problems.push((file.name.clone(), why)),
                }
            }
            for file in found.of(Kind::SetAside) {
                problems.push((
                    file.name.clone(),
                    "set aside by a program as unusable: never counted into or reported".into(),
                ));
            }
        }
        Err(e) => problems.push((local.display().to_string(), e.to_string())),
    }
    let mut running = BTreeSet::new();
    for (end, files) in weeks {
        let week = date::format(end);
        // Files of a week whose report is written but that are not deleted yet: the
        // report holds their counts.
        if reported.contains(&week) {
            continue;
        }
        aggregate.add(&report::build(end, &files, "", RUNNING_X), &Unsampled);
        if end.saturating_mul(DAY) > now {
            running.insert(week);
        }
    }
    Counted {
        aggregate,
        running,
        problems,
    }
}

/// `/`: the charts of `week` (the latest when `None`), with links to every week.
fn home(site: &Site, week: Option<&str>, now: u64) -> String {
    let Some(dir) = &site.namespace_dir else {
        return "<p>Nothing counted yet: there is no telemetry directory (no home directory \
                and TELEMETRY_DIR is not set).</p>\n"
            .into();
    };
    let local = dir.join(dirs::LOCAL);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p>What the programs of the namespace <code>{}</code> counted on this machine, read \
         from <code>{}</code>: each weekly report, and the counter files of the week still \
         running. The charts are drawn by the code of a collector's public charts: they are \
         what those would show of this machine alone. These pages are served to this \
         machine only, and reading them changes nothing.</p>",
        escape(&site.namespace),
        shown(&local)
    );
    let (mode, source) = mode::effective(&site.env, Some(dir), DefaultMode::Local);
    let _ = writeln!(
        body,
        "<p>Mode: <strong>{mode}</strong> ({}).</p>",
        escape(&source.to_string())
    );
    let counted = counted(&local, now);
    if counted.aggregate.weeks.is_empty() {
        body.push_str(
            "<p>Nothing counted yet: there is no weekly report and no counter file.</p>\n",
        );
    } else {
        let selected = week.or(counted.aggregate.latest_week());
        if let Some(selected) = selected.filter(|w| counted.running.contains(*w)) {
            let _ = writeln!(
                body,
                "<p class=\"note\">This week so far: the counts of the counter files of the \
                 week still running, which grow until it ends on {} and becomes a \
                 report.</p>",
                escape(selected)
            );
        }
        body.push_str(&render::charts_labelled(
            &counted.aggregate,
            week,
            &|w| format!("/?week={w}"),
            &|w| counted.running.contains(w).then(|| RUNNING.to_string()),
        ));
    }
    if !counted.problems.is_empty() {
        body.push_str("<h2>Not shown</h2>\n<ul>\n");
        for (name, why) in &counted.problems {
            let _ = writeln!(
                body,
                "<li><code>{}</code>: {}</li>",
                escape(name),
                escape(why)
            );
        }
        body.push_str("</ul>\n");
    }
    body
}

/// `/trends` (every program, or one with `?program=`) and `/trend?program=&counter=`
/// (one name): this machine's counts week by week, drawn as the collector's trend pages
/// are, every number a count.
fn trends(site: &Site, path: &str, query: Option<&str>, now: u64) -> Response {
    let Some(dir) = &site.namespace_dir else {
        return html(
            200,
            "Week by week",
            "<p>Nothing counted yet: there is no telemetry directory (no home directory \
             and TELEMETRY_DIR is not set).</p>\n",
        );
    };
    let weeks = Indexed::new(counted(&dir.join(dirs::LOCAL), now).aggregate);
    let (aggregate, links, level) = (weeks.aggregate(), &render::LOCAL_LINKS, stats::LEVEL);
    let program = render::query_param(query, "program");
    let counter = render::query_param(query, "counter");
    let week = week_of(query);
    let found = match (path, program, counter) {
        ("/trends", None, _) => Some((
            "Week by week".to_string(),
            render::programs_page(aggregate, level, links),
        )),
        ("/trends", Some(program), _) => {
            render::program_page(&weeks, &Unsampled, &program, level, links, None, false)
                .map(|body| (format!("{program}, week by week"), body))
        }
        (_, Some(program), Some(counter)) => render::counter_page(
            aggregate,
            &Unsampled,
            &program,
            &counter,
            week.as_deref(),
            level,
            links,
        )
        .map(|body| (render::display_name(&counter), body)),
        _ => None,
    };
    match found {
        Some((title, body)) => html(200, &title, &body),
        None => html(
            404,
            "Not found",
            "<p>Nothing counted here has that name.</p>\n",
        ),
    }
}

/// `/sent`: every uploaded copy with its receipt, newest first, and the refusals.
fn sent(site: &Site) -> String {
    let Some(dir) = &site.namespace_dir else {
        return "<p>Nothing has been sent from this machine: there is no telemetry directory \
                (no home directory and TELEMETRY_DIR is not set).</p>\n"
            .into();
    };
    let upload = telemetry_upload::files::upload_dir(dir);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p>Each upload keeps, in <code>{}</code>, the exact bytes sent (<code>WEEK.json</code>) \
         and the collector's answer beside them (<code>WEEK.receipt.json</code>): what it kept \
         and what it dropped. They are shown here as they are on disk.</p>",
        shown(&upload)
    );
    let state = telemetry_upload::state(dir);
    if let Some((url, key)) = &state.collector {
        let _ = writeln!(
            body,
            "<p>Collector: <code>{}</code> (configs signed by <code>{}</code>).</p>",
            escape(url),
            escape(key)
        );
    }
    let copies = report::list(&upload);
    let refused = refusals(&upload);
    if copies.is_empty() && refused.is_empty() {
        let (mode, _) = mode::effective(&site.env, Some(dir), DefaultMode::Local);
        let _ = writeln!(
            body,
            "<p>Nothing has been sent from this machine: there is no uploaded copy \
             (mode {mode}).</p>"
        );
        return body;
    }
    if copies.is_empty() {
        body.push_str("<p>No week has been uploaded.</p>\n");
    }
    for (week, path) in copies.iter().rev() {
        let _ = writeln!(
            body,
            "<h2 id=\"{0}\">The week ending {0}</h2>",
            escape(week)
        );
        match WeekReport::read(path) {
            Ok(copy) => body.push_str(&copy_html(&copy, path)),
            Err(e) => {
                let _ = writeln!(
                    body,
                    "<p>The copy <code>{}</code> cannot be shown: {}</p>",
                    shown(path),
                    escape(&e.to_string())
                );
            }
        }
        body.push_str("<h3>The collector's receipt</h3>\n");
        let receipt = upload.join(format!("{week}.receipt.json"));
        match safe_fs::read_capped(&receipt, MAX_ANSWER) {
            Ok(bytes) => body.push_str(&receipt_html(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                body.push_str("<p>No receipt was kept.</p>\n");
            }
            Err(e) => {
                let _ = writeln!(
                    body,
                    "<p>The receipt <code>{}</code> cannot be read: {}</p>",
                    shown(&receipt),
                    escape(&e.to_string())
                );
            }
        }
    }
    if !refused.is_empty() {
        body.push_str(
            "<h2>Refused</h2>\n<p>The collector refused these weeks: it kept nothing of them, \
             and they are not sent again.</p>\n<ul>\n",
        );
        for (week, why) in &refused {
            let _ = writeln!(body, "<li>{}: {}</li>", escape(week), escape(why));
        }
        body.push_str("</ul>\n");
    }
    body
}

/// The weeks with a `<week>.rejected.json`, sorted, and what each says.
fn refusals(upload: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(upload)
        .map(|read| {
            read.flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().into_string().ok()?;
                    let week = name.strip_suffix(".rejected.json")?;
                    date::parse(week)?;
                    let why = match safe_fs::read_capped(&entry.path(), MAX_ANSWER) {
                        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
                            Ok(value) => format!(
                                "status {}: {}",
                                value["status"],
                                value["reason"].as_str().unwrap_or("no reason given")
                            ),
                            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
                        },
                        Err(e) => format!("cannot be read: {e}"),
                    };
                    Some((week.to_string(), why))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// An uploaded copy: what it says of itself, and every count it carried.
fn copy_html(copy: &WeekReport, path: &Path) -> String {
    let counters: usize = copy.programs.iter().map(|p| p.counters.len()).sum();
    let stacks: usize = copy.programs.iter().map(|p| p.stacks.len()).sum();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p>Sent: <code>{}</code>, {size} bytes, filtered by config version {}: {}, {}, \
         {}.</p>",
        shown(path),
        escape(&copy.config),
        display::count(copy.programs.len(), "program build", "program builds"),
        display::count(counters, "counter", "counters"),
        display::count(stacks, "stack chain", "stack chains"),
    );
    for program in &copy.programs {
        out.push_str(&build_table(program));
    }
    out
}

/// `kv 0.1.0 (toolchain 1.95.0, linux x86_64)`.
fn build_name(program: &ProgramReport) -> String {
    format!(
        "{} {} (toolchain {}, {} {})",
        program.program, program.version, program.toolchain, program.os, program.arch
    )
}

/// The counts one program build carried.
fn build_table(program: &ProgramReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h3>{}</h3>\n<table class=\"sent\"><tr><th>counter</th><th class=\"num\">count</th></tr>",
        escape(&build_name(program))
    );
    for (name, value) in &program.counters {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{value}</td></tr>",
            escape(name)
        );
    }
    for (chain, value) in &program.stacks {
        let frames: Vec<String> = chain.split('\n').map(escape).collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{value}</td></tr>",
            frames.join("</code><br><code>")
        );
    }
    out.push_str("</table>\n");
    out
}

/// A receipt: stored or not, what was kept, and every part dropped with its reason;
/// one this page cannot read as a receipt is shown as it is.
fn receipt_html(bytes: &[u8]) -> String {
    let value: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    let Some(receipt) = value.filter(|v| v.get("kept").is_some() && v["dropped"].is_array()) else {
        return format!(
            "<p>Not a receipt this page knows; as received:</p>\n<pre>{}</pre>\n",
            escape(&String::from_utf8_lossy(bytes))
        );
    };
    let mut out = String::new();
    let stored = match receipt["stored"].as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not said",
    };
    let kept = |what: &str, one: &str, many: &str| match receipt["kept"][what].as_u64() {
        Some(n) => display::count(n, one, many),
        None => format!("? {many}"),
    };
    let _ = writeln!(
        out,
        "<p>Stored: {stored}. Kept: {}, {}, {}.</p>",
        kept("programs", "program build", "program builds"),
        kept("counters", "counter", "counters"),
        kept("stacks", "stack chain", "stack chains")
    );
    let dropped = receipt["dropped"].as_array().map_or(&[][..], Vec::as_slice);
    if dropped.is_empty() {
        out.push_str("<p>Nothing was dropped.</p>\n");
        return out;
    }
    let _ = writeln!(
        out,
        "<p>Dropped: {}.</p>\n<table class=\"dropped\"><tr><th>dropped</th><th>build</th>\
         <th>reason</th><th>why</th></tr>",
        dropped.len()
    );
    for part in dropped {
        let field = |key: &str| part[key].as_str().unwrap_or("").to_string();
        let (name, build) = (field("name"), field("build"));
        let name = match (name.as_str(), build.as_str()) {
            ("", "") => "(the whole report)".to_string(),
            ("", _) => "(the whole build)".to_string(),
            (name, _) => {
                let frames: Vec<String> = name.split('\n').map(escape).collect();
                format!("<code>{}</code>", frames.join("</code><br><code>"))
            }
        };
        let _ = writeln!(
            out,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&build),
            escape(&field("reason")),
            escape(&field("why"))
        );
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_list_every_dropped_part_and_others_are_shown_as_they_are() {
        let receipt = br#"{"format":1,"week":"2026-11-26","config":3,"stored":true,
            "kept":{"programs":1,"counters":2,"stacks":0},
            "dropped":[{"build":"kv 0.1.0 1.95.0 linux x86_64","name":"kv/secret<x>",
                "reason":"not-in-config","why":"the config does not ask for it"},
                {"build":"","name":"","reason":"report-sampled-out","why":"x"}]}"#;
        let html = receipt_html(receipt);
        assert!(
            html.contains("<p>Stored: yes. Kept: 1 program build, 2 counters, 0 stack chains.</p>")
        );
        assert!(html.contains(
            "<tr><td><code>kv/secret&lt;x&gt;</code></td><td>kv 0.1.0 1.95.0 linux x86_64</td>\
             <td>not-in-config</td><td>the config does not ask for it</td></tr>"
        ));
        assert!(html.contains("<tr><td>(the whole report)</td>"));
        assert_eq!(html.matches("<tr><td>").count(), 2);
        assert_eq!(
            receipt_html(b"<html>ok</html>"),
            "<p>Not a receipt this page knows; as received:</p>\n<pre>&lt;html&gt;ok&lt;/html&gt;</pre>\n"
        );
    }
}
