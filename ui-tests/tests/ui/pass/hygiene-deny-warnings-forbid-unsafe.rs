//! Every macro in a crate that turns every warning into an error and forbids unsafe
//! code: the expansions must add neither.

#![deny(warnings)]
#![forbid(unsafe_code)]

/// Counted with a derived name.
#[telemetry::counted]
fn derived() {}

/// Counted with an explicit name.
#[telemetry::counted("ui/hygiene/explicit", description = "Explicit")]
fn explicit() -> u8 {
    telemetry::stack_counter!("ui/hygiene/stack", depth = 2).inc();
    1
}

struct Store;

impl Store {
    #[telemetry::counted]
    fn get(&self) -> u8 {
        explicit()
    }
}

#[telemetry::counted]
async fn later() {}

fn main() {
    derived();
    assert_eq!(Store.get(), 1);
    drop(later());
    telemetry::counter!("ui/hygiene/plain").inc();
    telemetry::counter!("ui/hygiene/described", description = "Described").inc();
    telemetry::counter!("ui/hygiene/label:{a,b}").inc("c");
    telemetry::histogram!("ui/hygiene/histogram", [1, 2], unit = "ms").record(1);

    let registry = telemetry::registry();
    let get = |name: &str| registry.get(name).unwrap().get();
    assert_eq!(get(&format!("{}/derived", module_path!())), 1);
    assert_eq!(get(&format!("{}/Store/get", module_path!())), 1);
    assert_eq!(get(&format!("{}/later", module_path!())), 0);
    assert_eq!(get("ui/hygiene/explicit"), 1);
    assert_eq!(
        telemetry::stack_counter!("ui/hygiene/stack", depth = 2).get(),
        1
    );
    assert_eq!(get("ui/hygiene/plain"), 1);
    assert_eq!(get("ui/hygiene/described"), 1);
    assert_eq!(get("ui/hygiene/label:other"), 1);
    assert_eq!(get("ui/hygiene/histogram:<2ms"), 1);
    registry.check().unwrap();
}
