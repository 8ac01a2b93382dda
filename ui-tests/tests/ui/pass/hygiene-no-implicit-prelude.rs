//! Every macro in a crate without the implicit prelude: the expansions must name
//! everything by a full path.

#![no_implicit_prelude]

/// Derived name.
#[::telemetry::counted]
fn derived() {}

#[::telemetry::counted("ui/no-prelude/explicit")]
fn explicit() {
    ::telemetry::stack_counter!("ui/no-prelude/stack", depth = 3).inc();
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
    ::telemetry::counter!("ui/no-prelude/plain").inc();
    ::telemetry::counter!("ui/no-prelude/label:{a,b}").inc("a");
    ::telemetry::histogram!("ui/no-prelude/histogram", [1, 2], unit = "ms").record(0);

    let registry = ::telemetry::registry();
    let get = |name: &str| match registry.get(name) {
        ::std::option::Option::Some(counter) => counter.get(),
        ::std::option::Option::None => ::std::panic!("`{name}` is not in the registry"),
    };
    let crate_name = ::std::module_path!();
    ::std::assert_eq!(get(&::std::format!("{crate_name}/derived")), 1);
    ::std::assert_eq!(get(&::std::format!("{crate_name}/Store/get")), 1);
    ::std::assert_eq!(get("ui/no-prelude/explicit"), 1);
    ::std::assert_eq!(
        ::telemetry::stack_counter!("ui/no-prelude/stack", depth = 3).get(),
        1
    );
    ::std::assert_eq!(get("ui/no-prelude/plain"), 1);
    ::std::assert_eq!(get("ui/no-prelude/label:a"), 1);
    ::std::assert_eq!(get("ui/no-prelude/histogram:<1ms"), 1);
}
