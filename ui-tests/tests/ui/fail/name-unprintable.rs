fn main() {
    telemetry::counter!("ui/bell\u{7}").inc();
}
