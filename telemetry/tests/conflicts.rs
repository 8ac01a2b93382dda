//! Conflicting declarations are found when the registry is first read, reported with
//! every site, and never merged. (A test binary of its own: the conflicts it declares
//! would fail the other binaries' `registry().check()`.)

use telemetry::registry;

macro_rules! constructor {
    () => {
        // Written by a macro: the enclosing type cannot be found, so both expansions
        // derive `conflicts/make`.
        #[telemetry::counted]
        fn make() -> Self {
            Self
        }
    };
}

struct A;
struct B;

impl A {
    constructor!();
}

impl B {
    constructor!();
}

fn basic() -> &'static telemetry::Counter {
    telemetry::counter!("conflict-test/x:<10")
}

fn histogram() -> &'static telemetry::Histogram {
    telemetry::histogram!("conflict-test/x", [10])
}

#[test]
fn a_basic_counter_and_a_histogram_bucket_of_one_name_are_reported_with_both_sites() {
    let conflict = registry()
        .conflicts()
        .iter()
        .find(|c| c.name() == "conflict-test/x:<10")
        .expect("conflict found");
    let lines: Vec<u32> = conflict.sites().iter().map(|s| s.line()).collect();
    let source = include_str!("conflicts.rs");
    let line_of =
        |needle: &str| source.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
    let mut expected = vec![
        line_of("telemetry::counter!(\"conflict-test/x:<10\")"),
        line_of("telemetry::histogram!(\"conflict-test/x\", [10])"),
    ];
    expected.sort();
    let mut lines_sorted = lines.clone();
    lines_sorted.sort();
    assert_eq!(lines_sorted, expected);
    let text = registry().check().unwrap_err().to_string();
    assert!(
        text.contains(&format!(
            "tests/conflicts.rs:{} (conflicts in crate `conflicts`) basic",
            expected[0]
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "tests/conflicts.rs:{} (conflicts in crate `conflicts`) histogram bucket of [10]",
            expected[1]
        )),
        "{text}"
    );
}

#[test]
fn conflicting_sites_count_apart() {
    basic().inc();
    histogram().record(3);
    histogram().record(4);
    assert_eq!(basic().get(), 1);
    assert_eq!(histogram().buckets()[0].get(), 2);
}

#[test]
fn two_derived_names_that_meet_are_a_conflict() {
    let _ = (A::make(), B::make(), B::make());
    let conflict = registry()
        .conflicts()
        .iter()
        .find(|c| c.name() == "conflicts/make")
        .expect("derived collision found");
    assert_eq!(conflict.sites().len(), 2);
    let counts: Vec<u64> = conflict.sites().iter().map(|s| s.get()).collect();
    assert_eq!(
        counts.iter().sum::<u64>(),
        3,
        "each site keeps its own count: {counts:?}"
    );
    assert!(conflict.to_string().contains("name derived by #[counted]"));
}

/// Plays a program that reads the registry (which reports its conflicts on stderr in
/// debug builds), when started as a child.
#[test]
fn child_process_entry() {
    if test_support::role().as_deref() == Some("read-registry") {
        test_support::say(format_args!("conflicts={}", registry().conflicts().len()));
    }
}

#[cfg(unix)]
#[test]
fn reporting_conflicts_to_a_full_stderr_does_not_panic() {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = test_support::child("child_process_entry", "read-registry")
        .env("TELEMETRY_MODE", "off")
        .stderr(full)
        .output()
        .unwrap();
    assert!(output.status.success(), "the child ran to its end");
    assert_eq!(test_support::role_out(&output), ["conflicts=2"]);
}
