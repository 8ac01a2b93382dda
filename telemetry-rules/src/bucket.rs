//! Histogram buckets: how they are named, and the order they are listed in.
//!
//! `histogram!("mytool/latency", [10, 50, 100], unit = "ms")` has the buckets
//! `mytool/latency:<10ms`, `:<50ms`, `:<100ms` and the overflow bucket `:>=100ms`: each
//! is named by its upper bound, the last by the bound it starts at. Wherever counters
//! are listed (the command's tables, a manifest, the collection server's pages and
//! charts), a chart's buckets follow [`cmp_names`]: by bound, not as text, which would
//! put `<100ms` before `<10ms`.

use std::cmp::Ordering;

use crate::MAX_NAME_LEN;
use crate::name::NameError;

/// The bucket labels of a histogram with `bounds` (increasing) and `unit`, in bound
/// order: `<b` for each bound, then `>=` the last one.
pub fn labels(bounds: &[u64], unit: &str) -> Vec<String> {
    let mut labels: Vec<String> = bounds.iter().map(|b| format!("<{b}{unit}")).collect();
    if let Some(last) = bounds.last() {
        labels.push(format!(">={last}{unit}"));
    }
    labels
}

/// The full names of the buckets of the histogram `chart`, in bound order; an error
/// when one is longer than [`MAX_NAME_LEN`].
pub fn names(chart: &str, bounds: &[u64], unit: &str) -> Result<Vec<String>, NameError> {
    labels(bounds, unit)
        .into_iter()
        .map(|label| {
            let len = chart.len() + 1 + label.len();
            if len > MAX_NAME_LEN {
                Err(NameError::BucketTooLong(format!(":{label}"), len))
            } else {
                Ok(format!("{chart}:{label}"))
            }
        })
        .collect()
}

/// Where a bucket label sorts by its bound: `(0, value)` for `<value`, `(1, value)`
/// for `>=value` (also `<=` and `>`), the value scaled by its unit when it is a known
/// one of time or size (so `<100ms` comes before `<1s`). `None` for a label that is
/// not a bound.
pub fn bound(label: &str) -> Option<(u8, f64)> {
    let (rank, rest) = if let Some(rest) = label.strip_prefix("<=") {
        (0, rest)
    } else if let Some(rest) = label.strip_prefix('<') {
        (0, rest)
    } else if let Some(rest) = label.strip_prefix(">=") {
        (1, rest)
    } else if let Some(rest) = label.strip_prefix('>') {
        (1, rest)
    } else {
        return None;
    };
    let digits = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number: f64 = rest[..digits].parse().ok()?;
    let scale = match &rest[digits..] {
        "" | "B" => 1.0,
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "KB" | "kB" => 1e3,
        "KiB" => 1024.0,
        "MB" => 1e6,
        "MiB" => 1024.0 * 1024.0,
        "GB" => 1e9,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((rank, number * scale))
}

/// The order of two bucket labels of one chart: bounds first, by [`bound`], then
/// every other label as text.
pub fn cmp_labels(a: &str, b: &str) -> Ordering {
    match (bound(a), bound(b)) {
        (Some((ra, va)), Some((rb, vb))) => ra.cmp(&rb).then(va.total_cmp(&vb)).then(a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The order counters are listed in: by name as text, except that the buckets of one
/// chart (names sharing everything up to their `:`) are in [`cmp_labels`] order. As
/// names sharing a prefix are neighbours in text order, this is a total order.
pub fn cmp_names(a: &str, b: &str) -> Ordering {
    match (a.split_once(':'), b.split_once(':')) {
        (Some((chart_a, label_a)), Some((chart_b, label_b))) if chart_a == chart_b => {
            cmp_labels(label_a, label_b)
        }
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_named_by_bound_and_the_last_from_it() {
        assert_eq!(labels(&[10, 50], "ms"), ["<10ms", "<50ms", ">=50ms"]);
        assert_eq!(labels(&[7], ""), ["<7", ">=7"]);
        assert_eq!(
            names("app/latency", &[1, 5], "s").unwrap(),
            ["app/latency:<1s", "app/latency:<5s", "app/latency:>=5s"]
        );
    }

    #[test]
    fn a_bucket_name_past_the_limit_names_the_bucket() {
        let chart = "a".repeat(194);
        assert!(names(&chart, &[10], "").is_ok(), "`:>=10` makes 199 bytes");
        assert_eq!(
            names(&chart, &[10, 1000], "").unwrap_err().to_string(),
            "with the bucket `:>=1000`, the counter name is 201 bytes long; the limit is 200"
        );
    }

    #[test]
    fn labels_sort_by_bound_then_as_text() {
        let mut labels = [">=500ms", "<5ms", "<1ms", "<100ms", "<1s", "other", "<20ms"];
        labels.sort_by(|a, b| cmp_labels(a, b));
        assert_eq!(
            labels,
            ["<1ms", "<5ms", "<20ms", "<100ms", "<1s", ">=500ms", "other"]
        );
    }

    #[test]
    fn names_sort_as_text_but_a_charts_buckets_by_bound() {
        let mut names = [
            "kv/latency:>=500ms",
            "kv/latency:<100ms",
            "kv/latency-total",
            "kv/latency:<5ms",
            "kv/get",
            "kv/latency",
            "kv/latency:<1ms",
            "kv/editor:vim",
            "kv/editor:emacs",
        ];
        names.sort_by(|a, b| cmp_names(a, b));
        assert_eq!(
            names,
            [
                "kv/editor:emacs",
                "kv/editor:vim",
                "kv/get",
                "kv/latency",
                "kv/latency-total",
                "kv/latency:<1ms",
                "kv/latency:<5ms",
                "kv/latency:<100ms",
                "kv/latency:>=500ms",
            ]
        );
    }

    #[test]
    fn the_name_order_is_total_over_mixed_names() {
        // Every pair and triple agrees: antisymmetric and transitive.
        let names = [
            "a", "a:<5", "a:<10", "a:x", "a-b", "a:>=10", "a/b:<1", "a/b", "s\nf:<2", "s\nf:<10",
        ];
        for x in names {
            for y in names {
                assert_eq!(cmp_names(x, y), cmp_names(y, x).reverse(), "{x:?} {y:?}");
                for z in names {
                    if cmp_names(x, y).is_le() && cmp_names(y, z).is_le() {
                        assert!(cmp_names(x, z).is_le(), "{x:?} {y:?} {z:?}");
                    }
                }
            }
        }
    }
}
