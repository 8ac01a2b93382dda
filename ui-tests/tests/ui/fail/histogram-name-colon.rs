fn main() {
    telemetry::histogram!("ui/latency:ms", [10, 100]).record(1);
}
