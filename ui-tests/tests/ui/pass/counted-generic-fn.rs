#[telemetry::counted]
fn generic<T: Clone>(value: &T) -> T {
    value.clone()
}

fn main() {
    assert_eq!(generic(&5u8), 5);
    assert_eq!(generic(&String::from("x")), "x");
    assert_eq!(generic(&[1, 2]), [1, 2]);
    // One counter for every instantiation.
    let name = format!("{}/generic", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 3);
}
