//! `crate = path`: every macro through a re-export of telemetry under another name,
//! directly and from a `macro_rules!` wrapper that passes `$crate`, as a library
//! re-exporting telemetry would.

mod re {
    pub use telemetry as t;
}

macro_rules! my_counter {
    ($name:literal) => {
        $crate::re::t::counter!($name, crate = $crate::re::t)
    };
}

/// Derived name.
#[re::t::counted(crate = crate::re::t)]
fn derived() {}

#[re::t::counted("ui/crate-path/explicit", crate = crate::re::t)]
fn explicit() {
    re::t::stack_counter!("ui/crate-path/stack", depth = 2, crate = crate::re::t).inc();
}

struct Store;

impl Store {
    #[re::t::counted(crate = crate::re::t)]
    fn get(&self) {
        explicit();
    }
}

#[re::t::counted(crate = crate::re::t)]
async fn later() {}

fn main() {
    derived();
    Store.get();
    drop(later());
    re::t::counter!("ui/crate-path/plain", crate = crate::re::t).inc();
    re::t::counter!("ui/crate-path/label:{a,b}", crate = ::telemetry).inc("b");
    my_counter!("ui/crate-path/wrapped").inc();
    re::t::histogram!("ui/crate-path/histogram", [5], crate = self::re::t).record(9);

    let registry = telemetry::registry();
    let get = |name: &str| registry.get(name).unwrap().get();
    assert_eq!(get(&format!("{}/derived", module_path!())), 1);
    assert_eq!(get(&format!("{}/Store/get", module_path!())), 1);
    assert_eq!(get(&format!("{}/later", module_path!())), 0);
    assert_eq!(get("ui/crate-path/explicit"), 1);
    assert_eq!(
        re::t::stack_counter!("ui/crate-path/stack", depth = 2, crate = crate::re::t).get(),
        1
    );
    assert_eq!(get("ui/crate-path/plain"), 1);
    assert_eq!(get("ui/crate-path/label:b"), 1);
    assert_eq!(get("ui/crate-path/wrapped"), 1);
    assert_eq!(get("ui/crate-path/histogram:>=5"), 1);
    registry.check().unwrap();
}
