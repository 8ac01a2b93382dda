//! The charts, as inline SVG: horizontal bars (one week's buckets or labels), trends
//! (one name across weeks, each week's estimate with its interval), histograms (buckets
//! as columns in the order of their bounds) and sparklines (a trend in a table row).
//! Every mark has a `<title>` naming what it shows in full.

use std::fmt::Write;

use telemetry_formats::date;

use super::escape;

/// One bar of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// What is written beside it (a bucket, a label).
    pub label: String,
    /// The full name it stands for, first in its tooltip.
    pub name: String,
    /// Its anchor id, if it has one.
    pub id: Option<String>,
    /// Where it links to, if anywhere.
    pub href: Option<String>,
    /// Its length.
    pub value: f64,
    /// The lower end of its interval.
    pub low: f64,
    /// The upper end of its interval; `None` when there is none (drawn open).
    pub high: Option<f64>,
    /// The text written after it.
    pub text: String,
    /// What its tooltip says after its name, when not its text.
    pub tooltip: Option<String>,
}

impl Bar {
    /// A bar with no interval, no id and no link, named by its label.
    pub fn new(label: &str, value: f64, text: &str) -> Bar {
        Bar {
            label: label.to_string(),
            name: label.to_string(),
            id: None,
            href: None,
            value,
            low: value,
            high: Some(value),
            text: text.to_string(),
            tooltip: None,
        }
    }

    fn tooltip(&self) -> &str {
        self.tooltip.as_deref().unwrap_or(&self.text)
    }

    fn has_interval(&self) -> bool {
        self.high != Some(self.value) || self.low != self.value
    }
}

/// One week of a trend.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The week (its end day, `YYYY-MM-DD`).
    pub week: String,
    /// The estimate.
    pub value: f64,
    /// The lower end of its interval.
    pub low: f64,
    /// The upper end; `None` when there is none.
    pub high: Option<f64>,
    /// What its tooltip says after the week.
    pub text: String,
}

/// A round number at least `max`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_ceiling(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * power >= max * (1.0 - 1e-12) {
            return step * power;
        }
    }
    10.0 * power
}

/// Opens an element wrapped in a link when there is one.
fn open_link(out: &mut String, href: Option<&str>) {
    if let Some(href) = href {
        let _ = write!(out, "<a href=\"{}\">", escape(href));
    }
}

fn close_link(out: &mut String, href: Option<&str>) {
    if href.is_some() {
        out.push_str("</a>");
    }
}

fn id_attr(id: Option<&str>) -> String {
    id.map(|id| format!(" id=\"{}\"", escape(id)))
        .unwrap_or_default()
}

/// A horizontal bar chart as inline SVG: one `rect class="bar"` per bar, in the order
/// given, each with a tooltip naming it in full, its interval as a whisker.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    const LABEL: f64 = 230.0;
    const WIDTH: f64 = 300.0;
    const ROW: f64 = 22.0;
    let height = ROW * bars.len() as f64 + 6.0;
    let max = bars
        .iter()
        .map(|b| b.high.unwrap_or(b.value).max(b.value))
        .fold(0.0_f64, f64::max);
    let scale = |v: f64| if max > 0.0 { v / max * WIDTH } else { 0.0 };
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"{height}\" \
         viewBox=\"0 0 760 {height}\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = ROW * i as f64 + 3.0;
        let width = scale(bar.value).max(1.0);
        let _ = write!(out, "<g{}>", id_attr(bar.id.as_deref()));
        open_link(&mut out, bar.href.as_deref());
        let _ = write!(
            out,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"{LABEL}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\">\
             <title>{}: {}</title></rect>",
            LABEL - 6.0,
            y + 14.0,
            escape(&bar.label),
            ROW - 6.0,
            escape(&bar.name),
            escape(bar.tooltip()),
        );
        let mut end = LABEL + width;
        if bar.has_interval() {
            let (low, mid) = (LABEL + scale(bar.low), y + (ROW - 6.0) / 2.0);
            let (class, high) = match bar.high {
                Some(high) => ("whisker", LABEL + scale(high)),
                None => ("open", LABEL + WIDTH + 10.0),
            };
            let _ = write!(
                out,
                "<line class=\"{class}\" x1=\"{low:.1}\" y1=\"{mid:.1}\" x2=\"{high:.1}\" y2=\"{mid:.1}\"/>\
                 <line class=\"whisker\" x1=\"{low:.1}\" y1=\"{:.1}\" x2=\"{low:.1}\" y2=\"{:.1}\"/>",
                mid - 4.0,
                mid + 4.0
            );
            if bar.high.is_some() {
                let _ = write!(
                    out,
                    "<line class=\"whisker\" x1=\"{high:.1}\" y1=\"{:.1}\" x2=\"{high:.1}\" y2=\"{:.1}\"/>",
                    mid - 4.0,
                    mid + 4.0
                );
            }
            end = end.max(high);
        }
        let _ = write!(
            out,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            end + 6.0,
            y + 14.0,
            escape(&bar.text),
        );
        close_link(&mut out, bar.href.as_deref());
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// The plot area shared by trends and histograms.
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    max: f64,
}

impl Frame {
    fn y(&self, v: f64) -> f64 {
        self.bottom - (v / self.max).clamp(0.0, 1.05) * (self.bottom - self.top)
    }

    /// The axes, three gridlines and their labels.
    fn axes(&self, out: &mut String, format: fn(f64) -> String) {
        for step in 0..=2 {
            let v = self.max * f64::from(step) / 2.0;
            let y = self.y(v);
            let class = if step == 0 { "axis" } else { "grid" };
            let _ = write!(
                out,
                "<line class=\"{class}\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.left,
                self.right,
                self.left - 6.0,
                y + 4.0,
                escape(&format(v))
            );
        }
    }

    /// A vertical interval at `x`: a whisker, or a dashed line to the top when it has no
    /// upper end.
    fn whisker(&self, out: &mut String, x: f64, low: f64, high: Option<f64>) {
        let y_low = self.y(low);
        let (class, y_high) = match high {
            Some(high) => ("whisker", self.y(high)),
            None => ("open", self.top),
        };
        let _ = write!(
            out,
            "<line class=\"{class}\" x1=\"{x:.1}\" y1=\"{y_low:.1}\" x2=\"{x:.1}\" y2=\"{y_high:.1}\"/>\
             <line class=\"whisker\" x1=\"{:.1}\" y1=\"{y_low:.1}\" x2=\"{:.1}\" y2=\"{y_low:.1}\"/>",
            x - 3.0,
            x + 3.0
        );
        if high.is_some() {
            let _ = write!(
                out,
                "<line class=\"whisker\" x1=\"{:.1}\" y1=\"{y_high:.1}\" x2=\"{:.1}\" y2=\"{y_high:.1}\"/>",
                x - 3.0,
                x + 3.0
            );
        }
    }
}

fn top_of(points: impl Iterator<Item = (f64, Option<f64>)>) -> f64 {
    nice_ceiling(
        points
            .map(|(value, high)| high.unwrap_or(value).max(value))
            .fold(0.0, f64::max),
    )
}

/// A trend: each week's estimate as a point joined by a line, its interval as a
/// whisker, the latest week highlighted; weeks placed by their dates, so a week without
/// reports shows as a gap in time. `format` writes the axis labels.
pub fn trend_chart(title: &str, points: &[Point], format: fn(f64) -> String) -> String {
    const WIDTH: f64 = 760.0;
    const HEIGHT: f64 = 210.0;
    let frame = Frame {
        left: 70.0,
        right: WIDTH - 20.0,
        top: 12.0,
        bottom: HEIGHT - 30.0,
        max: top_of(points.iter().map(|p| (p.value, p.high))),
    };
    let days: Vec<f64> = points
        .iter()
        .enumerate()
        .map(|(i, p)| date::parse(&p.week).map_or(i as f64 * 7.0, |d| d as f64))
        .collect();
    let first = days.first().copied().unwrap_or(0.0);
    let span = days.last().copied().unwrap_or(0.0) - first;
    let x = |day: f64| {
        if span > 0.0 {
            frame.left + 10.0 + (day - first) / span * (frame.right - frame.left - 20.0)
        } else {
            (frame.left + frame.right) / 2.0
        }
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">\
         <title>{}</title>",
        escape(title),
        escape(title)
    );
    frame.axes(&mut out, format);
    if points.len() > 1 {
        out.push_str("<polyline class=\"line\" points=\"");
        for (p, day) in points.iter().zip(&days) {
            let _ = write!(out, "{:.1},{:.1} ", x(*day), frame.y(p.value));
        }
        out.push_str("\"/>");
    }
    for (i, (p, day)) in points.iter().zip(&days).enumerate() {
        let (px, py) = (x(*day), frame.y(p.value));
        let latest = i + 1 == points.len();
        out.push_str("<g>");
        if p.high != Some(p.value) || p.low != p.value {
            frame.whisker(&mut out, px, p.low, p.high);
        }
        let _ = write!(
            out,
            "<circle class=\"{}\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{}\"><title>{}, week of {}: {}</title></circle></g>",
            if latest { "latest" } else { "point" },
            if latest { 5 } else { 3 },
            escape(title),
            escape(&p.week),
            escape(&p.text)
        );
    }
    for (i, (p, day)) in points.iter().zip(&days).enumerate() {
        // The first and the last week are named under the axis, and enough between
        // them to read the dates.
        let every = points.len().div_ceil(6).max(1);
        if i == 0 || i + 1 == points.len() || (i % every == 0 && i + every < points.len()) {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x(*day),
                HEIGHT - 10.0,
                escape(&p.week)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A histogram: one column per bucket, in the order given (the order of the bounds),
/// each with its interval, the bucket named under it and in full in its tooltip.
pub fn histogram_chart(title: &str, bars: &[Bar], format: fn(f64) -> String) -> String {
    const WIDTH: f64 = 760.0;
    const HEIGHT: f64 = 230.0;
    let frame = Frame {
        left: 70.0,
        right: WIDTH - 20.0,
        top: 12.0,
        bottom: HEIGHT - 40.0,
        max: top_of(bars.iter().map(|b| (b.value, b.high))),
    };
    let slot = (frame.right - frame.left) / bars.len().max(1) as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    frame.axes(&mut out, format);
    for (i, bar) in bars.iter().enumerate() {
        let x = frame.left + slot * i as f64;
        let top = frame.y(bar.value);
        let _ = write!(out, "<g{}>", id_attr(bar.id.as_deref()));
        open_link(&mut out, bar.href.as_deref());
        let _ = write!(
            out,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\">\
             <title>{}: {}</title></rect>",
            x + slot * 0.1,
            slot * 0.8,
            (frame.bottom - top).max(0.5),
            escape(&bar.name),
            escape(bar.tooltip())
        );
        if bar.has_interval() {
            frame.whisker(&mut out, x + slot / 2.0, bar.low, bar.high);
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + slot / 2.0,
            frame.bottom + 16.0,
            escape(&bar.label)
        );
        close_link(&mut out, bar.href.as_deref());
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Writes `value` rounded to one decimal (`12.3`, `-0.5`, `4.0`), as `{:.1}` would but
/// for halfway cases, which round away from zero.
fn tenths(out: &mut String, value: f64) {
    let scaled = value * 10.0;
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        let _ = write!(out, "{value:.1}");
        return;
    }
    // Rounded half away from zero (a cast cuts toward zero); cheaper than `round`.
    let scaled = if scaled < 0.0 {
        (scaled - 0.5) as i64
    } else {
        (scaled + 0.5) as i64
    };
    if scaled < 0 {
        out.push('-');
    }
    let magnitude = scaled.unsigned_abs();
    // The digits from the last: tenths, the point, then the whole part.
    let mut digits = [0u8; 24];
    let mut at = digits.len() - 2;
    digits[at + 1] = b'0' + (magnitude % 10) as u8;
    digits[at] = b'.';
    let mut whole = magnitude / 10;
    loop {
        at -= 1;
        digits[at] = b'0' + (whole % 10) as u8;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    // ASCII digits, a sign and a point: always UTF-8.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or("0.0"));
}

/// A sparkline for a table row: the estimates as a line over the band of their
/// intervals, the latest as a dot; `title` is its tooltip.
pub fn sparkline(title: &str, points: &[Point]) -> String {
    const WIDTH: f64 = 130.0;
    const HEIGHT: f64 = 26.0;
    let max = top_of(points.iter().map(|p| (p.value, p.high)));
    let x = |i: usize| {
        if points.len() > 1 {
            3.0 + i as f64 / (points.len() - 1) as f64 * (WIDTH - 6.0)
        } else {
            WIDTH / 2.0
        }
    };
    let y = |v: f64| HEIGHT - 3.0 - (v / max).clamp(0.0, 1.0) * (HEIGHT - 6.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{0}\"><title>{0}</title>",
        escape(title)
    );
    // A page has a sparkline per name: its coordinates are written as tenths by
    // integer arithmetic, much cheaper than formatting floats.
    let pair = |out: &mut String, x: f64, y: f64| {
        tenths(out, x);
        out.push(',');
        tenths(out, y);
        out.push(' ');
    };
    if points.len() > 1 {
        out.push_str("<polygon class=\"band\" points=\"");
        for (i, p) in points.iter().enumerate() {
            pair(&mut out, x(i), y(p.high.unwrap_or(max)));
        }
        for (i, p) in points.iter().enumerate().rev() {
            pair(&mut out, x(i), y(p.low));
        }
        out.push_str("\"/><polyline class=\"line\" points=\"");
        for (i, p) in points.iter().enumerate() {
            pair(&mut out, x(i), y(p.value));
        }
        out.push_str("\"/>");
    }
    if let Some(last) = points.last() {
        let _ = write!(
            out,
            "<circle class=\"latest\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"/>",
            x(points.len() - 1),
            y(last.value)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::number;

    #[test]
    fn coordinates_are_written_in_tenths_as_float_formatting_would() {
        for value in [
            0.0,
            3.0,
            12.34,
            12.36,
            129.96,
            0.04,
            -0.04,
            -2.26,
            1e20,
            f64::NAN,
        ] {
            let mut out = String::new();
            tenths(&mut out, value);
            let expected = format!("{value:.1}");
            let expected = if expected == "-0.0" { "0.0" } else { &expected };
            assert_eq!(out, expected, "{value}");
        }
        // Halfway cases round away from zero.
        let mut out = String::new();
        tenths(&mut out, 0.25);
        assert_eq!(out, "0.3");
    }

    #[test]
    fn one_rect_per_bar_in_order_with_full_names() {
        let bars: Vec<Bar> = (1..=3)
            .map(|i| Bar {
                name: format!("kv/chart:b{i}"),
                id: Some(format!("kv:kv/chart:b{i}")),
                ..Bar::new(&format!("b{i}"), i as f64, &i.to_string())
            })
            .collect();
        let svg = bar_chart("t", &bars);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        let first = svg.find(">b1<").unwrap();
        let third = svg.find(">b3<").unwrap();
        assert!(first < third);
        assert!(svg.contains("<g id=\"kv:kv/chart:b2\">"));
        assert!(svg.contains("<title>kv/chart:b2: 2</title>"));
        // Exact bars have no whisker.
        assert!(!svg.contains("whisker"));
    }

    #[test]
    fn intervals_are_whiskers_and_a_missing_upper_end_is_drawn_open() {
        let bars = [
            Bar {
                low: 1.0,
                high: Some(4.0),
                href: Some("/x?a=1&b=2".into()),
                ..Bar::new("a", 2.0, "≈2 (1–4)")
            },
            Bar {
                low: 0.0,
                high: None,
                ..Bar::new("b", 0.0, "0")
            },
        ];
        let svg = bar_chart("t", &bars);
        assert_eq!(svg.matches("class=\"whisker\"").count(), 3 + 1);
        assert_eq!(svg.matches("class=\"open\"").count(), 1);
        assert!(svg.contains("<a href=\"/x?a=1&amp;b=2\">"));
    }

    #[test]
    fn a_trend_has_a_point_per_week_and_highlights_the_latest() {
        let points: Vec<Point> = ["2026-11-05", "2026-11-12", "2026-11-26"]
            .iter()
            .enumerate()
            .map(|(i, w)| Point {
                week: w.to_string(),
                value: 10.0 * (i + 1) as f64,
                low: 5.0,
                high: Some(40.0),
                text: "≈10".into(),
            })
            .collect();
        let svg = trend_chart("kv/command:get", &points, number);
        assert_eq!(svg.matches("<circle class=\"point\"").count(), 2);
        assert_eq!(svg.matches("<circle class=\"latest\"").count(), 1);
        assert!(svg.contains("<title>kv/command:get, week of 2026-11-26: ≈10</title>"));
        assert!(svg.contains(">2026-11-05</text>") && svg.contains(">2026-11-26</text>"));
        // The gap of two weeks is wider than the step of one.
        let xs: Vec<f64> = svg
            .match_indices("cx=\"")
            .map(|(i, _)| {
                let rest = &svg[i + 4..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert!((xs[2] - xs[1]) > 1.9 * (xs[1] - xs[0]), "{xs:?}");
        // The axis is a round number above the highest upper bound.
        assert!(svg.contains(">50</text>"));
    }

    #[test]
    fn histograms_keep_the_order_given() {
        let bars = [
            Bar::new("<1ms", 3.0, "3"),
            Bar::new("<10ms", 7.0, "7"),
            Bar::new(">=10ms", 1.0, "1"),
        ];
        let svg = histogram_chart("kvlite/get-latency", &bars, number);
        let at = |label: &str| svg.find(&format!(">{label}</text>")).unwrap();
        assert!(at("&lt;1ms") < at("&lt;10ms") && at("&lt;10ms") < at("&gt;=10ms"));
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
    }

    #[test]
    fn round_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(0.031), 0.05);
        assert_eq!(nice_ceiling(230.0), 250.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
    }
}
