//! The orders things are shown in, beside the order of counter names and histogram
//! buckets (which is the shared rules', `telemetry_rules::bucket`): versions newest
//! first, and whether a family of labels is a histogram.

use std::cmp::Ordering;

use telemetry_rules::bucket;

/// Whether every label is a bucket bound (`<10ms`, `>=1s`): the family is a histogram.
pub fn is_histogram<'a>(mut labels: impl Iterator<Item = &'a str>) -> bool {
    labels.all(|label| bucket::bound(label).is_some())
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
    fn a_family_of_bounds_is_a_histogram() {
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
