fn main() {
    telemetry::histogram!("ui/delta", [-1, 1]).record(1);
}
