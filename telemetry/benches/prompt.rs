//! What a prompt adds to `start!()` when it is not due (the common case: the grace
//! period, the sample, or the spacing of askings says not today), side by side with
//! the same start without a prompt. The prompt's checks run as at a terminal, in the
//! foreground, outside CI, so every check that precedes the state file runs, and the
//! state file's time says it need not be read before the grace period ends: what
//! every start that does not ask pays, all but about one a month.
//!
//! Then the parts alone: the prompt's checks (the difference the first two measure,
//! without the noise of opening a counter file), the state file read and parsed (what
//! the one start that finds the file's day has come pays once more, before it moves
//! the day on), and the mode file read, for scale.
//!
//! `cargo bench -p transparent-telemetry --features upload --bench prompt`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use telemetry::PromptOutcome;
use telemetry_formats::prompt::{CI_VARS, State, When};
use telemetry_runtime::__private::{prompt_checks, start_unpublished, start_unpublished_prompted};
use telemetry_runtime::mode::Env;

fn start(c: &mut Criterion) {
    // SAFETY: criterion has started no thread yet.
    unsafe {
        for var in CI_VARS
            .iter()
            .chain(&["TELEMETRY_PROMPT", "DO_NOT_TRACK", "TELEMETRY_MODE"])
        {
            std::env::remove_var(var);
        }
    }
    let root = std::env::temp_dir().join(format!("telemetry-prompt-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let env = Env {
        dir: Some(root.clone()),
        ..Env::default()
    };
    let key = format!("ed25519:{}", "3b".repeat(32));
    let plain = telemetry::program!().upload("https://telemetry.example.org", key.clone());
    let prompted = telemetry::program!()
        .upload("https://telemetry.example.org", key)
        .prompt(telemetry::prompt!("to measure what a prompt costs"));
    // The namespace was first seen today: within the grace period, nothing is due.
    start_unpublished(&plain, &env).expect("opens");
    State::first(telemetry_runtime::date::day_of(
        telemetry_runtime::date::now_secs(),
    ))
    .write(&root.join("default"))
    .expect("the state file");
    let (_, outcome) = start_unpublished_prompted(&prompted, &env).expect("opens");
    assert!(
        matches!(outcome, PromptOutcome::NotDue(When::NotBefore(_))),
        "{outcome:?}"
    );
    let mut group = c.benchmark_group("start");
    group.bench_function("start, no prompt", |b| {
        b.iter(|| start_unpublished(black_box(&plain), &env).expect("opens"))
    });
    group.bench_function("start, prompt configured, not due", |b| {
        b.iter(|| start_unpublished_prompted(black_box(&prompted), &env).expect("opens"))
    });
    let namespace = root.join("default");
    let decision = telemetry_runtime::mode::decide_at(&env, Some(&namespace), prompted.defaults());
    group.bench_function("the prompt's checks alone, not due", |b| {
        b.iter(|| prompt_checks(black_box(&prompted), &namespace, &decision).expect("a prompt"))
    });
    group.bench_function("the state file read alone", |b| {
        b.iter(|| State::read(black_box(&namespace)).expect("readable"))
    });
    group.bench_function("the mode file read alone", |b| {
        b.iter(|| telemetry_formats::mode::read_mode_file(black_box(&namespace)))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, start);
criterion_main!(benches);
