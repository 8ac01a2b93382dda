struct Store;

impl Store {
    #[telemetry::counted]
    fn new() -> Store {
        Store
    }
}

fn main() {
    let _a = Store::new();
    let _b = Store::new();
    let name = format!("{}/Store/new", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
}
