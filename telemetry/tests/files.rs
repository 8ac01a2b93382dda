//! Counter files as real programs use them: many processes at once, processes killed
//! mid-increment, bad files, bad directories, and `off` writing nothing.
//!
//! Each test runs copies of this test binary as child processes: `child_process_entry`
//! does nothing unless `TELEMETRY_TEST_ROLE` names a role, and then plays it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use telemetry::{Counter, StackCounter, counted};
use telemetry_runtime::file;

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
    let Ok(role) = std::env::var("TELEMETRY_TEST_ROLE") else {
        return;
    };
    match role.as_str() {
        "count-before-start" => {
            plain().add(3);
            let session = telemetry::start!();
            plain().add(4);
            println!("ROLE-OUT: plain={}", plain().get());
            println!(
                "ROLE-OUT: file={}",
                session.file().expect("a file").display()
            );
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
            // The obstacle goes away; a minute later the runtime tries again.
            fs::remove_file(&local).unwrap();
            telemetry::__private::set_clock_offset(61);
            for _ in 0..100 {
                plain().inc();
            }
            let file = telemetry::counter_file().expect("opened on retry");
            println!("ROLE-OUT: plain={}", plain().get());
            println!("ROLE-OUT: file={}", file.display());
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
        "spin" => spin_forever(),
        "count-and-report" => {
            plain().add(7);
            println!("ROLE-OUT: plain={}", plain().get());
            for problem in session.problems() {
                println!("ROLE-OUT: problem: {problem}");
            }
            if let Some(file) = session.file() {
                println!("ROLE-OUT: file={}", file.display());
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
            telemetry::__private::set_clock_offset((end - now + 1) as i64);
            for _ in 0..2000 {
                plain().inc();
            }
            let second = telemetry::counter_file().map(Path::to_path_buf);
            println!("ROLE-OUT: first={}", first.unwrap().display());
            println!(
                "ROLE-OUT: second={}",
                second.expect("still a file").display()
            );
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

/// A fresh directory for one test, removed when the test ends.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(test: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("telemetry-files-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn child(role: &str, telemetry_dir: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TELEMETRY_TEST_ROLE", role)
        .env("TELEMETRY_DIR", telemetry_dir)
        .env_remove("TELEMETRY_MODE")
        .env_remove("DO_NOT_TRACK")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn finish(child: Child) -> Output {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "child failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The lines a child printed with `ROLE-OUT: `.
fn role_out(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        // The harness may have printed `test child_process_entry ... ` on the same line.
        .filter_map(|l| l.split_once("ROLE-OUT: ").map(|(_, out)| out.to_string()))
        .collect()
}

fn counter_files(telemetry_dir: &Path) -> Vec<PathBuf> {
    let local = telemetry_dir.join("default").join("local");
    let mut files: Vec<PathBuf> = fs::read_dir(&local)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.to_string_lossy().ends_with(".v1.count"));
    files.sort();
    files
}

fn only_file(telemetry_dir: &Path) -> file::Contents {
    let files = counter_files(telemetry_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    file::read(&files[0]).unwrap()
}

fn value(contents: &file::Contents, name: &str) -> Option<u64> {
    contents
        .counters
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
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

#[test]
fn a_process_killed_mid_increment_leaves_a_readable_file() {
    let dir = temp_dir("kill");
    let mut spinning = child("spin", &dir).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let counted = counter_files(&dir)
            .first()
            .and_then(|f| file::read(f).ok())
            .and_then(|c| value(&c, "files-test/plain"))
            .unwrap_or(0);
        if counted > 2_000_000 {
            break;
        }
        assert!(Instant::now() < deadline, "the child never counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    spinning.kill().unwrap();
    spinning.wait().unwrap();
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
    let aside = PathBuf::from(format!("{}.bad", path.display()));
    assert!(second[1].starts_with("problem: set aside"), "{second:?}");
    assert!(
        second[1].contains(&aside.display().to_string()),
        "{second:?}"
    );
    let error = file::read(&aside).unwrap_err().to_string();
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
    let mut spinning = child("spin", &dir).spawn().unwrap();
    let aside = PathBuf::from(format!("{}.bad", path.display()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(aside.exists()
        && file::read(&path).is_ok_and(|c| value(&c, "files-test/plain").unwrap_or(0) > 0))
    {
        assert!(
            Instant::now() < deadline,
            "the bad file was never set aside"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    spinning.kill().unwrap();
    spinning.wait().unwrap();
    assert!(
        file::read(&aside)
            .unwrap_err()
            .to_string()
            .contains("outside the records")
    );
}

/// Every path under `dir` with its kind, length and modification time.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (bool, u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let meta = fs::symlink_metadata(&at).unwrap();
        out.insert(
            at.clone(),
            (meta.is_dir(), meta.len(), meta.modified().unwrap()),
        );
        if meta.is_dir() {
            stack.extend(fs::read_dir(&at).unwrap().map(|e| e.unwrap().path()));
        }
    }
    out
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
    assert_eq!(counter_files(&dir).len(), 1);
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
        out[1].starts_with("problem: cannot create /proc/self/default/local"),
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
