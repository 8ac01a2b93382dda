//! A body that starts with inner attributes, and declares items and locals named like
//! the expansion's: the attributes stay first, and neither side sees the other's names.

#![deny(warnings)]

#[telemetry::counted]
fn inner_attributes() -> u8 {
    #![allow(unused_variables)]
    //! An inner doc comment is an inner attribute too.
    let unused = 1;
    2
}

#[telemetry::counted]
fn same_names() -> u64 {
    #[allow(non_upper_case_globals)]
    static __TELEMETRY_COUNTED: u64 = 40;
    const __TELEMETRY_COUNTED_DECL: u64 = 1;
    let __telemetry_frame = 1;
    __TELEMETRY_COUNTED + __TELEMETRY_COUNTED_DECL + __telemetry_frame
}

fn main() {
    assert_eq!(inner_attributes(), 2);
    assert_eq!(same_names(), 42);
    let get = |tail: &str| {
        let name = format!("{}/{tail}", module_path!());
        telemetry::registry().get(&name).unwrap().get()
    };
    assert_eq!(get("inner-attributes"), 1);
    assert_eq!(get("same-names"), 1);
}
