struct Store(u32);

impl Store {
    #[telemetry::counted]
    fn get(&self, key: u32) -> Option<u32> {
        (key == self.0).then_some(key)
    }

    #[telemetry::counted]
    fn set(&mut self, key: u32) {
        self.0 = key;
    }
}

fn main() {
    let mut store = Store(1);
    assert_eq!(store.get(1), Some(1));
    store.set(2);
    assert_eq!(store.get(1), None);
    let registry = telemetry::registry();
    assert_eq!(
        registry
            .get(&format!("{}/Store/get", module_path!()))
            .unwrap()
            .get(),
        2
    );
    assert_eq!(
        registry
            .get(&format!("{}/Store/set", module_path!()))
            .unwrap()
            .get(),
        1
    );
}
