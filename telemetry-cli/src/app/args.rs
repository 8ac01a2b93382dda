//! The command line: one command and its flags, parsed with std alone.
//!
//! Flags may come before or after the command, as `--flag VALUE` or `--flag=VALUE`.
//! Every mistake is a [`CliError::Usage`] naming the offending argument.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use telemetry_formats::Mode;
use telemetry_formats::dirs;

use crate::app::error::CliError;

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// `on`, `off` or `local`: set the mode.
    SetMode(Mode),
    /// Show the mode, the directory and its files.
    Status,
    /// Print every counter of every counter file.
    Show,
    /// Print every counter as CSV.
    Csv,
    /// List the weekly reports.
    Reports,
    /// Serve pages of what was counted and sent, on this machine only.
    View,
    /// Make, check, sign or verify an upload config.
    Config,
    /// Upload what is due now, or show what would be sent.
    Upload,
    /// Delete counter files and set-aside files.
    Clean,
    /// Print the counter manifest of a built program, or check a committed one.
    Manifest,
    /// Print usage, of every command or of one.
    Help(Option<&'static str>),
    /// Print the version.
    Version,
}

impl Command {
    /// The command of a name, if it is one.
    fn named(name: &str) -> Option<Command> {
        Some(match name {
            "on" => Command::SetMode(Mode::On),
            "off" => Command::SetMode(Mode::Off),
            "local" => Command::SetMode(Mode::Local),
            "status" => Command::Status,
            "show" => Command::Show,
            "csv" => Command::Csv,
            "reports" => Command::Reports,
            "view" => Command::View,
            "config" => Command::Config,
            "upload" => Command::Upload,
            "clean" => Command::Clean,
            "manifest" => Command::Manifest,
            "help" => Command::Help(None),
            _ => return None,
        })
    }

    /// The name of the command, as typed.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Command::SetMode(mode) => mode.as_str(),
            Command::Status => "status",
            Command::Show => "show",
            Command::Csv => "csv",
            Command::Reports => "reports",
            Command::View => "view",
            Command::Config => "config",
            Command::Upload => "upload",
            Command::Clean => "clean",
            Command::Manifest => "manifest",
            Command::Help(_) => "help",
            Command::Version => "--version",
        }
    }
}

/// How `manifest` prints the manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Format {
    /// `--format json`, the default.
    #[default]
    Json,
    /// `--format md`: a Markdown page for reviewers.
    Markdown,
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Args {
    /// The command; `help` when none was given.
    pub command: Command,
    /// `--dir`: the telemetry root, instead of `TELEMETRY_DIR` or the default.
    pub dir: Option<PathBuf>,
    /// `--namespace`, `default` unless given.
    pub namespace: String,
    /// `--json` (only for `show` and `reports`).
    pub json: bool,
    /// The built program whose manifest `manifest` reads.
    pub binary: Option<PathBuf>,
    /// `--format` (only for `manifest`).
    pub format: Format,
    /// `--check FILE` (only for `manifest`): the committed manifest to compare with.
    pub check: Option<PathBuf>,
    /// Everything after `config`, which parses its own arguments.
    pub rest: Vec<OsString>,
    /// `--dry-run` (only for `upload`).
    pub dry_run: bool,
    /// `--collector URL` and `--key ed25519:…` (only for `upload`).
    pub collector: Option<(String, String)>,
    /// `--addr IP:PORT` (only for `view`), checked by `view`.
    pub addr: Option<String>,
}

/// Parses the arguments after the program name.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, CliError> {
    let mut args = args.into_iter();
    let mut command: Option<Command> = None;
    let mut topic: Option<&'static str> = None;
    let mut help_flag = false;
    let mut dir: Option<PathBuf> = None;
    let mut namespace: Option<String> = None;
    let mut json = false;
    let mut binary: Option<PathBuf> = None;
    let mut format: Option<Format> = None;
    let mut check: Option<PathBuf> = None;
    let mut rest = Vec::new();
    let mut dry_run = false;
    let mut collector_url: Option<String> = None;
    let mut collector_key: Option<String> = None;
    let mut addr: Option<String> = None;
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            // A path need not be UTF-8.
            if command == Some(Command::Manifest) && binary.is_none() {
                binary = Some(PathBuf::from(arg));
                continue;
            }
            return Err(CliError::usage(format!(
                "argument {:?} is not valid UTF-8",
                arg.to_string_lossy()
            )));
        };
        if let Some(flag) = text.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(OsStr::new(value).to_owned())),
                None => (flag, None),
            };
            match name {
                "dir" => {
                    let value = value_of("--dir", inline, &mut args)?;
                    set_once(&mut dir, PathBuf::from(value), "--dir")?;
                }
                "namespace" => {
                    let value = value_of("--namespace", inline, &mut args)?;
                    let value = value.into_string().map_err(|_| {
                        CliError::usage("the value of --namespace is not valid UTF-8")
                    })?;
                    set_once(&mut namespace, value, "--namespace")?;
                }
                "format" => {
                    let value = value_of("--format", inline, &mut args)?;
                    let parsed = match value.to_str() {
                        Some("json") => Format::Json,
                        Some("md") => Format::Markdown,
                        _ => {
                            return Err(CliError::usage(format!(
                                "--format is json or md, not {:?}",
                                value.to_string_lossy()
                            )));
                        }
                    };
                    set_once(&mut format, parsed, "--format")?;
                }
                "check" => {
                    let value = value_of("--check", inline, &mut args)?;
                    set_once(&mut check, PathBuf::from(value), "--check")?;
                }
                "collector" | "key" => {
                    let flag = format!("--{name}");
                    let value =
                        value_of(&flag, inline, &mut args)?
                            .into_string()
                            .map_err(|_| {
                                CliError::usage(format!("the value of {flag} is not UTF-8"))
                            })?;
                    let slot = if name == "collector" {
                        &mut collector_url
                    } else {
                        &mut collector_key
                    };
                    set_once(slot, value, &flag)?;
                }
                "addr" => {
                    let value = value_of("--addr", inline, &mut args)?;
                    let value = value
                        .into_string()
                        .map_err(|_| CliError::usage("the value of --addr is not valid UTF-8"))?;
                    set_once(&mut addr, value, "--addr")?;
                }
                "dry-run" if inline.is_none() => dry_run = true,
                "json" | "help" | "version" if inline.is_some() => {
                    return Err(CliError::usage(format!("--{name} takes no value")));
                }
                "json" => json = true,
                "help" => help_flag = true,
                "version" => set_command(&mut command, Command::Version)?,
                _ => return Err(CliError::usage(format!("unknown flag {text:?}"))),
            }
        } else if text == "-h" {
            help_flag = true;
        } else if text == "-V" {
            set_command(&mut command, Command::Version)?;
        } else if text.starts_with('-') && text != "-" {
            return Err(CliError::usage(format!("unknown flag {text:?}")));
        } else if command == Some(Command::Help(None)) && topic.is_none() {
            topic = Some(
                COMMAND_NAMES
                    .iter()
                    .find(|&&name| name == text)
                    .copied()
                    .ok_or_else(|| {
                        CliError::usage(format!("no help for {text:?}: it is not a command"))
                    })?,
            );
        } else if command == Some(Command::Manifest) && binary.is_none() {
            binary = Some(PathBuf::from(text));
        } else if command.is_some() {
            return Err(CliError::usage(format!("unexpected argument {text:?}")));
        } else {
            let found = Command::named(text)
                .ok_or_else(|| CliError::usage(format!("unknown command {text:?}")))?;
            command = Some(found);
            if found == Command::Config {
                rest.extend(args.by_ref());
                break;
            }
        }
    }
    let command = match (command, help_flag) {
        (Some(Command::Help(None)), _) => Command::Help(topic),
        (Some(Command::Version), _) => Command::Version,
        (Some(command), true) => Command::Help(Some(command.name())),
        (Some(command), false) => command,
        (None, _) => Command::Help(None),
    };
    if json
        && !matches!(
            command,
            Command::Show | Command::Reports | Command::Help(_) | Command::Version
        )
    {
        return Err(CliError::usage(format!(
            "--json is only for `show` and `reports`, not `{}`",
            command.name()
        )));
    }
    let manifest_flag = match (format, &check) {
        (Some(_), _) => Some("--format"),
        (None, Some(_)) => Some("--check"),
        (None, None) => None,
    };
    if let Some(flag) = manifest_flag
        && !matches!(
            command,
            Command::Manifest | Command::Help(_) | Command::Version
        )
    {
        return Err(CliError::usage(format!(
            "{flag} is only for `manifest`, not `{}`",
            command.name()
        )));
    }
    let upload_flags = dry_run || collector_url.is_some() || collector_key.is_some();
    if upload_flags
        && !matches!(
            command,
            Command::Upload | Command::Help(_) | Command::Version
        )
    {
        return Err(CliError::usage(format!(
            "--dry-run, --collector and --key are only for `upload`, not `{}`",
            command.name()
        )));
    }
    if addr.is_some() && !matches!(command, Command::View | Command::Help(_) | Command::Version) {
        return Err(CliError::usage(format!(
            "--addr is only for `view`, not `{}`",
            command.name()
        )));
    }
    let collector = match (collector_url, collector_key) {
        (Some(url), Some(key)) => Some((url, key)),
        (None, None) => None,
        _ => {
            return Err(CliError::usage(
                "--collector and --key go together: the URL and the public key",
            ));
        }
    };
    if command == Command::Manifest && binary.is_none() {
        return Err(CliError::usage(
            "`manifest` needs the path of a built program: telemetry manifest BINARY",
        ));
    }
    if check.is_some() && format == Some(Format::Markdown) {
        return Err(CliError::usage(
            "--check compares with a JSON manifest; it takes no --format md",
        ));
    }
    let namespace = namespace.unwrap_or_else(|| dirs::DEFAULT_NAMESPACE.to_string());
    if !dirs::valid_namespace(&namespace) {
        return Err(CliError::usage(format!(
            "namespace {namespace:?} is not 1 to 64 of a-z, 0-9, '.', '_', '-' (not starting with '.')"
        )));
    }
    Ok(Args {
        command,
        dir,
        namespace,
        json,
        binary,
        format: format.unwrap_or_default(),
        check,
        rest,
        dry_run,
        collector,
        addr,
    })
}

/// Every command name, as `help <command>` accepts it.
pub(crate) const COMMAND_NAMES: [&str; 13] = [
    "on", "off", "local", "status", "show", "csv", "reports", "view", "clean", "manifest",
    "config", "upload", "help",
];

/// The value of a flag: after `=`, or the next argument (which must not be a flag).
fn value_of(
    flag: &str,
    inline: Option<OsString>,
    rest: &mut impl Iterator<Item = OsString>,
) -> Result<OsString, CliError> {
    let value = match inline {
        Some(value) => value,
        None => match rest.next() {
            Some(next) if !next.to_string_lossy().starts_with("--") => next,
            _ => return Err(CliError::usage(format!("{flag} needs a value"))),
        },
    };
    if value.is_empty() {
        return Err(CliError::usage(format!("{flag} needs a value")));
    }
    Ok(value)
}

fn set_once<T>(slot: &mut Option<T>, value: T, flag: &str) -> Result<(), CliError> {
    if slot.is_some() {
        return Err(CliError::usage(format!("{flag} given twice")));
    }
    *slot = Some(value);
    Ok(())
}

fn set_command(slot: &mut Option<Command>, command: Command) -> Result<(), CliError> {
    match slot {
        Some(existing) => Err(CliError::usage(format!(
            "unexpected argument {:?} after `{}`",
            command.name(),
            existing.name()
        ))),
        None => {
            *slot = Some(command);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Args, CliError> {
        parse(args.iter().map(OsString::from))
    }

    fn usage_message(args: &[&str]) -> String {
        match parse_str(args) {
            Err(CliError::Usage(message)) => message,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn no_arguments_means_help() {
        assert_eq!(parse_str(&[]).unwrap().command, Command::Help(None));
    }

    #[test]
    fn flags_go_before_or_after_the_command_in_both_spellings() {
        for args in [
            &["--dir", "/x", "show", "--namespace=acme", "--json"][..],
            &["show", "--dir=/x", "--json", "--namespace", "acme"][..],
        ] {
            let parsed = parse_str(args).unwrap();
            assert_eq!(parsed.command, Command::Show);
            assert_eq!(parsed.dir, Some(PathBuf::from("/x")));
            assert_eq!(parsed.namespace, "acme");
            assert!(parsed.json);
        }
    }

    #[test]
    fn help_takes_a_command_and_help_flags_ask_for_the_commands_help() {
        assert_eq!(
            parse_str(&["help", "show"]).unwrap().command,
            Command::Help(Some("show"))
        );
        assert_eq!(
            parse_str(&["clean", "--help"]).unwrap().command,
            Command::Help(Some("clean"))
        );
        assert_eq!(parse_str(&["-h"]).unwrap().command, Command::Help(None));
    }

    #[test]
    fn mistakes_are_usage_errors_naming_the_argument() {
        assert!(usage_message(&["frobnicate"]).contains("\"frobnicate\""));
        assert!(usage_message(&["show", "--jsn"]).contains("\"--jsn\""));
        assert!(usage_message(&["show", "--dir"]).contains("--dir needs a value"));
        assert!(usage_message(&["show", "--dir", "--json"]).contains("--dir needs a value"));
        assert!(usage_message(&["show", "--dir="]).contains("--dir needs a value"));
        assert!(usage_message(&["show", "extra"]).contains("\"extra\""));
        assert!(usage_message(&["on", "off"]).contains("\"off\""));
        assert!(usage_message(&["--dir=a", "--dir=b", "status"]).contains("twice"));
        assert!(usage_message(&["status", "--json"]).contains("only for `show`"));
        assert!(usage_message(&["status", "--namespace", "Bad"]).contains("\"Bad\""));
        assert!(usage_message(&["help", "nope"]).contains("\"nope\""));
        assert!(usage_message(&["show", "--json=yes"]).contains("takes no value"));
        assert!(usage_message(&["manifest"]).contains("needs the path of a built program"));
        assert!(usage_message(&["manifest", "a", "b"]).contains("\"b\""));
        assert!(usage_message(&["manifest", "a", "--format=xml"]).contains("\"xml\""));
        assert!(usage_message(&["manifest", "a", "--check"]).contains("--check needs a value"));
        assert!(usage_message(&["show", "--format", "md"]).contains("only for `manifest`"));
        assert!(usage_message(&["status", "--check", "f"]).contains("only for `manifest`"));
        assert!(
            usage_message(&["manifest", "a", "--format", "md", "--check", "f"])
                .contains("no --format md")
        );
    }

    #[test]
    fn manifest_takes_a_binary_and_its_flags_anywhere() {
        let parsed = parse_str(&["--format=md", "manifest", "target/kv"]).unwrap();
        assert_eq!(parsed.command, Command::Manifest);
        assert_eq!(parsed.binary, Some(PathBuf::from("target/kv")));
        assert_eq!(parsed.format, Format::Markdown);
        let parsed = parse_str(&["manifest", "--check", "m.json", "kv"]).unwrap();
        assert_eq!(parsed.binary, Some(PathBuf::from("kv")));
        assert_eq!(parsed.check, Some(PathBuf::from("m.json")));
        assert_eq!(parsed.format, Format::Json);
        assert_eq!(
            parse_str(&["manifest", "--help"]).unwrap().command,
            Command::Help(Some("manifest"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_binary_path_need_not_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let path = OsString::from_vec(b"bin\xff".to_vec());
        let parsed = parse([OsString::from("manifest"), path.clone()]).unwrap();
        assert_eq!(parsed.binary, Some(PathBuf::from(path)));
    }
}
