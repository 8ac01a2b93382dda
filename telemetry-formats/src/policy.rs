//! The system policy: a file an administrator writes to turn telemetry down for every
//! user of a machine, for one namespace or all of them. It can lower the mode and stop
//! the prompt; it can never turn anything on.
//!
//! Where it is read ([`SYSTEM_PATHS`]): `/etc/rust-telemetry/policy` on Linux and
//! other Unix systems, `/Library/Application Support/rust-telemetry/policy` on macOS,
//! `C:\ProgramData\rust-telemetry\policy` (and `%ProgramData%\rust-telemetry\policy`
//! when that is elsewhere) on Windows. A file named by `TELEMETRY_POLICY` is read
//! **as well**, never instead: its rules add to the system's, and the strictest rule
//! wins, so pointing the variable at another file can only turn telemetry further
//! down. This is how tests, and a user who wants a policy of their own, use one
//! without writing to `/etc`.
//!
//! The format, version 1 (`docs/CONSENT.md` has it too):
//!
//! ```text
//! # Comments and blank lines are ignored.
//! rust-telemetry-policy 1
//! at-most local                 # every namespace: count locally at most, never upload
//! at-most off acme tools        # namespaces acme and tools: count nothing to files
//! prompt never                  # no program asks its users (any namespace)
//! ```
//!
//! - The first line that is not blank or a comment is `rust-telemetry-policy 1`.
//! - `at-most off|local [NAMESPACE…]`: the mode of those namespaces (every namespace
//!   when none is named) is at most that. `at-most on` would allow everything and is
//!   refused as a mistake.
//! - `prompt never [NAMESPACE…]`: no program of those namespaces asks its users
//!   whether to turn upload on. Any `at-most` rule stops the prompt too: it asks for
//!   `on`, which such a rule forbids.
//!
//! A policy file that cannot be read or understood (a newer version, an unknown
//! directive, a bad mode or namespace, more than [`MAX_POLICY_LEN`] bytes) **fails
//! closed**: every namespace is `off` until it is mended, and `telemetry status` says
//! why. A file that does not exist is no policy. Because a policy can only lower,
//! its owner and permissions are not checked (a symbolic link is followed, as
//! configuration management often places one), but it must be a regular file, so a
//! FIFO can never block a program.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::dirs;
use crate::mode::Mode;

/// The variable naming an additional policy file.
pub const POLICY_VAR: &str = "TELEMETRY_POLICY";

/// The first line of a policy file, before its version.
pub const POLICY_MAGIC: &str = "rust-telemetry-policy";

/// The version of the format this code reads.
pub const POLICY_VERSION: u32 = 1;

/// The largest policy file read; anything longer is not one.
pub const MAX_POLICY_LEN: u64 = 64 * 1024;

/// Where the system policy is, on this platform: every path is read, and the strictest
/// rule of all wins.
#[cfg(all(unix, not(target_vendor = "apple")))]
pub const SYSTEM_PATHS: &[&str] = &["/etc/rust-telemetry/policy"];
/// Where the system policy is, on this platform: every path is read, and the strictest
/// rule of all wins.
#[cfg(target_vendor = "apple")]
pub const SYSTEM_PATHS: &[&str] = &["/Library/Application Support/rust-telemetry/policy"];
/// Where the system policy is, on this platform: every path is read, and the strictest
/// rule of all wins (`%ProgramData%` is read too, by [`system_paths`]).
#[cfg(windows)]
pub const SYSTEM_PATHS: &[&str] = &[r"C:\ProgramData\rust-telemetry\policy"];
/// Where the system policy is, on this platform: nowhere.
#[cfg(not(any(unix, windows)))]
pub const SYSTEM_PATHS: &[&str] = &[];

/// The system policy files of this machine, in the order they are read.
pub fn system_paths() -> Vec<PathBuf> {
    #[allow(unused_mut)]
    let mut paths: Vec<PathBuf> = SYSTEM_PATHS.iter().map(PathBuf::from).collect();
    #[cfg(windows)]
    if let Some(data) = std::env::var_os("ProgramData").filter(|d| !d.is_empty()) {
        let path = PathBuf::from(data).join("rust-telemetry").join("policy");
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// What a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `at-most off|local`: the mode is at most this.
    AtMost(Mode),
    /// `prompt never`: no prompt.
    PromptNever,
}

/// One line of a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// What it does.
    pub directive: Directive,
    /// The namespaces it applies to; empty: every namespace.
    pub namespaces: Vec<String>,
    /// Its line number in the file, from 1.
    pub line: usize,
}

impl Rule {
    /// Whether the rule applies to `namespace`.
    pub fn applies_to(&self, namespace: &str) -> bool {
        self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == namespace)
    }
}

/// One policy file that exists: its rules, or why it cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFile {
    /// Where it is.
    pub path: PathBuf,
    /// True when it was named by [`POLICY_VAR`] rather than found at a system path.
    pub from_env: bool,
    /// Its rules, or why it is unusable (then every namespace is `off`).
    pub rules: Result<Vec<Rule>, String>,
}

/// Every policy file that exists on this machine for this process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The files found, system paths first.
    pub files: Vec<PolicyFile>,
}

/// A policy's limit on a namespace's mode, and the file that sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cap {
    /// The highest mode allowed.
    pub mode: Mode,
    /// The file that sets it.
    pub path: PathBuf,
    /// The line of the rule, or `None` when the file is unusable (and so means `off`).
    pub line: Option<usize>,
    /// Why the file is unusable, when it is.
    pub unusable: Option<String>,
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.unusable, self.line) {
            (Some(why), _) => write!(
                f,
                "the policy file {} cannot be used ({why}), so off",
                self.path.display()
            ),
            (None, Some(line)) => write!(
                f,
                "the policy file {} (line {line}): at most {}",
                self.path.display(),
                self.mode
            ),
            (None, None) => write!(
                f,
                "the policy file {}: at most {}",
                self.path.display(),
                self.mode
            ),
        }
    }
}

impl Policy {
    /// Reads the system policy files and the one `env_path` names (from
    /// [`POLICY_VAR`]), skipping those that do not exist.
    pub fn read(env_path: Option<&Path>) -> Policy {
        let mut files = Vec::new();
        for path in system_paths() {
            if let Some(file) = read_file(&path, false) {
                files.push(file);
            }
        }
        if let Some(path) = env_path
            && let Some(file) = read_file(path, true)
        {
            files.push(file);
        }
        Policy { files }
    }

    /// The policy of `text` alone, as if read from `path`: for tests and tools.
    pub fn of_text(path: &Path, text: &str) -> Policy {
        Policy {
            files: vec![PolicyFile {
                path: path.to_path_buf(),
                from_env: false,
                rules: parse(text),
            }],
        }
    }

    /// The strictest limit on `namespace`'s mode, if any rule sets one. An unusable
    /// file limits every namespace to `off`.
    pub fn cap(&self, namespace: &str) -> Option<Cap> {
        let mut strictest: Option<Cap> = None;
        for file in &self.files {
            let found = match &file.rules {
                Err(why) => Some(Cap {
                    mode: Mode::Off,
                    path: file.path.clone(),
                    line: None,
                    unusable: Some(why.clone()),
                }),
                Ok(rules) => rules
                    .iter()
                    .filter(|rule| rule.applies_to(namespace))
                    .filter_map(|rule| match rule.directive {
                        Directive::AtMost(mode) => Some(Cap {
                            mode,
                            path: file.path.clone(),
                            line: Some(rule.line),
                            unusable: None,
                        }),
                        Directive::PromptNever => None,
                    })
                    .min_by_key(|cap| cap.mode),
            };
            if let Some(found) = found
                && strictest.as_ref().is_none_or(|s| found.mode < s.mode)
            {
                strictest = Some(found);
            }
        }
        strictest
    }

    /// Why `namespace` may not be prompted, if the policy says so: the file and line
    /// of the first rule that applies to it (any `at-most`, or `prompt never`), or the
    /// first unusable file.
    pub fn forbids_prompt(&self, namespace: &str) -> Option<(PathBuf, Option<usize>)> {
        for file in &self.files {
            match &file.rules {
                Err(_) => return Some((file.path.clone(), None)),
                Ok(rules) => {
                    if let Some(rule) = rules.iter().find(|r| r.applies_to(namespace)) {
                        return Some((file.path.clone(), Some(rule.line)));
                    }
                }
            }
        }
        None
    }
}

/// Reads one policy file: `None` when it does not exist.
fn read_file(path: &Path, from_env: bool) -> Option<PolicyFile> {
    let rules = match read_text(path) {
        Ok(None) => return None,
        Ok(Some(text)) => parse(&text),
        Err(e) => Err(format!("cannot read it: {e}")),
    };
    Some(PolicyFile {
        path: path.to_path_buf(),
        from_env,
        rules,
    })
}

/// The text of a policy file, `Ok(None)` when there is none. Never blocks: a FIFO
/// opens at once and is refused.
fn read_text(path: &Path) -> io::Result<Option<String>> {
    let mut options = File::options();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "it is not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_LEN + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_POLICY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is longer than {MAX_POLICY_LEN} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// The rules of a policy file's text, or why it is not one this code understands.
pub fn parse(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    let mut versioned = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("");
        let mut words = content.split_whitespace();
        let Some(first) = words.next() else { continue };
        let at = |why: String| format!("line {line}: {why}");
        if !versioned {
            if first != POLICY_MAGIC {
                return Err(at(format!(
                    "expected `{POLICY_MAGIC} {POLICY_VERSION}` first, found {first:?}"
                )));
            }
            let version = words.next().unwrap_or("");
            match version.parse::<u32>() {
                Ok(POLICY_VERSION) => {}
                Ok(newer) if newer > POLICY_VERSION => {
                    return Err(at(format!(
                        "version {newer} is newer than this program understands \
                         ({POLICY_VERSION})"
                    )));
                }
                _ => return Err(at(format!("{version:?} is not a policy version"))),
            }
            if let Some(extra) = words.next() {
                return Err(at(format!("unexpected {extra:?} after the version")));
            }
            versioned = true;
            continue;
        }
        let directive = match first {
            "at-most" => match words.next() {
                Some("off") => Directive::AtMost(Mode::Off),
                Some("local") => Directive::AtMost(Mode::Local),
                Some("on") => {
                    return Err(at(
                        "`at-most on` allows everything: a policy can only turn telemetry \
                         down (off or local)"
                            .into(),
                    ));
                }
                Some(other) => return Err(at(format!("{other:?} is not off or local"))),
                None => return Err(at("`at-most` needs off or local".into())),
            },
            "prompt" => match words.next() {
                Some("never") => Directive::PromptNever,
                other => {
                    return Err(at(format!(
                        "`prompt` takes never, not {:?}",
                        other.unwrap_or("")
                    )));
                }
            },
            other => {
                return Err(at(format!(
                    "unknown directive {other:?} (expected at-most or prompt)"
                )));
            }
        };
        let mut namespaces = Vec::new();
        for namespace in words {
            if !dirs::valid_namespace(namespace) {
                return Err(at(format!("{namespace:?} is not a namespace name")));
            }
            namespaces.push(namespace.to_string());
        }
        rules.push(Rule {
            directive,
            namespaces,
            line,
        });
    }
    if !versioned {
        return Err(format!(
            "it is empty: the first line must be `{POLICY_MAGIC} {POLICY_VERSION}`"
        ));
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::of_text(Path::new("/etc/rust-telemetry/policy"), text)
    }

    #[test]
    fn rules_apply_to_their_namespaces_or_to_all() {
        let p = policy(
            "# machine policy\nrust-telemetry-policy 1\n\nat-most local\nat-most off acme tools # no\n",
        );
        assert_eq!(
            p.cap("default").map(|c| (c.mode, c.line)),
            Some((Mode::Local, Some(4)))
        );
        assert_eq!(
            p.cap("acme").map(|c| (c.mode, c.line)),
            Some((Mode::Off, Some(5)))
        );
        assert_eq!(p.cap("tools").map(|c| c.mode), Some(Mode::Off));
    }

    #[test]
    fn a_namespace_rule_cannot_raise_a_rule_for_all() {
        let p = policy("rust-telemetry-policy 1\nat-most off\nat-most local acme\n");
        assert_eq!(p.cap("acme").map(|c| c.mode), Some(Mode::Off));
    }

    #[test]
    fn prompt_never_stops_the_prompt_but_not_the_mode() {
        let p = policy("rust-telemetry-policy 1\nprompt never kv\n");
        assert_eq!(p.cap("kv"), None);
        assert_eq!(
            p.forbids_prompt("kv"),
            Some((PathBuf::from("/etc/rust-telemetry/policy"), Some(2)))
        );
        assert_eq!(p.forbids_prompt("other"), None);
    }

    #[test]
    fn any_cap_stops_the_prompt() {
        let p = policy("rust-telemetry-policy 1\nat-most local\n");
        assert!(p.forbids_prompt("default").is_some());
    }

    #[test]
    fn no_file_is_no_policy() {
        let p = Policy::default();
        assert_eq!(p.cap("default"), None);
        assert_eq!(p.forbids_prompt("default"), None);
    }

    #[test]
    fn what_is_not_understood_fails_closed() {
        for (text, why) in [
            ("", "it is empty"),
            ("at-most off\n", "expected `rust-telemetry-policy 1` first"),
            ("rust-telemetry-policy 2\n", "version 2 is newer"),
            ("rust-telemetry-policy one\n", "not a policy version"),
            (
                "rust-telemetry-policy 1\nat-most on\n",
                "can only turn telemetry down",
            ),
            (
                "rust-telemetry-policy 1\nat-most maybe\n",
                "\"maybe\" is not off or local",
            ),
            ("rust-telemetry-policy 1\nat-most\n", "needs off or local"),
            (
                "rust-telemetry-policy 1\nallow everything\n",
                "unknown directive \"allow\"",
            ),
            (
                "rust-telemetry-policy 1\nat-most off Acme\n",
                "\"Acme\" is not a namespace",
            ),
            ("rust-telemetry-policy 1\nprompt sometimes\n", "takes never"),
        ] {
            let p = policy(text);
            let cap = p.cap("default").expect("an unusable file caps");
            assert_eq!(cap.mode, Mode::Off, "{text:?}");
            let unusable = cap.unusable.unwrap_or_default();
            assert!(unusable.contains(why), "{text:?}: {unusable}");
            assert!(p.forbids_prompt("default").is_some(), "{text:?}");
        }
    }

    #[test]
    fn the_strictest_of_several_files_wins() {
        let mut p = policy("rust-telemetry-policy 1\nat-most local\n");
        p.files.push(PolicyFile {
            path: PathBuf::from("/tmp/mine"),
            from_env: true,
            rules: parse("rust-telemetry-policy 1\nat-most off\n"),
        });
        let cap = p.cap("default").expect("capped");
        assert_eq!(
            (cap.mode, cap.path),
            (Mode::Off, PathBuf::from("/tmp/mine"))
        );
    }

    #[test]
    fn files_are_read_from_disk_and_a_missing_one_is_none() {
        let dir = std::env::temp_dir().join(format!("policy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("policy");
        std::fs::write(&path, "rust-telemetry-policy 1\nat-most local acme\n").expect("write");
        let p = Policy::read(Some(&path));
        let mine: Vec<&PolicyFile> = p.files.iter().filter(|f| f.from_env).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(p.cap("acme").map(|c| c.mode), Some(Mode::Local));
        let missing = Policy::read(Some(&dir.join("missing")));
        assert!(missing.files.iter().all(|f| !f.from_env));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("policy-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("policy");
        let c_path = std::ffi::CString::new(path.to_string_lossy().as_bytes()).expect("path");
        // SAFETY: `c_path` is a valid NUL-terminated string for the call's duration.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let p = Policy::read(Some(&path));
        let cap = p.cap("default").expect("an unusable file caps");
        assert!(
            cap.unusable
                .unwrap_or_default()
                .contains("not a regular file")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
