fn main() {
    telemetry::histogram!("ui/bytes", [1, 18446744073709551616]).record(1);
}
