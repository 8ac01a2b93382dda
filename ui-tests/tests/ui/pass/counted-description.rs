#[telemetry::counted(description = "Flushes the cache")]
fn flush() {}

/// Loads the cache.
///
/// Only this first paragraph is the description.
#[telemetry::counted("ui/load")]
fn load() {}

fn main() {
    flush();
    load();
    let flush = telemetry::registry()
        .get(&format!("{}/flush", module_path!()))
        .unwrap();
    assert_eq!(flush.get(), 1);
    assert_eq!(flush.description(), "Flushes the cache");
    let load = telemetry::registry().get("ui/load").unwrap();
    assert_eq!(load.get(), 1);
    assert_eq!(load.description(), "Loads the cache.");
}
