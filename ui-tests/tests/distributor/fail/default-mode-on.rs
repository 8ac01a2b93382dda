// Built with TELEMETRY_DEFAULT_MODE=on.
fn main() {
    telemetry::start!();
}
