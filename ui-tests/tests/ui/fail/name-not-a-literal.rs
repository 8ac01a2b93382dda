const NAME: &str = "ui/cache";

fn main() {
    telemetry::counter!(NAME).inc();
}
