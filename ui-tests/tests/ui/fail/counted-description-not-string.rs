#[telemetry::counted(description = 5)]
fn flush() {}

fn main() {
    flush();
}
