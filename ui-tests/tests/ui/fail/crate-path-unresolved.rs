mod re {}

fn main() {
    telemetry::counter!("ui/cache:hit", crate = crate::re::t).inc();
}
