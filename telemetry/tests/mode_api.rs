//! The mode as API, in real processes: `Session::set_mode` records the user's choice
//! as `telemetry on|off|local` does, with the same checked file access, and says so
//! with a typed error when an override or the system policy decides instead;
//! `Session::current_mode` reads it again.

use std::fs;
use std::path::Path;

use telemetry::{Mode, ModeError, ModeSource};
use telemetry_runtime::date;
use test_support::{TempDir, child, finish, role_out, say};

fn today() -> String {
    date::format(date::day_of(date::now_secs()))
}

#[test]
fn child_process_entry() {
    let Some(role) = test_support::role() else {
        return;
    };
    let session = telemetry::start!();
    let mode = match role.as_str() {
        "on" => Mode::On,
        "off" => Mode::Off,
        "local" => Mode::Local,
        "current" => {
            let before = session.current_mode();
            let dir = session.dir().expect("a directory");
            fs::write(dir.join("mode"), "off 2026-01-02\n").unwrap();
            let after = session.current_mode();
            say(format_args!(
                "started={} before={before:?} after={after:?}",
                session.mode()
            ));
            return;
        }
        other => panic!("unknown role {other}"),
    };
    match session.set_mode(mode) {
        Ok(choice) => say(format_args!(
            "ok {} since {} previous {:?}",
            choice.mode,
            date::format(choice.since),
            choice.previous.map(|p| p.mode)
        )),
        Err(ModeError::Overridden {
            choice,
            effective,
            by,
        }) => {
            let by = match by {
                ModeSource::DoNotTrack => "DO_NOT_TRACK".to_string(),
                ModeSource::Environment(value) => format!("TELEMETRY_MODE={value}"),
                ModeSource::Policy(cap) => format!("policy at most {}", cap.mode),
                other => format!("{other:?}"),
            };
            say(format_args!(
                "overridden: recorded {} effective {effective} by {by}",
                choice.mode
            ));
        }
        Err(other) => say(format_args!("error: {other}")),
    }
}

/// Runs the role `role` with `TELEMETRY_DIR=root` (unless `vars` replace it) and the
/// given variables; returns what it said.
fn run(role: &str, root: &Path, vars: &[(&str, &str)]) -> String {
    let mut command = child("child_process_entry", role);
    command
        .env("TELEMETRY_DIR", root)
        .envs(vars.iter().copied());
    let output = finish(command.spawn().unwrap());
    role_out(&output).join("\n")
}

fn mode_file(root: &Path) -> Option<String> {
    fs::read_to_string(root.join("default/mode")).ok()
}

#[test]
fn set_mode_records_the_choice_and_its_day() {
    let root = TempDir::new("mode-api-on");
    assert_eq!(
        run("on", &root, &[]),
        "ok on since ".to_string() + &today() + " previous None"
    );
    assert_eq!(mode_file(&root), Some(format!("on {}\n", today())));
}

#[test]
fn choosing_the_same_mode_again_keeps_its_day() {
    let root = TempDir::new("mode-api-again");
    fs::create_dir_all(root.join("default")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(root.join("default"), fs::Permissions::from_mode(0o700)).unwrap();
    }
    fs::write(root.join("default/mode"), "on 2026-01-05\n").unwrap();
    assert_eq!(
        run("on", &root, &[]),
        "ok on since 2026-01-05 previous Some(On)"
    );
    assert_eq!(mode_file(&root).as_deref(), Some("on 2026-01-05\n"));
    assert_eq!(
        run("local", &root, &[]),
        format!("ok local since {} previous Some(On)", today())
    );
}

#[test]
fn do_not_track_decides_instead_and_says_so() {
    let root = TempDir::new("mode-api-dnt");
    assert_eq!(
        run("on", &root, &[("DO_NOT_TRACK", "1")]),
        "overridden: recorded on effective off by DO_NOT_TRACK"
    );
    // The choice is the user's, recorded for the processes that do not see it.
    assert_eq!(mode_file(&root), Some(format!("on {}\n", today())));
    assert_eq!(
        run("off", &root, &[("DO_NOT_TRACK", "1")]),
        format!("ok off since {} previous Some(On)", today()),
        "off is what DO_NOT_TRACK gives: nothing decides instead"
    );
}

#[test]
fn telemetry_mode_decides_instead_and_says_so() {
    let root = TempDir::new("mode-api-env");
    assert_eq!(
        run("on", &root, &[("TELEMETRY_MODE", "local")]),
        "overridden: recorded on effective local by TELEMETRY_MODE=local"
    );
}

#[test]
fn a_policy_decides_instead_and_says_so() {
    let root = TempDir::new("mode-api-policy");
    let policy = root.join("policy");
    fs::write(&policy, "rust-telemetry-policy 1\nat-most local\n").unwrap();
    let policy = policy.to_str().unwrap();
    assert_eq!(
        run("on", &root, &[("TELEMETRY_POLICY", policy)]),
        "overridden: recorded on effective local by policy at most local"
    );
    // Even TELEMETRY_MODE=on does not pass the policy.
    assert_eq!(
        run(
            "on",
            &root,
            &[("TELEMETRY_POLICY", policy), ("TELEMETRY_MODE", "on")]
        ),
        "overridden: recorded on effective local by policy at most local"
    );
    assert_eq!(
        run("local", &root, &[("TELEMETRY_POLICY", policy)]),
        format!("ok local since {} previous Some(On)", today())
    );
}

#[test]
fn without_a_directory_nothing_is_recorded() {
    let home = TempDir::new("mode-api-nohome");
    let missing = home.join("missing");
    let mut command = child("child_process_entry", "on");
    command
        .env_remove("TELEMETRY_DIR")
        .env("HOME", &missing)
        .env("XDG_STATE_HOME", &missing);
    let output = finish(command.spawn().unwrap());
    assert_eq!(
        role_out(&output).join("\n"),
        "error: there is no telemetry directory: no home directory and TELEMETRY_DIR is not set"
    );
    assert!(!missing.exists());
}

#[cfg(unix)]
#[test]
fn a_directory_others_may_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let root = TempDir::new("mode-api-untrusted");
    fs::create_dir_all(root.join("default")).unwrap();
    fs::set_permissions(root.join("default"), fs::Permissions::from_mode(0o777)).unwrap();
    let said = run("on", &root, &[]);
    assert!(
        said.starts_with("error: the telemetry directory is not used: "),
        "{said}"
    );
    assert_eq!(mode_file(&root), None);
}

#[test]
fn current_mode_reads_the_mode_again() {
    let root = TempDir::new("mode-api-current");
    assert_eq!(
        run("current", &root, &[]),
        "started=local before=(Local, Default) after=(Off, File { since: Some(20455) })"
    );
}
