fn main() {
    telemetry::counter!("ui/editor:{vim,,emacs}").inc("vim");
}
