#[telemetry::counted]
fn depth(n: u32) -> u32 {
    if n == 0 { 0 } else { 1 + depth(n - 1) }
}

fn main() {
    assert_eq!(depth(4), 4);
    // Every call counts, the recursive ones included.
    let name = format!("{}/depth", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 5);
}
