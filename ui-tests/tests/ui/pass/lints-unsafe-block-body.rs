//! A one-line body that is exactly one `unsafe {}` block, in an `unsafe fn` and in a
//! safe fn, under `#![deny(warnings)]`: neither `unused_braces` nor `unused_unsafe`.

#![deny(warnings)]

/// # Safety
/// `p` must be valid for reads.
#[telemetry::counted]
unsafe fn read(p: *const u8) -> u8 { unsafe { *p } } // SAFETY: the caller's promise.

#[telemetry::counted]
fn first(bytes: &[u8; 4]) -> u8 { unsafe { *bytes.get_unchecked(0) } } // SAFETY: 0 < 4.

fn main() {
    // SAFETY: a pointer to a local.
    assert_eq!(unsafe { read(&7) }, 7);
    assert_eq!(first(&[3, 2, 1, 0]), 3);
    let get = |tail: &str| {
        let name = format!("{}/{tail}", module_path!());
        telemetry::registry().get(&name).unwrap().get()
    };
    assert_eq!(get("read"), 1);
    assert_eq!(get("first"), 1);
}
