#[telemetry::counted]
fn explode() {
    panic!("expected");
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    assert!(std::panic::catch_unwind(explode).is_err());
    assert!(std::panic::catch_unwind(explode).is_err());
    let _ = std::panic::take_hook();
    let name = format!("{}/explode", module_path!());
    assert_eq!(telemetry::registry().get(&name).unwrap().get(), 2);
    // Unwinding left no frame behind on the shadow stack.
    let stack = telemetry::stack_counter!("ui/after-panic", depth = 4);
    stack.inc();
    let chains: Vec<&str> = stack.chains().map(|c| c.name()).collect();
    assert_eq!(chains, ["ui/after-panic"]);
}
