//! One week's charts: per program, its reports by version, os, arch and toolchain, one
//! bar chart per family of counters (histogram buckets in the order of their bounds,
//! other labels largest first, counters without a `:` grouped by their parent path),
//! and its stack counters' top chains. Every bar says its full name, its numbers and n.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{
    Bar, Links, anchor, bar_chart, escape, level_text, number, percent, plural, with_interval,
};
use crate::aggregate::{Aggregate, ProgramAggregate};
use crate::order;
use crate::rates::{RatesByKey, Unsampled};
use crate::series::{self, Kind, Mix, Point};
use crate::stats;

/// The chart a counter belongs to and its bar: `chart:bucket`, or for a plain name
/// `parent/*` and its last part.
pub fn chart_of(name: &str) -> (String, String) {
    if let Some((chart, bucket)) = name.split_once(':') {
        return (chart.to_string(), bucket.to_string());
    }
    match name.rsplit_once('/') {
        Some((parent, last)) => (format!("{parent}/*"), last.to_string()),
        None => (name.to_string(), name.to_string()),
    }
}

/// What a bar of a name says: a count, `12 in 3 reports` (`12 in 3 of 40 reports` when
/// not every report carried it), or an estimate with its interval,
/// `≈120 (95–160) in 3 of 40 reports`.
fn bar_text(point: &Point) -> String {
    let reports = plural(point.reports, "report", "reports");
    let value = if point.exact {
        number(point.estimate)
    } else {
        with_interval(&point.total_estimate(), number)
    };
    if point.carrying == point.reports {
        format!("{value} in {reports}")
    } else {
        format!("{value} in {} of {reports}", point.carrying)
    }
}

/// Its tooltip after the name: the bar's text, and for an estimate the share of
/// installations.
fn bar_title(point: &Point) -> String {
    if point.exact {
        return bar_text(point);
    }
    format!(
        "{}; {} of reporting installations",
        bar_text(point),
        with_interval(&point.share_estimate(), percent)
    )
}

/// A bar of one name of `program`.
fn name_bar(program: &str, name: &str, label: &str, point: &Point, links: &Links) -> Bar {
    Bar {
        label: label.to_string(),
        name: name.to_string(),
        id: Some(anchor(program, name)),
        href: Some((links.name)(program, name)),
        value: point.estimate,
        low: point.low,
        high: point.high,
        text: bar_text(point),
        tooltip: Some(bar_title(point)),
    }
}

/// The bars of a build property (version, os…): shares of reporting installations.
fn mix_chart(program: &str, title: &str, mix: &[Mix], exact: bool) -> String {
    let bars: Vec<Bar> = mix
        .iter()
        .map(|m| {
            let share = stats::Estimate {
                estimate: m.share,
                low: m.share_low,
                high: Some(m.share_high),
            };
            let text = if exact {
                format!(
                    "{} ({})",
                    plural(m.reports, "report", "reports"),
                    percent(m.share)
                )
            } else {
                format!(
                    "{} ({} of installations)",
                    plural(m.reports, "report", "reports"),
                    with_interval(&share, percent)
                )
            };
            Bar {
                low: if exact { m.share } else { m.share_low },
                high: Some(if exact { m.share } else { m.share_high }),
                id: Some(anchor(program, &format!("{title}={}", m.value))),
                ..Bar::new(&m.value, m.share, &text)
            }
        })
        .collect();
    format!(
        "<h3 id=\"{}\">{}</h3>\n{}\n",
        escape(&anchor(program, title)),
        escape(title),
        bar_chart(title, &bars)
    )
}

/// The charts of one program in one week.
pub fn program_charts(
    name: &str,
    week: &str,
    program: &ProgramAggregate,
    rates: &dyn RatesByKey,
    level: f64,
    links: &Links,
) -> String {
    let z = stats::z(level);
    let reporting = series::reporting(week, program, z);
    let mut out = String::new();
    let installations = stats::Estimate {
        estimate: reporting.installations,
        low: reporting.low,
        high: Some(reporting.high),
    };
    let _ = writeln!(
        out,
        "<h2 id=\"{0}\"><a href=\"{1}\">{0}</a></h2>\n<p>{2}{3}.</p>",
        escape(name),
        escape(&(links.program)(name)),
        plural(program.n, "report", "reports"),
        if reporting.exact {
            String::new()
        } else {
            format!(
                ", from an estimated {} reporting installations",
                with_interval(&installations, number)
            )
        }
    );
    out.push_str(&mix_chart(
        name,
        "version",
        &reporting.versions,
        reporting.exact,
    ));
    out.push_str(&mix_chart(name, "os", &reporting.os, reporting.exact));
    out.push_str(&mix_chart(name, "arch", &reporting.arch, reporting.exact));
    out.push_str(&mix_chart(
        name,
        "toolchain",
        &reporting.toolchains,
        reporting.exact,
    ));
    // Chart → its bars, with the numbers of each.
    let mut charts: BTreeMap<String, Vec<(String, String, Point)>> = BTreeMap::new();
    for counter in program.counters.keys() {
        let Some(point) = series::point(week, name, program, Kind::Counter, counter, rates, level)
        else {
            continue;
        };
        let (chart, bucket) = chart_of(counter);
        charts
            .entry(chart)
            .or_default()
            .push((counter.clone(), bucket, point));
    }
    for (chart, mut bars) in charts {
        if order::is_histogram(bars.iter().map(|(_, bucket, _)| bucket.as_str())) {
            bars.sort_by(|a, b| telemetry_rules::bucket::cmp_labels(&a.1, &b.1));
        } else {
            bars.sort_by(|a, b| b.2.estimate.total_cmp(&a.2.estimate).then(a.1.cmp(&b.1)));
        }
        let bars: Vec<Bar> = bars
            .iter()
            .map(|(counter, bucket, point)| name_bar(name, counter, bucket, point, links))
            .collect();
        // A family has a page of its own; a group of plain counters does not.
        let heading = if chart.ends_with("/*") {
            escape(&chart)
        } else {
            format!(
                "<a href=\"{}\">{}</a>",
                escape(&(links.name)(name, &chart)),
                escape(&chart)
            )
        };
        let _ = writeln!(
            out,
            "<h3 id=\"{}\">{heading}</h3>\n{}",
            escape(&anchor(name, &chart)),
            bar_chart(&chart, &bars)
        );
    }
    if !program.stacks.is_empty() {
        out.push_str(&stack_table(name, week, program, rates, level, links));
    }
    out
}

/// The top chains of a program's stack counters.
fn stack_table(
    name: &str,
    week: &str,
    program: &ProgramAggregate,
    rates: &dyn RatesByKey,
    level: f64,
    links: &Links,
) -> String {
    let mut chains: Vec<(&String, Point)> = program
        .stacks
        .keys()
        .filter_map(|chain| {
            Some((
                chain,
                series::point(week, name, program, Kind::Chain, chain, rates, level)?,
            ))
        })
        .collect();
    chains.sort_by(|a, b| b.1.estimate.total_cmp(&a.1.estimate).then(a.0.cmp(b.0)));
    let mut out = String::from(
        "<h3>stack counters (top chains)</h3>\n<table class=\"stacks\">\
         <tr><th>chain (innermost first)</th><th class=\"num\">reports</th>\
         <th class=\"num\">count</th><th class=\"num\">estimate</th></tr>\n",
    );
    for (chain, point) in chains.into_iter().take(50) {
        let frames: Vec<String> = chain.split('\n').map(escape).collect();
        let _ = writeln!(
            out,
            "<tr id=\"{}\"><td><a href=\"{}\"><code>{}</code></a></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&anchor(name, chain)),
            escape(&(links.name)(name, chain)),
            frames.join("</code><br><code>"),
            point.carrying,
            point.total,
            with_interval(&point.total_estimate(), number)
        );
    }
    out.push_str("</table>\n");
    out
}

/// The body of a charts page: links to every week, then the charts of `week` (the
/// latest when `None`), each program in turn, every number at `level` from the rates
/// of each report's config (`rates`). `label` names some weeks otherwise than by their
/// date: a week for which it gives a name is linked by that name, and its charts are
/// captioned as the week that ends on its date, that name after it (`telemetry view`
/// names so the week still running: "this week so far").
pub fn week_charts(
    aggregate: &Aggregate,
    rates: &dyn RatesByKey,
    week: Option<&str>,
    level: f64,
    links: &Links,
    label: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    let Some(week) = week.or(aggregate.latest_week()) else {
        out.push_str("<p>No reports yet.</p>\n");
        return out;
    };
    let exact = aggregate.weeks.get(week).is_some_and(|programs| {
        programs.values().all(|p| {
            p.installations_var == 0.0 && p.counters.values().all(|c| c.estimate_var == 0.0)
        })
    });
    if exact {
        out.push_str(
            "<p class=\"note\">Every number is a count: nothing of these reports was sampled \
             away.</p>\n<p>Weeks:",
        );
    } else {
        let _ = write!(
            out,
            "<p class=\"note\">Bars are sampling-aware estimates: a report that carried a \
             counter sampled at rate p stands for 1/p reports. Each says its interval at \
             {} in parentheses, and how many reports carried it.</p>\n<p>Weeks:",
            level_text(stats::clamp_level(level))
        );
    }
    for w in aggregate.weeks.keys().rev() {
        let name = label(w).unwrap_or_else(|| w.clone());
        if w == week {
            let _ = write!(out, " <strong>{}</strong>", escape(&name));
        } else {
            let _ = write!(
                out,
                " <a href=\"{}\">{}</a>",
                escape(&(links.week)(w)),
                escape(&name)
            );
        }
    }
    out.push_str("</p>\n");
    match aggregate.weeks.get(week) {
        None => {
            let _ = writeln!(out, "<p>No reports for the week {}.</p>", escape(week));
        }
        Some(programs) => {
            let _ = match label(week) {
                Some(name) => writeln!(
                    out,
                    "<p>The week that ends on {}: {}.</p>",
                    escape(week),
                    escape(&name)
                ),
                None => writeln!(out, "<p>The week that ended on {}.</p>", escape(week)),
            };
            for (name, program) in programs {
                out.push_str(&program_charts(name, week, program, rates, level, links));
            }
        }
    }
    out
}

/// [`week_charts`] of the collection server at `level`, weighed by the `rates` of the
/// configs its reports were sampled at, every page linked to [`SERVER_LINKS`].
pub fn charts(
    aggregate: &Aggregate,
    rates: &dyn RatesByKey,
    week: Option<&str>,
    level: f64,
) -> String {
    week_charts(aggregate, rates, week, level, &SERVER_LINKS, &|_| None)
}

/// [`week_charts`] of a user's own reports, which were not sampled: every number is a
/// count. Names link to [`LOCAL_LINKS`]' pages.
pub fn charts_labelled(
    aggregate: &Aggregate,
    week: Option<&str>,
    link: &dyn Fn(&str) -> String,
    label: &dyn Fn(&str) -> Option<String>,
) -> String {
    let links = Links {
        week: link,
        ..LOCAL_LINKS
    };
    week_charts(aggregate, &Unsampled, week, stats::LEVEL, &links, label)
}

fn local_week(week: &str) -> String {
    format!("/?week={week}")
}

fn local_name(program: &str, name: &str) -> String {
    format!(
        "/trend?program={}&counter={}",
        super::url_encode(program),
        super::url_encode(name)
    )
}

fn local_program(program: &str) -> String {
    format!("/trends?program={}", super::url_encode(program))
}

fn server_week(week: &str) -> String {
    format!("/charts?week={week}")
}

/// Where the collection server serves each page: a week's charts at `/charts?week=`, a
/// program's trends at `/trends?program=`, a name's page at `/trend?program=&counter=`
/// (the same paths as `telemetry view`'s, but for the week).
pub const SERVER_LINKS: Links<'static> = Links {
    week: &server_week,
    name: &local_name,
    program: &local_program,
};

/// Where `telemetry view` serves each page: the week's charts at `/?week=`, a
/// program's trends at `/trends?program=`, a name's page at
/// `/trend?program=&counter=`.
pub const LOCAL_LINKS: Links<'static> = Links {
    week: &local_week,
    name: &local_name,
    program: &local_program,
};
