// Built with TELEMETRY_DEFAULT_PROMPT=always.
fn main() {
    telemetry::program!().start();
}
