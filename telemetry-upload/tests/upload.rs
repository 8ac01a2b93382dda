//! Upload as a real program does it, against a collector on a loopback port that each
//! test starts: a program counts a week (back-dated), then a program naming the
//! collector starts, spawns its detached upload child, and exits; the test reads what
//! the collector received and what was kept on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig};
use telemetry_formats::report::{self, Report};
use telemetry_formats::{date, signature};
use telemetry_upload::{Options, Target, Week, lock, padding};
use test_support::server::{Answer, Request, Server};
use test_support::{TempDir, finish, role_out, say, tree, wait_for};

const DAY: u64 = 86_400;
/// This test binary's package, as `program!()` names it.
const PROGRAM: &str = "transparent-telemetry-upload";

fn plain() -> &'static telemetry::Counter {
    telemetry::counter!("upload-test/plain")
}

fn unlisted() -> &'static telemetry::Counter {
    telemetry::counter!("upload-test/not-in-config")
}

#[test]
fn child_process_entry() {
    let Some(role) = test_support::role() else {
        return;
    };
    match role.as_str() {
        "count-in-the-past" => {
            let weeks: i64 = std::env::var("WEEKS_AGO").unwrap().parse().unwrap();
            // Weeks end yesterday (see `Setup::new`): the week `weeks` ago ended
            // `weeks * 7 - 6` days ago.
            telemetry_runtime::testing::set_clock_offset(-(weeks * 7 - 4) * DAY as i64);
            telemetry::start!();
            plain().add(5);
            unlisted().add(2);
        }
        "program" => {
            let url = std::env::var("COLLECTOR").unwrap();
            let key = std::env::var("COLLECTOR_KEY").unwrap();
            let session = telemetry::program!().upload(url, key).start();
            plain().inc();
            say(format_args!("mode={}", session.mode()));
            for problem in session.problems() {
                say(format_args!("problem: {problem}"));
            }
        }
        other => panic!("unknown role {other}"),
    }
}

/// A namespace in mode `on` since 30 days ago, with its signing key and config.
struct Setup {
    dir: TempDir,
    secret: String,
    key: String,
}

impl Setup {
    fn new(label: &str) -> Setup {
        let dir = TempDir::new(label);
        let ns = dir.join("default");
        fs::create_dir_all(&ns).unwrap();
        let today = date::now_secs() / DAY;
        fs::write(
            ns.join("mode"),
            format!("on {}\n", date::format(today - 30)),
        )
        .unwrap();
        // Every week of this installation ends on yesterday's weekday, so that the
        // weeks of the tests ended whatever day they run.
        fs::create_dir_all(ns.join("local")).unwrap();
        let weekday = date::weekday(today - 1);
        fs::write(ns.join("local").join("weekday"), format!("{weekday}\n")).unwrap();
        let (secret, key) = signature::keygen().unwrap();
        Setup {
            dir,
            secret,
            key: key.to_string(),
        }
    }

    fn ns(&self) -> PathBuf {
        self.dir.join("default")
    }

    fn upload(&self) -> PathBuf {
        self.ns().join("upload")
    }

    /// A signed config of `version` collecting `upload-test/plain`.
    fn signed(&self, version: u64) -> Vec<u8> {
        let config = Config {
            format: 1,
            version,
            sample_rate: 1.0,
            programs: vec![ProgramConfig {
                name: PROGRAM.into(),
                versions: ">=0.1.0".into(),
                os: vec![std::env::consts::OS.into()],
                arch: vec![std::env::consts::ARCH.into()],
                counters: vec![CounterConfig {
                    name: "upload-test/plain".into(),
                    rate: 1.0,
                    expires: None,
                }],
                stacks: vec![],
            }],
        };
        signature::sign(&config.to_json(), &self.secret).unwrap()
    }

    /// Counter files of the week `weeks` weeks ago.
    fn count_weeks_ago(&self, weeks: u64) {
        finish(
            test_support::child("child_process_entry", "count-in-the-past")
                .env("TELEMETRY_DIR", self.dir.path())
                .env("WEEKS_AGO", weeks.to_string())
                .spawn()
                .unwrap(),
        );
    }

    fn program(&self, server: &Server) -> Child {
        test_support::child("child_process_entry", "program")
            .env("TELEMETRY_DIR", self.dir.path())
            .env("COLLECTOR", &server.url)
            .env("COLLECTOR_KEY", &self.key)
            .env("TELEMETRY_UPLOAD_LIMIT_SECS", "10")
            .spawn()
            .unwrap()
    }

    /// Runs the program and waits for its upload child to have finished its run.
    fn run_program(&self, server: &Server) -> Vec<String> {
        let out = role_out(&finish(self.program(server)));
        wait_for("the upload run", Duration::from_secs(30), || {
            self.upload().join("last-run.json").exists().then_some(())
        });
        wait_for("the upload lock released", Duration::from_secs(30), || {
            lock::holder(&self.upload()).is_none().then_some(())
        });
        out
    }

    fn target(&self, server: &Server) -> Target {
        Target::new(&server.url, &self.key).unwrap()
    }
}

/// A collector serving `config` and answering uploads with `upload`.
fn collector(
    config: Vec<u8>,
    upload: impl Fn(&Request) -> Answer + Send + Sync + 'static,
) -> Server {
    Server::start(
        move |request| match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/config") => Answer::Respond(200, config.clone()),
            ("POST", p) if p.starts_with("/upload/") => upload(request),
            _ => Answer::Respond(404, b"{}".to_vec()),
        },
    )
}

fn receipt() -> Answer {
    Answer::Respond(
        200,
        br#"{"kept": ["upload-test/plain"], "dropped": []}"#.to_vec(),
    )
}

#[test]
fn a_finished_week_is_uploaded_once_and_every_byte_sent_is_kept() {
    let setup = Setup::new("upload-200");
    setup.count_weeks_ago(2);
    let server = collector(setup.signed(1), |_| receipt());
    let out = setup.run_program(&server);
    assert_eq!(
        out,
        ["mode=on"],
        "the program itself was not delayed or troubled"
    );
    assert_eq!(server.count("POST", "/upload/"), 1);
    let posted = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    let week = posted.path.strip_prefix("/upload/").unwrap().to_string();
    let kept = fs::read(setup.upload().join(format!("{week}.json"))).unwrap();
    assert_eq!(kept, posted.body, "the exact bytes sent are kept");
    assert!(
        !setup.upload().join(format!("{week}.sending.json")).exists(),
        "the bytes kept before sending became the copy"
    );
    // Padded with spaces to its size class: the report's JSON, then spaces.
    let json = Report::parse(&kept).unwrap().to_json();
    assert_eq!(kept.len(), padding::size_class(json.len()));
    assert_eq!(&kept[..json.len()], &json[..]);
    assert!(kept[json.len()..].iter().all(|&b| b == b' '));
    let receipt = fs::read(setup.upload().join(format!("{week}.receipt.json"))).unwrap();
    assert!(receipt.starts_with(br#"{"kept""#));
    let sent = Report::parse(&kept).unwrap();
    assert_eq!(sent.config, "1");
    assert_eq!(sent.programs[0].program, PROGRAM);
    assert_eq!(
        sent.programs[0].counters,
        [("upload-test/plain".to_string(), 5)].into(),
        "nothing the config does not ask for"
    );
    let local = Report::read(&report::path_of(&setup.ns().join("local"), &week)).unwrap();
    assert_eq!(
        local.programs[0].counters["upload-test/not-in-config"], 2,
        "kept locally"
    );
    assert_eq!(local.x, sent.x);

    // Later runs send nothing more: the week is done.
    fs::remove_file(setup.upload().join("token")).unwrap();
    fs::remove_file(setup.upload().join("last-run.json")).unwrap();
    role_out(&finish(setup.program(&server)));
    std::thread::sleep(Duration::from_millis(500));
    let outcome =
        telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
    assert!(outcome.weeks.is_empty(), "{outcome:?}");
    assert_eq!(server.count("POST", "/upload/"), 1, "uploaded exactly once");
}

fn env() -> telemetry_formats::mode::Env {
    telemetry_formats::mode::Env::default()
}

#[test]
fn a_4xx_keeps_the_report_with_the_reason_and_is_not_retried() {
    let setup = Setup::new("upload-400");
    setup.count_weeks_ago(2);
    let server = collector(setup.signed(1), |_| {
        Answer::Respond(400, br#"{"error": "unknown program"}"#.to_vec())
    });
    setup.run_program(&server);
    assert_eq!(server.count("POST", "/upload/"), 1);
    let rejected: Vec<PathBuf> = files_ending(&setup.upload(), ".rejected.json");
    assert_eq!(rejected.len(), 1);
    let text = fs::read_to_string(&rejected[0]).unwrap();
    assert!(
        text.contains("\"status\": 400") && text.contains("unknown program"),
        "{text}"
    );
    assert_eq!(
        report::list(&setup.ns().join("local")).len(),
        1,
        "the local report is kept"
    );
    let later = Options {
        now: date::now_secs() + 3 * DAY,
        ..Options::now()
    };
    let first = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .path;
    let outcome = telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &later);
    let week = first.strip_prefix("/upload/").unwrap();
    assert!(
        outcome.weeks.iter().all(|(w, _, _)| w != week),
        "{outcome:?}"
    );
    assert_eq!(
        server.requests().iter().filter(|r| r.path == first).count(),
        1,
        "not retried blindly"
    );
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

#[test]
fn a_5xx_is_retried_on_a_later_run_and_then_uploaded_once() {
    let setup = Setup::new("upload-500");
    setup.count_weeks_ago(2);
    let answers = Arc::new(Mutex::new(vec![Answer::Respond(500, b"busy".to_vec())]));
    let queue = Arc::clone(&answers);
    let server = collector(setup.signed(1), move |_| {
        queue.lock().unwrap().pop().unwrap_or_else(receipt)
    });
    setup.run_program(&server);
    // This week's file, which the program just made, must not become due in the
    // later runs below: only the week of two weeks ago is looked at.
    for file in files_ending(&setup.ns().join("local"), ".v1.count") {
        fs::remove_file(file).unwrap();
    }
    assert_eq!(files_ending(&setup.upload(), ".retry.json").len(), 1);
    assert!(files_ending(&setup.upload(), ".receipt.json").is_empty());
    // The same day: the retry waits.
    let outcome =
        telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
    assert!(
        matches!(outcome.weeks[0].1, Week::Waiting(_)),
        "{outcome:?}"
    );
    assert_eq!(server.count("POST", "/upload/"), 1);
    // Two days later: uploaded.
    let later = Options {
        now: date::now_secs() + 2 * DAY,
        ..Options::now()
    };
    let outcome = telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &later);
    assert!(
        matches!(outcome.weeks[0].1, Week::Uploaded(_)),
        "{outcome:?}"
    );
    assert_eq!(server.count("POST", "/upload/"), 2);
    assert!(files_ending(&setup.upload(), ".retry.json").is_empty());
    assert_eq!(files_ending(&setup.upload(), ".receipt.json").len(), 1);
}

#[test]
fn busy_answers_408_429_503_are_retried_when_the_collector_asks_never_refused() {
    let http_date = |secs: u64| {
        let day = secs / DAY;
        let ymd = date::format(day);
        let weekday =
            ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][date::weekday(day) as usize];
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ][ymd[5..7].parse::<usize>().unwrap() - 1];
        format!(
            "{weekday}, {} {month} {} {:02}:{:02}:{:02} GMT",
            &ymd[8..10],
            &ymd[0..4],
            secs % DAY / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    };
    let now = date::now_secs();
    for (status, retry_after, wait) in [
        (408, None, DAY),
        (429, Some("120".to_string()), 120),
        (503, Some(http_date(now + 3 * 3600)), 3 * 3600),
        (503, Some("99999999".to_string()), 7 * DAY),
    ] {
        let label = format!("{status} {retry_after:?}");
        let setup = Setup::new(&format!("upload-{status}"));
        setup.count_weeks_ago(2);
        let first = Answer::RespondWith(
            status,
            retry_after
                .iter()
                .map(|v| ("Retry-After".to_string(), v.clone()))
                .collect(),
            b"the database is busy: try again later\n".to_vec(),
        );
        let answers = Arc::new(Mutex::new(vec![first]));
        let queue = Arc::clone(&answers);
        let server = collector(setup.signed(1), move |_| {
            queue.lock().unwrap().pop().unwrap_or_else(receipt)
        });
        let at = |now: u64| Options {
            now,
            ..Options::now()
        };
        let target = setup.target(&server);
        let outcome = telemetry_upload::run(&setup.ns(), &target, &env(), &at(now));
        let [(_, Week::Retry(error, next), _)] = outcome.weeks.as_slice() else {
            panic!("{label}: {outcome:?}");
        };
        assert_eq!(
            error,
            &format!("answered {status}: the database is busy: try again later"),
            "{label}"
        );
        assert_eq!(*next, now + wait, "{label}");
        assert!(
            files_ending(&setup.upload(), ".rejected.json").is_empty(),
            "{label}: never refused for good"
        );
        assert_eq!(
            files_ending(&setup.upload(), ".retry.json").len(),
            1,
            "{label}"
        );
        let outcome = telemetry_upload::run(&setup.ns(), &target, &env(), &at(now + wait - 1));
        assert!(
            matches!(outcome.weeks[0].1, Week::Waiting(w) if w == now + wait),
            "{label}: {outcome:?}"
        );
        let outcome = telemetry_upload::run(&setup.ns(), &target, &env(), &at(now + wait));
        assert!(
            matches!(outcome.weeks[0].1, Week::Uploaded(_)),
            "{label}: {outcome:?}"
        );
        assert_eq!(server.count("POST", "/upload/"), 2, "{label}");
        assert!(files_ending(&setup.upload(), ".retry.json").is_empty());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_collector_that_never_answers_delays_no_exit_and_the_run_ends_in_its_limit() {
    let setup = Setup::new("upload-hang");
    setup.count_weeks_ago(2);
    let server = Server::start(|_| Answer::Hang);
    let started = std::time::Instant::now();
    let out = role_out(&finish(setup.program(&server)));
    assert_eq!(out, ["mode=on"]);
    let program_took = started.elapsed();
    // The child's limit is 10 s here: it ends then, and its lock with it.
    let holder = wait_for(
        "the upload child to take its lock",
        Duration::from_secs(10),
        || lock::holder(&setup.upload()),
    );
    let pid = holder.split_whitespace().next().unwrap_or("0").to_string();
    wait_for("the upload child to end", Duration::from_secs(25), || {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| !s.trim_start().starts_with('Z'));
        (lock::holder(&setup.upload()).is_none() && !running).then_some(())
    });
    assert!(
        program_took < Duration::from_secs(5),
        "the program waited {program_took:?}"
    );
    assert!(server.count("GET", "/config") >= 1, "the child did try");
}

#[test]
fn a_config_that_fails_its_signature_or_goes_back_is_never_used() {
    let setup = Setup::new("upload-bad-config");
    setup.count_weeks_ago(2);
    let (other, _) = signature::keygen().unwrap();
    let forged = {
        let good = String::from_utf8(setup.signed(1)).unwrap();
        good.replacen("\\\"rate\\\": 1.0", "\\\"rate\\\": 0.9", 1)
    };
    // Correctly signed by the right key, but not a config this client can read.
    let text = String::from_utf8(config_text(&setup.signed(1))).unwrap();
    let unknown_field = text.replacen(
        "\"sample_rate\"",
        "\"share_with\": \"everyone\",\n  \"sample_rate\"",
        1,
    );
    let future_format = text.replacen("\"format\": 1", "\"format\": 2", 1);
    assert!(unknown_field != text && future_format != text);
    for (label, served, why) in [
        ("tampered", forged.into_bytes(), "signature"),
        (
            "another key",
            signature::sign(&config_text(&setup.signed(1)), &other).unwrap(),
            "key",
        ),
        (
            "an unknown field",
            signature::sign_unchecked(unknown_field.as_bytes(), &setup.secret).unwrap(),
            "unknown field `share_with`",
        ),
        (
            "a future format",
            signature::sign_unchecked(future_format.as_bytes(), &setup.secret).unwrap(),
            "format 2, newer than",
        ),
    ] {
        let server = collector(served, |_| receipt());
        let outcome =
            telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
        assert!(outcome.stopped.is_some(), "{label}: {outcome:?}");
        assert!(
            outcome.notes.iter().any(|n| n.contains(why)),
            "{label}: {outcome:?}"
        );
        assert_eq!(server.count("POST", "/upload/"), 0, "{label}");
    }
    // Version 2 accepted, then version 1 offered: refused, nothing uploaded with it.
    let v2 = collector(setup.signed(2), |_| Answer::Respond(500, Vec::new()));
    telemetry_upload::run(&setup.ns(), &setup.target(&v2), &env(), &Options::now());
    fs::remove_file(setup.upload().join("config.json")).unwrap();
    let v1 = collector(setup.signed(1), |_| receipt());
    let outcome = telemetry_upload::run(&setup.ns(), &setup.target(&v1), &env(), &Options::now());
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("older than version 2")),
        "{outcome:?}"
    );
    assert_eq!(v1.count("POST", "/upload/"), 0);
}

/// The config text inside a signed envelope.
fn config_text(signed: &[u8]) -> Vec<u8> {
    let envelope: signature::Envelope = serde_json::from_slice(signed).unwrap();
    envelope.config.into_bytes()
}

#[test]
fn many_processes_at_once_upload_each_of_three_weeks_exactly_once() {
    let setup = Setup::new("upload-race");
    for weeks in [1, 2, 3] {
        setup.count_weeks_ago(weeks);
    }
    let server = collector(setup.signed(1), |_| receipt());
    let children: Vec<Child> = (0..10).map(|_| setup.program(&server)).collect();
    for child in children {
        finish(child);
    }
    wait_for("three uploads", Duration::from_secs(30), || {
        (files_ending(&setup.upload(), ".receipt.json").len() == 3).then_some(())
    });
    wait_for("the lock released", Duration::from_secs(30), || {
        lock::holder(&setup.upload()).is_none().then_some(())
    });
    let mut weeks: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    weeks.sort();
    let before = weeks.len();
    weeks.dedup();
    assert_eq!((before, weeks.len()), (3, 3), "{weeks:?}");
}

#[test]
fn a_lock_left_by_a_killed_uploader_is_recovered() {
    let setup = Setup::new("upload-stale-lock");
    setup.count_weeks_ago(2);
    fs::create_dir_all(setup.upload()).unwrap();
    fs::write(
        setup.upload().join("lock"),
        format!("4194303 {}\n", date::now_secs()),
    )
    .unwrap();
    let server = collector(setup.signed(1), |_| receipt());
    let outcome =
        telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
    assert!(outcome.stopped.is_none(), "{outcome:?}");
    assert_eq!(server.count("POST", "/upload/"), 1);
}

#[test]
fn local_off_and_do_not_track_send_nothing_and_off_writes_nothing() {
    for (label, mode, vars) in [
        ("local", "local", vec![]),
        ("off", "off", vec![]),
        ("dnt", "on", vec![("DO_NOT_TRACK", "1")]),
    ] {
        let setup = Setup::new(&format!("upload-{label}"));
        setup.count_weeks_ago(2);
        fs::write(setup.ns().join("mode"), format!("{mode} 2026-01-01\n")).unwrap();
        let server = collector(setup.signed(1), |_| receipt());
        let before = tree(setup.dir.path());
        std::thread::sleep(Duration::from_millis(20));
        let mut command = setup.program_command(&server);
        for (k, v) in &vars {
            command.env(k, v);
        }
        role_out(&finish(command.spawn().unwrap()));
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(server.requests().len(), 0, "{label}: no request at all");
        assert!(!setup.upload().exists(), "{label}: no upload directory");
        if mode == "off" || !vars.is_empty() {
            assert_eq!(tree(setup.dir.path()), before, "{label}: nothing written");
        }
    }
}

impl Setup {
    fn program_command(&self, server: &Server) -> std::process::Command {
        let mut command = test_support::child("child_process_entry", "program");
        command
            .env("TELEMETRY_DIR", self.dir.path())
            .env("COLLECTOR", &server.url)
            .env("COLLECTOR_KEY", &self.key);
        command
    }
}

#[test]
fn garbage_and_oversized_answers_are_failures_to_retry_not_crashes() {
    for (label, answer) in [
        ("garbage", Answer::Garbage),
        ("oversized", Answer::Respond(200, vec![b'x'; 3 << 20])),
    ] {
        let setup = Setup::new(&format!("upload-{label}"));
        setup.count_weeks_ago(2);
        let server = collector(setup.signed(1), move |_| answer.clone());
        let outcome =
            telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
        assert_eq!(outcome.weeks.len(), 1, "{label}: {outcome:?}");
        assert!(
            matches!(outcome.weeks[0].1, Week::Retry(..)),
            "{label}: {outcome:?}"
        );
        assert_eq!(
            files_ending(&setup.upload(), ".retry.json").len(),
            1,
            "{label}"
        );
        assert!(
            files_ending(&setup.upload(), ".receipt.json").is_empty(),
            "{label}"
        );
    }
}

#[test]
fn an_upload_child_uploads_and_ends_in_start_and_never_starts_another() {
    let setup = Setup::new("upload-child");
    setup.count_weeks_ago(2);
    let server = collector(setup.signed(1), |_| receipt());
    let output = setup
        .program_command(&server)
        .env("TELEMETRY_UPLOAD_CHILD", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        role_out(&output),
        Vec::<String>::new(),
        "start!() ran the upload and ended the process: main went no further"
    );
    assert_eq!(server.count("POST", "/upload/"), 1);
    assert!(
        !setup.upload().join("token").exists(),
        "only a program, never a child, takes the daily token and starts a child"
    );
}

/// Makes the report of the week counted `weeks` weeks ago (as a program's worker
/// would) and returns its week.
fn report_weeks_ago(setup: &Setup, weeks: u64) -> String {
    setup.count_weeks_ago(weeks);
    let made = report::make_due(&setup.ns().join("local"), date::now_secs() - 3600, "");
    let [report::Made::Report(path, _)] = made.as_slice() else {
        panic!("{made:?}");
    };
    let name = path.file_name().unwrap().to_string_lossy();
    name.strip_suffix(".json").unwrap().to_string()
}

#[cfg(unix)]
#[test]
fn a_symlinked_local_directory_is_refused_and_nothing_where_it_points_is_touched() {
    let setup = Setup::new("upload-local-link");
    setup.count_weeks_ago(2);
    let local = setup.ns().join("local");
    let elsewhere = setup.dir.join("elsewhere");
    fs::rename(&local, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &local).unwrap();
    let before = tree(&elsewhere);
    let server = collector(setup.signed(1), |_| receipt());
    for options in [
        Options::now(),
        Options {
            dry_run: true,
            ..Options::now()
        },
    ] {
        let outcome = telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &options);
        let stopped = outcome.stopped.clone().unwrap_or_default();
        assert!(
            stopped.contains("local is not trusted: a symbolic link"),
            "{outcome:?}"
        );
        assert!(outcome.weeks.is_empty(), "{outcome:?}");
    }
    // A program starting in mode `on` finds nothing due there either.
    role_out(&finish(setup.program(&server)));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        server.requests().len(),
        0,
        "no config fetched, nothing posted"
    );
    assert_eq!(
        tree(&elsewhere),
        before,
        "no report made, no counter file deleted"
    );
}

#[cfg(unix)]
#[test]
fn a_link_where_the_copy_goes_keeps_the_week_unsent_until_it_is_gone() {
    let setup = Setup::new("upload-copy-link");
    let week = report_weeks_ago(&setup, 2);
    let server = collector(setup.signed(1), |_| receipt());
    fs::create_dir_all(setup.upload()).unwrap();
    let copy = setup.upload().join(format!("{week}.json"));
    let target = setup.dir.join("nowhere").join("copy.json");
    std::os::unix::fs::symlink(&target, &copy).unwrap();
    for _ in 0..3 {
        let outcome =
            telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
        let [(w, Week::Retry(why, _), _)] = outcome.weeks.as_slice() else {
            panic!("{outcome:?}");
        };
        assert_eq!(w, &week);
        assert_eq!(
            why,
            &format!(
                "not sent, because what is sent could not be kept first: {} is a symbolic \
                 link, where its copy goes",
                copy.display()
            )
        );
    }
    assert_eq!(
        server.count("POST", "/upload/"),
        0,
        "never sent without its copy"
    );
    assert!(!target.exists() && !target.parent().unwrap().exists());
    let last_run = fs::read_to_string(setup.upload().join("last-run.json")).unwrap();
    assert!(last_run.contains("is a symbolic link"), "{last_run}");

    // Something in the way of the bytes kept before sending stops it too.
    fs::remove_file(&copy).unwrap();
    let sending = setup.upload().join(format!("{week}.sending.json"));
    std::os::unix::fs::symlink(&target, &sending).unwrap();
    let outcome =
        telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
    assert!(
        matches!(&outcome.weeks[0].1, Week::Retry(why, _) if why.contains("symbolic link")),
        "{outcome:?}"
    );
    assert_eq!(server.count("POST", "/upload/"), 0);

    // Once nothing is in the way, the week goes, once, and its copy is kept.
    fs::remove_file(&sending).unwrap();
    let outcome =
        telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
    assert!(
        matches!(outcome.weeks[0].1, Week::Uploaded(_)),
        "{outcome:?}"
    );
    let posted = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(fs::read(&copy).unwrap(), posted.body);
    assert!(fs::symlink_metadata(&copy).unwrap().is_file());
    telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &Options::now());
    assert_eq!(server.count("POST", "/upload/"), 1);
}

#[test]
fn an_upload_left_unanswered_is_sent_again_byte_for_byte() {
    let setup = Setup::new("upload-again");
    let week = report_weeks_ago(&setup, 2);
    let answers = Arc::new(Mutex::new(vec![Answer::Hang]));
    let queue = Arc::clone(&answers);
    let server = collector(setup.signed(1), move |_| {
        queue.lock().unwrap().pop().unwrap_or_else(receipt)
    });
    let quick = Options {
        request_limit: Duration::from_secs(1),
        ..Options::now()
    };
    let outcome = telemetry_upload::run(&setup.ns(), &setup.target(&server), &env(), &quick);
    assert!(matches!(outcome.weeks[0].1, Week::Retry(..)), "{outcome:?}");
    let sending = setup.upload().join(format!("{week}.sending.json"));
    let kept = fs::read(&sending).expect("kept before it was sent");
    // The config changes meanwhile, and so would a report made afresh: what may
    // already have reached the collector is what is sent again.
    fs::remove_file(setup.upload().join("config.json")).unwrap();
    let later = Options {
        now: date::now_secs() + 2 * DAY,
        ..Options::now()
    };
    let server_v2 = collector(setup.signed(2), |_| receipt());
    let outcome = telemetry_upload::run(&setup.ns(), &setup.target(&server_v2), &env(), &later);
    assert!(
        matches!(outcome.weeks[0].1, Week::Uploaded(_)),
        "{outcome:?}"
    );
    let first = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    let second = server_v2
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(first.body, kept);
    assert_eq!(second.body, kept, "the same bytes, the same upload");
    assert_eq!(
        fs::read(setup.upload().join(format!("{week}.json"))).unwrap(),
        kept
    );
    assert!(!sending.exists());
}

#[test]
fn every_number_survives_the_local_report_and_the_upload_exactly() {
    let mut rng = test_support::Rng(0x5eed_1234_abcd);
    let setup = Setup::new("upload-exact");
    let config = Config::parse(&config_text(&setup.signed(1))).unwrap();
    let mut differ = 0;
    for _ in 0..3000 {
        // Any double in (0, 1), written as its shortest decimal.
        let x = loop {
            let x = f64::from_bits(rng.next_u64() >> 2);
            if x > 0.0 && x < 1.0 {
                break x;
            }
        };
        let count = rng.next_u64();
        let mut local = test_support::kv_report("2026-11-26", x, "", &[], &[]);
        local.programs[0].program = PROGRAM.into();
        local.programs[0].os = std::env::consts::OS.into();
        local.programs[0].arch = std::env::consts::ARCH.into();
        local.programs[0].counters = [("upload-test/plain".to_string(), count)].into();
        let written = local.to_json();
        let read = Report::parse(&written).unwrap();
        if read.x.to_bits() != x.to_bits() {
            differ += 1;
        }
        let today = date::parse("2026-11-27").unwrap();
        let (upload, _) = telemetry_formats::upload::filter(&read, &config, today - 30, today, "");
        let sent = padding::pad(upload.unwrap().to_json());
        let again = Report::parse(&sent).unwrap();
        assert_eq!(again.x.to_bits(), x.to_bits(), "{x:?}");
        assert_eq!(again.programs[0].counters["upload-test/plain"], count);
        let text = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            text.lines()
                .find(|l| l.trim_start().starts_with("\"x\""))
                .unwrap()
                .trim()
                .to_string()
        };
        assert_eq!(text(&written), text(&sent), "the same text");
    }
    assert_eq!(differ, 0, "x values read back otherwise");
}
