//! kv's prompt, driven in a real pseudo-terminal as a person at a terminal meets it:
//! the first run never asks; a due run asks; each answer (`y`, `n`, Enter, end of
//! input, Ctrl-C, silence) does what `docs/CONSENT.md` says; one answer, or one asking
//! a day, serves every program of the namespace; and nothing asks where nobody should
//! be asked (no terminal, CI, `DO_NOT_TRACK`, a policy), `DO_NOT_TRACK` writing nothing
//! at all.
//!
//! kv asks only when it names a collector: every run here names one on a loopback
//! port nothing listens on, so nothing can be sent. Every run gets a telemetry
//! directory of its own and none of the variables of CI or telemetry unless the test
//! sets them.

#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use telemetry_formats::date;
use telemetry_formats::prompt::{CI_VARS, PROMPT_FILE, State};
use test_support::TempDir;
use test_support::pty::{self, Pty};

/// The line the answer is typed on.
const ASK: &str = "Enter: not now";
/// The first line of the question.
const QUESTION: &str = "kv asks: may it send its maintainers a weekly count";

fn today() -> u64 {
    date::day_of(date::now_secs())
}

/// A telemetry root and a kv store holding `k=v`.
struct Setup {
    root: TempDir,
    data: TempDir,
}

impl Setup {
    fn new(label: &str) -> Setup {
        let setup = Setup {
            root: TempDir::new(label),
            data: TempDir::new(&format!("{label}-data")),
        };
        let stored = setup
            .command(&["set", "k", "v"])
            .env("TELEMETRY_MODE", "off")
            .stdin(Stdio::null())
            .output()
            .expect("kv runs");
        assert!(stored.status.success());
        setup
    }

    /// `<root>/default`.
    fn namespace(&self) -> PathBuf {
        self.root.join("default")
    }

    /// `kv --dir <data> ARGS`, with a collector named and a clean environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kv"));
        command.arg("--dir").arg(self.data.path()).args(args);
        for var in test_support::TELEMETRY_VARS.iter().chain(CI_VARS) {
            command.env_remove(var);
        }
        command
            .env_remove(telemetry_formats::upload::CHILD_VAR)
            .env("TELEMETRY_DIR", self.root.path())
            .env("KV_COLLECTOR", "http://127.0.0.1:9")
            .env("KV_COLLECTOR_KEY", format!("ed25519:{}", "3b".repeat(32)))
            .env("TERM", "dumb");
        command
    }

    /// Runs `kv get k` in a terminal with `vars`, typing nothing, and returns its
    /// status and what the terminal showed.
    fn quiet_run(&self, vars: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
        let mut command = self.command(&["get", "k"]);
        command.envs(vars.iter().copied());
        Pty::spawn(command).finish()
    }

    /// The prompt's state file.
    fn state(&self) -> Option<State> {
        State::read(&self.namespace()).expect("a usable state file")
    }

    /// Makes the prompt due: first seen a month ago, in every sample, never asked.
    /// A first run creates the namespace directory and the state file.
    fn make_due(&self) {
        let (status, shown) = self.quiet_run(&[]);
        assert!(status.success(), "{shown}");
        let mut state = self.state().expect("the first run remembers the day");
        state.first_seen = today() - 30;
        state.draw = 0;
        state.write(&self.namespace()).expect("state written");
    }

    /// The mode file's text, if there is one.
    fn mode_file(&self) -> Option<String> {
        fs::read_to_string(self.namespace().join("mode")).ok()
    }

    /// Runs `kv get k` in a terminal with the prompt due, answers it with `keys` once
    /// asked, and returns what the terminal showed in the end.
    fn answer(&self, keys: &[u8], vars: &[(&str, &str)]) -> String {
        self.make_due();
        let mut command = self.command(&["get", "k"]);
        command.envs(vars.iter().copied());
        let mut pty = Pty::spawn(command);
        pty.expect(ASK);
        pty.type_keys(keys);
        let (status, shown) = pty.finish();
        assert!(status.success(), "kv went on and succeeded:\n{shown}");
        assert!(
            shown.trim_end().ends_with('v'),
            "kv printed its value last:\n{shown}"
        );
        shown
    }
}

fn skip_without_ptys() -> bool {
    if pty::available() {
        return false;
    }
    eprintln!("no pseudo-terminals on this system: skipped");
    true
}

#[test]
fn the_first_run_never_asks_and_remembers_only_the_day() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-first");
    let (status, shown) = setup.quiet_run(&[("TELEMETRY_PROMPT", "")]);
    assert!(status.success());
    assert!(!shown.contains(QUESTION), "{shown}");
    assert_eq!(shown.trim(), "v");
    let state = setup.state().expect("the first day is remembered");
    assert_eq!((state.first_seen, state.asked), (today(), 0));
    assert_eq!(state.last_asked, None);
    assert_eq!(setup.mode_file(), None, "no answer, no mode file");
    let text = fs::read_to_string(setup.namespace().join(PROMPT_FILE)).unwrap();
    assert_eq!(
        text,
        format!(
            "rust-telemetry-prompt 1\nfirst-seen {}\ndraw {}\nasked 0\n",
            date::format(today()),
            state.draw
        ),
        "dates and counts only"
    );
}

#[test]
fn a_run_within_the_grace_period_does_not_ask() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-grace");
    setup.make_due();
    let mut state = setup.state().unwrap();
    state.first_seen = today() - 6;
    state.write(&setup.namespace()).unwrap();
    let (_, shown) = setup.quiet_run(&[]);
    assert!(!shown.contains(QUESTION), "{shown}");
    assert_eq!(setup.state().unwrap().asked, 0);
}

#[test]
fn a_due_run_asks_with_the_facts_and_yes_turns_upload_on() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-yes");
    let shown = setup.answer(b"y\n", &[]);
    for fact in [
        QUESTION,
        "Why:    to learn which kv commands people use, and how fast they are.",
        "counters only",
        "`kv telemetry show` lists what it counted here",
        "no name, account, machine, address or installation ID",
        "once a week",
        "published, at http://127.0.0.1:9/counters and http://127.0.0.1:9/data/",
        "`kv telemetry on`, `kv telemetry off` or `kv telemetry local`",
        "kv: upload is on for the programs of namespace \"default\"",
    ] {
        assert!(shown.contains(fact), "{fact:?} in:\n{shown}");
    }
    assert_eq!(
        setup.mode_file().as_deref(),
        Some(format!("on {}\n", date::format(today())).as_str())
    );
    let state = setup.state().unwrap();
    assert_eq!((state.asked, state.last_asked), (1, Some(today())));
    assert_eq!(state.version, Some(1));
}

#[test]
fn no_turns_telemetry_off() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-no");
    let shown = setup.answer(b"no\n", &[]);
    assert!(shown.contains("kv: telemetry is off"), "{shown}");
    assert_eq!(
        setup.mode_file().as_deref(),
        Some(format!("off {}\n", date::format(today())).as_str())
    );
    assert_eq!(setup.state().unwrap().asked, 1);
}

/// "Not now": no mode file, and the next asking a week away.
fn assert_not_now(setup: &Setup, shown: &str) {
    assert_eq!(setup.mode_file(), None, "{shown}");
    let state = setup.state().unwrap();
    assert_eq!(
        (state.asked, state.last_asked, state.next),
        (1, Some(today()), Some(today() + 7)),
        "{shown}"
    );
    assert_eq!(state.version, None, "not now answers no version");
}

#[test]
fn enter_alone_means_not_now() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-enter");
    let shown = setup.answer(b"\n", &[]);
    assert!(
        shown.contains("kv: not now. kv may ask again from"),
        "{shown}"
    );
    assert_not_now(&setup, &shown);
}

#[test]
fn end_of_input_means_not_now() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-eof");
    let shown = setup.answer(b"\x04", &[]);
    assert_not_now(&setup, &shown);
}

#[test]
fn ctrl_c_means_not_now_and_the_program_goes_on() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-ctrl-c");
    let shown = setup.answer(b"\x03", &[]);
    assert_not_now(&setup, &shown);
}

#[test]
fn a_silent_user_means_not_now_once_the_time_is_up() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-silent");
    setup.make_due();
    let mut command = setup.command(&["get", "k"]);
    command.env("TELEMETRY_PROMPT_TIMEOUT", "1");
    let started = Instant::now();
    let mut pty = Pty::spawn(command);
    pty.expect("(1 s)");
    let (status, shown) = pty.finish();
    assert!(status.success(), "{shown}");
    assert!(shown.contains("(no answer)"), "{shown}");
    assert!(shown.trim_end().ends_with('v'), "{shown}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_not_now(&setup, &shown);
}

#[test]
fn more_shows_the_local_facts_then_asks_again() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-more");
    setup.make_due();
    let mut pty = Pty::spawn(setup.command(&["get", "k"]));
    pty.expect(ASK);
    pty.type_keys(b"m\n");
    let shown = pty.expect("What would be sent: nothing yet");
    assert!(
        shown.contains("This week so far, kv counted on this machine:"),
        "{shown}"
    );
    assert!(shown.contains("kv/command:get"), "{shown}");
    // Asked again, then answered.
    let deadline = Instant::now() + pty::LIMIT;
    while pty.text().matches(ASK).count() < 2 {
        assert!(Instant::now() < deadline, "{}", pty.text());
        pty.expect(ASK);
    }
    pty.type_keys(b"n\n");
    let (status, shown) = pty.finish();
    assert!(status.success(), "{shown}");
    assert!(setup.mode_file().is_some_and(|m| m.starts_with("off ")));
}

#[test]
fn an_answer_serves_every_program_of_the_namespace_and_so_does_a_day() {
    if skip_without_ptys() {
        return;
    }
    // Not now, today: the next program due is not asked today.
    let setup = Setup::new("prompt-day");
    setup.answer(b"\n", &[]);
    let (_, shown) = setup.quiet_run(&[]);
    assert!(!shown.contains(QUESTION), "{shown}");
    assert_eq!(setup.state().unwrap().asked, 1);
    // An answer: not even TELEMETRY_PROMPT=now asks again.
    let setup = Setup::new("prompt-answered");
    setup.answer(b"n\n", &[]);
    let (_, shown) = setup.quiet_run(&[("TELEMETRY_PROMPT", "now")]);
    assert!(!shown.contains(QUESTION), "{shown}");
    assert_eq!(setup.state().unwrap().asked, 1);
}

/// Runs the second program of the namespace, this test binary playing a program
/// named kv-second with the same collector and a prompt, in a terminal with `vars`;
/// returns what its start says of the prompt, and what the terminal showed.
fn second_program(setup: &Setup, vars: &[(&str, &str)]) -> String {
    let mut command = test_support::child("second_program_role", "second");
    for var in CI_VARS {
        command.env_remove(var);
    }
    command
        .env("TELEMETRY_DIR", setup.root.path())
        .envs(vars.iter().copied());
    let (status, shown) = Pty::spawn(command).finish();
    assert!(status.success(), "{shown}");
    assert!(!shown.contains("kv-second asks"), "{shown}");
    shown
}

#[test]
fn a_second_program_of_the_namespace_is_not_asked_after_an_answer() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-second");
    setup.answer(b"n\n", &[]);
    // Even told to ask now, it does not: the namespace has its answer.
    let shown = second_program(&setup, &[("TELEMETRY_PROMPT", "now")]);
    assert!(shown.contains("ROLE-OUT: Suppressed(Answered("), "{shown}");
}

#[test]
fn a_second_program_of_the_namespace_is_not_asked_the_same_day() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-second-day");
    setup.answer(b"\n", &[]);
    let shown = second_program(&setup, &[]);
    let tomorrow_or_later = format!("ROLE-OUT: NotDue(NotBefore({}))", today() + 7);
    assert!(shown.contains(&tomorrow_or_later), "{shown}");
    assert_eq!(setup.state().unwrap().asked, 1);
}

#[test]
fn users_who_said_yes_are_told_once_when_the_version_changes_and_no_is_never_asked_again() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-version");
    setup.answer(b"y\n", &[]);
    assert_eq!(setup.state().unwrap().version, Some(1));
    // A start in mode on looks at the state file again a week later.
    let shown = second_program(&setup, &[("KV_SECOND_VERSION", "2")]);
    assert!(shown.contains("ROLE-OUT: Suppressed(Answered("), "{shown}");
    telemetry_formats::prompt::set_not_before(&setup.namespace(), today()).unwrap();
    // kv-second collects more in its version 2 of the text: told once, not asked.
    let shown = second_program(&setup, &[("KV_SECOND_VERSION", "2")]);
    assert!(
        shown.contains("kv-second: upload is on, and what kv-second collects has changed"),
        "{shown}"
    );
    assert!(shown.contains("ROLE-OUT: Told(2)"), "{shown}");
    assert_eq!(setup.state().unwrap().version, Some(2));
    let shown = second_program(&setup, &[("KV_SECOND_VERSION", "2")]);
    assert!(!shown.contains("has changed"), "told once: {shown}");
    // Someone who said no is not asked again for a new version.
    let setup = Setup::new("prompt-version-no");
    setup.answer(b"n\n", &[]);
    let shown = second_program(&setup, &[("KV_SECOND_VERSION", "2")]);
    assert!(shown.contains("ROLE-OUT: Suppressed(Answered("), "{shown}");
}

/// The second program's role: kv-second, with the version of its text from
/// `KV_SECOND_VERSION` (1 unless set).
#[test]
fn second_program_role() {
    if test_support::role().as_deref() != Some("second") {
        return;
    }
    let version = std::env::var("KV_SECOND_VERSION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let session = telemetry::__private::Program::__new("kv-second", "0.1.0", &[])
        .upload("http://127.0.0.1:9", format!("ed25519:{}", "3b".repeat(32)))
        .prompt(telemetry::prompt!("to test the second program").version(version))
        .start();
    test_support::say(format_args!("{:?}", session.prompt()));
}

#[test]
fn no_terminal_input_never_blocks_and_never_asks() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-stdin");
    setup.make_due();
    // Standard error is a terminal, standard input is not.
    let (status, shown) = Pty::spawn_with(setup.command(&["get", "k"]), false).finish();
    assert!(status.success());
    assert_eq!(shown.trim(), "v");
    // No terminal at all, and an input that never ends: kv must not read it.
    let mut child = setup
        .command(&["get", "k"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _open_input = child.stdin.take();
    let deadline = Instant::now() + pty::LIMIT;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "kv blocked on its input");
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "v\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(setup.state().unwrap().asked, 0);
}

#[test]
fn ci_never_asks() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-ci");
    setup.make_due();
    for var in ["CI", "GITHUB_ACTIONS", "BUILD_NUMBER", "TF_BUILD"] {
        let (status, shown) = setup.quiet_run(&[(var, "true")]);
        assert!(status.success());
        assert_eq!(shown.trim(), "v", "{var}");
    }
    let (_, shown) = setup.quiet_run(&[("TELEMETRY_PROMPT", "never")]);
    assert_eq!(shown.trim(), "v");
    assert_eq!(setup.state().unwrap().asked, 0);
}

/// Every file under `dir`, with its size and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    test_support::tree(dir)
        .into_iter()
        .map(|(path, (_, len, modified))| (path, len, modified))
        .collect()
}

#[test]
fn do_not_track_never_asks_and_writes_nothing_at_all() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-dnt");
    setup.make_due();
    let before = snapshot(setup.root.path());
    let (status, shown) = setup.quiet_run(&[("DO_NOT_TRACK", "1"), ("TELEMETRY_PROMPT", "now")]);
    assert!(status.success());
    assert_eq!(shown.trim(), "v");
    assert_eq!(snapshot(setup.root.path()), before, "nothing written");
    // In a telemetry directory that does not exist yet, nothing is created.
    let fresh = TempDir::new("prompt-dnt-fresh");
    let root = fresh.join("root");
    let mut command = setup.command(&["get", "k"]);
    command
        .env("TELEMETRY_DIR", &root)
        .env("DO_NOT_TRACK", "1")
        .env("TELEMETRY_PROMPT", "now");
    let (status, shown) = Pty::spawn(command).finish();
    assert!(status.success(), "{shown}");
    assert!(!root.exists(), "DO_NOT_TRACK created {}", root.display());
}

#[test]
fn telemetry_mode_never_asks() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-env-mode");
    setup.make_due();
    for mode in ["local", "on", "off"] {
        let (_, shown) = setup.quiet_run(&[("TELEMETRY_MODE", mode), ("TELEMETRY_PROMPT", "now")]);
        assert_eq!(shown.trim(), "v", "{mode}");
    }
    assert_eq!(setup.state().unwrap().asked, 0);
}

#[test]
fn a_policy_file_never_asks() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-policy");
    setup.make_due();
    let policies = TempDir::new("prompt-policies");
    for (name, text) in [
        ("never", "rust-telemetry-policy 1\nprompt never\n"),
        ("local", "rust-telemetry-policy 1\nat-most local default\n"),
        ("broken", "rust-telemetry-policy 9\n"),
    ] {
        let path = policies.join(name);
        fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        let (status, shown) =
            setup.quiet_run(&[("TELEMETRY_POLICY", path), ("TELEMETRY_PROMPT", "now")]);
        assert!(status.success());
        assert_eq!(shown.trim(), "v", "{name}");
    }
    assert_eq!(setup.state().unwrap().asked, 0);
    // `status` names the policy and the file.
    let output = setup
        .command(&["telemetry", "status"])
        .env("TELEMETRY_POLICY", policies.join("local"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains(&format!(
            "{} (named by TELEMETRY_POLICY): at most local (line 2)",
            policies.join("local").display()
        )),
        "{out}"
    );
}

#[test]
fn telemetry_prompt_now_asks_at_once_but_never_twice_a_day_by_itself() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-now");
    // A first run: no grace period, no sample, with TELEMETRY_PROMPT=now.
    let mut command = setup.command(&["get", "k"]);
    command.env("TELEMETRY_PROMPT", "now");
    let mut pty = Pty::spawn(command);
    pty.expect(ASK);
    pty.type_keys(b"\n");
    let (status, shown) = pty.finish();
    assert!(status.success(), "{shown}");
    assert_eq!(setup.state().unwrap().asked, 1);
    // Without it, the schedule applies again.
    let (_, shown) = setup.quiet_run(&[]);
    assert!(!shown.contains(QUESTION), "{shown}");
}

#[test]
fn the_telemetry_subcommand_never_asks() {
    if skip_without_ptys() {
        return;
    }
    let setup = Setup::new("prompt-subcommand");
    setup.make_due();
    let mut command = setup.command(&["telemetry", "status"]);
    command.env("TELEMETRY_PROMPT", "now");
    let (status, shown) = Pty::spawn(command).finish();
    assert!(status.success(), "{shown}");
    assert!(!shown.contains(QUESTION), "{shown}");
    assert!(shown.contains("Prompt:"), "{shown}");
}
