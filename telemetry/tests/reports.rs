//! Weekly reports, made by real programs: a week's counter files become one report
//! once the week has ended, written safely before any counter file is deleted, once
//! however many processes start together.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use telemetry_formats::report::{self, Report};
use test_support::{TempDir, counter_files, finish, role_out, say, tree, wait_for};

const DAY: i64 = 86_400;

fn plain() -> &'static telemetry::Counter {
    telemetry::counter!("reports-test/plain")
}

/// Declared, never counted: laid out in the file at zero.
#[allow(dead_code)]
fn unused() {
    telemetry::counter!("reports-test/unused").inc();
}

#[telemetry::counted("reports-test/work")]
fn work() {
    telemetry::stack_counter!("reports-test/bug", depth = 4).inc();
}

#[test]
fn child_process_entry() {
    let Some(role) = test_support::role() else {
        return;
    };
    let local = PathBuf::from(std::env::var_os("TELEMETRY_DIR").unwrap())
        .join("default")
        .join("local");
    match role.as_str() {
        "count-two-weeks-ago" => {
            telemetry_runtime::testing::set_clock_offset(-14 * DAY);
            let session = telemetry::start!();
            plain().add(5);
            work();
            say(format_args!("file={}", session.file().unwrap().display()));
        }
        "wait-for-reports" => {
            telemetry::start!();
            plain().inc();
            let want: usize = std::env::var("WANT").map_or(0, |w| w.parse().unwrap());
            let gone = std::env::var_os("GONE").map(PathBuf::from);
            wait_for(
                "the reports, and the reported file removed",
                Duration::from_secs(20),
                || {
                    let removed = gone.as_ref().is_none_or(|g| !g.exists());
                    (report::list(&local).len() >= want && removed).then_some(())
                },
            );
        }
        "count-once" => {
            let session = telemetry::start!();
            say(format_args!("mode={}", session.mode()));
        }
        other => panic!("unknown role {other}"),
    }
}

fn child(role: &str, dir: &Path) -> Child {
    test_support::child("child_process_entry", role)
        .env("TELEMETRY_DIR", dir)
        .spawn()
        .unwrap()
}

/// Writes the file of the week two weeks ago with known counts; returns its path.
fn a_finished_week(dir: &Path) -> PathBuf {
    let out = role_out(&finish(child("count-two-weeks-ago", dir)));
    PathBuf::from(out[0].strip_prefix("file=").unwrap())
}

fn local(dir: &Path) -> PathBuf {
    dir.join("default").join("local")
}

#[test]
fn a_finished_week_becomes_one_report_and_its_counter_files_go() {
    let dir = TempDir::new("reports-basic");
    let old = a_finished_week(&dir);
    let week_end = telemetry_formats::file::read(&old).unwrap().header.end;
    let mut waiting = test_support::child("child_process_entry", "wait-for-reports");
    let output = finish(
        waiting
            .env("TELEMETRY_DIR", dir.path())
            .env("WANT", "1")
            .env("GONE", &old)
            .spawn()
            .unwrap(),
    );
    assert!(output.status.success());
    let reports = report::list(&local(&dir));
    let week = telemetry_formats::date::format(week_end / 86_400);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].0, week);
    let report = Report::read(&reports[0].1).unwrap();
    assert_eq!(report.format, 1);
    assert_eq!(report.config, "", "a local report is not filtered");
    assert!(report.x > 0.0 && report.x < 1.0);
    assert_eq!(report.programs.len(), 1);
    let program = &report.programs[0];
    assert_eq!(program.program, "transparent-telemetry");
    assert_eq!(program.counters["reports-test/plain"], 5);
    assert_eq!(program.counters["reports-test/work"], 1);
    let file_had_it = telemetry::registry().get("reports-test/unused").is_some();
    assert!(file_had_it);
    assert_eq!(
        program.counters.get("reports-test/unused"),
        None,
        "zero counts are left out"
    );
    assert_eq!(
        program.stacks,
        [("reports-test/bug\nreports-test/work".to_string(), 1)].into()
    );
    assert!(!old.exists(), "the reported file is deleted");
    assert_eq!(
        counter_files(&dir, "default").len(),
        1,
        "this week's file stays"
    );
    let text = fs::read_to_string(&reports[0].1).unwrap();
    assert!(text.ends_with("}\n"), "one JSON document and a newline");
}

#[test]
fn a_report_already_written_is_never_replaced_and_the_files_still_go() {
    let dir = TempDir::new("reports-exists");
    let old = a_finished_week(&dir);
    let week_end = telemetry_formats::file::read(&old).unwrap().header.end;
    let week = telemetry_formats::date::format(week_end / 86_400);
    let path = report::path_of(&local(&dir), &week);
    fs::write(&path, b"written before").unwrap();
    finish(
        test_support::child("child_process_entry", "wait-for-reports")
            .env("TELEMETRY_DIR", dir.path())
            .env("GONE", &old)
            .spawn()
            .unwrap(),
    );
    assert!(!old.exists());
    assert_eq!(fs::read(&path).unwrap(), b"written before");
}

#[test]
fn eight_programs_starting_at_once_write_the_week_once() {
    let dir = TempDir::new("reports-race");
    let old = a_finished_week(&dir);
    let children: Vec<Child> = (0..8)
        .map(|_| {
            test_support::child("child_process_entry", "wait-for-reports")
                .env("TELEMETRY_DIR", dir.path())
                .env("WANT", "1")
                .env("GONE", &old)
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        finish(c);
    }
    let reports = report::list(&local(&dir));
    assert_eq!(reports.len(), 1);
    let report = Report::read(&reports[0].1).unwrap();
    assert_eq!(
        report.programs[0].counters["reports-test/plain"], 5,
        "counted once, not once per process"
    );
    assert!(!old.exists());
    // A process that exits while its losing copy is half written leaves a temporary
    // file: the disk cap deletes it after an hour.
}

#[test]
fn off_makes_no_report_and_touches_no_file() {
    let dir = TempDir::new("reports-off");
    a_finished_week(&dir);
    let before = tree(&dir);
    std::thread::sleep(Duration::from_millis(20));
    let out = role_out(&finish(
        test_support::child("child_process_entry", "count-once")
            .env("TELEMETRY_DIR", dir.path())
            .env("TELEMETRY_MODE", "off")
            .spawn()
            .unwrap(),
    ));
    assert_eq!(out, ["mode=off"]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(tree(&dir), before);
}
