trait Codec {
    #[telemetry::counted]
    fn encode(&self) -> u8 {
        self.tag()
    }

    fn tag(&self) -> u8;
}

struct A;
struct B;

impl Codec for A {
    fn tag(&self) -> u8 {
        1
    }
}

impl Codec for B {
    fn tag(&self) -> u8 {
        2
    }
}

fn main() {
    assert_eq!(A.encode() + B.encode() + B.encode(), 5);
    // Every implementor counts in the one counter of the default method.
    let name = format!("{}/Codec/encode", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 3);
}
