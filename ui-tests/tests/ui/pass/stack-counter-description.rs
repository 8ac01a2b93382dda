fn main() {
    let stack = telemetry::stack_counter!(
        "ui/bug/no-frame",
        depth = 32,
        description = "Reached without a counted caller"
    );
    stack.inc();
    assert_eq!(stack.get(), 1);
    assert_eq!(
        stack.entry().description(),
        "Reached without a counted caller"
    );
    let chains: Vec<&str> = stack.chains().map(|c| c.name()).collect();
    assert_eq!(chains, ["ui/bug/no-frame"]);
}
