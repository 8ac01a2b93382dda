//! Pages across weeks: every program's participation, one program's trends (its
//! reporting installations, the mix of its builds, every name it counts), one name's
//! own page, and the "decide" summary. All drawn from [`crate::series`] and
//! [`crate::decide`], the computation the JSON API answers with.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{
    Bar, ChartPoint, Links, OPT_IN, anchor, escape, histogram_chart, level_text, number, percent,
    plural, sparkline, trend_chart, with_interval,
};
use crate::aggregate::Aggregate;
use crate::decide::Decide;
use crate::index::Indexed;
use crate::rates::{Rates, RatesByKey};
use crate::series::{self, Kind, Member, Numbers, Point, Reporting, Series};
use crate::stats::{self, Estimate};

/// Rates of no config: estimates are made from the reports alone (their shares as the
/// ratio of weighted counts), for callers that do not know the configs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRates;

impl RatesByKey for NoRates {
    fn rates(&self, _: &str) -> Option<&dyn Rates> {
        None
    }
}

/// A name as a title: a chain's frames joined by ` ← ` (innermost first).
pub fn display_name(name: &str) -> String {
    name.replace('\n', " ← ")
}

fn kind_text(kind: Kind) -> &'static str {
    match kind {
        Kind::Counter => "counter",
        Kind::Family => "family of labels",
        Kind::Histogram => "histogram",
        Kind::Stack => "stack counter",
        Kind::Chain => "stack chain",
    }
}

/// Whether every week's numbers of a series are counts.
fn all_exact(points: &[Point]) -> bool {
    points.iter().all(|p| p.exact)
}

fn share_points(points: &[Point]) -> Vec<ChartPoint> {
    points
        .iter()
        .map(|p| ChartPoint {
            week: p.week.clone(),
            value: p.share,
            low: p.share_low,
            high: Some(p.share_high),
            text: format!(
                "{} of reporting installations; {} of {}",
                with_interval(&p.share_estimate(), percent),
                p.carrying,
                plural(p.reports, "report", "reports")
            ),
        })
        .collect()
}

fn total_points(points: &[Point]) -> Vec<ChartPoint> {
    points
        .iter()
        .map(|p| ChartPoint {
            week: p.week.clone(),
            value: p.estimate,
            low: p.low,
            high: p.high,
            text: format!(
                "{} counted; {} of {}",
                with_interval(&p.total_estimate(), number),
                p.carrying,
                plural(p.reports, "report", "reports")
            ),
        })
        .collect()
}

/// A trend's points as a sparkline draws them: numbers only, no tooltip per point.
fn spark_points(points: &[(&str, Numbers)], share: bool) -> Vec<ChartPoint> {
    points
        .iter()
        .map(|(_, p)| {
            let (value, low, high) = if share {
                (p.share, p.share_low, Some(p.share_high))
            } else {
                (p.estimate, p.low, p.high)
            };
            ChartPoint {
                week: String::new(),
                value,
                low,
                high,
                text: String::new(),
            }
        })
        .collect()
}

/// A table row's cells for a name: its trend as a sparkline, then its latest week.
fn name_cells(title: &str, points: &[(&str, Numbers)], exact: bool) -> String {
    let Some(last) = points.last().map(|(week, numbers)| numbers.at(week)) else {
        return "<td></td><td></td><td></td><td></td>".into();
    };
    if exact {
        format!(
            "<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>",
            sparkline(title, &spark_points(points, false)),
            number(last.estimate),
            plural(last.carrying, "report", "reports"),
            escape(&last.week)
        )
    } else {
        format!(
            "<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} of {}</td>",
            sparkline(title, &spark_points(points, true)),
            with_interval(&last.share_estimate(), percent),
            with_interval(&last.total_estimate(), number),
            last.carrying,
            last.reports
        )
    }
}

fn names_header(exact: bool) -> &'static str {
    if exact {
        "<tr><th>name</th><th>kind</th><th>by week</th><th class=\"num\">latest count</th>\
         <th class=\"num\">in</th><th>week</th></tr>\n"
    } else {
        "<tr><th>name</th><th>kind</th><th>share, by week</th>\
         <th class=\"num\">share of installations</th><th class=\"num\">estimated count</th>\
         <th class=\"num\">reports carrying</th></tr>\n"
    }
}

/// The body of the index of programs: each with its latest week.
pub fn programs_page(aggregate: &Aggregate, level: f64, links: &Links) -> String {
    let z = stats::z(level);
    let mut out = String::new();
    let programs = series::programs(aggregate);
    if programs.is_empty() {
        out.push_str("<p>No reports yet.</p>\n");
        return out;
    }
    let mut rows = Vec::new();
    for program in programs {
        let weeks: Vec<(&String, Reporting)> = aggregate
            .weeks
            .iter()
            .filter_map(|(w, p)| Some((w, series::reporting(w, p.get(program)?, z))))
            .collect();
        if let Some((week, last)) = weeks.last() {
            rows.push((program, week.to_string(), last.clone(), weeks.len() as u64));
        }
    }
    let exact = rows.iter().all(|(_, _, last, _)| last.exact);
    out.push_str("<table><tr><th>program</th><th>latest week</th><th class=\"num\">reports</th>");
    if !exact {
        out.push_str("<th class=\"num\">reporting installations</th>");
    }
    out.push_str("<th class=\"num\">weeks</th></tr>\n");
    for (program, week, last, weeks) in rows {
        let _ = write!(
            out,
            "<tr id=\"{0}\"><td><a href=\"{1}\">{0}</a></td><td>{2}</td><td class=\"num\">{3}</td>",
            escape(program),
            escape(&(links.program)(program)),
            escape(&week),
            last.reports,
        );
        if !exact {
            let _ = write!(
                out,
                "<td class=\"num\">{}</td>",
                with_interval(&installations(&last), number)
            );
        }
        let _ = writeln!(out, "<td class=\"num\">{weeks}</td></tr>");
    }
    out.push_str("</table>\n");
    if !exact {
        out.push_str(OPT_IN);
    }
    out
}

fn installations(r: &Reporting) -> Estimate {
    Estimate {
        estimate: r.installations,
        low: r.low,
        high: Some(r.high),
    }
}

/// The mix of one build property across weeks: a row per value.
fn mix_table(
    title: &str,
    weeks: &[Reporting],
    pick: fn(&Reporting) -> &[series::Mix],
    z: f64,
    exact: bool,
) -> String {
    let mut values: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    // Ordered as the latest week orders them, then those no longer seen.
    for r in weeks.iter().rev() {
        for m in pick(r) {
            if seen.insert(m.value.clone()) {
                values.push(m.value.clone());
            }
        }
    }
    let mut out = format!(
        "<h3>{}</h3>\n<table><tr><th>{}</th><th>share, by week</th>\
         <th class=\"num\">latest share</th><th class=\"num\">latest reports</th></tr>\n",
        escape(title),
        escape(title)
    );
    for value in values {
        let points: Vec<ChartPoint> = weeks
            .iter()
            .map(|r| {
                let found = pick(r).iter().find(|m| m.value == value);
                let (share, low, high, n) = match found {
                    Some(m) => (m.share, m.share_low, m.share_high, m.reports),
                    None => {
                        let fraction = (r.reports as f64 / r.installations.max(1.0)).min(1.0);
                        let e = stats::wilson(0.0, r.reports as f64, fraction, z);
                        (0.0, 0.0, e.high.unwrap_or(0.0), 0)
                    }
                };
                ChartPoint {
                    week: r.week.clone(),
                    value: share,
                    low,
                    high: Some(high),
                    text: plural(n, "report", "reports"),
                }
            })
            .collect();
        let last = points.last().cloned();
        let latest = last.map_or_else(String::new, |p| {
            let e = Estimate {
                estimate: p.value,
                low: p.low,
                high: p.high,
            };
            if exact {
                percent(p.value)
            } else {
                with_interval(&e, percent)
            }
        });
        let reports = weeks
            .last()
            .and_then(|r| pick(r).iter().find(|m| m.value == value))
            .map_or(0, |m| m.reports);
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{latest}</td>\
             <td class=\"num\">{reports}</td></tr>",
            escape(&value),
            sparkline(&format!("{title} {value}"), &points)
        );
    }
    out.push_str("</table>\n");
    out
}

/// A program's reporting installations and the mix of its builds, week by week.
fn installations_section(
    program: &str,
    participation: &series::Participation,
    exact: bool,
    z: f64,
) -> String {
    let weeks = &participation.weeks;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h2 id=\"installations\">Reporting installations</h2>\n<p class=\"note\">{}</p>",
        if exact {
            "Reports per week: exact counts.".to_string()
        } else {
            format!(
                "Each week's reports stand for an estimated number of installations that \
                 upload (reports ÷ the sample rate in force), with its interval at {}.",
                level_text(participation.level)
            )
        }
    );
    let points: Vec<ChartPoint> = weeks
        .iter()
        .map(|r| ChartPoint {
            week: r.week.clone(),
            value: r.installations,
            low: r.low,
            high: Some(r.high),
            text: format!(
                "{} from {}",
                with_interval(&installations(r), number),
                plural(r.reports, "report", "reports")
            ),
        })
        .collect();
    out.push_str(&trend_chart(
        &format!("{program}: reporting installations"),
        &points,
        number,
    ));
    out.push_str(
        "\n<table><tr><th>week</th><th class=\"num\">reports</th>\
         <th class=\"num\">reporting installations</th></tr>\n",
    );
    for (i, r) in weeks.iter().enumerate().rev() {
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if i + 1 == weeks.len() {
                " class=\"latest\""
            } else {
                ""
            },
            escape(&r.week),
            r.reports,
            with_interval(&installations(r), number)
        );
    }
    out.push_str("</table>\n<h2 id=\"builds\">Versions, toolchains, systems</h2>\n");
    out.push_str(&mix_table("version", weeks, |r| &r.versions, z, exact));
    out.push_str(&mix_table("toolchain", weeks, |r| &r.toolchains, z, exact));
    out.push_str(&mix_table("os", weeks, |r| &r.os, z, exact));
    out.push_str(&mix_table("arch", weeks, |r| &r.arch, z, exact));
    out
}

/// The body of one program's trends at `level`: its reporting installations week by
/// week, the mix of its builds, and every name it counts with its trend, a stack
/// counter as one row linking to its page, where its chains are. `None` when the
/// program never reported.
pub fn program_page(
    indexed: &Indexed,
    rates: &dyn RatesByKey,
    program: &str,
    level: f64,
    links: &Links,
    decide: Option<&str>,
    installations_shown: bool,
) -> Option<String> {
    let aggregate = indexed.aggregate();
    let participation = series::participation(aggregate, program, level)?;
    let z = stats::z(level);
    let weeks = &participation.weeks;
    let exact = weeks.iter().all(|w| w.exact);
    let mut out = String::new();
    if !exact {
        out.push_str(OPT_IN);
    }
    if let Some(decide) = decide {
        let _ = writeln!(
            out,
            "<p><a href=\"{}\">Decide</a>: what is rarely used, what moved, which versions are \
             in use.</p>",
            escape(decide)
        );
    }
    if installations_shown {
        out.push_str(&installations_section(program, &participation, exact, z));
    }
    out.push_str("<h2 id=\"counters\">Counters</h2>\n");
    out.push_str("<table class=\"names\">");
    out.push_str(names_header(exact));
    let names = indexed.names(program, rates);
    // Families first with their members under them, then plain counters, then stack
    // counters; chains are on their stack counter's page.
    let mut rows: BTreeMap<String, Vec<(Kind, String)>> = BTreeMap::new();
    for (kind, name) in &names {
        let group = match kind {
            Kind::Chain => continue,
            Kind::Counter => series::family_of(name).unwrap_or(name).to_string(),
            _ => name.clone(),
        };
        rows.entry(group).or_default().push((*kind, name.clone()));
    }
    for members in rows.values_mut() {
        // The family first, then its members (a histogram's by bound).
        members.sort_by(|a, b| {
            let family = |k: &Kind| !matches!(k, Kind::Counter);
            family(&b.0)
                .cmp(&family(&a.0))
                .then_with(|| telemetry_rules::bucket::cmp_names(&a.1, &b.1))
        });
    }
    // A trend of shares needs the interval of the total of the latest week only; a
    // trend of counts, of every week.
    let trends = indexed.numbers_of_each(rates, program, &names, level, exact);
    for (kind, name) in rows.values().flatten() {
        let Some(weeks) = trends.get(&(*kind, name.clone())) else {
            continue;
        };
        if weeks.is_empty() {
            continue;
        }
        let member = *kind == Kind::Counter && series::family_of(name).is_some();
        let _ = writeln!(
            out,
            "<tr id=\"{}\"><td>{}<a href=\"{}\"><code>{}</code></a></td><td>{}</td>{}</tr>",
            escape(&anchor(program, name)),
            if member { "&nbsp;&nbsp;" } else { "" },
            escape(&(links.name)(program, name)),
            escape(name),
            kind_text(*kind),
            name_cells(name, weeks, exact)
        );
    }
    out.push_str("</table>\n");
    Some(out)
}

/// The body of the page of one name of a program at `level`, with the histogram (for a
/// histogram) of `week` (the latest when `None`). `None` when the program never reported
/// it and no config collects it.
pub fn counter_page(
    aggregate: &Aggregate,
    rates: &dyn RatesByKey,
    program: &str,
    counter: &str,
    week: Option<&str>,
    level: f64,
    links: &Links,
) -> Option<String> {
    let s = series::series(aggregate, rates, program, counter, level)?;
    let exact = all_exact(&s.weeks) && s.members.iter().all(|m| all_exact(&m.weeks));
    let mut out = String::new();
    let _ = write!(
        out,
        "<p>The {} <code>{}</code> of <a href=\"{}\">{}</a>",
        kind_text(s.kind),
        escape(&display_name(counter)),
        escape(&(links.program)(program)),
        escape(program),
    );
    match s.weeks.last() {
        Some(last) => {
            let _ = writeln!(
                out,
                ": in the week of {}, {} of {} carried it.</p>",
                escape(&last.week),
                last.carrying,
                plural(last.reports, "report", "reports")
            );
        }
        None => out.push_str(": no week of reports could carry it yet.</p>\n"),
    }
    if !exact {
        out.push_str(OPT_IN);
        let _ = writeln!(
            out,
            "<p class=\"note\">Intervals at {}; a dashed line has no upper end (no report \
             carried it, and the counts of installations sampled away could be any).</p>",
            level_text(s.level)
        );
        let _ = writeln!(
            out,
            "<h2>Share of reporting installations</h2>\n{}",
            trend_chart(&display_name(counter), &share_points(&s.weeks), percent)
        );
    }
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n{}",
        if exact { "Count" } else { "Estimated count" },
        trend_chart(&display_name(counter), &total_points(&s.weeks), number)
    );
    if s.kind == Kind::Histogram {
        out.push_str(&histogram_section(&s, program, week, exact, links));
    }
    if !s.members.is_empty() {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<table class=\"names\">{}",
            if s.kind == Kind::Stack {
                "Chains"
            } else {
                "Members"
            },
            names_header(exact)
        );
        for Member {
            counter: name,
            weeks,
        } in &s.members
        {
            let kind = if s.kind == Kind::Stack {
                Kind::Chain
            } else {
                Kind::Counter
            };
            let frames: Vec<String> = name.split('\n').map(escape).collect();
            let _ = writeln!(
                out,
                "<tr id=\"{}\"><td><a href=\"{}\"><code>{}</code></a></td><td>{}</td>{}</tr>",
                escape(&anchor(program, name)),
                escape(&(links.name)(program, name)),
                frames.join("</code><br><code>"),
                kind_text(kind),
                name_cells(name, &Numbers::of_each(weeks), exact)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str(&weeks_table(&s.weeks, exact));
    Some(out)
}

/// A histogram of one week: its buckets in order of their bounds.
fn histogram_section(
    s: &Series,
    program: &str,
    week: Option<&str>,
    exact: bool,
    links: &Links,
) -> String {
    let weeks: Vec<&str> = s.weeks.iter().map(|p| p.week.as_str()).collect();
    // The week asked for, else the latest in which any bucket was counted.
    let latest_counted = s
        .weeks
        .iter()
        .rev()
        .find(|p| p.carrying > 0)
        .map(|p| p.week.as_str());
    let Some(shown) = week
        .filter(|w| weeks.contains(w))
        .or(latest_counted)
        .or(weeks.last().copied())
    else {
        return String::new();
    };
    let bars: Vec<Bar> = s
        .members
        .iter()
        .filter_map(|m| {
            let p = m.weeks.iter().find(|p| p.week == shown)?;
            let text = if exact {
                format!(
                    "{} in {}",
                    number(p.estimate),
                    plural(p.carrying, "report", "reports")
                )
            } else {
                format!(
                    "{} in {} of {}",
                    with_interval(&p.total_estimate(), number),
                    p.carrying,
                    plural(p.reports, "report", "reports")
                )
            };
            Some(Bar {
                id: Some(format!("{}@{shown}", anchor(program, &m.counter))),
                href: Some((links.name)(program, &m.counter)),
                low: p.low,
                high: p.high,
                name: m.counter.clone(),
                ..Bar::new(series::bucket_of(&m.counter), p.estimate, &text)
            })
        })
        .collect();
    let mut out = format!("<h2>Histogram, week of {}</h2>\n<p>Weeks:", escape(shown));
    for w in weeks.iter().rev() {
        if *w == shown {
            let _ = write!(out, " <strong>{}</strong>", escape(w));
        } else {
            let page = (links.name)(program, &s.counter);
            let join = if page.contains('?') { '&' } else { '?' };
            let _ = write!(
                out,
                " <a href=\"{}\">{}</a>",
                escape(&format!("{page}{join}week={w}")),
                escape(w)
            );
        }
    }
    out.push_str("</p>\n");
    out.push_str(&histogram_chart(&s.counter, &bars, number));
    out.push('\n');
    out
}

/// Every week's numbers as a table, the latest first.
fn weeks_table(points: &[Point], exact: bool) -> String {
    let mut out = String::from("<h2>By week</h2>\n<table>");
    if exact {
        out.push_str(
            "<tr><th>week</th><th class=\"num\">reports</th><th class=\"num\">carrying</th>\
             <th class=\"num\">count</th></tr>\n",
        );
    } else {
        out.push_str(
            "<tr><th>week</th><th class=\"num\">reports</th><th class=\"num\">carrying</th>\
             <th class=\"num\">share of installations</th><th class=\"num\">estimated count</th>\
             </tr>\n",
        );
    }
    for (i, p) in points.iter().enumerate().rev() {
        let class = if i + 1 == points.len() {
            " class=\"latest\""
        } else {
            ""
        };
        if exact {
            let _ = writeln!(
                out,
                "<tr{class}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                escape(&p.week),
                p.reports,
                p.carrying,
                number(p.estimate)
            );
        } else {
            let _ = writeln!(
                out,
                "<tr{class}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&p.week),
                p.reports,
                p.carrying,
                with_interval(&p.share_estimate(), percent),
                with_interval(&p.total_estimate(), number)
            );
        }
    }
    out.push_str("</table>\n");
    out
}

/// The body of the "decide" summary. `threshold_link` makes the address of the same
/// summary with another threshold.
pub fn decide_page(d: &Decide, links: &Links, threshold_link: &dyn Fn(f64) -> String) -> String {
    let level = level_text(d.level);
    let week = &d.reporting.week;
    let mut out = String::new();
    out.push_str(OPT_IN);
    let _ = writeln!(
        out,
        "<p>The week of {} of <a href=\"{}\">{}</a>: {}, an estimated {} reporting \
         installations. Intervals at {level}.</p>",
        escape(week),
        escape(&(links.program)(&d.program)),
        escape(&d.program),
        plural(d.reporting.reports, "report", "reports"),
        with_interval(&installations(&d.reporting), number)
    );
    let _ = write!(
        out,
        "<h2 id=\"rare\">Used by fewer than {} of reporting installations</h2>\n\
         <p>Other thresholds:",
        percent(d.below)
    );
    for t in [0.001, 0.004, 0.01, 0.05, 0.1] {
        if t == d.below {
            let _ = write!(out, " <strong>{}</strong>", percent(t));
        } else {
            let _ = write!(
                out,
                " <a href=\"{}\">{}</a>",
                escape(&threshold_link(t)),
                percent(t)
            );
        }
    }
    out.push_str(" (or any, as <code>?below=0.4%</code>).</p>\n");
    if d.rare.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p class=\"note\">Surest first. \"Below\" means even the upper bound of the \
             share is under {}, at {level}; \"may be above\" means the data cannot yet tell \
             (more weeks, or a higher sample rate, narrow the interval).</p>\n\
             <table><tr><th>name</th><th>kind</th><th class=\"num\">share</th>\
             <th class=\"num\">upper bound</th><th class=\"num\">reports carrying</th>\
             <th>verdict</th></tr>",
            percent(d.below)
        );
        for r in &d.rare {
            let _ = writeln!(
                out,
                "<tr id=\"{}\"><td><a href=\"{}\"><code>{}</code></a></td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} of {}</td>\
                 <td>{}</td></tr>",
                escape(&anchor(&d.program, &r.counter)),
                escape(&(links.name)(&d.program, &r.counter)),
                escape(&r.counter),
                kind_text(r.kind),
                percent(r.week.share),
                percent(r.week.share_high),
                r.week.carrying,
                r.week.reports,
                if r.confident {
                    format!("below {}", percent(d.below))
                } else {
                    "<span class=\"within\">may be above</span>".to_string()
                }
            );
        }
        out.push_str("</table>\n");
    }
    match &d.previous {
        None => out.push_str(
            "<h2 id=\"moved\">Moved most</h2>\n<p>Only one week of reports: nothing to \
             compare with yet.</p>\n",
        ),
        Some(previous) => {
            let _ = writeln!(
                out,
                "<h2 id=\"moved\">Moved most since {}</h2>\n<p class=\"note\">The change of \
                 the share of reporting installations, with its interval at {level} (computed \
                 as if the two weeks were independent samples; they share installations, so \
                 the true interval is narrower).</p>",
                escape(previous)
            );
            if d.movers.is_empty() {
                out.push_str("<p>Nothing was reported in both weeks.</p>\n");
            } else {
                out.push_str(
                    "<table><tr><th>name</th><th class=\"num\">before</th>\
                     <th class=\"num\">after</th><th class=\"num\">change</th><th></th></tr>\n",
                );
                for m in &d.movers {
                    let signed = |v: f64| {
                        let p = percent(v.abs());
                        if v < 0.0 {
                            format!("−{p}")
                        } else {
                            format!("+{p}")
                        }
                    };
                    let _ = writeln!(
                        out,
                        "<tr><td><a href=\"{}\"><code>{}</code></a></td><td class=\"num\">{}</td>\
                         <td class=\"num\">{}</td><td class=\"num\">{} ({} to {})</td><td>{}</td></tr>",
                        escape(&(links.name)(&d.program, &m.counter)),
                        escape(&m.counter),
                        percent(m.before.share),
                        percent(m.after.share),
                        signed(m.change),
                        signed(m.change_low),
                        signed(m.change_high),
                        if m.beyond_noise {
                            "beyond noise"
                        } else {
                            "<span class=\"within\">within noise</span>"
                        }
                    );
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str(
        "<h2 id=\"versions\">Versions in use</h2>\n<table><tr><th>version</th>\
         <th class=\"num\">reports</th><th class=\"num\">share of installations</th></tr>\n",
    );
    for m in &d.versions {
        let share = Estimate {
            estimate: m.share,
            low: m.share_low,
            high: Some(m.share_high),
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&m.value),
            m.reports,
            with_interval(&share, percent)
        );
    }
    out.push_str("</table>\n");
    out
}
