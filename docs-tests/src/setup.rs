//! What every docs test needs first: the workspace's binaries, built and current, and
//! cargo's description of the workspace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::cargo_model::Workspace;

/// The workspace, built.
#[derive(Debug)]
pub struct Setup {
    /// The repository: the workspace root, where the docs are.
    pub root: PathBuf,
    /// Cargo's description of it.
    pub workspace: Workspace,
    /// The output of `cargo metadata`, in a file, for `docs-test-cargo`.
    pub metadata_file: PathBuf,
    /// The directory of the built binaries (`target/debug`).
    pub binaries: PathBuf,
    /// Where the tests make their scratch directories (`target/tmp/docs-tests`).
    pub scratch: PathBuf,
}

/// The real cargo: the one running the tests, or `cargo` on the PATH, without the
/// variables cargo sets for the test itself. Inherited, `CARGO_MANIFEST_DIR` alone
/// makes cargo build again every crate whose build script watches it (`ring`, then
/// everything above it): half a minute for nothing.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key == "OUT_DIR"
            || key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_BIN_EXE_")
            || matches!(
                key,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
                    | "CARGO_RUSTC_CURRENT_DIR"
            )
        {
            command.env_remove(key);
        }
    }
    command
}

impl Setup {
    /// The setup of this test process, made once: reads `cargo metadata` and runs
    /// `cargo test --workspace --no-run`, which builds every binary exactly as `cargo
    /// test --workspace` does (the same feature set, so nothing is built twice) and is
    /// done in a second when that command has already built them. `root` is the
    /// workspace root, `scratch` the directory for scratch copies.
    pub fn get(root: &Path, scratch: &Path) -> &'static Setup {
        static SETUP: OnceLock<Result<Setup, String>> = OnceLock::new();
        match SETUP.get_or_init(|| Setup::make(root, scratch)) {
            Ok(setup) => setup,
            Err(message) => panic!("the docs test cannot start: {message}"),
        }
    }

    fn make(root: &Path, scratch: &Path) -> Result<Setup, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("{}: {e}", root.display()))?;
        let manifest = root.join("Cargo.toml");
        let output = cargo()
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let metadata = String::from_utf8_lossy(&output.stdout).into_owned();
        let workspace = Workspace::from_metadata(&metadata)?;
        let build = cargo()
            .args(["test", "--workspace", "--no-run", "--offline", "--quiet"])
            .arg("--manifest-path")
            .arg(&manifest)
            .env("CARGO_TERM_COLOR", "never")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !build.status.success() {
            return Err(format!(
                "`cargo test --workspace --no-run` failed:\n{}",
                String::from_utf8_lossy(&build.stderr)
            ));
        }
        let binaries = workspace.target_dir.join("debug");
        // What failed blocks of an earlier run kept for a look goes now.
        let _ = std::fs::remove_dir_all(scratch);
        std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
        let metadata_file = scratch.join("metadata.json");
        std::fs::write(&metadata_file, &metadata)
            .map_err(|e| format!("{}: {e}", metadata_file.display()))?;
        Ok(Setup {
            root,
            workspace,
            metadata_file,
            binaries,
            scratch: scratch.to_path_buf(),
        })
    }

    /// Every binary of the workspace's members, with its built path.
    pub fn binaries(&self) -> Vec<(String, PathBuf)> {
        let mut bins: Vec<(String, PathBuf)> = self
            .workspace
            .packages
            .iter()
            .flat_map(|p| p.targets_of("bin"))
            .map(|bin| (bin.to_string(), self.binaries.join(bin)))
            .collect();
        bins.sort();
        bins
    }

    /// The Markdown files whose commands are tested: `README.md` and `docs/*.md`, as
    /// paths relative to the root, sorted.
    pub fn docs(&self) -> Vec<PathBuf> {
        let mut docs = vec![PathBuf::from("README.md")];
        let mut more: Vec<PathBuf> = std::fs::read_dir(self.root.join("docs"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| Path::new("docs").join(e.file_name()))
                    .filter(|p| p.extension().is_some_and(|x| x == "md"))
                    .collect()
            })
            .unwrap_or_default();
        more.sort();
        docs.extend(more);
        docs
    }

    /// The files of the repository as a fresh clone has them (relative paths): what
    /// git tracks, or without git every file outside `target/` and `.git/`.
    pub fn tracked_files(&self) -> Vec<PathBuf> {
        let listed = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["ls-files", "-z", "--cached"])
            .output()
            .ok()
            .filter(|o| o.status.success());
        if let Some(output) = listed {
            return output
                .stdout
                .split(|&b| b == 0)
                .filter(|name| !name.is_empty())
                .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
                .filter(|path| self.root.join(path).is_file())
                .collect();
        }
        let mut files = Vec::new();
        let mut stack = vec![PathBuf::new()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(self.root.join(&dir)) else {
                continue;
            };
            for entry in entries.filter_map(|e| e.ok()) {
                let relative = dir.join(entry.file_name());
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    let absolute = self.root.join(&relative);
                    if relative != Path::new(".git") && absolute != self.workspace.target_dir {
                        stack.push(relative);
                    }
                } else if kind.is_file() {
                    files.push(relative);
                }
            }
        }
        files
    }
}
