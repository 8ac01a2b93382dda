fn main() {
    telemetry::counter!("ui/cache:hit", [1, 2]).inc();
}
