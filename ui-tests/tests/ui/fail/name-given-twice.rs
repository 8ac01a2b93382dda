fn main() {
    telemetry::counter!("ui/cache:hit", name = "ui/cache:miss").inc();
}
