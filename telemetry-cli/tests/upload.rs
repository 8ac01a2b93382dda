//! `telemetry upload` and the upload lines of `telemetry status`, against a collector
//! on a loopback port.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig};
use telemetry_formats::report::{ProgramReport, Report};
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
    let report = Report {
        format: 1,
        week: week.clone(),
        last_week: String::new(),
        x: 0.5,
        config: String::new(),
        programs: vec![ProgramReport {
            program: "kv".into(),
            version: "0.1.0".into(),
            toolchain: "1.95.0".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            counters: BTreeMap::from([("kv/get".into(), 3), ("kv/secret-ish".into(), 1)]),
            stacks: BTreeMap::new(),
        }],
    };
    fs::write(local.join(format!("{week}.json")), report.to_json()).unwrap();
    let (secret, key) = signature::keygen().unwrap();
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
    let signed = signature::sign(&config.to_json(), &secret).unwrap();
    let server = Server::start(move |request| match request.path.as_str() {
        "/config" => Answer::Respond(200, signed.clone()),
        _ => Answer::Respond(200, b"{\"kept\": 1}".to_vec()),
    });
    (root, server, key.to_string())
}

#[test]
fn a_dry_run_shows_each_counter_in_or_out_and_sends_and_writes_nothing() {
    let (root, server, key) = setup("cli-upload-dry");
    let before = test_support::tree(root.path());
    let output = telemetry(
        root.path(),
        &[
            "upload",
            "--dry-run",
            "--collector",
            &server.url,
            "--key",
            &key,
        ],
    );
    let out = text(&output);
    assert!(output.status.success(), "{out}");
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
