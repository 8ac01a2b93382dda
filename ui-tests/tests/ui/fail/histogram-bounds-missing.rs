fn main() {
    telemetry::histogram!("ui/latency", unit = "ms").record(1);
}
