//! Runs one hot path of the counters a given number of times, for callgrind to count
//! the instructions: `telemetry-callgrind <path> <calls>` (`--list` names the paths).
//!
//! The guard in `tests/guard.rs` builds this program with the bench profile, runs it
//! under `valgrind --tool=callgrind` with collection switched on only inside
//! [`telemetry_callgrind_measured`], and divides the instructions counted there by the
//! number of calls. Before that function each path runs [`WARM_UP`] times, so what is
//! counted is the steady state: the counter's slot is resolved and the registry built,
//! and the first 64 increments of a counter, which look at the week's deadline, are
//! behind.
//!
//! It calls `start!()` first, as a real program does: otherwise the compiler, seeing
//! the whole program at once (the bench profile links with LTO), proves that the week's
//! deadline is never set and drops the increment's look at it, and the count would be
//! that of a program no one writes. The guard runs it with `TELEMETRY_MODE=off`, so it
//! counts in memory, creates no file, starts no thread and, with the deadline never
//! set, reads no clock.

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use telemetry::{Counter, Histogram, LabelSet, StackCounter, counted};

/// Calls of a path before the measured ones.
const WARM_UP: u64 = 100;

/// A path's name on the command line (and in the baseline) and its loop, which calls
/// the path as many times as it is told.
type Path = (&'static str, fn(u64));

/// Every path, in the baseline's order.
const PATHS: &[Path] = &[
    ("raw-atomic-add", raw_atomic_add),
    ("counter-inc", counter_inc),
    ("saved-counter-inc", saved_counter_inc),
    ("plain-empty-fn", plain_empty_fn),
    ("empty-fn-with-counter", empty_fn_with_counter),
    ("counted-empty-fn", counted_empty_fn),
    ("histogram-record", histogram_record),
    ("label-set-inc", label_set_inc),
    ("saved-label-set-inc", saved_label_set_inc),
    ("stack-counter-inc-depth-8", stack_counter_inc_depth_8),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [list] if list == "--list" => {
            for (name, _) in PATHS {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        [name, calls] => {
            let Some((_, path)) = PATHS.iter().find(|(known, _)| known == name) else {
                eprintln!("telemetry-callgrind: unknown path {name:?} (--list names them)");
                return ExitCode::from(2);
            };
            let Ok(calls) = calls.parse::<u64>() else {
                eprintln!("telemetry-callgrind: {calls:?} is not a number of calls");
                return ExitCode::from(2);
            };
            let _session = telemetry::start!();
            path(WARM_UP);
            telemetry_callgrind_measured(*path, calls);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: telemetry-callgrind <path> <calls> | --list");
            ExitCode::from(2)
        }
    }
}

/// The measured region: callgrind counts only inside this function (its option
/// `--toggle-collect` names it, hence the plain symbol name).
// SAFETY: no other symbol of the program is named `telemetry_callgrind_measured`.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn telemetry_callgrind_measured(path: fn(u64), calls: u64) {
    path(black_box(calls));
}

static RAW: AtomicU64 = AtomicU64::new(0);

/// The baseline: one relaxed atomic add on a `static`.
#[inline(never)]
fn raw_atomic_add(calls: u64) {
    for _ in 0..calls {
        black_box(&RAW).fetch_add(1, Ordering::Relaxed);
    }
}

#[inline(never)]
fn counter_inc(calls: u64) {
    for _ in 0..calls {
        telemetry::counter!("callgrind/counter").inc();
    }
}

#[inline(never)]
fn saved_counter_inc(calls: u64) {
    let counter: &'static Counter = telemetry::counter!("callgrind/saved-counter");
    for _ in 0..calls {
        black_box(counter).inc();
    }
}

#[inline(never)]
fn empty() {
    black_box(());
}

#[inline(never)]
fn with_counter() {
    telemetry::counter!("callgrind/empty-with-counter").inc();
    black_box(());
}

#[counted("callgrind/counted-empty")]
#[inline(never)]
fn counted() {
    black_box(());
}

/// The baseline of the functions: a call of a non-inlined empty function.
#[inline(never)]
fn plain_empty_fn(calls: u64) {
    for _ in 0..calls {
        empty();
    }
}

#[inline(never)]
fn empty_fn_with_counter(calls: u64) {
    for _ in 0..calls {
        with_counter();
    }
}

#[inline(never)]
fn counted_empty_fn(calls: u64) {
    for _ in 0..calls {
        counted();
    }
}

/// Values that fall in every bucket in turn.
const VALUES: [u64; 8] = [3, 27, 75, 250, 900, 12, 64, 499];

#[inline(never)]
fn histogram_record(calls: u64) {
    let histogram: &'static Histogram =
        telemetry::histogram!("callgrind/latency-ms", [10, 50, 100, 500]);
    for i in 0..calls {
        histogram.record(black_box(VALUES[i as usize & 7]));
    }
}

/// The label is opaque to the compiler, so the set's `match` runs on every call; it is
/// the 4th of the set's 5 labels (`other` is the 5th).
#[inline(never)]
fn label_set_inc(calls: u64) {
    for _ in 0..calls {
        telemetry::counter!("callgrind/editor:{vscode,vim,emacs,helix}").inc(black_box("helix"));
    }
}

#[inline(never)]
fn saved_label_set_inc(calls: u64) {
    let editors: &'static LabelSet =
        telemetry::counter!("callgrind/saved-editor:{vscode,vim,emacs,helix}");
    for _ in 0..calls {
        black_box(editors).inc(black_box("helix"));
    }
}

macro_rules! nest {
    ($($name:ident => $next:ident),* ; $last:ident) => {
        $(
            #[counted]
            #[inline(never)]
            fn $name(body: &mut dyn FnMut()) {
                $next(body)
            }
        )*
        #[counted]
        #[inline(never)]
        fn $last(body: &mut dyn FnMut()) {
            body()
        }
    };
}

nest!(frame1 => frame2, frame2 => frame3, frame3 => frame4, frame4 => frame5,
      frame5 => frame6, frame6 => frame7, frame7 => frame8; frame8);

/// A known chain of 8 `#[counted]` frames, the stack counter's depth.
#[inline(never)]
fn stack_counter_inc_depth_8(calls: u64) {
    let stack: &'static StackCounter = telemetry::stack_counter!("callgrind/bug", depth = 8);
    frame1(&mut || {
        for _ in 0..calls {
            stack.inc();
        }
    });
}
