fn main() {
    telemetry::counter!(
        "ui/cache:hit",
        description = "Hits",
        description = "Cache hits"
    )
    .inc();
}
