//! The command line: one command and its flags, parsed with std alone.
//!
//! Flags may come before or after the command, as `--flag VALUE` or `--flag=VALUE`.
//! Every mistake is an [`Error::Usage`] naming the offending argument.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use telemetry_formats::Mode;
use telemetry_formats::dirs;

use crate::error::Error;
use crate::host::{Host, Operand};

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
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
    /// Upload what is due now, or show what would be sent.
    #[cfg(feature = "upload")]
    Upload,
    /// Delete counter files and set-aside files.
    Clean,
    /// A command the host added and runs itself (see [`Host::extra`]).
    Extra(&'static str),
    /// Print usage, of every command or of one.
    Help(Option<&'static str>),
    /// Print the version.
    Version,
}

impl Command {
    /// The command of a name, if it is one of this crate's.
    fn named(name: &str) -> Option<Command> {
        Some(match name {
            "on" => Command::SetMode(Mode::On),
            "off" => Command::SetMode(Mode::Off),
            "local" => Command::SetMode(Mode::Local),
            "status" => Command::Status,
            "show" => Command::Show,
            "csv" => Command::Csv,
            "reports" => Command::Reports,
            #[cfg(feature = "upload")]
            "upload" => Command::Upload,
            "clean" => Command::Clean,
            "help" => Command::Help(None),
            _ => return None,
        })
    }

    /// The name of the command, as typed.
    pub fn name(self) -> &'static str {
        match self {
            Command::SetMode(mode) => mode.as_str(),
            Command::Status => "status",
            Command::Show => "show",
            Command::Csv => "csv",
            Command::Reports => "reports",
            #[cfg(feature = "upload")]
            Command::Upload => "upload",
            Command::Clean => "clean",
            Command::Extra(name) => name,
            Command::Help(_) => "help",
            Command::Version => "--version",
        }
    }
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    /// The command; `help` when none was given.
    pub command: Command,
    /// `--dir`: the telemetry root, instead of `TELEMETRY_DIR` or the default.
    pub dir: Option<PathBuf>,
    /// `--namespace`, `default` unless given.
    pub namespace: String,
    /// `--json` (only for `show` and `reports`).
    pub json: bool,
    /// `--dry-run` (only for `upload`).
    pub dry_run: bool,
    /// `--collector URL` and `--key ed25519:…` (only for `upload`).
    pub collector: Option<(String, String)>,
    /// The operand of an extra command that takes one ([`Operand::One`]).
    pub operand: Option<OsString>,
    /// Everything after an extra command that takes the rest ([`Operand::Rest`]).
    pub rest: Vec<OsString>,
    /// The values of extra commands' flags, by flag name (without `--`), in the order
    /// given; each flag at most once.
    pub extra_flags: Vec<(&'static str, OsString)>,
}

impl Args {
    /// The value of the extra flag `--<name>`, if it was given.
    pub fn extra_flag(&self, name: &str) -> Option<&OsStr> {
        self.extra_flags
            .iter()
            .find(|(flag, _)| *flag == name)
            .map(|(_, value)| value.as_os_str())
    }
}

/// Parses the arguments after the command's name (after `telemetry`, or after
/// `mytool telemetry`).
pub fn parse(host: &Host, args: impl IntoIterator<Item = OsString>) -> Result<Args, Error> {
    let mut args = args.into_iter();
    let mut command: Option<Command> = None;
    let mut topic: Option<&'static str> = None;
    let mut help_flag = false;
    let mut dir: Option<PathBuf> = None;
    let mut namespace: Option<String> = None;
    let mut json = false;
    let mut operand: Option<OsString> = None;
    let mut rest = Vec::new();
    let mut extra_flags: Vec<(&'static str, OsString)> = Vec::new();
    // Set only by the flags of `upload`.
    #[cfg_attr(not(feature = "upload"), allow(unused_mut))]
    let (mut dry_run, mut collector_url, mut collector_key) =
        (false, None::<String>, None::<String>);
    let takes_operand = |command: Option<Command>| match command {
        Some(Command::Extra(name)) => host
            .extra_named(name)
            .is_some_and(|extra| extra.operand == Operand::One),
        _ => false,
    };
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            // A path need not be UTF-8.
            if takes_operand(command) && operand.is_none() {
                operand = Some(arg);
                continue;
            }
            return Err(Error::usage(format!(
                "argument {:?} is not valid UTF-8",
                arg.to_string_lossy()
            )));
        };
        if let Some(flag) = text.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(OsStr::new(value).to_owned())),
                None => (flag, None),
            };
            if let Some(extra) = extra_flag(host, name) {
                let flag = format!("--{extra}");
                let value = value_of(&flag, inline, &mut args)?;
                if extra_flags.iter().any(|(given, _)| *given == extra) {
                    return Err(Error::usage(format!("{flag} given twice")));
                }
                extra_flags.push((extra, value));
                continue;
            }
            match name {
                "dir" | "namespace" if host.namespace.is_some() => {
                    return Err(Error::usage(format!("unknown flag {text:?}")));
                }
                "dir" => {
                    let value = value_of("--dir", inline, &mut args)?;
                    set_once(&mut dir, PathBuf::from(value), "--dir")?;
                }
                "namespace" => {
                    let value = value_of("--namespace", inline, &mut args)?;
                    let value = value
                        .into_string()
                        .map_err(|_| Error::usage("the value of --namespace is not valid UTF-8"))?;
                    set_once(&mut namespace, value, "--namespace")?;
                }
                #[cfg(feature = "upload")]
                "collector" | "key" => {
                    let flag = format!("--{name}");
                    let value = value_of(&flag, inline, &mut args)?
                        .into_string()
                        .map_err(|_| Error::usage(format!("the value of {flag} is not UTF-8")))?;
                    let slot = if name == "collector" {
                        &mut collector_url
                    } else {
                        &mut collector_key
                    };
                    set_once(slot, value, &flag)?;
                }
                #[cfg(feature = "upload")]
                "dry-run" if inline.is_none() => dry_run = true,
                "json" | "help" | "version" if inline.is_some() => {
                    return Err(Error::usage(format!("--{name} takes no value")));
                }
                "json" => json = true,
                "help" => help_flag = true,
                "version" if host.version.is_some() => set_command(&mut command, Command::Version)?,
                _ => return Err(Error::usage(format!("unknown flag {text:?}"))),
            }
        } else if text == "-h" {
            help_flag = true;
        } else if text == "-V" && host.version.is_some() {
            set_command(&mut command, Command::Version)?;
        } else if text.starts_with('-') && text != "-" {
            return Err(Error::usage(format!("unknown flag {text:?}")));
        } else if command == Some(Command::Help(None)) && topic.is_none() {
            topic = Some(
                command_names(host)
                    .find(|&name| name == text)
                    .ok_or_else(|| {
                        Error::usage(format!("no help for {text:?}: it is not a command"))
                    })?,
            );
        } else if takes_operand(command) && operand.is_none() {
            operand = Some(arg);
        } else if command.is_some() {
            return Err(Error::usage(format!("unexpected argument {text:?}")));
        } else {
            let found = Command::named(text)
                .or_else(|| {
                    host.extra_named(text)
                        .map(|extra| Command::Extra(extra.name))
                })
                .ok_or_else(|| Error::usage(format!("unknown command {text:?}")))?;
            command = Some(found);
            if let Command::Extra(name) = found
                && host
                    .extra_named(name)
                    .is_some_and(|extra| extra.operand == Operand::Rest)
            {
                rest.extend(args.by_ref());
                break;
            }
        }
    }
    let command = match (command, help_flag) {
        // `help --help`: the help of `help`, as every command's `--help` is its own.
        (Some(Command::Help(None)), true) => Command::Help(Some(topic.unwrap_or("help"))),
        (Some(Command::Help(None)), false) => Command::Help(topic),
        (Some(Command::Version), _) => Command::Version,
        (Some(command), true) => Command::Help(Some(command.name())),
        (Some(command), false) => command,
        (None, _) => Command::Help(None),
    };
    let any_command = matches!(command, Command::Help(_) | Command::Version);
    if json && !any_command && !matches!(command, Command::Show | Command::Reports) {
        return Err(Error::usage(format!(
            "--json is only for `show` and `reports`, not `{}`",
            command.name()
        )));
    }
    for extra in host.extra {
        for &flag in extra.flags {
            let given = extra_flags.iter().any(|(name, _)| *name == flag);
            let owners = host.extra.iter().filter(|e| e.flags.contains(&flag));
            let allowed = any_command || owners.clone().any(|e| command == Command::Extra(e.name));
            if given && !allowed {
                let owners: Vec<String> = owners.map(|e| format!("`{}`", e.name)).collect();
                return Err(Error::usage(format!(
                    "--{flag} is only for {}, not `{}`",
                    owners.join(" and "),
                    command.name()
                )));
            }
        }
    }
    let upload_flags = dry_run || collector_url.is_some() || collector_key.is_some();
    #[cfg(feature = "upload")]
    if upload_flags && !any_command && command != Command::Upload {
        return Err(Error::usage(format!(
            "--dry-run, --collector and --key are only for `upload`, not `{}`",
            command.name()
        )));
    }
    debug_assert!(cfg!(feature = "upload") || !upload_flags);
    let collector = match (collector_url, collector_key) {
        (Some(url), Some(key)) => Some((url, key)),
        (None, None) => None,
        _ => {
            return Err(Error::usage(
                "--collector and --key go together: the URL and the public key",
            ));
        }
    };
    let namespace = namespace
        .or_else(|| host.namespace.clone())
        .unwrap_or_else(|| dirs::DEFAULT_NAMESPACE.to_string());
    if !dirs::valid_namespace(&namespace) {
        return Err(Error::usage(format!(
            "namespace {namespace:?} is not 1 to 64 of a-z, 0-9, '.', '_', '-' (not starting with '.')"
        )));
    }
    Ok(Args {
        command,
        dir,
        namespace,
        json,
        dry_run,
        collector,
        operand,
        rest,
        extra_flags,
    })
}

/// This crate's command names, in the order `help` lists them (`help` last, after
/// the host's extra commands).
pub(crate) const COMMAND_NAMES: &[&str] = &[
    "on",
    "local",
    "off",
    "status",
    "show",
    "csv",
    "reports",
    #[cfg(feature = "upload")]
    "upload",
    "clean",
];

/// Every command name of `host`, as `help <command>` accepts it.
pub(crate) fn command_names(host: &Host) -> impl Iterator<Item = &'static str> + '_ {
    COMMAND_NAMES
        .iter()
        .copied()
        .chain(host.extra.iter().map(|extra| extra.name))
        .chain(["help"])
}

/// The extra flag of `host` named `name`, if there is one.
fn extra_flag(host: &Host, name: &str) -> Option<&'static str> {
    host.extra
        .iter()
        .flat_map(|extra| extra.flags.iter().copied())
        .find(|&flag| flag == name)
}

/// The value of a flag: after `=`, or the next argument (which must not be a flag).
fn value_of(
    flag: &str,
    inline: Option<OsString>,
    rest: &mut impl Iterator<Item = OsString>,
) -> Result<OsString, Error> {
    let value = match inline {
        Some(value) => value,
        None => match rest.next() {
            Some(next) if !next.to_string_lossy().starts_with("--") => next,
            _ => return Err(Error::usage(format!("{flag} needs a value"))),
        },
    };
    if value.is_empty() {
        return Err(Error::usage(format!("{flag} needs a value")));
    }
    Ok(value)
}

fn set_once<T>(slot: &mut Option<T>, value: T, flag: &str) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::usage(format!("{flag} given twice")));
    }
    *slot = Some(value);
    Ok(())
}

fn set_command(slot: &mut Option<Command>, command: Command) -> Result<(), Error> {
    match slot {
        Some(existing) => Err(Error::usage(format!(
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
    use crate::host::Extra;

    /// Extra commands like those of the `telemetry` command.
    const EXTRA: &[Extra] = &[
        Extra {
            name: "manifest",
            usage: "telemetry manifest BINARY [--format json|md]",
            about: "A manifest.",
            namespaced: false,
            operand: Operand::One,
            flags: &["format", "check"],
            footer: "",
        },
        Extra {
            name: "config",
            usage: "telemetry config …",
            about: "A config.",
            namespaced: false,
            operand: Operand::Rest,
            flags: &[],
            footer: "",
        },
    ];

    fn host() -> Host {
        Host::new("telemetry").version("telemetry 0").extra(EXTRA)
    }

    fn parse_str(args: &[&str]) -> Result<Args, Error> {
        parse(&host(), args.iter().map(OsString::from))
    }

    fn usage_message(args: &[&str]) -> String {
        match parse_str(args) {
            Err(Error::Usage(message)) => message,
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
            parse_str(&["help", "manifest"]).unwrap().command,
            Command::Help(Some("manifest"))
        );
        assert_eq!(
            parse_str(&["clean", "--help"]).unwrap().command,
            Command::Help(Some("clean"))
        );
        assert_eq!(parse_str(&["-h"]).unwrap().command, Command::Help(None));
        assert_eq!(
            parse_str(&["help", "--help"]).unwrap().command,
            Command::Help(Some("help"))
        );
        assert_eq!(
            parse_str(&["help", "show", "-h"]).unwrap().command,
            Command::Help(Some("show"))
        );
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
        assert!(usage_message(&["manifest", "a", "b"]).contains("\"b\""));
        assert!(usage_message(&["manifest", "a", "--check"]).contains("--check needs a value"));
        assert!(usage_message(&["manifest", "--check=a", "--check=b"]).contains("twice"));
    }

    #[test]
    fn an_extra_commands_flags_belong_to_it_alone() {
        assert_eq!(
            usage_message(&["show", "--format", "md"]),
            "--format is only for `manifest`, not `show`"
        );
        assert_eq!(
            usage_message(&["status", "--check", "f"]),
            "--check is only for `manifest`, not `status`"
        );
        let parsed = parse_str(&["--format=md", "--help"]).unwrap();
        assert_eq!(parsed.command, Command::Help(None));
    }

    #[test]
    fn an_extra_command_takes_its_operand_and_flags_anywhere() {
        let parsed = parse_str(&["--format=md", "manifest", "target/kv"]).unwrap();
        assert_eq!(parsed.command, Command::Extra("manifest"));
        assert_eq!(parsed.operand, Some(OsString::from("target/kv")));
        assert_eq!(parsed.extra_flag("format"), Some(OsStr::new("md")));
        let parsed = parse_str(&["manifest", "--check", "m.json", "kv"]).unwrap();
        assert_eq!(parsed.operand, Some(OsString::from("kv")));
        assert_eq!(parsed.extra_flag("check"), Some(OsStr::new("m.json")));
        assert_eq!(parsed.extra_flag("format"), None);
        assert_eq!(
            parse_str(&["manifest", "--help"]).unwrap().command,
            Command::Help(Some("manifest"))
        );
    }

    #[test]
    fn an_extra_command_may_take_every_argument_after_it() {
        let parsed = parse_str(&["config", "sign", "--key", "k", "--json"]).unwrap();
        assert_eq!(parsed.command, Command::Extra("config"));
        assert_eq!(
            parsed.rest,
            ["sign", "--key", "k", "--json"].map(OsString::from)
        );
        assert!(!parsed.json);
    }

    #[test]
    fn a_host_without_extras_or_version_knows_none_of_them() {
        let plain = Host::new("mytool telemetry");
        let parse_plain = |args: &[&str]| parse(&plain, args.iter().map(OsString::from));
        assert!(
            matches!(parse_plain(&["manifest"]), Err(Error::Usage(m)) if m == "unknown command \"manifest\"")
        );
        assert!(
            matches!(parse_plain(&["--version"]), Err(Error::Usage(m)) if m == "unknown flag \"--version\"")
        );
        assert!(
            matches!(parse_plain(&["show", "--format=md"]), Err(Error::Usage(m)) if m == "unknown flag \"--format=md\"")
        );
        assert_eq!(
            parse_plain(&["on"]).unwrap().command,
            Command::SetMode(Mode::On)
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_operand_need_not_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let path = OsString::from_vec(b"bin\xff".to_vec());
        let parsed = parse(&host(), [OsString::from("manifest"), path.clone()]).unwrap();
        assert_eq!(parsed.operand, Some(path));
    }
}
