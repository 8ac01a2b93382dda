//! What another user, a broken tool or a full disk may leave in the telemetry
//! directory, and what the program does about it: it never blocks, never follows a
//! link, never trusts a directory it does not own alone, never does file I/O on an
//! increment, and counts in memory when it cannot count to a file.

#![cfg(unix)]

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use test_support::{TempDir, counter_files, finish, role_out, say, tree, wait_for};

#[path = "support/digits.rs"]
mod digits;

fn plain() -> &'static telemetry::Counter {
    telemetry::counter!("hostile-test/plain")
}

fn chains() -> &'static telemetry::StackCounter {
    telemetry::stack_counter!("hostile-test/chains", depth = 6)
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
            say(format_args!("file={}", session.file().is_some()));
            for problem in session.problems() {
                say(format_args!("problem: {problem}"));
            }
        }
        "increments-under-strace" => increments_under_strace(),
        "wait-for-cleanup" => {
            telemetry::start!();
            let local = PathBuf::from(std::env::var_os("TELEMETRY_DIR").unwrap())
                .join("default")
                .join("local");
            wait_for("the weekly cleanup", Duration::from_secs(20), || {
                (!local.join(".weekday.1.0000000000000000.tmp").exists()).then_some(())
            });
        }
        "many-chains" => {
            let session = telemetry::start!();
            say(format_args!("file={}", session.file().is_some()));
            for i in 0..3000 {
                digits::next(&digits::of(i), chains());
            }
            say(format_args!("chains={}", chains().get()));
        }
        other => panic!("unknown role {other}"),
    }
}

/// A child that must end by itself within `limit`; killed and reported otherwise.
fn finish_within(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("the program hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    finish(child)
}

fn count_in(dir: &Path) -> Vec<String> {
    let child = test_support::child("child_process_entry", "count")
        .env("TELEMETRY_DIR", dir)
        .spawn()
        .unwrap();
    role_out(&finish_within(child, Duration::from_secs(20)))
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// The path of this week's counter file, found by letting a child create it.
fn this_weeks_file(dir: &Path) -> PathBuf {
    count_in(dir);
    let file = test_support::only_file(dir, "default");
    fs::remove_file(&file).unwrap();
    file
}

#[test]
fn a_fifo_as_the_mode_file_does_not_hang_the_program() {
    let dir = TempDir::new("fifo-mode");
    fs::create_dir(dir.join("default")).unwrap();
    mkfifo(&dir.join("default").join("mode"));
    let before = tree(&dir);
    let out = count_in(&dir);
    assert_eq!(
        out,
        ["mode=off", "file=false"],
        "an unusable mode file means off"
    );
    assert_eq!(tree(&dir), before, "nothing created");
}

#[test]
fn a_fifo_as_the_weekday_file_does_not_hang_the_program() {
    let dir = TempDir::new("fifo-weekday");
    let local = dir.join("default").join("local");
    fs::create_dir_all(&local).unwrap();
    fs::set_permissions(dir.join("default"), fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(&local, fs::Permissions::from_mode(0o700)).unwrap();
    mkfifo(&local.join("weekday"));
    let out = count_in(&dir);
    assert_eq!(out[..2], ["mode=local", "file=false"]);
    assert!(
        out[2].contains("weekday") && out[2].contains("not a regular file"),
        "{out:?}"
    );
}

#[test]
fn a_fifo_as_the_counter_file_does_not_hang_the_program() {
    let dir = TempDir::new("fifo-counter");
    let file = this_weeks_file(&dir);
    mkfifo(&file);
    let out = count_in(&dir);
    assert_eq!(out[..2], ["mode=local", "file=false"]);
    assert!(out[2].contains("not a regular file"), "{out:?}");
}

#[test]
fn a_link_to_dev_zero_as_the_counter_file_is_not_followed() {
    let dir = TempDir::new("link-counter");
    let file = this_weeks_file(&dir);
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    let out = count_in(&dir);
    assert_eq!(out[..2], ["mode=local", "file=false"]);
    assert!(out[2].contains("symbolic link"), "{out:?}");
    assert!(
        fs::symlink_metadata(&file)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_directory_others_may_write_is_not_used_and_its_mode_file_not_read() {
    let dir = TempDir::new("writable");
    let namespace = dir.join("default");
    fs::create_dir(&namespace).unwrap();
    fs::write(namespace.join("mode"), "on 2026-01-01\n").unwrap();
    fs::set_permissions(&namespace, fs::Permissions::from_mode(0o777)).unwrap();
    let before = tree(&dir);
    let out = count_in(&dir);
    assert_eq!(
        out,
        ["mode=off", "file=false"],
        "a planted `on` is never obeyed"
    );
    assert_eq!(tree(&dir), before);
}

#[test]
fn a_directory_owned_by_another_user_is_not_used() {
    let dir = TempDir::new("owner");
    let namespace = dir.join("default");
    fs::create_dir(&namespace).unwrap();
    fs::write(namespace.join("mode"), "on 2026-01-01\n").unwrap();
    let c = CString::new(namespace.to_str().unwrap()).unwrap();
    // SAFETY: a valid path. Only root may give a directory away; others cannot run this.
    if unsafe { libc::chown(c.as_ptr(), 65534, 65534) } != 0 {
        eprintln!("skipped: only root can make a directory another user's");
        return;
    }
    let before = tree(&dir);
    let out = count_in(&dir);
    assert_eq!(out, ["mode=off", "file=false"]);
    assert_eq!(tree(&dir), before);
}

/// Plays the program whose increments are traced: after `start!()`, marked by a
/// look-up of a marker path, it increments counters for the first time, creates
/// thousands of chains (the file must grow), and crosses a week's end (the next file
/// must be opened); then it marks the end and waits for the worker to have done it
/// all. Prints its thread id.
fn increments_under_strace() {
    telemetry::start!();
    // SAFETY: `gettid` has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    say(format_args!("tid={tid}"));
    let first = telemetry::counter_file().unwrap().to_path_buf();
    let end = telemetry_formats::file::read(&first).unwrap().header.end;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let _ = fs::metadata("/telemetry-test-begin-marker");
    plain().inc();
    for i in 0..3000 {
        digits::next(&digits::of(i), chains());
    }
    telemetry_runtime::testing::set_clock_offset((end - now + 1) as i64);
    for _ in 0..100 {
        plain().inc();
    }
    let _ = fs::metadata("/telemetry-test-end-marker");
    wait_for("the next week's file", Duration::from_secs(20), || {
        telemetry::counter_file().filter(|f| *f != first)
    });
}

/// File-related system calls an increment must never make.
const FILE_CALLS: [&str; 24] = [
    "open",
    "openat",
    "creat",
    "read",
    "pread64",
    "write",
    "pwrite64",
    "close",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "fstatvfs",
    "mkdir",
    "mkdirat",
    "rename",
    "renameat2",
    "link",
    "linkat",
    "fallocate",
    "flock",
];

#[test]
fn increments_make_no_file_system_call_not_even_to_grow_or_roll_over() {
    if !Path::new("/usr/bin/strace").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "strace is needed; .ci/run installs it"
        );
        eprintln!("skipped: strace is not installed");
        return;
    }
    let dir = TempDir::new("strace");
    let trace = dir.join("trace.txt");
    let me = std::env::current_exe().unwrap();
    let output = std::process::Command::new("/usr/bin/strace")
        .args(["-f", "-qq", "-e", "trace=%file,%desc,mmap,fallocate", "-o"])
        .arg(&trace)
        .arg(&me)
        .args([
            "child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TELEMETRY_TEST_ROLE", "increments-under-strace")
        .env("TELEMETRY_DIR", dir.join("data"))
        .env_remove("TELEMETRY_MODE")
        .env_remove("DO_NOT_TRACK")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tid = role_out(&output)[0]
        .strip_prefix("tid=")
        .unwrap()
        .to_string();
    let text = fs::read_to_string(&trace).unwrap();
    let mine: Vec<&str> = text
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(tid.as_str()))
        .skip_while(|l| !l.contains("telemetry-test-begin-marker"))
        .skip(1)
        .take_while(|l| !l.contains("telemetry-test-end-marker"))
        .collect();
    let calls: Vec<&str> = mine
        .iter()
        .copied()
        .filter(|l| {
            let call = l.split_whitespace().nth(1).unwrap_or("");
            let call = call.split('(').next().unwrap_or("");
            // Anonymous memory for a new chain's name is an allocation, not I/O.
            let file_map = call == "mmap" && !l.contains("MAP_ANONYMOUS");
            FILE_CALLS.contains(&call) || file_map
        })
        .collect();
    assert!(
        text.contains("telemetry-test-end-marker"),
        "the marks were traced"
    );
    assert_eq!(
        calls,
        Vec::<&str>::new(),
        "no file I/O on the incrementing thread"
    );
    // The worker did it: the file grew for the chains, and the next week's file exists.
    assert!(text.contains("fallocate("), "growth happened");
    assert_eq!(counter_files(&dir.join("data"), "default").len(), 2);
}

/// Sets a file's modification time `age` in the past.
fn age(path: &Path, age: Duration) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn old_weeks_stale_temporary_files_and_surplus_set_aside_files_are_deleted() {
    let dir = TempDir::new("cleanup");
    count_in(&dir);
    let local = dir.join("default").join("local");
    let this_week = test_support::only_file(&dir, "default");
    let day = |days_ago: u64| {
        let today = telemetry_formats::date::day_of(telemetry_formats::date::now_secs());
        telemetry_formats::date::format(today - days_ago)
    };
    let old = local.join(format!("kv@0.1.0-1.95.0-linux-x86_64-{}.v1.count", day(64)));
    let recent = local.join(format!("kv@0.1.0-1.95.0-linux-x86_64-{}.v1.count", day(60)));
    let temp = local.join(".weekday.1.0000000000000000.tmp");
    let fresh_temp = local.join(".weekday.2.0000000000000000.tmp");
    for path in [&old, &recent, &temp, &fresh_temp] {
        fs::write(path, b"x").unwrap();
    }
    age(&temp, Duration::from_secs(2 * 3600));
    let mut set_aside = Vec::new();
    for i in 0..6u64 {
        let path = local.join(format!("w.v1.count.1.{i:016x}.bad"));
        fs::write(&path, b"bad").unwrap();
        age(&path, Duration::from_secs(3600 * (i + 1)));
        set_aside.push(path);
    }
    let foreign = local.join("notes.txt");
    fs::write(&foreign, b"mine").unwrap();
    finish(
        test_support::child("child_process_entry", "wait-for-cleanup")
            .env("TELEMETRY_DIR", dir.path())
            .spawn()
            .unwrap(),
    );
    let exists: Vec<bool> = [&old, &recent, &temp, &fresh_temp, &foreign, &this_week]
        .iter()
        .map(|p| p.exists())
        .collect();
    assert_eq!(exists, [false, true, false, true, true, true]);
    let kept: Vec<bool> = set_aside.iter().map(|p| p.exists()).collect();
    assert_eq!(kept, [true, true, true, true, false, false], "the newest 4");
}

/// A small filesystem of its own, unmounted when dropped.
struct Mounted(PathBuf);

impl Mounted {
    /// A tmpfs of `size` at `path`, if this process may mount one (root may).
    fn tmpfs(path: &Path, size: &str) -> Option<Mounted> {
        fs::create_dir_all(path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Mounted(path.to_path_buf()))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_leaves_new_names_in_memory_and_the_program_unharmed() {
    let dir = TempDir::new("full-disk");
    let Some(disk) = Mounted::tmpfs(&dir.join("disk"), "2m") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must be able to mount a tmpfs"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let data = disk.0.join("data");
    let out = role_out(&finish_within(
        test_support::child("child_process_entry", "many-chains")
            .env("TELEMETRY_DIR", &data)
            .spawn()
            .unwrap(),
        Duration::from_secs(30),
    ));
    assert_eq!(out, ["file=true", "chains=3000"], "every chain counted");
    let file = test_support::only_file(&data, "default");
    // The disk is far below the 16 MiB growth keeps free: the file never grew, and
    // the chains that did not fit were counted in memory, not into a hole.
    let counted = test_support::counts(&file);
    let in_file: u64 = counted
        .iter()
        .filter(|(n, _)| n.starts_with("hostile-test/chains\n"))
        .map(|(_, v)| v)
        .sum();
    assert!(
        in_file > 0 && in_file < 3000,
        "{in_file} chains in the file"
    );
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(&file).unwrap();
    assert!(
        meta.blocks() * 512 >= meta.len(),
        "every byte of the file is allocated: {} blocks for {} bytes",
        meta.blocks(),
        meta.len()
    );
}
