//! `expires` on every declaring macro: the manifest lists the date with each counter,
//! and a counter whose date has passed still counts (only its upload stops).

/// Flushes the cache.
#[telemetry::counted(expires = "2020-01-31")]
fn flush() {}

#[telemetry::counted("ui/compact", description = "Compactions", expires = "2027-06-30")]
fn compact() {}

fn main() {
    flush();
    flush();
    compact();
    telemetry::counter!("ui/cache:hit", expires = "2000-02-29").inc();
    telemetry::counter!("ui/editor:{vim,helix}", expires = "2027-06-30").inc("vim");
    telemetry::histogram!("ui/latency", [10], unit = "ms", expires = "2027-06-30").record(3);
    telemetry::stack_counter!("ui/bug", depth = 4, expires = "2020-01-31").inc();
    telemetry::counter!("ui/forever").inc();

    let expires = |name: &str| {
        let manifest = telemetry::manifest();
        let counter = manifest.counters.iter().find(|c| c.name == name);
        counter.unwrap_or_else(|| panic!("{name}")).expires.clone()
    };
    let flush_name = format!("{}/flush", module_path!());
    assert_eq!(expires(&flush_name).as_deref(), Some("2020-01-31"));
    assert_eq!(expires("ui/compact").as_deref(), Some("2027-06-30"));
    assert_eq!(expires("ui/cache:hit").as_deref(), Some("2000-02-29"));
    for label in ["ui/editor:vim", "ui/editor:helix", "ui/editor:other"] {
        assert_eq!(expires(label).as_deref(), Some("2027-06-30"), "{label}");
    }
    for bucket in ["ui/latency:<10ms", "ui/latency:>=10ms"] {
        assert_eq!(expires(bucket).as_deref(), Some("2027-06-30"), "{bucket}");
    }
    assert_eq!(expires("ui/bug").as_deref(), Some("2020-01-31"));
    assert_eq!(expires("ui/forever"), None);

    let registry = telemetry::registry();
    let count = |name: &str| registry.get(name).unwrap().get();
    assert_eq!(count(&flush_name), 2, "past its date, still counted");
    assert_eq!(count("ui/cache:hit"), 1);
    assert_eq!(count("ui/editor:vim"), 1);
    assert_eq!(count("ui/latency:<10ms"), 1);
}
