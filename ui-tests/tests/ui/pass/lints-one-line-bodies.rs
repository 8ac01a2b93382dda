//! One-line bodies in a crate that turns every warning into an error. The compiler
//! flags braces around a block's only expression when they sit on one line
//! (`unused_braces`, "unnecessary braces around block return value"), so the attribute
//! must not leave the body as a block inside its own. These bodies stay on one line on
//! purpose: a body spread over several lines would not show the lint.

#![deny(warnings)]

use std::fmt;
use std::panic::Location;

#[telemetry::counted]
fn add_one(x: u64) -> u64 { x + 1 }

#[telemetry::counted]
fn nothing() {}

#[telemetry::counted]
#[track_caller]
fn caller_line() -> u32 { Location::caller().line() }

struct Meter(u64);

impl Meter {
    #[telemetry::counted]
    fn value(&self) -> u64 { self.0 }
}

impl fmt::Display for Meter {
    #[telemetry::counted]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{} m", self.0) }
}

trait Doubled {
    fn base(&self) -> u64;

    #[telemetry::counted]
    fn doubled(&self) -> u64 { self.base() * 2 }
}

impl Doubled for Meter {
    fn base(&self) -> u64 {
        self.0
    }
}

fn main() {
    assert_eq!(add_one(1), 2);
    nothing();
    let line = line!() + 1;
    assert_eq!(caller_line(), line);
    let meter = Meter(4);
    assert_eq!(meter.value(), 4);
    assert_eq!(meter.to_string(), "4 m");
    assert_eq!(meter.doubled(), 8);

    let get = |tail: &str| {
        let name = format!("{}/{tail}", module_path!());
        telemetry::registry().get(&name).unwrap().get()
    };
    for tail in [
        "add-one",
        "nothing",
        "caller-line",
        "Meter/value",
        "Meter/Display/fmt",
        "Doubled/doubled",
    ] {
        assert_eq!(get(tail), 1, "{tail}");
    }
}
