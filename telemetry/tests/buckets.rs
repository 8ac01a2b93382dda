//! Histograms and label sets: buckets declared at compile time, chosen at run time.

use telemetry::{Kind, registry};

#[test]
fn a_value_lands_in_the_first_bucket_whose_bound_exceeds_it() {
    let h = telemetry::histogram!("bucket-test/latency", [10, 50, 100], unit = "ms");
    for v in [0, 9, 10, 49, 50, 99, 100, 5000, u64::MAX] {
        h.record(v);
    }
    let counts: Vec<(&str, u64)> = h.buckets().iter().map(|c| (c.name(), c.get())).collect();
    assert_eq!(
        counts,
        [
            ("bucket-test/latency:<10ms", 2),
            ("bucket-test/latency:<50ms", 2),
            ("bucket-test/latency:<100ms", 2),
            ("bucket-test/latency:>=100ms", 3),
        ]
    );
}

#[test]
fn every_bucket_is_a_registry_entry_of_kind_bucket() {
    let _ = telemetry::histogram!("bucket-test/sizes", [1, 2]);
    let kinds: Vec<(&str, Kind)> = registry()
        .iter()
        .filter(|c| c.name().starts_with("bucket-test/sizes"))
        .map(|c| (c.name(), c.kind()))
        .collect();
    let bounds: &[u64] = &[1, 2];
    assert_eq!(
        kinds,
        [
            (
                "bucket-test/sizes:<1",
                Kind::Bucket {
                    bounds,
                    unit: "",
                    index: 0
                }
            ),
            (
                "bucket-test/sizes:<2",
                Kind::Bucket {
                    bounds,
                    unit: "",
                    index: 1
                }
            ),
            (
                "bucket-test/sizes:>=2",
                Kind::Bucket {
                    bounds,
                    unit: "",
                    index: 2
                }
            ),
        ]
    );
}

#[test]
fn two_declarations_of_one_histogram_share_its_buckets() {
    telemetry::histogram!("bucket-test/shared", [5]).record(1);
    telemetry::histogram!("bucket-test/shared", [5]).record(2);
    assert_eq!(registry().get("bucket-test/shared:<5").unwrap().get(), 2);
    registry().check().unwrap();
}

#[test]
fn an_unknown_label_counts_as_other() {
    let editors = telemetry::counter!("bucket-test/editor:{vscode,vim}");
    editors.inc("vim");
    editors.inc("vim");
    editors.inc("emacs");
    editors.with("").inc();
    assert_eq!(editors.labels(), ["vscode", "vim", "other"]);
    assert_eq!(editors.with("vim").get(), 2);
    assert_eq!(editors.with("vscode").get(), 0);
    assert_eq!(editors.with("other").get(), 2);
    assert!(editors.get("emacs").is_none());
    assert_eq!(
        registry().get("bucket-test/editor:other").unwrap().kind(),
        Kind::Label {
            labels: &["vscode", "vim", "other"],
            index: 2
        }
    );
}

#[test]
fn a_list_that_names_other_keeps_its_order() {
    let set = telemetry::counter!("bucket-test/os:{other,linux}");
    set.inc("plan9");
    assert_eq!(set.labels(), ["other", "linux"]);
    assert_eq!(set.with("other").get(), 1);
}

#[test]
fn each_label_selects_its_own_counter_even_among_labels_of_one_length() {
    // Labels of one length, sharing a prefix, and the empty string and near misses:
    // the macro's `match` must tell every one apart.
    let set = telemetry::counter!("bucket-test/same-length:{emacs,helix,emaca,zed,x}");
    for (label, times) in [
        ("emacs", 1),
        ("helix", 2),
        ("emaca", 3),
        ("zed", 4),
        ("x", 5),
    ] {
        for _ in 0..times {
            set.inc(label);
        }
    }
    for near_miss in ["emac", "emacss", "Emacs", "", "zeD", "xx", "helix\0"] {
        assert!(set.get(near_miss).is_none(), "{near_miss:?}");
        set.inc(near_miss);
    }
    let counts: Vec<(&str, u64)> = set
        .labels()
        .iter()
        .map(|label| (*label, set.with(label).get()))
        .collect();
    assert_eq!(
        counts,
        [
            ("emacs", 1),
            ("helix", 2),
            ("emaca", 3),
            ("zed", 4),
            ("x", 5),
            ("other", 7)
        ]
    );
}
