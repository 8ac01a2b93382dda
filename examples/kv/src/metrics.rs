//! kv's own counters, besides the calls that `#[counted]` counts: which commands run,
//! and how long each takes.

use std::time::Instant;

use telemetry::{Histogram, LabelSet};

/// How long each command took, in milliseconds, from start to finish.
pub(crate) fn latency() -> &'static Histogram {
    telemetry::histogram!(
        "kv/command-latency",
        [1, 5, 20, 100, 500],
        unit = "ms",
        description = "How long each command took, from start to finish"
    )
}

/// Commands run, by name.
pub(crate) fn commands() -> &'static LabelSet {
    telemetry::counter!(
        "kv/command:{set,get,del,list,import,compact,demo,counters,telemetry}",
        description = "Commands run, by name"
    )
}

/// Runs the command named `name`: counts it when it starts, and records how long it
/// took when it ends.
pub(crate) fn measured<T>(name: &str, command: impl FnOnce() -> T) -> T {
    commands().inc(name);
    let start = Instant::now();
    let result = command();
    latency().record_millis(start.elapsed());
    result
}
