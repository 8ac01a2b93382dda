//! Every macro next to local items named like the standard items, primitive types and
//! crates an expansion might name without a full path.

#![allow(dead_code, non_camel_case_types, non_upper_case_globals, unused_macros)]

mod core {}
mod std {}
mod linkme {}
mod telemetry_runtime {}
mod alloc {}

struct Result;
struct Option;
struct Box;
struct Vec;
struct String;
struct Counter;
struct Histogram;
struct LabelSet;
struct StackCounter;
struct Decl;
struct Kind;
struct Origin;
struct Frame;
struct ChainTable;
struct REGISTRY;
const Ok: () = ();
const Err: () = ();
const Some: () = ();
const None: () = ();
const __TELEMETRY_COUNTER: () = ();

type usize = u16;
type u8 = u16;
type u32 = u16;
type u64 = u16;
type str = [u16];
type bool = u16;

macro_rules! module_path {
    () => {
        "shadowed"
    };
}
macro_rules! concat {
    () => {};
}
macro_rules! compile_error {
    () => {};
}

/// Derived name.
#[::telemetry::counted]
fn derived() {}

#[::telemetry::counted("ui/shadow/explicit")]
fn explicit() {
    ::telemetry::stack_counter!("ui/shadow/stack", depth = 3).inc();
}

struct Store;

impl Store {
    #[::telemetry::counted]
    fn get(&self) {
        explicit();
    }
}

#[::telemetry::counted]
async fn later() {}

fn main() {
    derived();
    Store.get();
    ::std::mem::drop(later());
    ::telemetry::counter!("ui/shadow/plain").inc();
    ::telemetry::counter!("ui/shadow/label:{a,b}").inc("a");
    ::telemetry::histogram!("ui/shadow/histogram", [1, 2], unit = "ms").record(0);

    let registry = ::telemetry::registry();
    let get = |name: &::std::primitive::str| match registry.get(name) {
        ::std::option::Option::Some(counter) => counter.get(),
        ::std::option::Option::None => ::std::panic!("`{name}` is not in the registry"),
    };
    let crate_name = ::std::module_path!();
    ::std::assert_eq!(get(&::std::format!("{crate_name}/derived")), 1);
    ::std::assert_eq!(get(&::std::format!("{crate_name}/Store/get")), 1);
    ::std::assert_eq!(get(&::std::format!("{crate_name}/later")), 0);
    ::std::assert_eq!(get("ui/shadow/explicit"), 1);
    ::std::assert_eq!(
        ::telemetry::stack_counter!("ui/shadow/stack", depth = 3).get(),
        1
    );
    ::std::assert_eq!(get("ui/shadow/plain"), 1);
    ::std::assert_eq!(get("ui/shadow/label:a"), 1);
    ::std::assert_eq!(get("ui/shadow/histogram:<1ms"), 1);
}
