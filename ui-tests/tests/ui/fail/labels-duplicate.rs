fn main() {
    telemetry::counter!("ui/editor:{vim,emacs,vim}").inc("vim");
}
