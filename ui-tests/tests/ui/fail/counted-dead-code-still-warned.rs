// `#[counted]` leaves the compiler's lints as they are without it: an unused function
// is still dead code (its counter is registered all the same).
#![deny(dead_code)]

#[telemetry::counted]
fn never_called() {}

fn main() {}
