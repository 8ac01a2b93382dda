//! Every registry entry carries a manifest record that says exactly what the registry
//! says: the records a tool reads from the binary describe the program truthfully.

use telemetry::{Kind, counted, registry};
use telemetry_formats::manifest::{Record, record};

/// A counted function. (Its description comes from here.)
#[counted]
fn derived_name_function() {}

#[counted("manifest-test/explicit", description = "Written by hand")]
fn explicit_name_function() {}

fn declare_the_rest() {
    telemetry::counter!("manifest-test/plain").inc();
    telemetry::counter!("manifest-test/editor:{vim,emacs}").inc("vim");
    telemetry::histogram!("manifest-test/latency", [5, 50], unit = "ms").record(7);
    telemetry::stack_counter!("manifest-test/bug", depth = 4).inc();
}

#[test]
fn every_record_decodes_to_its_registry_entry() {
    derived_name_function();
    explicit_name_function();
    declare_the_rest();
    assert!(registry().len() > 10);
    for counter in registry().iter() {
        let (Record::Counter(decoded), _) = record::decode_one(counter.__record()).unwrap() else {
            panic!("{} has a program record", counter.name());
        };
        assert_eq!(decoded.name, counter.name());
        assert_eq!(
            decoded.kind.as_str(),
            counter.kind().as_str(),
            "{}",
            counter.name()
        );
        assert_eq!(
            decoded.description,
            counter.description(),
            "{}",
            counter.name()
        );
        assert_eq!(
            decoded.crate_name,
            counter.crate_name(),
            "{}",
            counter.name()
        );
        assert_eq!(decoded.file, counter.file(), "{}", counter.name());
        assert_eq!(decoded.line, counter.line(), "{}", counter.name());
        match counter.kind() {
            Kind::Stack { depth } => assert_eq!(decoded.depth, Some(depth as u32)),
            Kind::Bucket {
                bounds,
                unit,
                index,
            } => {
                assert_eq!(
                    (decoded.bounds.as_slice(), decoded.unit.as_str()),
                    (bounds, unit)
                );
                assert_eq!(decoded.index, Some(index as u32));
            }
            Kind::Label { labels, index } => {
                assert_eq!(decoded.labels, labels);
                assert_eq!(decoded.index, Some(index as u32));
            }
            _ => assert!(decoded.bounds.is_empty() && decoded.labels.is_empty()),
        }
    }
}

#[test]
fn the_manifest_lists_each_declaration_once_sorted_with_derived_names_marked() {
    let manifest = telemetry::manifest();
    let names: Vec<&str> = manifest.counters.iter().map(|c| c.name.as_str()).collect();
    // By name, a histogram's buckets by bound.
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| telemetry_rules::bucket::cmp_names(a, b));
    assert_eq!(names, sorted);
    let derived = manifest
        .counters
        .iter()
        .find(|c| c.name == "manifest/derived-name-function")
        .unwrap();
    assert!(derived.derived);
    assert_eq!(
        derived.description,
        "A counted function. (Its description comes from here.)"
    );
    let explicit = manifest
        .counters
        .iter()
        .find(|c| c.name == "manifest-test/explicit")
        .unwrap();
    assert!(!explicit.derived);
    assert_eq!(explicit.crate_name, "manifest");
    assert!(manifest.conflicts().is_empty());
    let json = manifest.to_json();
    assert!(json.contains("\"name\": \"manifest-test/latency:<50ms\",\n      \"kind\": \"bucket\",\n      \"bounds\": [5, 50],\n      \"unit\": \"ms\","), "{json}");
    let markdown = manifest.to_markdown();
    assert!(markdown.contains("| `manifest-test/editor:other` | label of {vim,emacs,other} | — | `manifest` tests/manifest.rs:"), "{markdown}");
}
