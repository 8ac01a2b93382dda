fn main() {
    telemetry::stack_counter!("ui/bug/eof", depth = "8").inc();
}
