//! A one-line body that is exactly one `match`, under `#![deny(warnings)]`
//! (`unused_braces` would flag the braces of a block around it).

#![deny(warnings)]

#[telemetry::counted]
fn classify(n: i64) -> &'static str { match n { 0 => "zero", n if n < 0 => "negative", _ => "positive" } }

fn main() {
    assert_eq!(classify(-3), "negative");
    assert_eq!(classify(0), "zero");
    assert_eq!(classify(9), "positive");
    let name = format!("{}/classify", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 3);
}
