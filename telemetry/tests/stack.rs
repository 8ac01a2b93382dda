//! Stack counters: chains made of registry names, exact counts, per thread.

use std::collections::BTreeMap;

use telemetry::{StackCounter, counted};

fn bug() -> &'static StackCounter {
    telemetry::stack_counter!("stack-test/bug", depth = 3)
}

fn chains(stack: &'static StackCounter) -> BTreeMap<String, u64> {
    stack
        .chains()
        .map(|c| (c.name().replace('\n', " <- "), c.get()))
        .collect()
}

#[counted("stack-test/outer")]
fn outer(inner_times: u32) {
    for _ in 0..inner_times {
        middle();
    }
    bug().inc();
}

#[counted("stack-test/middle")]
fn middle() {
    inner();
}

#[counted("stack-test/inner")]
fn inner() {
    bug().inc();
}

#[counted("stack-test/deep")]
fn deep(n: u32) {
    if n == 0 {
        bug().inc();
    } else {
        deep(n - 1);
    }
}

#[test]
fn each_distinct_chain_is_its_own_counter_innermost_first() {
    outer(2);
    bug().inc();
    inner();
    let got = chains(bug());
    let expected: BTreeMap<String, u64> = [
        (
            "stack-test/bug <- stack-test/inner <- stack-test/middle <- stack-test/outer",
            2,
        ),
        ("stack-test/bug <- stack-test/outer", 1),
        ("stack-test/bug", 1),
        ("stack-test/bug <- stack-test/inner", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // Other tests of this binary may add chains of their own; these must be exact.
    for (name, count) in &expected {
        assert_eq!(got.get(name), Some(count), "{name} in {got:#?}");
    }
}

#[test]
fn chains_stop_at_the_declared_depth() {
    std::thread::spawn(|| deep(10)).join().unwrap();
    let got = chains(bug());
    let key = "stack-test/bug <- stack-test/deep <- stack-test/deep <- stack-test/deep";
    assert_eq!(got.get(key), Some(&1), "{got:#?}");
}

#[test]
fn frames_of_other_threads_never_mix_in() {
    let stack = telemetry::stack_counter!("stack-test/threads", depth = 4);
    #[counted("stack-test/worker-a")]
    fn worker_a(stack: &'static StackCounter) {
        for _ in 0..1000 {
            stack.inc();
        }
    }
    #[counted("stack-test/worker-b")]
    fn worker_b(stack: &'static StackCounter) {
        for _ in 0..1000 {
            stack.inc();
        }
    }
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                if i % 2 == 0 {
                    worker_a(stack)
                } else {
                    worker_b(stack)
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = chains(stack);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got["stack-test/threads <- stack-test/worker-a"], 2000);
    assert_eq!(got["stack-test/threads <- stack-test/worker-b"], 2000);
    assert_eq!(stack.get(), 4000);
}

#[path = "support/digits.rs"]
mod digits;

#[test]
fn thousands_of_chains_created_by_racing_threads_are_each_kept_once() {
    let stack = telemetry::stack_counter!("stack-test/many", depth = 6);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                for i in 0..4096 {
                    digits::next(&digits::of(i), stack);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = chains(stack);
    assert_eq!(got.len(), 4096);
    assert!(
        got.values().all(|&count| count == 4),
        "every chain counted by every thread"
    );
    assert_eq!(stack.get(), 4 * 4096);
}
