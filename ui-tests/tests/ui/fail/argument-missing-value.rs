fn main() {
    telemetry::counter!("ui/cache:hit", description = ).inc();
}
