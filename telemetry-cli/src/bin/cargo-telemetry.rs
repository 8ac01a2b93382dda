//! `cargo telemetry …`: cargo runs this as `cargo-telemetry telemetry …`. The same
//! program as `telemetry`, which sees the name it was started under.

#![warn(clippy::unwrap_used, clippy::expect_used)]

#[path = "../app/mod.rs"]
mod app;

fn main() -> std::process::ExitCode {
    app::main()
}
