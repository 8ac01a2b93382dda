fn main() {
    telemetry::stack_counter!("ui/bug/eof", depth = 33).inc();
}
