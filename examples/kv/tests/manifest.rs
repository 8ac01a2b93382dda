//! kv's committed manifest, `docs/kv-manifest.json` and `docs/kv-counters.md`, is
//! exactly what `telemetry manifest` reads from kv as built now, so a change to kv's
//! counters cannot land without the reviewed list changing with it.
//!
//! When it is stale, the failure says what changed and the one command that
//! regenerates both files:
//!
//! ```sh
//! TELEMETRY_UPDATE_MANIFEST=1 cargo test -p kv --test manifest
//! ```
//!
//! With that variable set the test rewrites the files and passes, except on CI
//! (`CI` set), where it never writes.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use telemetry_cli::manifest::check::{self, Check};
use telemetry_cli::manifest::{Manifest, read_binary};

/// The variable that makes the test rewrite the committed files.
const UPDATE: &str = "TELEMETRY_UPDATE_MANIFEST";
/// The command that regenerates the committed files.
const REGENERATE: &str = "TELEMETRY_UPDATE_MANIFEST=1 cargo test -p kv --test manifest";

/// The manifest `telemetry manifest` reads from the kv binary of this build.
fn binary_manifest() -> Manifest {
    let kv = Path::new(env!("CARGO_BIN_EXE_kv"));
    read_binary(kv).unwrap_or_else(|error| panic!("telemetry manifest {}: {error}", kv.display()))
}

/// The workspace's `docs/` directory.
fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// True when running on CI, where committed files are never rewritten.
fn on_ci() -> bool {
    matches!(env::var("CI").as_deref(), Ok(value) if !value.is_empty() && value != "false" && value != "0")
}

#[test]
fn the_committed_manifest_is_what_the_binary_declares() {
    let manifest = binary_manifest();
    let files = [
        (docs().join("kv-manifest.json"), manifest.to_json()),
        (docs().join("kv-counters.md"), manifest.to_markdown()),
    ];
    let stale: Vec<(&PathBuf, &String, Option<String>)> = files
        .iter()
        .filter_map(|(path, text)| {
            let committed = fs::read_to_string(path).ok();
            (committed.as_ref() != Some(text)).then_some((path, text, committed))
        })
        .collect();
    if stale.is_empty() {
        return;
    }
    let update = env::var(UPDATE).is_ok_and(|value| value == "1");
    if update && !on_ci() {
        for (path, text, _) in &stale {
            fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            eprintln!("wrote {}", path.display());
        }
        return;
    }
    let mut message = String::from("kv's committed manifest is stale:\n");
    for (path, _, committed) in &stale {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let why = match committed {
            None => "missing or unreadable".to_string(),
            Some(text) if name.ends_with(".json") => match check::check(text, &manifest) {
                Ok(Check::Stale(staleness)) => staleness.to_string().trim_end().to_string(),
                Ok(Check::UpToDate) => "up to date".to_string(),
                Err(why) => format!("not a manifest: {why}"),
            },
            Some(_) => "differs from `telemetry manifest --format md`".to_string(),
        };
        message.push_str(&format!("- docs/{name}: {why}\n"));
    }
    message.push_str(&format!(
        "Regenerate both files with\n    {REGENERATE}\nthen review the diff and commit it."
    ));
    if update {
        message.push_str(&format!("\n({UPDATE} is ignored on CI: run it locally.)"));
    }
    panic!("{message}");
}

#[test]
fn the_running_program_reports_the_manifest_its_binary_declares() {
    let output = Command::new(env!("CARGO_BIN_EXE_kv"))
        .arg("manifest")
        .env("TELEMETRY_MODE", "off")
        .output()
        .expect("kv runs");
    assert!(output.status.success(), "{output:?}");
    let in_process = String::from_utf8(output.stdout).expect("the manifest is UTF-8");
    assert_eq!(in_process, binary_manifest().to_json());
}

#[test]
fn the_manifest_lists_both_crates_and_the_program() {
    let manifest = binary_manifest();
    assert_eq!(
        manifest.program,
        Some(("kv".to_string(), env!("CARGO_PKG_VERSION").to_string()))
    );
    let names: Vec<&str> = manifest.counters.iter().map(|c| c.name.as_str()).collect();
    for name in [
        "kv/command:get",
        "kv/command-latency:>=500ms",
        "kv/commands/get",
        "kvlite/store/Store/verify",
        "kvlite/bug/corrupt-record",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // `#[counted(expires = "2027-06-30")]` on `import`, and no other expiry.
    let expiring: Vec<(&str, &str)> = manifest
        .counters
        .iter()
        .filter_map(|c| Some((c.name.as_str(), c.expires.as_deref()?)))
        .collect();
    assert_eq!(expiring, [("kv/commands/import", "2027-06-30")]);
}
