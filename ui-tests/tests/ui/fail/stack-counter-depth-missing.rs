fn main() {
    telemetry::stack_counter!("ui/bug/eof").inc();
}
