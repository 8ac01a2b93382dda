#[telemetry::counted("ui/cache flush")]
fn flush() {}

fn main() {
    flush();
}
