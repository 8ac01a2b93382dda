fn main() {
    telemetry::counter!("ui//cache").inc();
}
