use std::panic::Location;

#[telemetry::counted]
#[track_caller]
fn where_called() -> &'static Location<'static> {
    Location::caller()
}

fn main() {
    let expected_line = line!() + 1;
    let location = where_called();
    assert_eq!(location.file(), file!());
    assert_eq!(location.line(), expected_line);
    let name = format!("{}/where-called", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 1);
}
