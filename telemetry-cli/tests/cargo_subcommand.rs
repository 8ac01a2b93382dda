//! `cargo telemetry manifest`, as cargo runs it (`cargo-telemetry telemetry manifest …`),
//! with `CARGO` pointing at a stand-in that records its arguments and reports the kv
//! example's binary as built, so the test builds nothing itself.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::TempDir;

fn kv() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_telemetry")).with_file_name("kv")
}

/// A `cargo` that writes its arguments to `args.txt` and prints one artifact message.
fn fake_cargo(dir: &Path) -> PathBuf {
    let script = dir.join("cargo");
    let artifact = format!(
        r#"{{"reason":"compiler-artifact","target":{{"kind":["bin"],"name":"kv"}},"executable":"{}"}}"#,
        kv().display()
    );
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\necho '{{\"reason\":\"build-script-executed\"}}'\necho '{artifact}'\n",
            dir.join("args.txt").display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn builds_the_package_and_writes_each_binarys_manifest() {
    assert!(kv().is_file(), "the kv example is built with the workspace");
    let dir = TempDir::new("cargo-telemetry");
    let out = dir.join("manifests");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-telemetry"))
        .args(["telemetry", "manifest", "-p", "kv", "--release", "--out"])
        .arg(&out)
        .env("CARGO", fake_cargo(&dir))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(dir.join("args.txt")).unwrap().trim(),
        "build --message-format=json-render-diagnostics -p kv --release"
    );
    let written = fs::read_to_string(out.join("kv-manifest.json")).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/kv-manifest.json");
    assert_eq!(written, fs::read_to_string(committed).unwrap());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("kv: "));
}

#[test]
fn a_failed_build_fails_the_command() {
    let dir = TempDir::new("cargo-telemetry-fail");
    let script = dir.join("cargo");
    fs::write(&script, "#!/bin/sh\nexit 101\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-telemetry"))
        .args(["telemetry", "manifest"])
        .env("CARGO", &script)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cargo build failed"));
}

#[test]
fn help_flags_print_the_usage_and_build_nothing() {
    let dir = TempDir::new("cargo-telemetry-help");
    // A cargo that fails, so that a build attempt would show.
    let script = dir.join("cargo");
    fs::write(&script, "#!/bin/sh\nexit 101\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    for args in [
        &["telemetry", "--help"][..],
        &["telemetry", "-h"],
        &["telemetry", "help"],
        &["telemetry", "manifest", "--help"],
        &["telemetry", "manifest", "-p", "kv", "-h"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cargo-telemetry"))
            .args(args)
            .env("CARGO", &script)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stdout}");
        assert!(
            stdout.contains("Usage: cargo telemetry manifest [-p PKG] [--release] [--out DIR]"),
            "{args:?}: {stdout}"
        );
        assert!(output.stderr.is_empty(), "{args:?}");
    }
}
