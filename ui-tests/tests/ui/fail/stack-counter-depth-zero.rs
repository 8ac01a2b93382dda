fn main() {
    telemetry::stack_counter!("ui/bug/eof", depth = 0).inc();
}
