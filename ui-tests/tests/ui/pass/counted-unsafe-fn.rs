/// # Safety
/// `p` must be valid for reads.
#[telemetry::counted]
unsafe fn read(p: *const u8) -> u8 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *p }
}

fn main() {
    // The attribute keeps the function `unsafe`.
    let f: unsafe fn(*const u8) -> u8 = read;
    // SAFETY: a pointer to a local.
    assert_eq!(unsafe { f(&9) }, 9);
    let name = format!("{}/read", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 1);
}
