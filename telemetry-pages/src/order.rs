//! The orders things are shown in: histogram buckets by their bounds (the one order
//! of the shared rules crate, which every listing uses), versions newest first.
//! Everything in this crate sorts through [`buckets`] and [`versions`].

use std::cmp::Ordering;

/// Where a histogram bucket sorts: `<1ms` before `<5ms` before `>=500ms`, as a rank
/// (below or at-or-above) and the bound in the base unit. `None` for a label that is
/// not a bound.
pub use telemetry_rules::bucket::bound;

/// Whether every label is a bucket bound: the family is a histogram.
pub fn is_histogram<'a>(mut labels: impl Iterator<Item = &'a str>) -> bool {
    labels.all(|label| bound(label).is_some())
}

/// Histogram buckets in the order of their bounds; labels that are not bounds after
/// them, by name.
pub fn buckets(a: &str, b: &str) -> Ordering {
    telemetry_rules::bucket::cmp_labels(a, b)
}

/// Versions in semver order (pre-releases before their release); what is not semver
/// after every version, by name. For newest first, compare `b` with `a`.
pub fn versions(a: &str, b: &str) -> Ordering {
    // `devel` and other names are not versions: they sort below every version, so
    // that newest first puts them last.
    let parse = |v: &str| semver::Version::parse(v).ok();
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => b.cmp(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_sort_by_bound() {
        let mut labels = vec![">=500ms", "<5ms", "<1ms", "<100ms", "<1s", "<20ms"];
        labels.sort_by(|a, b| buckets(a, b));
        assert_eq!(
            labels,
            ["<1ms", "<5ms", "<20ms", "<100ms", "<1s", ">=500ms"]
        );
        assert!(is_histogram(["<1KiB", "<1MiB", ">=1MiB"].into_iter()));
        assert!(!is_histogram(["<1ms", "other"].into_iter()));
    }

    #[test]
    fn versions_sort_as_semver_with_names_last_when_newest_first() {
        let mut v = vec!["0.9.0", "devel", "0.10.0", "1.0.0-rc.1", "1.0.0", "nightly"];
        v.sort_by(|a, b| versions(b, a));
        assert_eq!(
            v,
            ["1.0.0", "1.0.0-rc.1", "0.10.0", "0.9.0", "devel", "nightly"]
        );
    }
}
