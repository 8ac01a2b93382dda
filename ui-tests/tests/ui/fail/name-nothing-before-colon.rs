fn main() {
    telemetry::counter!(":hit").inc();
}
