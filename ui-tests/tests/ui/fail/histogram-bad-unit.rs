fn main() {
    telemetry::histogram!("ui/latency", [10, 100], unit = "m s").record(1);
}
