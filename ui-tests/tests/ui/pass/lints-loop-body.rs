//! One-line bodies that are exactly one `loop`, or diverge, under `#![deny(warnings)]`:
//! a loop that `break`s a value, `-> !` loops and calls that panic or exit.

#![deny(warnings)]

use std::cell::Cell;
use std::panic;

#[telemetry::counted]
fn next_multiple(of: u64, mut n: u64) -> u64 { loop { if n % of == 0 { break n; } n += 1; } }

#[telemetry::counted]
fn retry(attempts: &Cell<u32>) -> ! { loop { attempts.set(attempts.get() + 1); if attempts.get() == 3 { panic!("gave up") } } }

#[telemetry::counted]
fn fail() -> ! { panic!("failed") }

#[telemetry::counted]
fn finish() -> ! { std::process::exit(0) }

fn count(tail: &str) -> u64 {
    let name = format!("{}/{tail}", module_path!());
    telemetry::registry().get(&name).unwrap().get()
}

fn main() {
    assert_eq!(next_multiple(7, 20), 21);
    assert_eq!(count("next-multiple"), 1);

    panic::set_hook(Box::new(|_| {}));
    let attempts = Cell::new(0);
    let unwound = panic::catch_unwind(panic::AssertUnwindSafe(|| retry(&attempts)));
    assert!(unwound.is_err());
    assert_eq!(attempts.get(), 3);
    assert_eq!(count("retry"), 1);
    assert!(panic::catch_unwind(|| fail()).is_err());
    assert_eq!(count("fail"), 1);
    let _ = panic::take_hook();

    assert_eq!(count("finish"), 0);
    finish();
}
