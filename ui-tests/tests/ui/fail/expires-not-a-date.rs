/// Flushes the cache.
#[telemetry::counted(expires = "2027-02-30")]
fn flush() {}

fn main() {
    flush();
}
