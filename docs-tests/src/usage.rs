//! Commands named in the prose of the docs (inline code such as `` `telemetry upload
//! --dry-run` ``) cannot be run out of context, but they must name commands and flags
//! that exist. This module checks them against the help the binaries print (which the
//! help test checks against the commands that exist), and cargo command lines against
//! the workspace.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::cargo_model::{Workspace, parse_call};

/// How one of the workspace's binaries describes its commands.
struct Spec {
    /// How the docs write it: `telemetry`, `cargo telemetry`.
    display: &'static str,
    /// The binary.
    binary: &'static str,
    /// Arguments that go before the command's own (`telemetry` for `cargo-telemetry`).
    prefix: &'static [&'static str],
    /// Arguments that print the help of everything; for a command, `{}` is replaced
    /// by the command's words.
    top_help: &'static [&'static str],
    /// The help of one command, its words in place of `{}`.
    command_help: &'static [&'static str],
}

const SPECS: [Spec; 4] = [
    Spec {
        display: "telemetry",
        binary: "telemetry",
        prefix: &[],
        top_help: &["help"],
        command_help: &["{}", "--help"],
    },
    Spec {
        display: "telemetry-server",
        binary: "telemetry-server",
        prefix: &[],
        top_help: &["--help"],
        command_help: &["{}", "--help"],
    },
    Spec {
        display: "kv",
        binary: "kv",
        prefix: &[],
        top_help: &["help"],
        command_help: &["help"],
    },
    Spec {
        display: "cargo telemetry",
        binary: "cargo-telemetry",
        prefix: &["telemetry"],
        top_help: &["--help"],
        command_help: &["{}", "--help"],
    },
];

/// Checks command lines against the binaries' help, running each help once.
pub struct Usage {
    binaries: PathBuf,
    home: PathBuf,
    helps: HashMap<Vec<String>, String>,
}

impl Usage {
    /// Reads help from the binaries in `binaries`, run with `HOME` set to `home`.
    pub fn new(binaries: PathBuf, home: PathBuf) -> Usage {
        Usage {
            binaries,
            home,
            helps: HashMap::new(),
        }
    }

    /// What `binary ARGS` prints, stdout and stderr together (help may be printed on
    /// either; the help test checks its exit status).
    pub fn output(&mut self, binary: &str, args: &[String]) -> String {
        let mut key = vec![binary.to_string()];
        key.extend(args.iter().cloned());
        if let Some(text) = self.helps.get(&key) {
            return text.clone();
        }
        let output = Command::new(self.binaries.join(binary))
            .args(args)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::null())
            .output();
        let text = match output {
            Ok(output) => {
                String::from_utf8_lossy(&output.stdout).into_owned()
                    + &String::from_utf8_lossy(&output.stderr)
            }
            Err(e) => format!("(cannot run {binary}: {e})"),
        };
        self.helps.insert(key, text.clone());
        text
    }

    fn help(&mut self, spec: &Spec, words: &[&str]) -> String {
        let template = if words.is_empty() {
            spec.top_help
        } else {
            spec.command_help
        };
        let mut args: Vec<String> = spec.prefix.iter().map(|s| s.to_string()).collect();
        for part in template {
            if *part == "{}" {
                args.extend(words.iter().map(|w| w.to_string()));
            } else {
                args.push(part.to_string());
            }
        }
        self.output(spec.binary, &args)
    }

    /// Checks one command line as the docs write it. `Ok` for text that is not a
    /// command of the workspace's binaries or of cargo.
    pub fn check(&mut self, workspace: &Workspace, text: &str) -> Result<(), String> {
        let tokens = tokens(text);
        let tokens: Vec<&str> = tokens
            .iter()
            .map(String::as_str)
            .skip_while(|t| is_assignment(t))
            .collect();
        match tokens.first() {
            Some(&"cargo") => self.check_cargo(workspace, &tokens[1..]),
            Some(first) => match SPECS.iter().find(|s| s.display == *first) {
                Some(spec) => self.check_command(spec, &tokens[1..]),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    fn check_cargo(&mut self, workspace: &Workspace, args: &[&str]) -> Result<(), String> {
        let Some(&sub) = args.first() else {
            return Ok(());
        };
        if let Some(spec) = SPECS.iter().find(|s| s.display == format!("cargo {sub}")) {
            return self.check_command(spec, &args[1..]);
        }
        let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let call = parse_call(&owned)?;
        match call.subcommand.as_str() {
            "run" | "build" | "install" | "test" | "bench" | "check" => {
                workspace.check(&call)?;
            }
            "clippy" | "doc" | "fmt" | "fetch" | "publish" | "metadata" | "tree" | "clean" => {}
            other => {
                return Err(format!(
                    "`cargo {other}` is not a command of cargo or of this workspace"
                ));
            }
        }
        let installs = call.path.is_some() || !call.packages.is_empty();
        if call.subcommand == "run" {
            workspace.run_target(&call)?;
        }
        if call.subcommand == "install" && installs && !call.locked {
            return Err(
                "`cargo install` without `--locked` resolves every dependency again, to \
                 versions this workspace never tested: add `--locked`"
                    .to_string(),
            );
        }
        if call.subcommand == "run" && call.examples.is_empty() {
            let (_, bin) = workspace.run_target(&call)?;
            if let Some(spec) = SPECS.iter().find(|s| s.binary == bin) {
                let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
                return self.check_command(spec, &args);
            }
        }
        Ok(())
    }

    /// Checks the words and flags after a binary's name.
    fn check_command(&mut self, spec: &Spec, args: &[&str]) -> Result<(), String> {
        let top = self.help(spec, &[]);
        let mut words: Vec<&str> = Vec::new();
        let mut texts = vec![top.clone()];
        // The command: the first plain word, which the help must list.
        let Some(&first) = args.first() else {
            return Ok(());
        };
        if is_word(first) {
            let commands = commands_in(&top, spec.display);
            if !commands.contains(first) {
                return Err(format!(
                    "`{} {first}`: {first:?} is not a command of {} (its help lists: {})",
                    spec.display,
                    spec.display,
                    commands.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            words.push(first);
            let help = self.help(spec, &words);
            // A second plain word is a subcommand when the command has some.
            if let Some(&second) = args.get(1).filter(|w| is_word(w)) {
                let subcommands = commands_in(&help, first);
                if !subcommands.is_empty() {
                    if !subcommands.contains(second) {
                        return Err(format!(
                            "`{} {first} {second}`: {second:?} is not a subcommand of `{} {first}` \
                             (its help lists: {})",
                            spec.display,
                            spec.display,
                            subcommands.iter().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                    words.push(second);
                    texts.push(self.help(spec, &words));
                }
            }
            texts.push(help);
        }
        let known: BTreeSet<String> = texts.iter().flat_map(|t| flags_in(t)).collect();
        for arg in args {
            for flag in flags_in(arg) {
                if !known.contains(&flag) {
                    return Err(format!(
                        "`{}`: the help of `{} {}` does not mention {flag}",
                        args.join(" "),
                        spec.display,
                        words.join(" ")
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The words of a command line up to the first shell operator, with the brackets,
/// braces and parentheses of usage notation taken off (`[--release]` is `--release`).
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        if matches!(
            raw,
            "|" | "||" | "&&" | ";" | "&" | ">" | ">>" | "<" | "2>&1"
        ) {
            break;
        }
        let token = raw.trim_matches(|c| matches!(c, '[' | ']' | '(' | ')' | '{' | '}' | ','));
        if !token.is_empty() {
            out.push(token.to_string());
        }
    }
    out
}

/// `NAME=value`, an environment assignment before a command.
fn is_assignment(token: &str) -> bool {
    token.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// A command word: lowercase letters and `-`, not starting with `-`.
fn is_word(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_lowercase())
        && token.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

/// The commands a help text lists after `name`: the word after `name ` at the start
/// of a line (or after `Usage: `, alternatives split at `|`), and the first word of
/// each line indented by two spaces under `Commands:`.
pub fn commands_in(help: &str, name: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut in_commands = false;
    for line in help.lines() {
        let trimmed = line.trim_start();
        if trimmed.ends_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            let indent = line.len() - trimmed.len();
            if trimmed.is_empty() || indent == 0 {
                in_commands = false;
            } else if indent == 2
                && let Some(word) = trimmed.split_whitespace().next()
                && is_word(word)
                && word != name
            {
                found.insert(word.to_string());
            }
        }
        // A usage line names the command anywhere (`Usage: telemetry config init|…`);
        // another line only at its start (`  config sign CONFIG …`).
        let usage = ["Usage: ", "usage: "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p));
        let rest = match usage {
            Some(usage) => usage
                .split_once(&format!(" {name} "))
                .map(|(_, rest)| rest)
                .or_else(|| usage.strip_prefix(&format!("{name} "))),
            None => trimmed
                .strip_prefix("cargo ")
                .unwrap_or(trimmed)
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix(' ')),
        };
        let Some(rest) = rest else {
            continue;
        };
        let next = rest
            .split_whitespace()
            .find(|t| !t.starts_with('[') && !t.starts_with('-'))
            .unwrap_or_default();
        for word in next.split('|') {
            if is_word(word) {
                found.insert(word.to_string());
            }
        }
    }
    found
}

/// Every flag a text names: `--word` or `-x`, at the start of a word.
pub fn flags_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for raw in
        text.split(|c: char| c.is_whitespace() || matches!(c, '[' | '(' | '`' | '|' | ',' | '"'))
    {
        let Some(rest) = raw.strip_prefix('-') else {
            continue;
        };
        let (dashes, name) = match rest.strip_prefix('-') {
            Some(name) => ("--", name),
            None => ("-", rest),
        };
        let name: String = name
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let name = name.trim_end_matches('-');
        if name.starts_with(|c: char| c.is_ascii_alphabetic())
            && (dashes == "--" || name.len() == 1)
        {
            found.insert(format!("{dashes}{name}"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_from_usage_lines_and_command_lists() {
        let help = "Usage: telemetry [--dir DIR] COMMAND\n\nCommands:\n  telemetry on\n      Counts go on\n  telemetry show [--json]\n  telemetry config init|check …\n";
        assert_eq!(
            commands_in(help, "telemetry")
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["config", "on", "show"]
        );
        let kv = "Usage: kv [--dir DIR] COMMAND [ARGS]\n\nCommands:\n  set KEY VALUE   store\n  get KEY         print\n\nExit status: 0\n";
        assert_eq!(
            commands_in(kv, "kv").into_iter().collect::<Vec<_>>(),
            vec!["get", "set"]
        );
        let config =
            "Usage: telemetry config init|check|keygen …\n  config sign CONFIG --key KEYFILE\n";
        assert_eq!(
            commands_in(config, "config")
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["check", "init", "keygen", "sign"]
        );
    }

    #[test]
    fn flags_are_read_at_word_starts() {
        let flags = flags_in("telemetry [--dir DIR] show (--json), -h, --help: x-y --out=F `-p`");
        assert_eq!(
            flags.into_iter().collect::<Vec<_>>(),
            vec!["--dir", "--help", "--json", "--out", "-h", "-p"]
        );
    }

    #[test]
    fn command_lines_stop_at_shell_operators_and_lose_usage_brackets() {
        assert_eq!(
            tokens("cargo build --release -p kv && strip target/release/kv"),
            vec!["cargo", "build", "--release", "-p", "kv"]
        );
        assert_eq!(
            tokens("telemetry-server rebuild [--db URL]"),
            vec!["telemetry-server", "rebuild", "--db", "URL"]
        );
        assert!(is_assignment("TELEMETRY_UPDATE_MANIFEST=1"));
        assert!(!is_assignment("--key=x"));
    }
}
