trait Codec {
    #[telemetry::counted]
    fn encode(&self) -> u8;
}

fn main() {}
