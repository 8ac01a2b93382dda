//! HTML and SVG, drawn on the server side: every page is plain HTML with its charts
//! inline as SVG, readable without JavaScript, styled by one stylesheet ([`STYLE`]) so
//! a strict `Content-Security-Policy` (no inline style, no script) holds.

use std::collections::BTreeMap;
use std::fmt::Write;

use telemetry_rules::bucket;

use crate::aggregate::{Aggregate, Cell, ProgramAggregate};

/// The stylesheet every page links to, served as `/style.css`.
pub const STYLE: &str = "\
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}
nav a{margin-right:1rem}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem}h3{font-size:1.05rem;margin-bottom:.2rem}
code{font-size:.9em}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
svg.chart{display:block;max-width:100%;height:auto}
svg.chart rect.bar{fill:#3b6ea8}
svg.chart text{font-size:12px;fill:#1b1b1b}
svg.chart text.value{fill:#444}
p.note{color:#555;font-size:.9rem}
";

/// Escapes text for HTML and SVG, in element content and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: the site's name and navigation around `body` (HTML already escaped).
pub fn page(site: &str, nav: &[(&str, &str)], title: &str, body: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · {}</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n\
         <link rel=\"icon\" href=\"data:,\">\n</head>\n<body>\n<nav>",
        escape(title),
        escape(site)
    );
    for (href, label) in nav {
        let _ = write!(out, "<a href=\"{}\">{}</a>", escape(href), escape(label));
    }
    let _ = write!(
        out,
        "</nav>\n<h1>{}</h1>\n{body}\n</body>\n</html>\n",
        escape(title)
    );
    out
}

/// One bar of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// What it stands for.
    pub label: String,
    /// Its length.
    pub value: f64,
    /// The text written after it.
    pub text: String,
}

/// A horizontal bar chart as inline SVG: one `rect class="bar"` per bar, in the order
/// given, each with a tooltip.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    const LABEL: f64 = 230.0;
    const WIDTH: f64 = 330.0;
    const ROW: f64 = 22.0;
    let height = ROW * bars.len() as f64 + 6.0;
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"{height}\" \
         viewBox=\"0 0 760 {height}\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = ROW * i as f64 + 3.0;
        let width = if max > 0.0 {
            (bar.value / max * WIDTH).max(1.0)
        } else {
            1.0
        };
        let _ = write!(
            out,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"{LABEL}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\">\
             <title>{}: {}</title></rect>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            LABEL - 6.0,
            y + 14.0,
            escape(&bar.label),
            ROW - 6.0,
            escape(&bar.label),
            escape(&bar.text),
            LABEL + width + 6.0,
            y + 14.0,
            escape(&bar.text),
        );
    }
    out.push_str("</svg>");
    out
}

/// A number for people: integers as they are, others with at most one decimal.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

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

/// The buckets of a chart in the order they are drawn: a histogram's by bound, other
/// labels by estimate, largest first.
fn ordered<'a>(mut buckets: Vec<(&'a str, &'a Cell)>) -> Vec<(&'a str, &'a Cell)> {
    if buckets
        .iter()
        .all(|(label, _)| bucket::bound(label).is_some())
    {
        buckets.sort_by(|a, b| bucket::cmp_labels(a.0, b.0));
    } else {
        buckets.sort_by(|a, b| b.1.estimate.total_cmp(&a.1.estimate).then(a.0.cmp(b.0)));
    }
    buckets
}

fn tally_chart(title: &str, tally: &BTreeMap<String, u64>) -> String {
    let mut rows: Vec<_> = tally.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let bars: Vec<Bar> = rows
        .into_iter()
        .map(|(label, n)| Bar {
            label: label.clone(),
            value: *n as f64,
            text: format!("{n} reports"),
        })
        .collect();
    format!("<h3>{}</h3>\n{}\n", escape(title), bar_chart(title, &bars))
}

/// The charts of one program in one week.
pub fn program_charts(name: &str, program: &ProgramAggregate) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h2 id=\"{0}\">{0}</h2>\n<p>{1} reports (estimated {2} after sampling).</p>",
        escape(name),
        program.n,
        number(program.reports)
    );
    out.push_str(&tally_chart("version", &program.versions));
    out.push_str(&tally_chart("os", &program.os));
    out.push_str(&tally_chart("arch", &program.arch));
    out.push_str(&tally_chart("toolchain", &program.toolchains));
    let mut charts: BTreeMap<String, Vec<(String, &Cell)>> = BTreeMap::new();
    for (counter, cell) in &program.counters {
        let (chart, bucket) = chart_of(counter);
        charts.entry(chart).or_default().push((bucket, cell));
    }
    for (chart, buckets) in &charts {
        let buckets = ordered(buckets.iter().map(|(l, c)| (l.as_str(), *c)).collect());
        let bars: Vec<Bar> = buckets
            .iter()
            .map(|(label, cell)| Bar {
                label: label.to_string(),
                value: cell.estimate,
                text: format!(
                    "≈{} (n={}, in ≈{} reports)",
                    number(cell.estimate),
                    cell.n,
                    number(cell.reports)
                ),
            })
            .collect();
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n{}",
            escape(chart),
            bar_chart(chart, &bars)
        );
    }
    if !program.stacks.is_empty() {
        let mut chains: Vec<_> = program.stacks.iter().collect();
        chains.sort_by(|a, b| b.1.estimate.total_cmp(&a.1.estimate).then(a.0.cmp(b.0)));
        out.push_str(
            "<h3>stack counters (top chains)</h3>\n<table class=\"stacks\">\
             <tr><th>chain (innermost first)</th><th class=\"num\">n</th>\
             <th class=\"num\">count</th><th class=\"num\">estimate</th></tr>\n",
        );
        for (chain, cell) in chains.into_iter().take(50) {
            let frames: Vec<String> = chain.split('\n').map(escape).collect();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                frames.join("</code><br><code>"),
                cell.n,
                cell.total,
                number(cell.estimate)
            );
        }
        out.push_str("</table>\n");
    }
    out
}

/// The body of a charts page: links to every week, then the charts of `week` (the
/// latest when `None`), each program in turn. `link` makes a week's address.
pub fn charts(aggregate: &Aggregate, week: Option<&str>, link: &dyn Fn(&str) -> String) -> String {
    charts_labelled(aggregate, week, link, &|_| None)
}

/// [`charts`], with some weeks named otherwise than by their date: a week for which
/// `label` gives a name is linked by that name, and its charts are captioned as the
/// week that ends on its date, that name after it. `telemetry view` names so the week
/// still running, drawn from its counter files: "this week so far".
pub fn charts_labelled(
    aggregate: &Aggregate,
    week: Option<&str>,
    link: &dyn Fn(&str) -> String,
    label: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    let Some(week) = week.or(aggregate.latest_week()) else {
        out.push_str("<p>No reports yet.</p>\n");
        return out;
    };
    out.push_str(
        "<p class=\"note\">Bars are sampling-aware estimates: a report that carried a \
         counter sampled at rate p stands for 1/p reports. n is the number of reports \
         behind each estimate.</p>\n<p>Weeks:",
    );
    for w in aggregate.weeks.keys().rev() {
        let name = label(w).unwrap_or_else(|| w.clone());
        if w == week {
            let _ = write!(out, " <strong>{}</strong>", escape(&name));
        } else {
            let _ = write!(
                out,
                " <a href=\"{}\">{}</a>",
                escape(&link(w)),
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
                out.push_str(&program_charts(name, program));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn one_rect_per_bar_in_order() {
        let bars: Vec<Bar> = (1..=3)
            .map(|i| Bar {
                label: format!("b{i}"),
                value: i as f64,
                text: i.to_string(),
            })
            .collect();
        let svg = bar_chart("t", &bars);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        let first = svg.find(">b1<").unwrap_or(usize::MAX);
        let third = svg.find(">b3<").unwrap_or(0);
        assert!(first < third);
    }

    #[test]
    fn histogram_buckets_sort_by_bound() {
        let cell = Cell::default();
        let labels = [">=500ms", "<5ms", "<1ms", "<100ms", "<1s"];
        let sorted: Vec<&str> = ordered(labels.iter().map(|l| (*l, &cell)).collect())
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(sorted, ["<1ms", "<5ms", "<100ms", "<1s", ">=500ms"]);
    }

    #[test]
    fn labelled_weeks_are_linked_and_captioned_by_their_name() {
        let report =
            |week: &str| test_support::kv_report(week, 0.5, "", &[("kv/command:get", 3)], &[]);
        let mut aggregate = Aggregate::new();
        aggregate.add(&report("2026-11-26"), &crate::Unsampled);
        aggregate.add(&report("2026-12-03"), &crate::Unsampled);
        let link = |w: &str| format!("/?week={w}");
        let label = |w: &str| (w == "2026-12-03").then(|| "this week so far".to_string());
        let running = charts_labelled(&aggregate, None, &link, &label);
        assert!(running.contains(
            "<p>Weeks: <strong>this week so far</strong> <a href=\"/?week=2026-11-26\">2026-11-26</a></p>"
        ));
        assert!(running.contains("<p>The week that ends on 2026-12-03: this week so far.</p>"));
        let past = charts_labelled(&aggregate, Some("2026-11-26"), &link, &label);
        assert!(past.contains(
            "<p>Weeks: <a href=\"/?week=2026-12-03\">this week so far</a> <strong>2026-11-26</strong></p>"
        ));
        assert!(past.contains("<p>The week that ended on 2026-11-26.</p>"));
        // Without labels, the page is the server's, byte for byte.
        assert_eq!(
            charts_labelled(&aggregate, None, &link, &|_| None),
            charts(&aggregate, None, &link)
        );
    }

    #[test]
    fn charts_group_by_prefix() {
        assert_eq!(
            chart_of("kv/command:get"),
            ("kv/command".into(), "get".into())
        );
        assert_eq!(
            chart_of("kv/commands/get"),
            ("kv/commands/*".into(), "get".into())
        );
        assert_eq!(chart_of("solo"), ("solo".into(), "solo".into()));
    }
}
