#[telemetry::counted(crate = "::telemetry")]
fn flush() {}

fn main() {
    flush();
    telemetry::counter!("ui/cache:hit", crate = "telemetry").inc();
}
