//! `telemetry config`, run for real: a config made from the kv example's committed
//! manifest, checked, signed and verified, and each way it can be wrong.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::TempDir;

fn telemetry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn succeeds(args: &[&str]) -> String {
    let output = telemetry(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn fails(args: &[&str]) -> String {
    let output = telemetry(args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?}: {}",
        text(&output.stdout)
    );
    text(&output.stdout) + &text(&output.stderr)
}

fn kv_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/kv-manifest.json")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A config made by `config init` from the kv manifest, in `dir`.
fn init(dir: &Path) -> PathBuf {
    let config = dir.join("config.json");
    succeeds(&[
        "config",
        "init",
        "--manifest",
        s(&kv_manifest()),
        "--out",
        s(&config),
    ]);
    config
}

#[test]
fn init_lists_every_declared_counter_and_check_accepts_it() {
    let dir = TempDir::new("config-init");
    let config = init(&dir);
    let parsed: serde_json::Value = serde_json::from_slice(&fs::read(&config).unwrap()).unwrap();
    let program = &parsed["programs"][0];
    assert_eq!(program["name"], "kv");
    assert_eq!(program["versions"], ">=0.1.0");
    let counters: Vec<&str> = program["counters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(counters.contains(&"kv/command-latency:{<1ms,<5ms,<20ms,<100ms,<500ms,>=500ms}"));
    assert!(counters.contains(&"kv/crash/panic"));
    let stacks: Vec<(&str, u64)> = program["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["depth"].as_u64().unwrap()))
        .collect();
    assert!(stacks.contains(&("kv/crash/panic-stack", 16)), "{stacks:?}");
    // kv declares `import` with `#[counted(expires = "2027-06-30")]`, and nothing else
    // with an expiry: the entry has the date, no other one has any.
    let expiring: Vec<(&str, &str)> = program["counters"]
        .as_array()
        .unwrap()
        .iter()
        .chain(program["stacks"].as_array().unwrap())
        .filter_map(|c| Some((c["name"].as_str()?, c.get("expires")?.as_str()?)))
        .collect();
    assert_eq!(expiring, [("kv/commands/import", "2027-06-30")]);
    let out = succeeds(&[
        "config",
        "check",
        s(&config),
        "--manifest",
        s(&kv_manifest()),
    ]);
    // One program, its counters and its two stack counters (the panic chain and the
    // corrupt-record chain), each number with its noun in the right number.
    let (head, tail) = out.split_once(" counter entries and ").unwrap();
    assert!(
        head.starts_with(&format!("{}: version 1, 1 program, ", s(&config))),
        "{out}"
    );
    assert_eq!(
        tail,
        "2 stack counters, every one declared by a manifest.\n"
    );
}

#[test]
fn a_program_named_as_a_manifest_is_called_a_program_and_telemetry_manifest_named() {
    let program = env!("CARGO_BIN_EXE_telemetry");
    for action in [&["init"][..], &["check", s(&kv_manifest())][..]] {
        let mut args = vec!["config"];
        args.extend_from_slice(action);
        args.extend(["--manifest", program]);
        let out = fails(&args);
        assert_eq!(
            out,
            format!(
                "telemetry: {program} is a program, not a manifest: `telemetry manifest \
                 {program} > manifest.json` lists its counters, then name that file with \
                 --manifest\n"
            ),
            "{args:?}"
        );
    }
}

#[test]
fn check_names_every_entry_no_manifest_declares() {
    let dir = TempDir::new("config-check");
    let config = init(&dir);
    let text = fs::read_to_string(&config).unwrap();
    let edited = text
        .replacen("\"kv/commands/compact\"", "\"kv/commands/compactt\"", 1)
        .replacen("\"depth\": 16", "\"depth\": 20", 1);
    let extra = edited.replacen(
        "\"programs\": [",
        "\"programs\": [\n    {\"name\": \"ghost\", \"versions\": \"*\", \"os\": [], \"arch\": []},",
        1,
    );
    fs::write(&config, extra).unwrap();
    let out = fails(&[
        "config",
        "check",
        s(&config),
        "--manifest",
        s(&kv_manifest()),
    ]);
    assert!(
        out.contains("3 entries that the manifests do not declare or allow"),
        "{out}"
    );
    assert!(
        out.contains("program \"ghost\": no manifest declares it"),
        "{out}"
    );
    assert!(
        out.contains("\"kv/commands/compactt\": the program declares no such counter"),
        "{out}"
    );
    assert!(
        out.contains("depth 20 asked, the counter records 16"),
        "{out}"
    );
}

#[test]
fn check_names_an_entry_collected_past_its_declared_expiry() {
    let dir = TempDir::new("config-expiry");
    let config = init(&dir);
    let text = fs::read_to_string(&config).unwrap();
    for (edited, why) in [
        (
            text.replacen("\"2027-06-30\"", "\"2027-07-01\"", 1),
            "collected until 2027-07-01, past the last day its declaration allows, 2027-06-30",
        ),
        (
            text.replacen(",\n          \"expires\": \"2027-06-30\"", "", 1),
            "collected with no end, past the last day its declaration allows, 2027-06-30",
        ),
    ] {
        assert_ne!(edited, text);
        fs::write(&config, &edited).unwrap();
        let out = fails(&[
            "config",
            "check",
            s(&config),
            "--manifest",
            s(&kv_manifest()),
        ]);
        assert!(
            out.contains("1 entry that the manifests do not declare or allow"),
            "{out}"
        );
        assert!(
            out.contains(&format!("\"kv\" counter \"kv/commands/import\": {why}")),
            "{out}"
        );
    }
    // Stopping sooner than the declaration says is the collector's choice.
    fs::write(
        &config,
        text.replacen("\"2027-06-30\"", "\"2027-01-31\"", 1),
    )
    .unwrap();
    succeeds(&[
        "config",
        "check",
        s(&config),
        "--manifest",
        s(&kv_manifest()),
    ]);
}

#[test]
fn a_signed_config_verifies_with_its_key_and_fails_when_changed() {
    let dir = TempDir::new("config-sign");
    let config = init(&dir);
    let key = dir.join("key");
    let output = telemetry(&["config", "keygen", "--out", s(&key)]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // The public key alone on stdout, for `> collector.pub` or `$(…)`.
    let public = text(&output.stdout).trim_end().to_string();
    assert!(
        public.starts_with("ed25519:") && public.len() == 8 + 64,
        "{public}"
    );
    assert_eq!(text(&output.stdout), format!("{public}\n"));
    let note = text(&output.stderr);
    assert!(
        note.starts_with("telemetry: wrote the private key to ") && note.contains(s(&key)),
        "{note}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let signed = dir.join("signed.json");
    succeeds(&[
        "config",
        "sign",
        s(&config),
        "--key",
        s(&key),
        "--out",
        s(&signed),
    ]);
    let out = succeeds(&["config", "verify", s(&signed), "--key", &public]);
    assert_eq!(
        out,
        format!(
            "{}: verified, signed by {public}: config version 1, 1 program.\n",
            s(&signed)
        )
    );

    let tampered =
        fs::read_to_string(&signed)
            .unwrap()
            .replacen("\\\"rate\\\": 1.0", "\\\"rate\\\": 0.5", 1);
    fs::write(&signed, tampered).unwrap();
    let out = fails(&["config", "verify", s(&signed), "--key", &public]);
    assert!(out.contains("the signature does not verify"), "{out}");
}

#[test]
fn keys_and_outputs_are_never_overwritten() {
    let dir = TempDir::new("config-overwrite");
    let key = dir.join("key");
    fs::write(&key, b"precious").unwrap();
    let out = fails(&["config", "keygen", "--out", s(&key)]);
    assert!(out.contains("cannot write the private key"), "{out}");
    assert_eq!(fs::read(&key).unwrap(), b"precious");
}

#[test]
fn a_config_with_an_unknown_field_or_a_future_format_is_refused() {
    let dir = TempDir::new("config-strict");
    let config = init(&dir);
    let text = fs::read_to_string(&config).unwrap();
    for (from, to, error) in [
        (
            "\"version\": 1,",
            "\"version\": 1, \"owner\": \"x\",",
            "unknown field `owner`",
        ),
        (
            "\"format\": 1,",
            "\"format\": 7,",
            "upload config format 7, newer than",
        ),
    ] {
        fs::write(&config, text.replacen(from, to, 1)).unwrap();
        let out = fails(&[
            "config",
            "check",
            s(&config),
            "--manifest",
            s(&kv_manifest()),
        ]);
        assert!(out.contains(error), "{out}");
    }
}

#[test]
fn mistakes_on_the_command_line_are_usage_errors() {
    for args in [
        &["config"][..],
        &["config", "frobnicate"],
        &["config", "init"],
        &["config", "keygen"],
        &["config", "verify", "x.json"],
        &["config", "sign", "c.json", "--key", "a", "--key", "b"],
    ] {
        let output = telemetry(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn config_and_each_action_answer_help_and_do_nothing_else() {
    let dir = TempDir::new("config-help");
    for action in ["", "init", "check", "keygen", "sign", "verify"] {
        for flag in ["--help", "-h"] {
            let mut args = vec!["config"];
            args.extend([action, flag].into_iter().filter(|a| !a.is_empty()));
            let output = Command::new(env!("CARGO_BIN_EXE_telemetry"))
                .args(&args)
                .current_dir(&dir)
                .output()
                .unwrap();
            let stdout = text(&output.stdout);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{args:?}: {}",
                text(&output.stderr)
            );
            let usage = format!("Usage: telemetry config {action}");
            assert!(stdout.starts_with(usage.trim_end()), "{args:?}: {stdout}");
        }
    }
    // With an action's flags before it, still its help; a flag it does not know, still
    // an error.
    let out = succeeds(&["config", "keygen", "--out", "k", "--help"]);
    assert!(
        out.starts_with("Usage: telemetry config keygen --out KEYFILE"),
        "{out}"
    );
    let output = telemetry(&["config", "init", "--bogus", "--help"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown flag --bogus"));
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        0,
        "help writes nothing"
    );
}
