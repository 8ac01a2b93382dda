#[telemetry::counted(depth = 4)]
fn flush() {}

fn main() {
    flush();
}
