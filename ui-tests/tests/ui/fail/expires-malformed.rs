fn main() {
    telemetry::counter!("ui/cache:hit", expires = "30/06/2027").inc();
    telemetry::counter!("ui/editor:{vim,helix}", expires = "2027-6-30").inc("vim");
    telemetry::histogram!("ui/latency", [10, 100], expires = "2027-13-01").record(1);
    telemetry::stack_counter!("ui/bug", depth = 4, expires = "1969-12-31").inc();
}
