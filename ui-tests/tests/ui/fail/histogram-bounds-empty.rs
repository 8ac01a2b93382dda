fn main() {
    telemetry::histogram!("ui/latency", []).record(1);
}
