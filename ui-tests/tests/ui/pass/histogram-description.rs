fn main() {
    let queue = telemetry::histogram!("ui/queue-depth", [1, 8], description = "Jobs waiting");
    queue.record(3);
    assert_eq!(queue.bucket_for(3).get(), 1);
    assert_eq!(queue.bucket_for(3).description(), "Jobs waiting");
    assert_eq!(
        telemetry::registry()
            .get("ui/queue-depth:<8")
            .unwrap()
            .get(),
        1
    );
}
