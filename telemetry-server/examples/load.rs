//! Sends realistic reports to a running collection server and prints the rate and the
//! latencies: the command behind the load figures of docs/BENCHMARKS.md.
//!
//! ```sh
//! cargo run --release -p transparent-telemetry-server --example load -- \
//!     --url http://127.0.0.1:8700 --config signed-config.json [--reports 50000] \
//!     [--connections 32] [--seconds 300] [--half-open N] \
//!     [--downloaders N --download /data/YYYY-MM-DD.ndjson [--accept-encoding gzip]]
//! ```
//!
//! Beside the uploads, `--half-open N` holds N connections that each sent the start of
//! an upload's head and nothing more (opening again those the server closes), and
//! `--downloaders N` keeps N clients getting `--download PATH` in a loop (asking for the
//! compressed bytes with `--accept-encoding gzip`); both come from loopback addresses
//! of their own (127.1.x.y, 25 connections each; 127.2.0.x) when the server is on
//! 127.0.0.1. The exit status is 1 if an upload or a download failed, or a download's
//! bytes differed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use test_support::load::{self, Plan};

const USAGE: &str = "usage: load --url http://HOST:PORT --config SIGNED-CONFIG [--reports N] \
                     [--connections N] [--seconds LIMIT] [--half-open N] \
                     [--downloaders N --download PATH [--accept-encoding gzip]]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut plan = Plan::default();
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
            "--half-open" => number(value).map(|n| plan.half_open = n as usize).is_some(),
            "--downloaders" => number(value)
                .map(|n| plan.downloaders = n as usize)
                .is_some(),
            "--download" => {
                plan.download = value.clone();
                value.starts_with('/')
            }
            "--accept-encoding" => {
                plan.accept_encoding = value.clone();
                true
            }
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
    if plan.downloaders > 0 && plan.download.is_empty() {
        eprintln!("--downloaders needs --download PATH (a published day, /data/DAY.ndjson)");
        return ExitCode::from(2);
    }
    match load::run(&plan) {
        Ok(outcome) => {
            println!("{outcome}");
            let downloads_ok = outcome
                .downloads
                .as_ref()
                .is_none_or(|d| d.failed == 0 && d.differed == 0);
            if outcome.failed == 0 && downloads_ok {
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
