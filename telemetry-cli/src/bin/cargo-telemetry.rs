//! `cargo telemetry …`: cargo runs this as `cargo-telemetry telemetry …`. The same
//! program as `telemetry`, which sees the name it was started under.

fn main() -> std::process::ExitCode {
    telemetry_cli::main()
}
