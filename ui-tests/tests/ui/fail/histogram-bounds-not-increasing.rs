fn main() {
    telemetry::histogram!("ui/latency", [10, 50, 50, 100]).record(1);
}
