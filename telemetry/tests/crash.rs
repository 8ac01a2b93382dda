//! The crash counter: `start!()` installs a panic hook that counts each panic, and the
//! chain of `#[counted]` functions around it, under the program's name, and chains to
//! the hook set before it. Each test panics a real child process and reads the counts
//! back from its counter file.

use std::process::Output;

use test_support::{TempDir, counts, finish, only_file, role_out, say};

/// This test binary's package, as `program!()` names it.
const PANIC: &str = "transparent-telemetry/crash/panic";
const STACK: &str = "transparent-telemetry/crash/panic-stack";

#[telemetry::counted("crash-test/outer")]
fn outer(fail: bool) -> u32 {
    inner(fail) + 1
}

#[telemetry::counted("crash-test/inner")]
fn inner(fail: bool) -> u32 {
    if fail {
        panic!("a secret message from /home/someone/private.txt");
    }
    1
}

#[test]
fn child_process_entry() {
    let Some(role) = test_support::role() else {
        return;
    };
    match role.as_str() {
        "panic-after-a-hook" => {
            std::panic::set_hook(Box::new(|_| say("the earlier hook ran")));
            telemetry::start!();
            outer(true);
        }
        "panic-on-a-thread" => {
            telemetry::start!();
            let joined = std::thread::spawn(|| outer(true)).join();
            say(format_args!("thread panicked: {}", joined.is_err()));
        }
        "hook-set-later" => {
            telemetry::start!();
            std::panic::set_hook(Box::new(|_| say("the later hook ran")));
            outer(true);
        }
        "no-panic" => {
            telemetry::start!();
            say(format_args!("outer={}", outer(false)));
        }
        other => panic!("unknown role {other}"),
    }
}

fn run(dir: &TempDir, role: &str) -> Output {
    test_support::child("child_process_entry", role)
        .env("TELEMETRY_DIR", dir.path())
        .output()
        .unwrap()
}

#[test]
fn a_panic_is_counted_with_its_chain_of_counted_functions_and_nothing_else() {
    let dir = TempDir::new("crash-panic");
    let output = run(&dir, "panic-after-a-hook");
    assert!(!output.status.success(), "the child panicked");
    assert_eq!(
        role_out(&output),
        ["the earlier hook ran"],
        "the hook set before start still runs"
    );
    let counted = counts(&only_file(&dir, "default"));
    assert_eq!(counted[PANIC], 1);
    assert_eq!(
        counted[&format!("{STACK}\ncrash-test/inner\ncrash-test/outer")],
        1
    );
    assert_eq!(counted["crash-test/inner"], 1);
    for name in counted.keys() {
        assert!(
            !name.contains("secret") && !name.contains("private"),
            "nothing of the panic's message reaches a name: {name:?}"
        );
    }
}

#[test]
fn a_panic_on_another_thread_is_counted_and_the_program_goes_on() {
    let dir = TempDir::new("crash-thread");
    let output = finish(
        test_support::child("child_process_entry", "panic-on-a-thread")
            .env("TELEMETRY_DIR", dir.path())
            .spawn()
            .unwrap(),
    );
    assert_eq!(role_out(&output), ["thread panicked: true"]);
    let counted = counts(&only_file(&dir, "default"));
    assert_eq!(counted[PANIC], 1);
    assert_eq!(
        counted[&format!("{STACK}\ncrash-test/inner\ncrash-test/outer")],
        1
    );
}

#[test]
fn a_hook_set_after_start_replaces_the_crash_counter_and_works() {
    let dir = TempDir::new("crash-later");
    let output = run(&dir, "hook-set-later");
    assert!(!output.status.success());
    assert_eq!(role_out(&output), ["the later hook ran"]);
    let counted = counts(&only_file(&dir, "default"));
    assert_eq!(
        counted[PANIC], 0,
        "std's rule: the later hook replaces ours"
    );
}

#[test]
fn without_a_panic_nothing_is_counted_and_both_counters_are_declared() {
    let dir = TempDir::new("crash-none");
    let output = finish(
        test_support::child("child_process_entry", "no-panic")
            .env("TELEMETRY_DIR", dir.path())
            .spawn()
            .unwrap(),
    );
    assert_eq!(role_out(&output), ["outer=2"]);
    let counted = counts(&only_file(&dir, "default"));
    assert_eq!(counted[PANIC], 0, "laid out in the file from the registry");
    assert!(!counted.keys().any(|n| n.starts_with(&format!("{STACK}\n"))));
    let registry = telemetry::registry();
    let panic = registry.get(PANIC).expect("declared by program!()");
    assert_eq!(panic.kind(), telemetry::Kind::Basic);
    let stack = registry.get(STACK).expect("declared by program!()");
    assert_eq!(stack.kind(), telemetry::Kind::Stack { depth: 16 });
    let manifest = telemetry::manifest();
    assert!(manifest.counters.iter().any(|c| c.name == PANIC));
    assert!(
        manifest
            .counters
            .iter()
            .any(|c| c.name == STACK && c.kind.as_str() == "stack")
    );
}
