//! Privacy settings fail closed, in real processes: a `DO_NOT_TRACK` or
//! `TELEMETRY_MODE` that cannot be read means off; a running program re-reads the mode
//! before it creates anything; a relative `TELEMETRY_DIR` is resolved once at start.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use telemetry_formats::{Mode, date, mode};
use test_support::{TempDir, counter_files, finish, role_out, say, tree, wait_for};

fn plain() -> &'static telemetry::Counter {
    telemetry::counter!("privacy-test/plain")
}

/// The end of the week of the file in use, Unix seconds.
fn week_end() -> u64 {
    let file = telemetry::counter_file().expect("a file is open");
    telemetry_formats::file::read(file).unwrap().header.end
}

/// Moves the runtime's clock past `end`, and wakes the worker with an increment.
fn cross_the_week(end: u64) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    telemetry_runtime::testing::set_clock_offset((end - now + 1) as i64);
    plain().inc();
}

#[test]
fn child_process_entry() {
    let Some(role) = test_support::role() else {
        return;
    };
    match role.as_str() {
        "count" => {
            let session = telemetry::start!();
            plain().add(7);
            say(format_args!("mode={}", session.mode()));
            for problem in session.problems() {
                say(format_args!("problem: {problem}"));
            }
        }
        "turned-off-while-running" => {
            let session = telemetry::start!();
            plain().add(3);
            let dir = session.dir().expect("a directory").to_path_buf();
            say(format_args!("file={}", session.file().unwrap().display()));
            let end = week_end();
            // What `telemetry off` and `telemetry clean` do, while this runs.
            let today = date::day_of(date::now_secs());
            mode::write_mode_file(&dir, Mode::Off, today).unwrap();
            std::fs::remove_dir_all(dir.join("local")).unwrap();
            cross_the_week(end);
            wait_for(
                "counting to move to memory",
                Duration::from_secs(10),
                || telemetry::counter_file().is_none().then_some(()),
            );
            for _ in 0..5000 {
                plain().inc();
            }
            // Give a wrongly eager worker time to recreate something.
            std::thread::sleep(Duration::from_millis(300));
            say(format_args!("plain={}", plain().get()));
        }
        "change-directory" => {
            telemetry::start!();
            plain().inc();
            let first = telemetry::counter_file().unwrap().to_path_buf();
            std::env::set_current_dir("elsewhere").unwrap();
            cross_the_week(week_end());
            let second = wait_for("the next week's file", Duration::from_secs(10), || {
                telemetry::counter_file().filter(|f| *f != first)
            });
            say(format_args!("first={}", first.display()));
            say(format_args!("second={}", second.display()));
        }
        other => panic!("unknown role {other}"),
    }
}

/// Runs the counting child in `dir` with `vars` and checks that it counted in memory
/// and created nothing at all.
fn writes_nothing(label: &str, vars: &[(&str, OsString)]) {
    let dir = TempDir::new(label);
    let before = tree(&dir);
    std::thread::sleep(Duration::from_millis(20));
    let mut command = test_support::child("child_process_entry", "count");
    command.env("TELEMETRY_DIR", dir.path());
    for (key, value) in vars {
        command.env(key, value);
    }
    let out = role_out(&finish(command.spawn().unwrap()));
    assert_eq!(out, ["mode=off"], "{label}");
    assert_eq!(tree(&dir), before, "{label}: nothing created or modified");
}

#[cfg(unix)]
fn not_utf8() -> OsString {
    std::os::unix::ffi::OsStringExt::from_vec(vec![0xff, 0xfe])
}

#[cfg(unix)]
#[test]
fn a_do_not_track_value_that_is_not_utf8_means_off() {
    writes_nothing("dnt-not-utf8", &[("DO_NOT_TRACK", not_utf8())]);
}

#[cfg(unix)]
#[test]
fn a_telemetry_mode_value_that_is_not_utf8_means_off() {
    writes_nothing("mode-not-utf8", &[("TELEMETRY_MODE", not_utf8())]);
}

#[test]
fn do_not_track_with_spaces_or_any_word_but_0_and_false_means_off() {
    for value in [" ", "0 ", " false", "FALSE", "yes", "1"] {
        writes_nothing("dnt-words", &[("DO_NOT_TRACK", value.into())]);
    }
}

#[test]
fn do_not_track_0_false_or_empty_allows_counting() {
    for value in ["", "0", "false"] {
        let dir = TempDir::new("dnt-allows");
        let out = role_out(&finish(
            test_support::child("child_process_entry", "count")
                .env("TELEMETRY_DIR", dir.path())
                .env("DO_NOT_TRACK", value)
                .spawn()
                .unwrap(),
        ));
        assert_eq!(out, ["mode=local"], "{value:?}");
        assert_eq!(counter_files(&dir, "default").len(), 1, "{value:?}");
    }
}

#[test]
fn a_running_program_turned_off_never_recreates_its_files() {
    let dir = TempDir::new("turned-off");
    let out = role_out(&finish(
        test_support::child("child_process_entry", "turned-off-while-running")
            .env("TELEMETRY_DIR", dir.path())
            .spawn()
            .unwrap(),
    ));
    // The 4 counts made before stayed in the (deleted) file; the 5,000 after were
    // counted in memory.
    assert_eq!(out[1], "plain=5000", "counting went on in memory");
    let left: Vec<PathBuf> = tree(&dir).into_keys().collect();
    let namespace = dir.join("default");
    assert_eq!(
        left,
        [dir.to_path_buf(), namespace.clone(), namespace.join("mode")],
        "no local directory, weekday or counter file came back"
    );
}

#[test]
fn a_relative_telemetry_dir_is_resolved_once_at_start() {
    let work = TempDir::new("relative");
    std::fs::create_dir(work.join("elsewhere")).unwrap();
    let out = role_out(&finish(
        test_support::child("child_process_entry", "change-directory")
            .current_dir(work.path())
            .env("TELEMETRY_DIR", "data")
            .spawn()
            .unwrap(),
    ));
    let local = work.join("data").join("default").join("local");
    let first = PathBuf::from(out[0].strip_prefix("first=").unwrap());
    let second = PathBuf::from(out[1].strip_prefix("second=").unwrap());
    assert_eq!(first.parent(), Some(local.as_path()));
    assert_eq!(
        second.parent(),
        Some(local.as_path()),
        "not under elsewhere/"
    );
    assert!(!Path::new(&work.join("elsewhere").join("data")).exists());
    assert_eq!(counter_files(&work.join("data"), "default").len(), 2);
}
