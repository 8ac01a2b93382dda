#[telemetry::counted("ui/flush", expires = 20270630)]
fn flush() {}

fn main() {
    flush();
    telemetry::counter!("ui/cache:hit", expires = "2027-06-30", expires = "2028-06-30").inc();
}
