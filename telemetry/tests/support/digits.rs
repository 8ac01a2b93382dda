//! Frames for building many distinct call chains: chain `i` enters `d0`…`d3` following
//! the base-4 digits of `i`, least significant first, then counts once. Shared by the
//! test binaries that need thousands of chains.

use telemetry::{StackCounter, counted};

#[counted("digits/d0")]
pub fn d0(rest: &[u8], stack: &'static StackCounter) {
    next(rest, stack)
}

#[counted("digits/d1")]
pub fn d1(rest: &[u8], stack: &'static StackCounter) {
    next(rest, stack)
}

#[counted("digits/d2")]
pub fn d2(rest: &[u8], stack: &'static StackCounter) {
    next(rest, stack)
}

#[counted("digits/d3")]
pub fn d3(rest: &[u8], stack: &'static StackCounter) {
    next(rest, stack)
}

/// Enters the frame of the first digit, or counts when none is left.
pub fn next(digits: &[u8], stack: &'static StackCounter) {
    match digits.split_first() {
        None => stack.inc(),
        Some((0, rest)) => d0(rest, stack),
        Some((1, rest)) => d1(rest, stack),
        Some((2, rest)) => d2(rest, stack),
        Some((_, rest)) => d3(rest, stack),
    }
}

/// The six base-4 digits of `i`, least significant first.
pub fn of(mut i: usize) -> [u8; 6] {
    let mut out = [0; 6];
    for d in out.iter_mut() {
        *d = (i % 4) as u8;
        i /= 4;
    }
    out
}
