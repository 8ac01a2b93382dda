#[telemetry::counted]
struct Store;

fn main() {
    let _ = Store;
}
