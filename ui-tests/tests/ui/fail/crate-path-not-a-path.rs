fn main() {
    telemetry::histogram!("ui/latency", [1, 2], crate = 5).record(1);
    telemetry::stack_counter!("ui/bug/eof", depth = 8, crate).inc();
}
