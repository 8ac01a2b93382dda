fn main() {
    telemetry::counter!().inc();
}
