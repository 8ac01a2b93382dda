#[telemetry::counted]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

fn main() {
    assert_eq!(evens(7).collect::<Vec<_>>(), [0, 2, 4, 6]);
    assert_eq!(evens(3).sum::<u32>(), 2);
    let name = format!("{}/evens", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
}
