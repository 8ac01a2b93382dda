use std::num::ParseIntError;

#[telemetry::counted]
fn parse(text: &str) -> Result<i32, ParseIntError> {
    let n: i32 = text.parse()?;
    Ok(n + 1)
}

fn main() {
    assert!(parse("x").is_err());
    assert_eq!(parse("41"), Ok(42));
    let name = format!("{}/parse", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
}
