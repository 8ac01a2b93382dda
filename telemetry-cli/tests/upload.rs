//! `telemetry upload` and the upload lines of `telemetry status`, against a collector
//! on a loopback port.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig};
use telemetry_formats::{date, signature};
use test_support::TempDir;
use test_support::server::{Answer, Server};

fn telemetry(root: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_telemetry"));
    command.arg("--dir").arg(root).args(args);
    for var in test_support::TELEMETRY_VARS {
        command.env_remove(var);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// A namespace in mode `on` for 30 days with the report of last week, and a collector
/// serving a config that asks for `kv/get` only.
fn setup(label: &str) -> (TempDir, Server, String) {
    let config = Config {
        format: 1,
        version: 4,
        sample_rate: 1.0,
        programs: vec![ProgramConfig {
            name: "kv".into(),
            versions: "*".into(),
            os: vec!["linux".into()],
            arch: vec!["x86_64".into()],
            counters: vec![CounterConfig {
                name: "kv/get".into(),
                rate: 1.0,
                expires: None,
            }],
            stacks: vec![],
        }],
    };
    setup_with(label, &config, &[("kv/get", 3), ("kv/secret-ish", 1)])
}

/// A namespace in mode `on` for 30 days with the report of last week, of kv 0.1.0 on
/// linux x86_64 with `counters`, and a collector serving `config`, signed.
fn setup_with(label: &str, config: &Config, counters: &[(&str, u64)]) -> (TempDir, Server, String) {
    let root = TempDir::new(label);
    let ns = root.join("default");
    let local = ns.join("local");
    fs::create_dir_all(&local).unwrap();
    let today = date::now_secs() / 86_400;
    fs::write(
        ns.join("mode"),
        format!("on {}\n", date::format(today - 30)),
    )
    .unwrap();
    let week = date::format(today - 2);
    let report = test_support::kv_report(&week, 0.5, "", counters, &[]);
    fs::write(local.join(format!("{week}.json")), report.to_json()).unwrap();
    let (secret, key) = signature::keygen().unwrap();
    let signed = signature::sign(&config.to_json(), &secret).unwrap();
    let server = Server::start(move |request| match request.path.as_str() {
        "/config" => Answer::Respond(200, signed.clone()),
        _ => Answer::Respond(200, b"{\"kept\": 1}".to_vec()),
    });
    (root, server, key.to_string())
}

/// `telemetry upload --dry-run` against `server`: its output, after checking that it
/// succeeded.
fn dry_run(root: &TempDir, server: &Server, key: &str) -> String {
    let output = telemetry(
        root.path(),
        &[
            "upload",
            "--dry-run",
            "--collector",
            &server.url,
            "--key",
            key,
        ],
    );
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    out
}

/// The expiry a counter's declaration gives it, in kv's committed manifest, which
/// `examples/kv/tests/manifest.rs` keeps equal to what the kv binary declares.
fn declared_expiry(manifest: &Path, name: &str) -> String {
    let text = fs::read_to_string(manifest).unwrap();
    let manifest = telemetry_formats::manifest::Manifest::parse_json(&text).unwrap();
    let record = manifest.counters.iter().find(|c| c.name == name).unwrap();
    record.expires.clone().unwrap()
}

#[test]
fn a_dry_run_shows_each_counter_in_or_out_and_sends_and_writes_nothing() {
    let (root, server, key) = setup("cli-upload-dry");
    let before = test_support::tree(root.path());
    let out = dry_run(&root, &server, &key);
    assert!(
        out.contains("Config: version 4, verified with ed25519:"),
        "{out}"
    );
    assert!(out.contains("  in   kv/get\n"), "{out}");
    assert!(
        out.contains("  out  kv/secret-ish: not in the config\n"),
        "{out}"
    );
    assert!(
        out.contains("\"kv/get\": 3"),
        "the exact report is shown: {out}"
    );
    assert_eq!(server.count("POST", "/upload/"), 0, "nothing sent");
    assert_eq!(test_support::tree(root.path()), before, "nothing written");
}

#[test]
fn upload_sends_what_is_due_and_status_shows_it() {
    let (root, server, key) = setup("cli-upload");
    let output = telemetry(
        root.path(),
        &["upload", "--collector", &server.url, "--key", &key],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains(": uploaded"), "{}", text(&output));
    assert_eq!(server.count("POST", "/upload/"), 1);
    let status = text(&telemetry(root.path(), &["status"]));
    assert!(
        status.contains(&format!("Upload:        collector {}", server.url)),
        "{status}"
    );
    assert!(status.contains("config version 4"), "{status}");
    assert!(status.contains("last upload: the week ending"), "{status}");
    // Again, with the collector it remembered: nothing due.
    let again = text(&telemetry(root.path(), &["upload"]));
    assert!(again.contains("Nothing due"), "{again}");
    assert_eq!(server.count("POST", "/upload/"), 1);
}

#[test]
fn in_mode_local_upload_sends_nothing() {
    let (root, server, key) = setup("cli-upload-local");
    fs::write(root.join("default").join("mode"), "local 2026-01-01\n").unwrap();
    let out = text(&telemetry(
        root.path(),
        &["upload", "--collector", &server.url, "--key", &key],
    ));
    assert!(
        out.contains("Nothing uploaded: telemetry is local"),
        "{out}"
    );
    assert_eq!(server.requests().len(), 0);
}

/// `#[counted(expires = "2027-06-30")]` on kv's `import`, through kv's manifest and
/// `telemetry config init`, to the upload: the counter goes until that day and not
/// after; the same entry with its day moved to yesterday stays local, saying why.
#[test]
fn a_counter_declared_with_an_expiry_goes_until_its_last_day_only() {
    let kv_manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/kv-manifest.json");
    let last_day = declared_expiry(&kv_manifest, "kv/commands/import");
    let dir = TempDir::new("cli-upload-expiry-init");
    let config_path = dir.join("config.json");
    let init = Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(["config", "init", "--manifest"])
        .arg(&kv_manifest)
        .arg("--out")
        .arg(&config_path)
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", text(&init));
    let config = Config::parse(&fs::read(&config_path).unwrap()).unwrap();
    let entry = |config: &Config| {
        let program = config.program("kv").unwrap();
        let index = program
            .counters
            .iter()
            .position(|c| c.name == "kv/commands/import")
            .unwrap();
        (program.counters[index].expires.clone(), index)
    };
    let (copied, index) = entry(&config);
    assert_eq!(copied.as_deref(), Some(last_day.as_str()));

    let today = date::now_secs() / 86_400;
    let yesterday = date::format(today - 1);
    let mut moved = config.clone();
    moved.programs[0].counters[index].expires = Some(yesterday.clone());
    let counters = [("kv/commands/import", 2), ("kv/commands/get", 5)];
    for (label, config, last_day) in [
        ("cli-upload-expiry", &config, &last_day),
        ("cli-upload-expired", &moved, &yesterday),
    ] {
        let (root, server, key) = setup_with(label, config, &counters);
        let out = dry_run(&root, &server, &key);
        assert!(out.contains("  in   kv/commands/get\n"), "{out}");
        if date::parse(last_day).is_some_and(|last| today <= last) {
            assert!(
                out.contains("  in   kv/commands/import\n"),
                "{label}: {out}"
            );
            assert!(out.contains("\"kv/commands/import\": 2"), "{label}: {out}");
        } else {
            assert!(
                out.contains(&format!(
                    "  out  kv/commands/import: expired on {last_day}\n"
                )),
                "{label}: {out}"
            );
            assert!(!out.contains("\"kv/commands/import\": 2"), "{label}: {out}");
        }
    }
}

/// 30 `telemetry upload` started at once, over a lock file left by an uploader that
/// was killed, send the week exactly once: round after round, one POST, and one copy
/// of what it sent.
#[test]
fn thirty_uploads_at_once_over_a_lock_left_by_a_dead_process_post_once() {
    for round in 0..5 {
        let (root, server, key) = setup(&format!("cli-upload-race-{round}"));
        let upload = root.join("default").join("upload");
        fs::create_dir_all(&upload).unwrap();
        // What a killed uploader of an earlier version left: a process that is gone.
        fs::write(
            upload.join("lock"),
            format!("4194303 {}\n", date::now_secs()),
        )
        .unwrap();
        let children: Vec<std::process::Child> = (0..30)
            .map(|_| {
                let mut command = Command::new(env!("CARGO_BIN_EXE_telemetry"));
                command
                    .arg("--dir")
                    .arg(root.path())
                    .args(["upload", "--collector", &server.url, "--key", &key])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                for var in test_support::TELEMETRY_VARS {
                    command.env_remove(var);
                }
                command.spawn().unwrap()
            })
            .collect();
        let outputs: Vec<String> = children
            .into_iter()
            .map(|child| text(&child.wait_with_output().unwrap()))
            .collect();
        let uploaded = outputs.iter().filter(|o| o.contains(": uploaded")).count();
        assert_eq!(
            server.count("POST", "/upload/"),
            1,
            "round {round}: {outputs:#?}"
        );
        assert_eq!(uploaded, 1, "round {round}: {outputs:#?}");
        for out in &outputs {
            assert!(
                out.contains(": uploaded")
                    || out.contains("another upload is running")
                    || out.contains("Nothing due"),
                "round {round}: {out}"
            );
        }
        let copies: Vec<_> = fs::read_dir(&upload)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n.len() == "2026-11-26.json".len())
            .collect();
        assert_eq!(copies.len(), 1, "round {round}: {copies:?}");
    }
}

/// The dry run's part after `Week <week> (`: the week still in counter files.
fn preview_of<'a>(out: &'a str, week: &str) -> &'a str {
    let start = out
        .find(&format!("\nWeek {week} ("))
        .unwrap_or_else(|| panic!("no week {week} in {out}"));
    let rest = &out[start + 1..];
    let end = rest[1..].find("\nWeek ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn a_dry_run_shows_the_week_in_progress_as_it_would_go_and_from_when() {
    let (root, server, key) = setup("cli-upload-preview");
    let today = date::now_secs() / 86_400;
    let local = root.join("default").join("local");
    test_support::kv_counter_file(&local, today - 3, &[("kv/get", 7), ("kv/secret-ish", 2)]);
    let week = date::format(today + 4);
    let before = test_support::tree(root.path());
    let out = dry_run(&root, &server, &key);
    let preview = preview_of(&out, &week);
    assert_eq!(
        preview.lines().next().unwrap(),
        format!(
            "Week {week} (in progress, counted so far): can go from {week} 01:00 UTC, on the \
             first upload run after that"
        )
    );
    assert!(preview.contains("\n  in   kv/get\n"), "{preview}");
    assert!(
        preview.contains("\n  out  kv/secret-ish: not in the config\n"),
        "{preview}"
    );
    assert!(
        preview.contains(
            "  The report as it would be sent with the counts so far (1024 bytes with its \
             padding):\n"
        ),
        "{preview}"
    );
    assert!(
        preview.contains("    \"x\": (drawn when the report is made),\n"),
        "{preview}"
    );
    assert!(preview.contains("\"kv/get\": 7"), "{preview}");
    assert!(!preview.contains("secret-ish\":"), "{preview}");
    assert_eq!(server.count("POST", "/upload/"), 0, "nothing sent");
    assert_eq!(test_support::tree(root.path()), before, "nothing written");

    // Upload turned on today: this week began before, so it stays local, and the
    // first week that can go is the next one.
    fs::write(
        root.join("default").join("mode"),
        format!("on {}\n", date::format(today)),
    )
    .unwrap();
    let out = dry_run(&root, &server, &key);
    let preview = preview_of(&out, &week);
    assert_eq!(
        preview.lines().take(2).collect::<Vec<_>>(),
        [
            format!(
                "Week {week} (in progress, counted so far): stays local: the week began \
                 before the day upload was turned on"
            ),
            format!(
                "  The first week that can go runs from {week} to {} and can go from {} 01:00 \
                 UTC.",
                date::format(today + 11),
                date::format(today + 11)
            ),
        ]
    );
    assert!(
        !preview.contains("The report as it would be sent"),
        "{preview}"
    );
}

#[test]
fn a_dry_run_says_which_counters_of_the_week_in_progress_depend_on_its_x() {
    let config = Config {
        format: 1,
        version: 4,
        sample_rate: 0.8,
        programs: vec![ProgramConfig {
            name: "kv".into(),
            versions: "*".into(),
            os: vec!["linux".into()],
            arch: vec!["x86_64".into()],
            counters: vec![
                CounterConfig {
                    name: "kv/get".into(),
                    rate: 1.0,
                    expires: None,
                },
                CounterConfig {
                    name: "kv/rare".into(),
                    rate: 0.25,
                    expires: None,
                },
            ],
            stacks: vec![],
        }],
    };
    let (root, server, key) = setup_with("cli-upload-preview-x", &config, &[("kv/get", 1)]);
    let today = date::now_secs() / 86_400;
    let local = root.join("default").join("local");
    test_support::kv_counter_file(&local, today - 1, &[("kv/get", 4), ("kv/rare", 1)]);
    let out = dry_run(&root, &server, &key);
    let preview = preview_of(&out, &date::format(today + 6));
    assert!(
        preview.contains(
            "\n  The whole week goes only if its x, drawn when its report is made, is at most \
             the config's sample_rate 0.8.\n"
        ),
        "{preview}"
    );
    assert!(preview.contains("\n  in   kv/get\n"), "{preview}");
    assert!(
        preview.contains("\n  in   kv/rare, only if the week's x is at most its rate 0.25\n"),
        "{preview}"
    );
}

/// `TELEMETRY_DEBUG_DAYS_AGO` (debug builds, such as this test's) takes days off the
/// clock of a process with `TELEMETRY_DIR` set, and of no other: `--dir` alone, or a
/// value that is not a number of days up to 400, leaves the clock alone.
#[cfg(debug_assertions)]
#[test]
fn the_debug_clock_moves_only_a_scratch_installation() {
    let today = date::now_secs() / 86_400;
    let on_date = |env_dir: bool, days: &str| {
        let root = TempDir::new("cli-debug-clock");
        let mut command = Command::new(env!("CARGO_BIN_EXE_telemetry"));
        for var in test_support::TELEMETRY_VARS {
            command.env_remove(var);
        }
        if env_dir {
            command.env("TELEMETRY_DIR", root.path());
        } else {
            command.arg("--dir").arg(root.path());
        }
        let output = command
            .arg("on")
            .env("TELEMETRY_DEBUG_DAYS_AGO", days)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output));
        fs::read_to_string(root.join("default").join("mode")).unwrap()
    };
    assert_eq!(
        on_date(true, "15"),
        format!("on {}\n", date::format(today - 15))
    );
    for (env_dir, days) in [(false, "15"), (true, "401"), (true, "-3"), (true, "soon")] {
        assert_eq!(
            on_date(env_dir, days),
            format!("on {}\n", date::format(today)),
            "{env_dir} {days}"
        );
    }
}
