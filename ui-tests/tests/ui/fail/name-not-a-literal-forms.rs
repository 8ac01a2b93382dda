// Every way of passing a name that is not a string literal gets the same message,
// on the whole expression.

fn main() {
    let name = "ui/dynamic";
    let owned = String::from("ui/dynamic");
    telemetry::counter!(name).inc();
    telemetry::counter!(&owned).inc();
    telemetry::counter!(owned.as_str()).inc();
    telemetry::counter!(name = owned).inc();
    telemetry::counter!(format!("ui/{}", 1), description = "d").inc();
    telemetry::histogram!(&owned, [1, 2]).record(1);
    telemetry::stack_counter!(name, depth = 4).inc();
}

#[telemetry::counted(name = NAME)]
fn counted_with_a_constant() {}

const NAME: &str = "ui/constant";
