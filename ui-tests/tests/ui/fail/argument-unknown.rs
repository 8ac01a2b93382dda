fn main() {
    telemetry::counter!("ui/cache:hit", descripton = "Cache hits").inc();
}
