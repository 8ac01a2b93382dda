fn main() {
    telemetry::counter!("ui/cache hit").inc();
}
