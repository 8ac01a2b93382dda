fn main() {
    telemetry::counter!("ui/cache:hit/miss").inc();
}
