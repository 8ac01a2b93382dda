fn main() {
    telemetry::counter!("ui/zero\u{200b}width").inc();
}
