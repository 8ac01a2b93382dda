fn main() {
    let sizes = telemetry::histogram!("ui/size", [10, 100]);
    for value in [0, 9, 10, 99, 100, 5000] {
        sizes.record(value);
    }
    assert_eq!(sizes.bounds(), [10, 100]);
    assert_eq!(telemetry::registry().get("ui/size:<10").unwrap().get(), 2);
    assert_eq!(telemetry::registry().get("ui/size:<100").unwrap().get(), 2);
    assert_eq!(telemetry::registry().get("ui/size:>=100").unwrap().get(), 2);
}
