fn main() {
    let hits = telemetry::counter!("ui/counter:hit", description = "Cache hits");
    hits.inc();
    assert_eq!(hits.get(), 1);
    assert_eq!(hits.description(), "Cache hits");
}
