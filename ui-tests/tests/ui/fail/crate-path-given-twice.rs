fn main() {
    telemetry::counter!("ui/cache:hit", crate = ::telemetry, crate = ::telemetry).inc();
}
