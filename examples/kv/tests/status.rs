//! `kv telemetry status` as a user reads it: which setting decided the mode and where
//! that setting is (the program's default, the mode file, an environment variable,
//! the system policy), and what the prompt's state file remembers.

use std::path::Path;
use std::process::Command;

use telemetry_formats::prompt::CI_VARS;
use test_support::TempDir;

/// Runs `kv telemetry ARGS` with `TELEMETRY_DIR=root`, no other telemetry variable
/// but `vars`; returns stdout, having checked it succeeded.
fn kv_telemetry(root: &Path, args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kv"));
    command.arg("telemetry").args(args);
    for var in CI_VARS.iter().chain(&[
        "DO_NOT_TRACK",
        "TELEMETRY_MODE",
        "TELEMETRY_POLICY",
        "TELEMETRY_PROMPT",
        "KV_COLLECTOR",
        "KV_COLLECTOR_KEY",
    ]) {
        command.env_remove(var);
    }
    command
        .env("TELEMETRY_DIR", root)
        .envs(vars.iter().copied());
    let output = command.output().expect("kv runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The line of `status` that starts with `label`.
fn line<'a>(status: &'a str, label: &str) -> &'a str {
    status
        .lines()
        .find(|line| line.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in\n{status}"))
}

#[test]
fn status_says_which_setting_decided_and_where_it_is() {
    let root = TempDir::new("kv-status-decided");
    let status = kv_telemetry(&root, &["status"], &[]);
    assert_eq!(
        line(&status, "Decided by:"),
        "Decided by:    default of a fresh install"
    );
    assert_eq!(
        line(&status, "Set in:"),
        "Set in:        the program's source: its author's default for a fresh install; \
         `kv telemetry on`, `off` or `local` overrides it"
    );

    kv_telemetry(&root, &["on"], &[]);
    let status = kv_telemetry(&root, &["status"], &[]);
    assert!(line(&status, "Decided by:").starts_with("Decided by:    mode file, chosen "));
    assert_eq!(
        line(&status, "Set in:"),
        format!(
            "Set in:        {}: the user's choice; `kv telemetry on`, `off` or `local` changes it",
            root.join("default/mode").display()
        )
    );

    let status = kv_telemetry(&root, &["status"], &[("TELEMETRY_MODE", "local")]);
    assert_eq!(
        line(&status, "Decided by:"),
        "Decided by:    TELEMETRY_MODE=local (this process only)"
    );
    assert_eq!(
        line(&status, "Set in:"),
        "Set in:        the environment of this command (TELEMETRY_MODE), for the processes \
         that see it; it writes nothing"
    );

    let status = kv_telemetry(&root, &["status"], &[("DO_NOT_TRACK", "1")]);
    assert_eq!(
        line(&status, "Decided by:"),
        "Decided by:    DO_NOT_TRACK is set"
    );
    assert_eq!(
        line(&status, "Set in:"),
        "Set in:        the environment of this command (DO_NOT_TRACK): processes started \
         without it follow the mode file"
    );

    let policy = root.join("policy");
    std::fs::write(&policy, "# ours\nrust-telemetry-policy 1\nat-most local\n").unwrap();
    let policy = policy.to_str().unwrap();
    // The mode file says on; even TELEMETRY_MODE=on does not pass the policy.
    for vars in [
        vec![("TELEMETRY_POLICY", policy)],
        vec![("TELEMETRY_POLICY", policy), ("TELEMETRY_MODE", "on")],
    ] {
        let status = kv_telemetry(&root, &["status"], &vars);
        assert_eq!(line(&status, "Mode:"), "Mode:          local");
        assert_eq!(
            line(&status, "Decided by:"),
            format!("Decided by:    the policy file {policy} (line 3): at most local")
        );
        assert_eq!(
            line(&status, "Set in:"),
            format!(
                "Set in:        {policy}, line 3: the administrator's; no user's choice or \
                 variable can pass it"
            )
        );
    }
}

#[test]
fn status_shows_the_prompts_state_file() {
    let root = TempDir::new("kv-status-prompt");
    kv_telemetry(&root, &["local"], &[]);
    let status = kv_telemetry(&root, &["status"], &[]);
    assert_eq!(
        line(&status, "Prompt:"),
        "Prompt:        no program of this namespace has asked, or may ask, yet"
    );
    let file = root.join("default/prompt");
    std::fs::write(
        &file,
        "rust-telemetry-prompt 1\nfirst-seen 2026-11-22\ndraw 12\nasked 2\n\
         last-asked 2026-11-30\nnext 2026-12-07\n",
    )
    .unwrap();
    let status = kv_telemetry(&root, &["status"], &[]);
    assert_eq!(
        line(&status, "Prompt:"),
        format!(
            "Prompt:        first seen 2026-11-22, asked 2 times, last 2026-11-30; not again \
             before 2026-12-07 ({})",
            file.display()
        )
    );
    // Nothing else of the file is shown, and a file not understood is said to be so.
    std::fs::write(&file, "rust-telemetry-prompt 9\n").unwrap();
    let status = kv_telemetry(&root, &["status"], &[]);
    assert!(
        line(&status, "Prompt:").starts_with("Prompt:        unusable, so no program asks: "),
        "{status}"
    );
}

/// A rebuilt kv of the same version counts into the week's file of the build before
/// it: its `show` marks what that file holds and this build no longer declares (a
/// counter, a stack chain by its stack counter), and nothing it declares.
#[test]
fn show_marks_what_this_build_no_longer_declares() {
    let root = TempDir::new("kv-show-declared");
    let local = root.join("default").join("local");
    std::fs::create_dir_all(&local).expect("the local directory");
    let today = telemetry_formats::date::day_of(telemetry_formats::date::now_secs());
    test_support::kv_counter_file(
        &local,
        today - 20,
        &[
            ("kv/command:get", 3),
            ("kv/removed-feature", 2),
            ("kv/crash/panic-stack\nkv/commands/get", 1),
            ("kv/old-bug\nkv/commands/get", 4),
        ],
    );
    let show = kv_telemetry(&root, &["show"], &[]);
    let marked: Vec<&str> = show
        .lines()
        .filter(|line| line.ends_with("(not declared by this build)"))
        .map(str::trim)
        .collect();
    assert_eq!(
        marked,
        [
            "4  kv/old-bug <- kv/commands/get  (not declared by this build)",
            "2  kv/removed-feature  (not declared by this build)",
        ],
        "{show}"
    );
    assert!(show.contains("3  kv/command:get\n"), "{show}");
    // The `telemetry` command knows no build: it marks nothing.
}
