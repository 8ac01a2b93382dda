#[telemetry::counted("ui/outer")]
fn outer() {
    inner();
}

#[telemetry::counted("ui/inner")]
fn inner() {
    telemetry::stack_counter!("ui/bug/stack", depth = 1).inc();
}

fn main() {
    outer();
    inner();
    let stack = telemetry::stack_counter!("ui/bug/stack", depth = 1);
    assert_eq!(stack.depth(), 1);
    assert_eq!(stack.get(), 2);
    let mut chains: Vec<(&str, u64)> = stack.chains().map(|c| (c.name(), c.get())).collect();
    chains.sort();
    // Depth 1: only the innermost frame, so both calls share one chain.
    assert_eq!(chains, [("ui/bug/stack\nui/inner", 2)]);
}
