#[telemetry::counted]
extern "C" fn double(x: i32) -> i32 {
    x * 2
}

fn main() {
    // The attribute keeps the ABI.
    let f: extern "C" fn(i32) -> i32 = double;
    assert_eq!(f(21), 42);
    assert_eq!(double(1), 2);
    let name = format!("{}/double", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
}
