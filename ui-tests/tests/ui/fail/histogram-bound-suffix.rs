fn main() {
    telemetry::histogram!("ui/latency", [1, 10i32, 100]).record(1);
}
