use std::fmt;

struct Store;

impl fmt::Display for Store {
    #[telemetry::counted]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("store")
    }
}

fn main() {
    assert_eq!(Store.to_string(), "store");
    assert_eq!(format!("{Store}{Store}"), "storestore");
    let name = format!("{}/Store/Display/fmt", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 3);
}
