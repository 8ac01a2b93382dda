fn main() {
    for _ in 0..3 {
        telemetry::counter!("ui/counter/plain").inc();
    }
    telemetry::counter!("ui/counter/plain").add(2);
    assert_eq!(telemetry::counter!("ui/counter/plain").get(), 5);
    assert_eq!(
        telemetry::registry().get("ui/counter/plain").unwrap().get(),
        5
    );
}
