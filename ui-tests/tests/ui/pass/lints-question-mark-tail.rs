//! One-line bodies ending in an expression that uses `?`, under `#![deny(warnings)]`.

#![deny(warnings)]

use std::num::ParseIntError;

#[telemetry::counted]
fn sum(a: &str, b: &str) -> Result<u64, ParseIntError> { Ok(a.parse::<u64>()? + b.parse::<u64>()?) }

#[telemetry::counted]
fn second_plus_one(values: &[u8]) -> Option<u8> { values.get(1)?.checked_add(1) }

fn main() {
    assert_eq!(sum("2", "3"), Ok(5));
    assert!(sum("2", "x").is_err());
    assert_eq!(second_plus_one(&[1, 2]), Some(3));
    assert_eq!(second_plus_one(&[1]), None);
    let get = |tail: &str| {
        let name = format!("{}/{tail}", module_path!());
        telemetry::registry().get(&name).unwrap().get()
    };
    assert_eq!(get("sum"), 2);
    assert_eq!(get("second-plus-one"), 2);
}
