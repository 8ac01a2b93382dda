#[telemetry::counted("ui/parse:{ok,err}")]
fn parse() {}

fn main() {
    parse();
}
