#[telemetry::counted]
fn free_fn(x: u32) -> u32 {
    x + 1
}

fn main() {
    assert_eq!(free_fn(1), 2);
    assert_eq!(free_fn(2), 3);
    // The derived name is `<crate>/<function>`, `_` turned into `-`.
    let name = format!("{}/free-fn", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
}
