// A key written without its value is not mistaken for a name in a variable.

fn main() {
    telemetry::counter!(description).inc();
}
