#[telemetry::counted]
fn clamp(x: i32) -> i32 {
    if x < 0 {
        return 0;
    }
    x
}

fn main() {
    assert_eq!(clamp(-5), 0);
    assert_eq!(clamp(5), 5);
    let name = format!("{}/clamp", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
}
