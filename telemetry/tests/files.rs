//! Counter files as real programs use them: many processes at once, processes killed
//! mid-increment, bad files, bad directories, and `off` writing nothing.
//!
//! Each test runs copies of this test binary as child processes: `child_process_entry`
//! does nothing unless `TELEMETRY_TEST_ROLE` names a role, and then plays it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, SystemTime};

use telemetry::{Counter, StackCounter, counted};
use telemetry_formats::file;
use test_support::{Running, TempDir, counter_files, finish, role_out, say, tree, wait_for};

macro_rules! histogram32 {
    ($name:literal) => {
        telemetry::histogram!(
            $name,
            [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                24, 25, 26, 27, 28, 29, 30, 31, 32
            ]
        )
    };
}

/// 1,000 counters: the 33 buckets of each of 31 histograms, less the last 23.
fn thousand() -> Vec<&'static Counter> {
    let histograms = [
        histogram32!("files-test/h00"),
        histogram32!("files-test/h01"),
        histogram32!("files-test/h02"),
        histogram32!("files-test/h03"),
        histogram32!("files-test/h04"),
        histogram32!("files-test/h05"),
        histogram32!("files-test/h06"),
        histogram32!("files-test/h07"),
        histogram32!("files-test/h08"),
        histogram32!("files-test/h09"),
        histogram32!("files-test/h10"),
        histogram32!("files-test/h11"),
        histogram32!("files-test/h12"),
        histogram32!("files-test/h13"),
        histogram32!("files-test/h14"),
        histogram32!("files-test/h15"),
        histogram32!("files-test/h16"),
        histogram32!("files-test/h17"),
        histogram32!("files-test/h18"),
        histogram32!("files-test/h19"),
        histogram32!("files-test/h20"),
        histogram32!("files-test/h21"),
        histogram32!("files-test/h22"),
        histogram32!("files-test/h23"),
        histogram32!("files-test/h24"),
        histogram32!("files-test/h25"),
        histogram32!("files-test/h26"),
        histogram32!("files-test/h27"),
        histogram32!("files-test/h28"),
        histogram32!("files-test/h29"),
        histogram32!("files-test/h30"),
    ];
    histograms
        .iter()
        .flat_map(|h| h.buckets().iter().copied())
        .take(1000)
        .collect()
}

#[path = "support/digits.rs"]
mod digits;

fn chains_stack() -> &'static StackCounter {
    telemetry::stack_counter!("files-test/chains", depth = 6)
}

fn plain() -> &'static Counter {
    telemetry::counter!("files-test/plain")
}

#[counted("files-test/spin")]
fn spin_forever() {
    let mut i = 0usize;
    loop {
        plain().inc();
        i += 1;
        if i.is_multiple_of(1000) {
            digits::next(&digits::of(i / 1000 % 4096), chains_stack());
        }
    }
}

/// Plays the role named by `TELEMETRY_TEST_ROLE`, if any.
#[test]
fn child_process_entry() {
    let Some(role) = test_support::role() else {
        return;
    };
    match role.as_str() {
        "count-before-start" => {
            plain().add(3);
            let session = telemetry::start!();
            plain().add(4);
            say(format_args!("plain={}", plain().get()));
            say(format_args!(
                "file={}",
                session.file().expect("a file").display()
            ));
            return;
        }
        "retry-after-failure" => {
            // `local` is a file: no counter file can be opened at start.
            let dir = PathBuf::from(std::env::var_os("TELEMETRY_DIR").unwrap());
            let local = dir.join("default").join("local");
            fs::create_dir_all(local.parent().unwrap()).unwrap();
            fs::write(&local, b"in the way").unwrap();
            let session = telemetry::start!();
            assert!(session.file().is_none() && !session.problems().is_empty());
            plain().add(1000);
            assert!(telemetry::counter_file().is_none());
            // The obstacle goes away; a minute later the worker tries again, woken by
            // the increment that crosses 1,024 past the retry time.
            fs::remove_file(&local).unwrap();
            telemetry_runtime::testing::set_clock_offset(61);
            for _ in 0..100 {
                plain().inc();
            }
            let file = wait_for(
                "the retry",
                Duration::from_secs(10),
                telemetry::counter_file,
            );
            say(format_args!("plain={}", plain().get()));
            say(format_args!("file={}", file.display()));
            return;
        }
        _ => {}
    }
    let session = telemetry::start!();
    match role.as_str() {
        "thousand" => {
            let counters = thousand();
            let rounds: u64 = env_number("TELEMETRY_TEST_ROUNDS");
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..rounds {
                            for counter in &counters {
                                counter.inc();
                            }
                        }
                    });
                }
            });
        }
        "chains" => {
            for i in 0..4096 {
                digits::next(&digits::of(i), chains_stack());
            }
        }
        "chains-while-worker-busy" => {
            // The worker is busy (its lock held) when the chains outgrow the file and
            // when the process exits: the exit handler must wait for it, then place
            // the chains itself. It waits 500 ms unless the test asks for longer.
            if let Ok(wait) = std::env::var("TELEMETRY_TEST_EXIT_WAIT_MS") {
                let wait = wait.parse().expect("a number of milliseconds");
                telemetry_runtime::testing::set_exit_wait(Duration::from_millis(wait));
            }
            let hold = Duration::from_millis(env_number("TELEMETRY_TEST_HOLD_MS"));
            telemetry_runtime::testing::hold_worker_lock(hold);
            for i in 0..4096 {
                digits::next(&digits::of(i), chains_stack());
            }
        }
        "spin" => spin_forever(),
        "count-and-report" => {
            plain().add(7);
            say(format_args!("plain={}", plain().get()));
            for problem in session.problems() {
                say(format_args!("problem: {problem}"));
            }
            if let Some(file) = session.file() {
                say(format_args!("file={}", file.display()));
            }
        }
        "week-boundary" => {
            plain().add(5);
            let first = telemetry::counter_file().map(Path::to_path_buf);
            let end = week_end(first.as_deref().expect("a file is open"));
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            telemetry_runtime::testing::set_clock_offset((end - now + 1) as i64);
            // The first increment past the boundary wakes the worker, and lands in the
            // old week's file; once the worker has opened the new week's, every
            // increment goes there.
            plain().inc();
            let second = wait_for("the next week's file", Duration::from_secs(10), || {
                telemetry::counter_file().filter(|f| Some(*f) != first.as_deref())
            });
            for _ in 0..1999 {
                plain().inc();
            }
            say(format_args!("first={}", first.unwrap().display()));
            say(format_args!("second={}", second.display()));
        }
        other => panic!("unknown role {other}"),
    }
}

fn env_number(name: &str) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn week_end(path: &Path) -> u64 {
    file::read(path).expect("readable").header.end
}

fn temp_dir(test: &str) -> TempDir {
    TempDir::new(&format!("files-{test}"))
}

fn child(role: &str, telemetry_dir: &Path) -> Command {
    let mut command = test_support::child("child_process_entry", role);
    command.env("TELEMETRY_DIR", telemetry_dir);
    command
}

fn only_file(telemetry_dir: &Path) -> file::Contents {
    file::read(&test_support::only_file(telemetry_dir, "default")).unwrap()
}

fn value(contents: &file::Contents, name: &str) -> Option<u64> {
    contents
        .counters
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
}

fn counter_files_of(dir: &Path) -> Vec<PathBuf> {
    counter_files(dir, "default")
}

/// The files set aside in the default namespace's `local` directory.
fn set_aside_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir.join("default").join("local"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bad"))
        .collect();
    found.sort();
    found
}

#[test]
fn eight_processes_of_two_threads_count_a_thousand_counters_exactly() {
    let dir = temp_dir("thousand");
    let rounds = 50u64;
    let children: Vec<Child> = (0..8)
        .map(|_| {
            child("thousand", &dir)
                .env("TELEMETRY_TEST_ROUNDS", rounds.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        finish(c);
    }
    let contents = only_file(&dir);
    let names: Vec<&str> = thousand().iter().map(|c| c.name()).collect();
    assert_eq!(names.len(), 1000);
    for name in names {
        assert_eq!(value(&contents, name), Some(8 * 2 * rounds), "{name}");
    }
}

#[test]
fn two_processes_growing_one_file_with_thousands_of_chains_keep_each_once() {
    let dir = temp_dir("chains");
    let children: Vec<Child> = (0..2)
        .map(|_| child("chains", &dir).spawn().unwrap())
        .collect();
    for c in children {
        finish(c);
    }
    let contents = only_file(&dir);
    let chains: Vec<&(String, u64)> = contents
        .counters
        .iter()
        .filter(|(n, _)| n.starts_with("files-test/chains\n"))
        .collect();
    assert_eq!(chains.len(), 4096, "every chain exactly once");
    assert!(
        chains.iter().all(|(_, v)| *v == 2),
        "each counted by both processes"
    );
    let expected =
        "files-test/chains\ndigits/d1\ndigits/d2\ndigits/d3\ndigits/d0\ndigits/d0\ndigits/d0";
    // Chain 1728 = 0 + 0·4 + 0·16 + 3·64 + 2·256 + 1·1024, entered d0 d0 d0 d3 d2 d1.
    assert!(
        chains.iter().any(|(n, _)| n == expected),
        "{expected:?} is a chain"
    );
}

/// The chains of `files-test/chains` in the only counter file under `dir`.
fn chains_in(dir: &Path) -> Vec<(String, u64)> {
    only_file(dir)
        .counters
        .into_iter()
        .filter(|(n, _)| n.starts_with("files-test/chains\n"))
        .collect()
}

#[test]
fn exit_waits_for_a_busy_worker_and_then_places_what_waits_in_memory() {
    let dir = temp_dir("busy-worker");
    // The worker is busy for 100 ms, then grows the file; on a loaded machine that can
    // take longer than the exit handler's usual 500 ms, which is not what this test is
    // about (`exit_does_not_wait_long_for_a_stuck_worker` holds exit to them): here
    // exit may wait a minute, and must wait until the worker is done, then place every
    // chain.
    let busy = child("chains-while-worker-busy", &dir)
        .env("TELEMETRY_TEST_HOLD_MS", "100")
        .env("TELEMETRY_TEST_EXIT_WAIT_MS", "60000")
        .spawn()
        .unwrap();
    finish(busy);
    let chains = chains_in(&dir);
    assert_eq!(chains.len(), 4096, "every chain reached the file");
    assert!(chains.iter().all(|(_, v)| *v == 1));
}

#[test]
fn exit_does_not_wait_long_for_a_stuck_worker() {
    let dir = temp_dir("stuck-worker");
    // The worker's lock is held for a minute; the process still ends at once after the
    // exit handler's bounded wait (500 ms), giving up on the chains that wait for it.
    let mut stuck = Running::spawn(
        child("chains-while-worker-busy", &dir).env("TELEMETRY_TEST_HOLD_MS", "60000"),
    );
    let status = wait_for("the process to end", Duration::from_secs(20), || {
        stuck.try_wait()
    });
    assert!(status.success(), "{status}");
    assert!(
        chains_in(&dir).len() < 4096,
        "the chains waited for the stuck worker"
    );
}

#[test]
fn a_process_killed_mid_increment_leaves_a_readable_file() {
    let dir = temp_dir("kill");
    let spinning = Running::spawn(&mut child("spin", &dir));
    wait_for("two million counts", Duration::from_secs(20), || {
        let counted = counter_files_of(&dir)
            .first()
            .and_then(|f| file::read(f).ok())
            .and_then(|c| value(&c, "files-test/plain"))
            .unwrap_or(0);
        (counted > 2_000_000).then_some(())
    });
    spinning.stop();
    let contents = only_file(&dir);
    assert!(value(&contents, "files-test/plain").unwrap() > 2_000_000);
    assert!(
        contents
            .counters
            .iter()
            .any(|(n, _)| n.starts_with("files-test/chains\n"))
    );
}

/// Runs the reporting child once to create the week's file, spoils the file with
/// `spoil`, runs it again, and checks: the child succeeds with its usual output, the
/// spoiled file was renamed aside and reads back with `expected`, and counting went on.
fn bad_file_is_set_aside(test: &str, spoil: impl Fn(&Path), expected: &str) {
    let dir = temp_dir(test);
    let first = role_out(&finish(child("count-and-report", &dir).spawn().unwrap()));
    assert_eq!(first[0], "plain=7");
    let path = PathBuf::from(first.last().unwrap().strip_prefix("file=").unwrap());
    spoil(&path);
    let second = role_out(&finish(child("count-and-report", &dir).spawn().unwrap()));
    assert_eq!(
        second[0], "plain=7",
        "counting goes on from zero in a fresh file"
    );
    let aside = set_aside_files(&dir);
    assert_eq!(aside.len(), 1, "{aside:?}");
    let aside = &aside[0];
    assert_eq!(
        second[1],
        format!(
            "problem: set aside {} because it is unreadable: {}",
            aside.display(),
            file::read(aside).unwrap_err()
        )
    );
    let name = aside.file_name().unwrap().to_str().unwrap();
    let original = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("{original}.")) && name.ends_with(".bad"),
        "set aside under a unique name next to the original: {name}"
    );
    let error = file::read(aside).unwrap_err().to_string();
    assert!(error.contains(expected), "{error}");
    assert_eq!(
        value(&file::read(&path).unwrap(), "files-test/plain"),
        Some(7)
    );
}

#[test]
fn a_truncated_file_is_set_aside() {
    bad_file_is_set_aside(
        "truncated",
        |p| {
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_len(100)
                .unwrap()
        },
        "truncated counter file",
    );
}

#[test]
fn a_zero_length_file_is_set_aside() {
    bad_file_is_set_aside("empty", |p| fs::write(p, b"").unwrap(), "empty file");
}

#[test]
fn a_foreign_file_is_set_aside() {
    bad_file_is_set_aside(
        "foreign",
        |p| fs::write(p, b"{\"not\": \"ours\"}").unwrap(),
        "not a telemetry counter file",
    );
}

#[test]
fn a_future_version_file_is_set_aside() {
    bad_file_is_set_aside(
        "future",
        |p| {
            let mut bytes = fs::read(p).unwrap();
            bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
            fs::write(p, bytes).unwrap();
        },
        "format version 2, newer than",
    );
}

#[test]
fn a_corrupted_header_is_set_aside() {
    bad_file_is_set_aside(
        "corrupt-header",
        |p| {
            let mut bytes = fs::read(p).unwrap();
            bytes[20..24].copy_from_slice(&3u32.to_ne_bytes()); // 3 buckets: not a power of two
            fs::write(p, bytes).unwrap();
        },
        "bucket count 3",
    );
}

#[test]
fn a_file_whose_chains_lead_outside_it_is_set_aside_while_in_use() {
    let dir = temp_dir("corrupt-chains");
    let first = role_out(&finish(child("count-and-report", &dir).spawn().unwrap()));
    let path = PathBuf::from(first.last().unwrap().strip_prefix("file=").unwrap());
    // Point every bucket head far past the end of the file; the header stays valid.
    let mut bytes = fs::read(&path).unwrap();
    let header_len = u32::from_ne_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let buckets = u32::from_ne_bytes(bytes[20..24].try_into().unwrap()) as usize;
    for b in 0..buckets {
        let at = header_len + 4 * b;
        bytes[at..at + 4].copy_from_slice(&0x7fff_fff8u32.to_ne_bytes());
    }
    fs::write(&path, bytes).unwrap();
    let spinning = Running::spawn(&mut child("spin", &dir));
    let aside = wait_for("the bad file set aside", Duration::from_secs(20), || {
        let aside = set_aside_files(&dir).pop()?;
        file::read(&path)
            .is_ok_and(|c| value(&c, "files-test/plain").unwrap_or(0) > 0)
            .then_some(aside)
    });
    spinning.stop();
    assert!(
        file::read(&aside)
            .unwrap_err()
            .to_string()
            .contains("outside the records")
    );
}

fn off_writes_nothing(test: &str, mode_file: Option<&str>, env: &[(&str, &str)]) {
    let dir = temp_dir(test);
    if let Some(text) = mode_file {
        fs::create_dir_all(dir.join("default")).unwrap();
        fs::write(dir.join("default").join("mode"), text).unwrap();
    }
    let before = tree(&dir);
    std::thread::sleep(Duration::from_millis(20));
    let mut command = child("count-and-report", &dir);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = role_out(&finish(command.spawn().unwrap()));
    assert_eq!(out, ["plain=7"], "counted in memory, no file, no problem");
    assert_eq!(tree(&dir), before, "nothing created or modified");
}

#[test]
fn off_in_the_mode_file_creates_and_modifies_nothing() {
    off_writes_nothing("off-file", Some("off 2026-11-01\n"), &[]);
}

#[test]
fn telemetry_mode_off_overrides_a_local_mode_file_and_writes_nothing() {
    off_writes_nothing(
        "off-env",
        Some("local 2026-11-01\n"),
        &[("TELEMETRY_MODE", "off")],
    );
}

#[test]
fn do_not_track_overrides_telemetry_mode_on_and_writes_nothing() {
    off_writes_nothing(
        "off-dnt",
        None,
        &[("DO_NOT_TRACK", "1"), ("TELEMETRY_MODE", "on")],
    );
}

#[test]
fn telemetry_mode_local_counts_to_files_without_writing_a_mode_file() {
    let dir = temp_dir("env-local");
    let out = role_out(&finish(
        child("count-and-report", &dir)
            .env("TELEMETRY_MODE", "local")
            .spawn()
            .unwrap(),
    ));
    assert_eq!(out[0], "plain=7");
    assert!(!dir.join("default").join("mode").exists());
    assert_eq!(counter_files_of(&dir).len(), 1);
}

/// The child's output is its usual one, and it says why nothing was written.
fn unusable_directory(test: &str, command: &mut Command) -> Vec<String> {
    let out = role_out(&finish(command.spawn().unwrap()));
    assert_eq!(out[0], "plain=7", "{test}: counting goes on in memory");
    out
}

#[test]
fn no_home_directory_means_off_and_nothing_is_created() {
    let dir = temp_dir("no-home");
    let home = dir.join("missing-home");
    let mut command = child("count-and-report", &dir);
    command
        .env_remove("TELEMETRY_DIR")
        .env_remove("XDG_STATE_HOME")
        .env("HOME", &home);
    let out = unusable_directory("no-home", &mut command);
    assert_eq!(out, ["plain=7"]);
    assert!(!home.exists());
}

#[test]
fn a_read_only_directory_leaves_the_program_running_in_memory() {
    // As root, permissions do not stop writes, so use a directory nobody can add to.
    let read_only = PathBuf::from("/proc/self");
    let out = unusable_directory(
        "read-only",
        child("count-and-report", &read_only).env("TELEMETRY_DIR", &read_only),
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        out[1].starts_with("problem: cannot use /proc/self/default/local"),
        "{out:?}"
    );
}

#[test]
fn a_telemetry_directory_that_is_a_file_leaves_the_program_running_in_memory() {
    let dir = temp_dir("is-a-file");
    let not_a_dir = dir.join("file");
    fs::write(&not_a_dir, b"x").unwrap();
    let out = unusable_directory("is-a-file", &mut child("count-and-report", &not_a_dir));
    // Its mode file cannot be read (`file/default/mode`: not a directory), which
    // counts as off: nothing is tried, nothing reported.
    assert_eq!(out, ["plain=7"]);
    assert_eq!(fs::read(&not_a_dir).unwrap(), b"x");
}

#[test]
fn a_long_running_process_moves_to_the_next_weeks_file_at_the_boundary() {
    let dir = temp_dir("week");
    let out = role_out(&finish(child("week-boundary", &dir).spawn().unwrap()));
    let first = PathBuf::from(out[0].strip_prefix("first=").unwrap());
    let second = PathBuf::from(out[1].strip_prefix("second=").unwrap());
    assert_ne!(first, second);
    let (a, b) = (file::read(&first).unwrap(), file::read(&second).unwrap());
    assert_eq!(
        b.header.begin, a.header.end,
        "the next week starts where the first ended"
    );
    let (in_a, in_b) = (
        value(&a, "files-test/plain").unwrap(),
        value(&b, "files-test/plain").unwrap(),
    );
    assert_eq!(in_a + in_b, 2005, "no increment lost at the boundary");
    // A counter below 64 looks at the clock at every increment, after adding: the
    // first increment past the boundary is the last of the old file, the next one
    // goes to the new week's.
    assert_eq!((in_a, in_b), (6, 1999));
}

#[test]
fn counts_made_before_start_are_carried_into_the_file() {
    let dir = temp_dir("before-start");
    let out = role_out(&finish(child("count-before-start", &dir).spawn().unwrap()));
    assert_eq!(out[0], "plain=7");
    let path = PathBuf::from(out[1].strip_prefix("file=").unwrap());
    assert_eq!(
        value(&file::read(&path).unwrap(), "files-test/plain"),
        Some(7)
    );
}

#[test]
fn counts_made_while_no_file_could_be_opened_are_carried_into_it_later() {
    let dir = temp_dir("retry");
    let out = role_out(&finish(child("retry-after-failure", &dir).spawn().unwrap()));
    assert_eq!(out[0], "plain=1100");
    let path = PathBuf::from(out[1].strip_prefix("file=").unwrap());
    assert_eq!(
        value(&file::read(&path).unwrap(), "files-test/plain"),
        Some(1100)
    );
}
