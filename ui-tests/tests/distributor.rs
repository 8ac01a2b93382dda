//! The distributor's build settings, read by `program!()` while the program compiles:
//! `TELEMETRY_DEFAULT_MODE=off|local` and `TELEMETRY_DEFAULT_PROMPT=never` reach the
//! built program, which then counts nothing to files (off) and never asks; `on`, or
//! any other value, fails the build with a message on the `program!()` call.
//!
//! The same program is built again after each change of the settings, in the same
//! target directory, and checks when it runs which settings it was built with: that
//! proves cargo rebuilds a program when a distributor changes them (the expansion
//! holds `option_env!` of both, which the compiler records for cargo).
//!
//! The variables are set in this test's own process, which trybuild's builds inherit,
//! so every step runs in one test, one after the other.

/// Sets the distributor's variables for the builds that follow (`None` removes one),
/// and what the built program is to find.
fn distributor(mode: Option<&str>, prompt: Option<&str>, expect: &str) {
    for (var, value) in [
        ("TELEMETRY_DEFAULT_MODE", mode),
        ("TELEMETRY_DEFAULT_PROMPT", prompt),
        ("DISTRIBUTOR_EXPECT", Some(expect)),
    ] {
        // SAFETY: this test is the only one in its process, and nothing else reads
        // the environment while it sets it.
        unsafe {
            match value {
                Some(value) => std::env::set_var(var, value),
                None => std::env::remove_var(var),
            }
        }
    }
}

#[test]
fn the_distributors_settings_are_read_at_compile_time_and_a_change_rebuilds() {
    distributor(Some("off"), Some("never"), "off never");
    trybuild::TestCases::new().pass("tests/distributor/pass/settings.rs");
    distributor(Some("local"), None, "local");
    trybuild::TestCases::new().pass("tests/distributor/pass/settings.rs");
    distributor(None, None, "none");
    trybuild::TestCases::new().pass("tests/distributor/pass/settings.rs");
    distributor(Some("on"), None, "none");
    trybuild::TestCases::new().compile_fail("tests/distributor/fail/default-mode-on.rs");
    distributor(None, Some("always"), "none");
    trybuild::TestCases::new().compile_fail("tests/distributor/fail/default-prompt-always.rs");
    distributor(None, None, "none");
}
