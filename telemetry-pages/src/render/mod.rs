//! HTML and SVG, drawn on the server side: every page is plain HTML with its charts
//! inline as SVG, readable without JavaScript, styled by one stylesheet ([`STYLE`]) so
//! a strict `Content-Security-Policy` (no inline style, no script) holds.
//!
//! Every chart and every bar, point or row names its full counter name, visibly or as
//! its `<title>` and its anchor `id` (`program:name`), so a reader can search a page
//! for a name and link to it; every chart of a name links to that name's own page.
//! Numbers with no sampling error (a user's own reports, or a collector sampling
//! nothing away) are written as counts; estimates are written with `≈` and their
//! interval.

mod svg;
mod trends;
mod week;

pub use svg::{Bar, Point as ChartPoint, bar_chart, histogram_chart, sparkline, trend_chart};
pub use trends::{NoRates, counter_page, decide_page, display_name, program_page, programs_page};
pub use week::{
    LOCAL_LINKS, SERVER_LINKS, chart_of, charts, charts_labelled, program_charts, week_charts,
};

use std::fmt::Write;

use crate::stats::Estimate;

/// The stylesheet every page links to, served as `/style.css`.
pub const STYLE: &str = "\
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}
nav a{margin-right:1rem}
h1{font-size:1.6rem;overflow-wrap:anywhere}h2{font-size:1.3rem;margin-top:2rem}h3{font-size:1.05rem;margin-bottom:.2rem}
code{font-size:.9em}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.latest td{font-weight:600}
svg.chart{display:block;max-width:100%;height:auto}
svg.chart rect.bar{fill:#3b6ea8}
svg.chart rect.bar.latest{fill:#c2571a}
svg.chart text{font-size:12px;fill:#1b1b1b}
svg.chart text.value{fill:#444}
svg.chart line.axis{stroke:#888}
svg.chart line.grid{stroke:#e4e4e4}
svg.chart line.whisker{stroke:#1b1b1b;stroke-width:1.2}
svg.chart line.open{stroke:#1b1b1b;stroke-width:1.2;stroke-dasharray:3 3}
svg.chart polyline.line{fill:none;stroke:#3b6ea8;stroke-width:1.5}
svg.chart circle.point{fill:#3b6ea8}
svg.chart circle.latest{fill:#c2571a}
svg.spark{vertical-align:middle}
svg.spark polygon.band{fill:#c9d8ea}
svg.spark polyline.line{fill:none;stroke:#3b6ea8;stroke-width:1.2}
svg.spark circle.latest{fill:#c2571a}
p.note{color:#555;font-size:.9rem}
.within{color:#777}
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

/// Text with `` `code` `` spans, as descriptions are written, for HTML: escaped, each
/// span in `<code>`. An unmatched backtick stays a backtick.
pub fn inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        out.push_str(&escape(&rest[..open]));
        let _ = write!(
            out,
            "<code>{}</code>",
            escape(&rest[open + 1..open + 1 + len])
        );
        rest = &rest[open + 1 + len + 1..];
    }
    out.push_str(&escape(rest));
    out
}

/// Percent-encodes a name for a URL path or query value: everything but letters,
/// digits and `-._~/:` is escaped, so `<10ms` and a chain's newlines survive.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                out.push(char::from(byte))
            }
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// Decodes what [`url_encode`] (or a browser) encoded; `+` is a space in a query.
/// `None` when the result is not UTF-8 or an escape is malformed.
pub fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The first value of `name` in a query string (`a=1&b=2`), decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| url_decode(value))
}

/// The anchor id of a program's name: `program:name`, unique on a page that shows
/// several programs.
pub fn anchor(program: &str, name: &str) -> String {
    format!("{program}:{name}")
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

/// A number for people: integers as they are, others with at most one decimal, large
/// ones rounded.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return "?".into();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else if value.abs() >= 100.0 {
        format!("{:.0}", value.round())
    } else {
        let text = format!("{value:.1}");
        text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
    }
}

/// A share as a percentage: at least two significant digits below 1%.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if !p.is_finite() {
        "?".into()
    } else if p == 0.0 {
        "0%".into()
    } else if (99.95..100.0).contains(&p) {
        "99.9%".into()
    } else if p < 0.01 {
        format!("{p:.3}%")
    } else if p < 1.0 {
        format!("{p:.2}%")
    } else {
        let text = format!("{p:.1}");
        format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
    }
}

/// `n` and the noun, singular for one: `1 report`, `2 reports`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An estimate with its interval, `≈12 (8–17)`; a count with no sampling error as
/// itself, `12`; an interval with no upper bound as `(8–?)`.
pub fn with_interval(e: &Estimate, format: fn(f64) -> String) -> String {
    if e.is_exact() {
        return format(e.estimate);
    }
    format!(
        "≈{} ({}–{})",
        format(e.estimate),
        format(e.low),
        e.high.map_or_else(|| "?".to_string(), format)
    )
}

/// The level as people write it: `95%`.
pub fn level_text(level: f64) -> String {
    let text = format!("{:.1}", level * 100.0);
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

/// Where each page of a name, a week or a program is: the server's paths and
/// `telemetry view`'s differ.
pub struct Links<'a> {
    /// The charts of one week.
    pub week: &'a dyn Fn(&str) -> String,
    /// The page of one name of a program: `(program, name)`.
    pub name: &'a dyn Fn(&str, &str) -> String,
    /// The trends of one program.
    pub program: &'a dyn Fn(&str) -> String,
}

/// What opt-in counts can and cannot tell, said on every page of estimates.
pub const OPT_IN: &str = "<p class=\"note\"><strong>What these numbers can tell:</strong> \
    how the installations whose users chose to upload reports use the program, week by \
    week, with the sampling error stated. <strong>What they cannot:</strong> anything \
    about installations that never upload. Who opts in is not everyone (people who \
    turn telemetry on may be more experienced, use other platforms, or update sooner), \
    so a share here is a share of reporting installations, not of all users; the \
    intervals cover sampling, not that bias. Installations are counted per week, not \
    followed: the same installation in two weeks is two reports, and one that stops \
    reporting is indistinguishable from one that stopped being used.</p>\n";

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
    fn backticks_become_code_and_stay_escaped() {
        assert_eq!(
            inline_code("counts `get` calls of `<T>` and `x"),
            "counts <code>get</code> calls of <code>&lt;T&gt;</code> and `x"
        );
        assert_eq!(inline_code("plain"), "plain");
    }

    #[test]
    fn names_survive_a_round_trip_through_an_address() {
        for name in ["kvlite/get-latency:<1ms", "kv/bug\nkv/a", "kv/x:>=1 s%"] {
            let encoded = url_encode(name);
            assert!(!encoded.contains(['<', '\n', ' ', '>']), "{encoded}");
            assert_eq!(url_decode(&encoded).as_deref(), Some(name));
        }
        assert_eq!(url_encode("kv/command:get"), "kv/command:get");
        assert_eq!(url_decode("%zz"), None);
        let query = Some("program=kv&counter=kvlite/get-latency:%3C1ms&counter=x");
        assert_eq!(
            query_param(query, "counter").as_deref(),
            Some("kvlite/get-latency:<1ms")
        );
        assert_eq!(query_param(query, "program").as_deref(), Some("kv"));
        assert_eq!(query_param(query, "week"), None);
        assert_eq!(query_param(None, "week"), None);
        assert_eq!(url_decode("%ff"), None);
    }

    #[test]
    fn numbers_percentages_and_plurals_read_as_people_write_them() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(1234.5), "1235");
        assert_eq!(number(2.04), "2");
        assert_eq!(percent(0.004), "0.40%");
        assert_eq!(percent(0.00004), "0.004%");
        assert_eq!(percent(0.25), "25%");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(percent(0.99999), "99.9%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(plural(1, "report", "reports"), "1 report");
        assert_eq!(plural(0, "report", "reports"), "0 reports");
        assert_eq!(plural(2, "day", "days"), "2 days");
        assert_eq!(level_text(0.95), "95%");
        assert_eq!(level_text(0.999), "99.9%");
    }

    #[test]
    fn exact_numbers_carry_no_interval() {
        assert_eq!(with_interval(&Estimate::exact(8.0), number), "8");
        let e = Estimate {
            estimate: 12.0,
            low: 8.0,
            high: Some(17.0),
        };
        assert_eq!(with_interval(&e, number), "≈12 (8–17)");
        let open = Estimate { high: None, ..e };
        assert_eq!(with_interval(&open, number), "≈12 (8–?)");
    }
}
