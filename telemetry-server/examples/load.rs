//! Sends realistic reports to a running collection server and prints the rate and the
//! latencies: the command behind the load figures of docs/BENCHMARKS.md.
//!
//! ```sh
//! cargo run --release -p transparent-telemetry-server --example load -- \
//!     --url http://127.0.0.1:8700 --config signed-config.json [--reports 50000] \
//!     [--connections 32] [--seconds 300]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use test_support::load::{self, Plan};

const USAGE: &str = "usage: load --url http://HOST:PORT --config SIGNED-CONFIG [--reports N] \
                     [--connections N] [--seconds LIMIT]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut plan = Plan {
        url: String::new(),
        config: PathBuf::new(),
        reports: 50_000,
        connections: 32,
        limit: Duration::from_secs(300),
    };
    for pair in args.chunks(2) {
        let [name, value] = pair else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        };
        let number = |value: &str| value.parse::<u64>().ok();
        let ok = match name.as_str() {
            "--url" => {
                plan.url = value.clone();
                true
            }
            "--config" => {
                plan.config = PathBuf::from(value);
                true
            }
            "--reports" => number(value).map(|n| plan.reports = n as usize).is_some(),
            "--connections" => number(value)
                .map(|n| plan.connections = n as usize)
                .is_some(),
            "--seconds" => number(value)
                .map(|n| plan.limit = Duration::from_secs(n))
                .is_some(),
            _ => false,
        };
        if !ok {
            eprintln!("{name} {value:?}: not understood\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    if plan.url.is_empty() || plan.config.as_os_str().is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    match load::run(&plan) {
        Ok(outcome) => {
            println!("{outcome}");
            if outcome.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::from(2)
        }
    }
}
