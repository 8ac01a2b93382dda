//! Compile-pass and compile-fail tests of every telemetry macro form and error.
//!
//! The tests are pinned to the one stable toolchain the workspace builds with. The
//! compiler's wording changes between releases, so after a toolchain change regenerate
//! the `.stderr` snapshots with `TRYBUILD=overwrite cargo test -p ui-tests` and review
//! the diff like code: every caret must still point at the offending token.

#[test]
fn pass() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
