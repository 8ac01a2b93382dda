fn main() {
    telemetry::counter!("ui/editor:{vim,neo/vim}").inc("vim");
}
