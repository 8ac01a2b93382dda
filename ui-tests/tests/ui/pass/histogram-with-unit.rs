fn main() {
    let latency = telemetry::histogram!("ui/latency", [10, 50, 100], unit = "ms");
    latency.record(7);
    latency.record(10);
    latency.record(900);
    assert_eq!(latency.bucket_for(10).name(), "ui/latency:<50ms");
    assert_eq!(
        telemetry::registry().get("ui/latency:<10ms").unwrap().get(),
        1
    );
    assert_eq!(
        telemetry::registry().get("ui/latency:<50ms").unwrap().get(),
        1
    );
    assert_eq!(
        telemetry::registry()
            .get("ui/latency:<100ms")
            .unwrap()
            .get(),
        0
    );
    assert_eq!(
        telemetry::registry()
            .get("ui/latency:>=100ms")
            .unwrap()
            .get(),
        1
    );
}
