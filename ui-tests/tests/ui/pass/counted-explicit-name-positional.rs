#[telemetry::counted("ui/explicit/positional")]
fn named() {}

fn main() {
    named();
    assert_eq!(
        telemetry::registry()
            .get("ui/explicit/positional")
            .unwrap()
            .get(),
        1
    );
    assert!(
        telemetry::registry()
            .get(&format!("{}/named", module_path!()))
            .is_none()
    );
}
