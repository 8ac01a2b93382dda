//! The docs test itself: a doc that is wrong fails it, at the doc's line, with what
//! went wrong; what a block starts is stopped; nothing it writes leaves its scratch
//! directory.

use std::path::Path;

use docs_tests::markdown;
use docs_tests::runner::{self, Failure, MARKER};
use docs_tests::setup::Setup;

fn setup() -> &'static Setup {
    Setup::get(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-tests-harness"),
    )
}

/// Runs every shell block of `doc` (named `name`), as the docs test does.
fn run(name: &str, doc: &str) -> Vec<Failure> {
    let parsed = markdown::parse(doc);
    assert_eq!(parsed.problems, vec![], "the test's doc is well formed");
    let mut groups: Vec<Vec<&markdown::Block>> = Vec::new();
    for block in parsed.blocks.iter().filter(|b| b.is_shell()) {
        match (&block.directive, groups.last_mut()) {
            (Some(markdown::Directive::Continues), Some(group)) => group.push(block),
            _ => groups.push(vec![block]),
        }
    }
    groups
        .iter()
        .flat_map(|group| runner::run_blocks(setup(), name, group))
        .collect()
}

fn only(failures: &[Failure]) -> &Failure {
    assert_eq!(failures.len(), 1, "{failures:#?}");
    &failures[0]
}

/// The processes still alive whose environment holds the marker of the scratch
/// directory `name` (the doc's name and the block's fence line: `server-md-2`).
fn leftover_processes(name: &str) -> Vec<String> {
    let scratch = setup().scratch.join(name).display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        let marked = environ
            .split(|&b| b == 0)
            .any(|e| e == format!("{MARKER}={scratch}").as_bytes());
        if marked && !zombie {
            found.push(stat);
        }
    }
    found
}

#[test]
fn a_working_block_passes() {
    let failures = run(
        "ok.md",
        "# Ok\n\n```sh\nexport GREETING=hello   # a comment\ntest \"$GREETING\" = hello\ntelemetry --version\ncargo run -q -p transparent-telemetry-cli -- --version\n```\n",
    );
    assert_eq!(failures, vec![]);
}

#[test]
fn a_failing_command_is_named_at_its_line_with_its_status_and_output() {
    let failures = run(
        "fail.md",
        "# Fail\n\n```sh\necho first\nsh -c 'echo went wrong; exit 3'\necho never\n```\n",
    );
    let failure = only(&failures);
    assert_eq!((failure.doc.as_str(), failure.line), ("fail.md", 5));
    assert!(
        failure.message.contains("exit status 3"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("| went wrong"),
        "{}",
        failure.message
    );
    assert!(
        failure.to_string().starts_with("fail.md:5: `sh -c"),
        "{failure}"
    );
}

#[test]
fn a_renamed_flag_or_an_ambiguous_cargo_run_fails() {
    let failures = run(
        "flags.md",
        "```sh\ntelemetry show --jsn\n```\n\n```sh\ncargo run -q -p transparent-telemetry-cli --bin nope -- show\n```\n",
    );
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert_eq!(failures[0].line, 2);
    assert!(
        failures[0].message.contains("unknown flag"),
        "{}",
        failures[0].message
    );
    assert_eq!(failures[1].line, 6);
    assert!(
        failures[1].message.contains("no bin target named `nope`"),
        "{}",
        failures[1].message
    );
}

#[test]
fn console_blocks_compare_output_and_exit_status() {
    let failures = run(
        "console.md",
        "```console\n$ printf 'a\\nb\\nc\\nkv 42\\n'\na\n...\nkv [..]\n$ sh -c 'exit 2'\n[exit status 2]\n$ echo hello\ngoodbye\n$ sh -c 'exit 1'\n```\n",
    );
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert_eq!(failures[0].line, 8);
    assert!(
        failures[0].message.contains("| goodbye") && failures[0].message.contains("| hello"),
        "{}",
        failures[0].message
    );
    assert_eq!(failures[1].line, 10);
    assert!(
        failures[1]
            .message
            .contains("exit status 1, the doc shows 0"),
        "{}",
        failures[1].message
    );
}

#[test]
fn a_background_command_that_fails_is_reported_and_one_still_running_is_stopped() {
    let failures = run(
        "background.md",
        "```sh\nsh -c 'sleep 0.2; echo broke; exit 4' &\nsleep 1000 &\nsleep 0.5\n```\n",
    );
    let failure = only(&failures);
    assert_eq!(failure.line, 2);
    assert!(
        failure.message.contains("exited with status 4") && failure.message.contains("| broke"),
        "{}",
        failure.message
    );
    assert_eq!(leftover_processes("background-md-1"), Vec::<String>::new());
}

#[test]
fn a_server_runs_until_the_block_ends_and_is_stopped() {
    let failures = run(
        "server.md",
        "<!-- docs-test: server -->\n```sh\necho ready > flag\nsh -c 'echo listening; exec sleep 1000'\n```\n\n<!-- docs-test: server -->\n```sh\ntelemetry-server serve --config missing.json\n```\n",
    );
    let failure = only(&failures);
    assert_eq!(failure.line, 9);
    assert!(
        failure.message.contains("should run until it is stopped"),
        "{}",
        failure.message
    );
    assert_eq!(leftover_processes("server-md-2"), Vec::<String>::new());
    assert_eq!(leftover_processes("server-md-8"), Vec::<String>::new());
}

#[test]
fn a_detached_process_is_stopped_too() {
    let failures = run(
        "detached.md",
        // A session of its own, not in the block's process group or background list,
        // as a program's detached child would be: only its environment marks it.
        "```sh\nsh -c 'setsid sleep 1000 > /dev/null 2>&1 < /dev/null &'\nsleep 0.2\n```\n",
    );
    assert_eq!(failures, vec![]);
    assert_eq!(leftover_processes("detached-md-1"), Vec::<String>::new());
}

#[test]
fn a_block_may_continue_the_one_before_it() {
    let failures = run(
        "continues.md",
        "```sh\nexport KEPT=yes\ntouch made-here\n```\n\nText.\n\n<!-- docs-test: continues -->\n```sh\ntest \"$KEPT\" = yes\ntest -e made-here\n```\n\n```sh\ntest -e made-here\n```\n",
    );
    let failure = only(&failures);
    assert_eq!(
        failure.line, 15,
        "a block that does not continue starts afresh"
    );
}

#[test]
fn the_docs_run_at_the_root_of_a_scratch_clone_with_a_scratch_home() {
    let failures = run(
        "where.md",
        "```console\n$ echo \"$HOME\"\n[..]/docs-tests-harness/where-md-1/home\n$ echo \"$TMPDIR\"\n[..]/docs-tests-harness/where-md-1/tmp\n$ ls docs/kv-manifest.json README.md\nREADME.md\ndocs/kv-manifest.json\n$ test -e target/debug/kv\n[exit status 1]\n$ cargo build -p kv\n$ test -x target/debug/kv\n$ env | grep -c '^TELEMETRY_\\|^DO_NOT_TRACK\\|^CI='\n0\n[exit status 1]\n$ echo \"$EDITOR\"\ntrue\n```\n",
    );
    assert_eq!(failures, vec![]);
}

#[test]
fn commands_that_cannot_run_line_by_line_are_refused() {
    let failures = run(
        "compound.md",
        "```sh\nfor x in a b; do\n  echo $x\ndone\n```\n",
    );
    let failure = only(&failures);
    assert_eq!(failure.line, 2);
    assert!(
        failure.message.contains("one command per line"),
        "{}",
        failure.message
    );
}
