#[telemetry::counted(name = "ui/explicit/keyed")]
fn named() {}

fn main() {
    named();
    named();
    assert_eq!(
        telemetry::registry()
            .get("ui/explicit/keyed")
            .unwrap()
            .get(),
        2
    );
}
