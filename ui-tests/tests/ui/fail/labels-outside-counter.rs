fn main() {
    telemetry::stack_counter!("ui/bug:{a,b}", depth = 4).inc();
}
