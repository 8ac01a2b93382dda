fn main() {
    telemetry::histogram!([10, 100], unit = "ms").record(1);
}
