//! The workspace as cargo describes it (`cargo metadata`), and cargo command lines
//! checked against it with cargo's own rules: which packages, binaries, tests and
//! benches exist, and which binary `cargo run` picks.
//!
//! The docs test does not build anything while it runs the docs: `cargo build` and
//! `cargo run` in a doc are run by a stand-in (`docs-test-cargo`) that applies these
//! rules, puts the binaries of the workspace's own build where cargo would have put
//! them and runs them. Building each package alone, as the commands literally ask,
//! would build its dependencies again with that package's feature set instead of the
//! workspace's: minutes of compiling that test nothing the docs say.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The workspace's members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The directory of the workspace's `Cargo.toml`.
    pub root: PathBuf,
    /// Cargo's target directory.
    pub target_dir: PathBuf,
    /// Every member.
    pub packages: Vec<Package>,
}

/// One member package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// Its name, as `-p` takes it.
    pub name: String,
    /// The directory of its `Cargo.toml`.
    pub dir: PathBuf,
    /// Its targets: `(kind, name)`, kind `bin`, `lib`, `test`, `bench`, `example`, ….
    pub targets: Vec<(String, String)>,
    /// Its `default-run`.
    pub default_run: Option<String>,
}

impl Package {
    /// The names of its targets of `kind`.
    pub fn targets_of(&self, kind: &str) -> Vec<&str> {
        self.targets
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, name)| name.as_str())
            .collect()
    }
}

impl Workspace {
    /// Reads the output of `cargo metadata --no-deps --format-version 1`.
    pub fn from_metadata(json: &str) -> Result<Workspace, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("cargo metadata: {e}"))?;
        let text = |v: &Value| v.as_str().map(str::to_string);
        let root = text(&value["workspace_root"]).ok_or("no workspace_root")?;
        let target_dir = text(&value["target_directory"]).ok_or("no target_directory")?;
        let mut packages = Vec::new();
        for package in value["packages"].as_array().ok_or("no packages")? {
            let name = text(&package["name"]).ok_or("a package without a name")?;
            let manifest = text(&package["manifest_path"]).ok_or("no manifest_path")?;
            let mut targets = Vec::new();
            for target in package["targets"].as_array().into_iter().flatten() {
                let Some(target_name) = text(&target["name"]) else {
                    continue;
                };
                for kind in target["kind"].as_array().into_iter().flatten() {
                    if let Some(kind) = text(kind) {
                        targets.push((kind, target_name.clone()));
                    }
                }
            }
            packages.push(Package {
                name,
                dir: Path::new(&manifest)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                targets,
                default_run: text(&package["default_run"]),
            });
        }
        Ok(Workspace {
            root: PathBuf::from(root),
            target_dir: PathBuf::from(target_dir),
            packages,
        })
    }

    /// The member named `name`.
    pub fn package(&self, name: &str) -> Result<&Package, String> {
        self.packages
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                format!(
                    "there is no package `{name}` in the workspace (its packages: {})",
                    self.packages
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// The packages a call selects: those named with `-p`, or with `--path` the one
    /// in that directory (relative to the workspace root, where the docs run), or
    /// else every member (the root is a virtual manifest).
    pub fn selected(&self, call: &CargoCall) -> Result<Vec<&Package>, String> {
        if let Some(path) = &call.path {
            let dir = self.root.join(path);
            return self
                .packages
                .iter()
                .find(|p| p.dir == dir)
                .map(|p| vec![p])
                .ok_or_else(|| format!("`--path {path}` is not a package of the workspace"));
        }
        if call.packages.is_empty() {
            return Ok(self.packages.iter().collect());
        }
        call.packages
            .iter()
            .map(|name| self.package(name))
            .collect()
    }

    /// Checks that every package and target a call names exists.
    pub fn check(&self, call: &CargoCall) -> Result<(), String> {
        let selected = self.selected(call)?;
        for (kind, names) in [
            ("bin", &call.bins),
            ("test", &call.tests),
            ("bench", &call.benches),
            ("example", &call.examples),
        ] {
            for name in names {
                if !selected
                    .iter()
                    .any(|p| p.targets_of(kind).contains(&name.as_str()))
                {
                    let known: Vec<&str> =
                        selected.iter().flat_map(|p| p.targets_of(kind)).collect();
                    return Err(format!(
                        "no {kind} target named `{name}` in {} (there: {})",
                        describe(&selected, call),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
            }
        }
        Ok(())
    }

    /// The package and binary `cargo run` runs for this call, by cargo's rules: the
    /// `--bin` or `--example` named, or else the package's `default-run`, or else its
    /// only binary.
    pub fn run_target(&self, call: &CargoCall) -> Result<(&Package, String), String> {
        self.check(call)?;
        let selected = self.selected(call)?;
        if call.bins.len() + call.examples.len() > 1 {
            return Err(
                "`cargo run` runs one binary: `--bin` or `--example` is given twice".to_string(),
            );
        }
        if let Some(example) = call.examples.first() {
            let package = selected
                .iter()
                .find(|p| p.targets_of("example").contains(&example.as_str()))
                .ok_or_else(|| format!("no example target named `{example}`"))?;
            return Ok((package, example.clone()));
        }
        if let Some(bin) = call.bins.first() {
            let package = selected
                .iter()
                .find(|p| p.targets_of("bin").contains(&bin.as_str()))
                .ok_or_else(|| format!("no bin target named `{bin}`"))?;
            return Ok((package, bin.clone()));
        }
        let [package] = selected[..] else {
            return Err(format!(
                "`cargo run` needs `-p PACKAGE` here: the workspace root is not a package \
                 (binaries: {})",
                self.packages
                    .iter()
                    .flat_map(|p| p.targets_of("bin"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if let Some(default) = &package.default_run {
            return Ok((package, default.clone()));
        }
        match package.targets_of("bin")[..] {
            [bin] => Ok((package, bin.to_string())),
            [] => Err(format!("package `{}` has no binary to run", package.name)),
            ref bins => Err(format!(
                "`cargo run` could not determine which binary of `{}` to run: it has \
                 {} and no `default-run`; name one with `--bin`",
                package.name,
                bins.join(", ")
            )),
        }
    }

    /// The binaries `cargo build` (or `install`) makes for this call.
    pub fn built_binaries(&self, call: &CargoCall) -> Result<Vec<String>, String> {
        self.check(call)?;
        let selected = self.selected(call)?;
        let mut bins: Vec<String> = selected
            .iter()
            .flat_map(|p| p.targets_of("bin"))
            .filter(|bin| call.bins.is_empty() || call.bins.iter().any(|b| b == bin))
            .map(str::to_string)
            .collect();
        bins.sort();
        bins.dedup();
        Ok(bins)
    }
}

fn describe(selected: &[&Package], call: &CargoCall) -> String {
    if call.packages.is_empty() && call.path.is_none() {
        "the workspace".to_string()
    } else {
        selected
            .iter()
            .map(|p| format!("package `{}`", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A cargo command line: `cargo SUBCOMMAND [OPTIONS] [-- ARGS]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CargoCall {
    /// `run`, `build`, `install`, `test`, `bench`, or an external one (`telemetry`).
    pub subcommand: String,
    /// `-p`/`--package`, in order.
    pub packages: Vec<String>,
    /// `--bin`.
    pub bins: Vec<String>,
    /// `--test`.
    pub tests: Vec<String>,
    /// `--bench`.
    pub benches: Vec<String>,
    /// `--example`.
    pub examples: Vec<String>,
    /// `--release`.
    pub release: bool,
    /// `--locked`.
    pub locked: bool,
    /// `--path` (`install`).
    pub path: Option<String>,
    /// `--message-format`.
    pub message_format: Option<String>,
    /// What follows `--` (`run`, `test`, `bench`), or every argument of an external
    /// subcommand.
    pub args: Vec<String>,
}

/// Cargo's own subcommands that the docs may name.
const BUILT_IN: [&str; 14] = [
    "run", "build", "install", "test", "bench", "check", "clippy", "doc", "fmt", "fetch",
    "publish", "metadata", "tree", "clean",
];

/// Reads the arguments after `cargo`.
pub fn parse_call(args: &[String]) -> Result<CargoCall, String> {
    let mut call = CargoCall::default();
    let mut args = args.iter().peekable();
    // Options before the subcommand.
    while let Some(arg) = args.peek() {
        match arg.as_str() {
            "-q" | "--quiet" | "-v" | "--verbose" | "--locked" | "--offline" | "--frozen" => {
                if *arg == "--locked" {
                    call.locked = true;
                }
                args.next();
            }
            _ => break,
        }
    }
    call.subcommand = args.next().ok_or("cargo needs a subcommand")?.to_string();
    if !BUILT_IN.contains(&call.subcommand.as_str()) {
        if call.subcommand.starts_with('-') || call.subcommand.starts_with('+') {
            return Err(format!(
                "the docs test does not know the cargo option `{}`",
                call.subcommand
            ));
        }
        call.args = args.cloned().collect();
        return Ok(call);
    }
    while let Some(arg) = args.next() {
        if arg == "--" {
            call.args = args.cloned().collect();
            break;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => match arg.strip_prefix("-p") {
                Some(value) if !value.is_empty() && !arg.starts_with("--") => {
                    ("-p", Some(value.to_string()))
                }
                _ => (arg.as_str(), None),
            },
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match name {
            "-q" | "--quiet" | "-v" | "--verbose" | "--offline" | "--frozen" | "--workspace"
            | "--all" | "--bins" | "--lib" | "--all-targets" | "--no-run" | "--tests"
            | "--force" | "--debug" => {}
            "--locked" => call.locked = true,
            "--release" | "-r" => call.release = true,
            "-p" | "--package" => call.packages.push(value()?),
            "--bin" => call.bins.push(value()?),
            "--test" => call.tests.push(value()?),
            "--bench" => call.benches.push(value()?),
            "--example" => call.examples.push(value()?),
            "--path" => call.path = Some(value()?),
            "--message-format" => call.message_format = Some(value()?),
            "--features" | "-F" | "--root" | "--color" | "-j" | "--jobs" => {
                value()?;
            }
            other if other.starts_with('-') => {
                // The docs test runs `run`, `build` and `install`, so it must
                // understand all of their options; the others are only checked.
                if matches!(call.subcommand.as_str(), "run" | "build" | "install") {
                    return Err(format!(
                        "the docs test does not know the option `{other}` of `cargo {}`; \
                         teach it in docs-tests/src/cargo_model.rs",
                        call.subcommand
                    ));
                }
            }
            // `cargo install NAME`: a package.
            _ if call.subcommand == "install" => call.packages.push(arg.clone()),
            // `cargo test NAME`: a test filter.
            _ if matches!(call.subcommand.as_str(), "test" | "bench") => {
                call.args.push(arg.clone())
            }
            // `cargo fmt`, `cargo publish`, …: checked by cargo itself.
            _ if !matches!(call.subcommand.as_str(), "run" | "build") => {}
            other => {
                return Err(format!(
                    "unexpected argument `{other}` to `cargo {}` (arguments for the program \
                     go after `--`)",
                    call.subcommand
                ));
            }
        }
    }
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> Workspace {
        let package = |name: &str, targets: &[(&str, &str)], default_run: Option<&str>| Package {
            name: name.into(),
            dir: PathBuf::from("/ws").join(name),
            targets: targets
                .iter()
                .map(|(k, n)| (k.to_string(), n.to_string()))
                .collect(),
            default_run: default_run.map(str::to_string),
        };
        Workspace {
            root: "/ws".into(),
            target_dir: "/ws/target".into(),
            packages: vec![
                package(
                    "cli",
                    &[
                        ("lib", "cli"),
                        ("bin", "tool"),
                        ("bin", "cargo-tool"),
                        ("test", "cli"),
                    ],
                    None,
                ),
                package("cli2", &[("bin", "tool2"), ("bin", "other")], Some("tool2")),
                package(
                    "kv",
                    &[("bin", "kv"), ("test", "manifest"), ("example", "load")],
                    None,
                ),
                package("lib", &[("lib", "lib"), ("bench", "hot_path")], None),
            ],
        }
    }

    fn call(line: &str) -> CargoCall {
        parse_call(
            &line
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn run_picks_the_named_the_default_or_the_only_binary() {
        let ws = workspace();
        let pick = |line: &str| ws.run_target(&call(line)).map(|(p, b)| (p.name.clone(), b));
        assert_eq!(pick("run -q -p kv -- demo"), Ok(("kv".into(), "kv".into())));
        assert_eq!(
            pick("run -p cli --bin tool -- x"),
            Ok(("cli".into(), "tool".into()))
        );
        assert_eq!(
            pick("run --package=cli2"),
            Ok(("cli2".into(), "tool2".into()))
        );
        assert_eq!(pick("run --bin kv"), Ok(("kv".into(), "kv".into())));
        assert_eq!(
            pick("run -p kv --example load -- --url x"),
            Ok(("kv".into(), "load".into()))
        );
        assert!(
            pick("run -p kv --example nope")
                .unwrap_err()
                .contains("no example target named `nope`")
        );
        let ambiguous = pick("run -q -p cli -- help").unwrap_err();
        assert!(ambiguous.contains("tool, cargo-tool"), "{ambiguous}");
        assert!(
            pick("run -p cli --bin nope")
                .unwrap_err()
                .contains("no bin target named `nope`")
        );
        assert!(
            pick("run -p nope")
                .unwrap_err()
                .contains("no package `nope`")
        );
        assert!(pick("run").unwrap_err().contains("needs `-p PACKAGE`"));
        assert!(pick("run -p lib").unwrap_err().contains("no binary"));
    }

    #[test]
    fn program_arguments_follow_the_double_dash() {
        let parsed = call("--locked run -q -pkv -- --dir x get -p");
        assert_eq!(parsed.subcommand, "run");
        assert!(parsed.locked);
        assert_eq!(parsed.packages, vec!["kv"]);
        assert_eq!(parsed.args, vec!["--dir", "x", "get", "-p"]);
        let external = call("telemetry manifest -p kv --release --out docs");
        assert_eq!(external.subcommand, "telemetry");
        assert_eq!(
            external.args,
            vec!["manifest", "-p", "kv", "--release", "--out", "docs"]
        );
    }

    #[test]
    fn tests_benches_and_install_paths_must_exist() {
        let ws = workspace();
        assert_eq!(ws.check(&call("test -p kv --test manifest")), Ok(()));
        assert!(
            ws.check(&call("test -p kv --test collector"))
                .unwrap_err()
                .contains("there: manifest")
        );
        assert_eq!(ws.check(&call("bench -p lib --bench hot_path")), Ok(()));
        assert_eq!(ws.check(&call("test --workspace")), Ok(()));
        assert_eq!(ws.check(&call("test -p kv some_filter")), Ok(()));
        assert_eq!(ws.check(&call("install --path cli --locked")), Ok(()));
        assert!(ws.check(&call("install --path nowhere")).is_err());
    }

    #[test]
    fn build_makes_the_selected_packages_binaries() {
        let ws = workspace();
        assert_eq!(
            ws.built_binaries(&call("build -p kv")),
            Ok(vec!["kv".to_string()])
        );
        assert_eq!(
            ws.built_binaries(&call("build --release -p cli -p kv")),
            Ok(vec!["cargo-tool".to_string(), "kv".into(), "tool".into()])
        );
        assert_eq!(
            ws.built_binaries(&call("build -p cli --bin tool")),
            Ok(vec!["tool".to_string()])
        );
    }

    #[test]
    fn unknown_options_are_named() {
        let error = parse_call(&["run".into(), "--frob".into()]).unwrap_err();
        assert!(error.contains("`--frob`"), "{error}");
        let error = parse_call(&["build".into(), "kv".into()]).unwrap_err();
        assert!(error.contains("unexpected argument `kv`"), "{error}");
        // Commands the docs test only checks may take options it does not know.
        assert!(parse_call(&["publish".into(), "--dry-run".into()]).is_ok());
    }

    #[test]
    fn metadata_is_read() {
        let json = r#"{"workspace_root":"/ws","target_directory":"/ws/target","packages":[
            {"name":"kv","manifest_path":"/ws/examples/kv/Cargo.toml","default_run":null,
             "targets":[{"kind":["bin"],"name":"kv"},{"kind":["test"],"name":"cli"}]}]}"#;
        let ws = Workspace::from_metadata(json).unwrap();
        assert_eq!(ws.packages[0].dir, PathBuf::from("/ws/examples/kv"));
        assert_eq!(ws.packages[0].targets_of("bin"), vec!["kv"]);
        assert_eq!(ws.packages[0].default_run, None);
    }
}
