//! The command line, `kv [--dir DIR] COMMAND [ARGS]`, parsed with the standard library.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// The help text of `kv help`.
pub(crate) const USAGE: &str = "\
Usage: kv [--dir DIR] COMMAND [ARGS]

A tiny persistent key-value store, kept in DIR (default: ./kv-data).

Commands:
  set KEY VALUE   store VALUE under KEY
  get KEY         print the value of KEY
  del KEY         delete KEY
  list            print every KEY=VALUE, sorted by key
  import FILE     store every `key=value` line of FILE (blank lines and # comments skipped)
  compact         rewrite the data file without overwritten, deleted or corrupt records
  demo            run a scripted session in a temporary directory, then show what it counted
  counters        list every counter kv can report, with its value in this process
  telemetry ...   kv's telemetry: on, off, local, status, show, upload --dry-run…
                  (`kv telemetry help` lists them)
  help            print this help

Exit status: 0 success, 1 key not found, 2 bad usage, 3 a file could not be used.
";

/// The data directory used without `--dir`.
pub(crate) const DEFAULT_DIR: &str = "kv-data";

/// A command that works on the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoreCommand {
    /// `set KEY VALUE`
    Set { key: String, value: String },
    /// `get KEY`
    Get { key: String },
    /// `del KEY`
    Del { key: String },
    /// `list`
    List,
    /// `import FILE`
    Import { file: PathBuf },
    /// `compact`
    Compact,
}

/// Any command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// A command that opens the store in the data directory.
    Store(StoreCommand),
    /// `demo`: a session in a temporary directory of its own.
    Demo,
    /// `counters`: the report of this process, without opening any store.
    Counters,
    /// `telemetry …`: the commands of kv's telemetry, with the arguments after
    /// `telemetry` (parsed by the telemetry library).
    Telemetry(Vec<OsString>),
    /// `manifest`, not in the help: the JSON manifest of this process, as
    /// `telemetry::manifest()` builds it, for the test that compares it with the one
    /// `telemetry manifest` reads from the binary. Not counted.
    Manifest,
    /// `help`, `--help` or `-h`.
    Help,
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invocation {
    /// The data directory: `--dir`, or [`DEFAULT_DIR`].
    pub(crate) dir: PathBuf,
    /// What to do.
    pub(crate) command: Command,
}

/// A command line that cannot be run; the message is one line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (see `kv help`)", self.0)
    }
}

impl StoreCommand {
    /// The command's name, as typed and as counted in `kv/command`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            StoreCommand::Set { .. } => "set",
            StoreCommand::Get { .. } => "get",
            StoreCommand::Del { .. } => "del",
            StoreCommand::List => "list",
            StoreCommand::Import { .. } => "import",
            StoreCommand::Compact => "compact",
        }
    }
}

/// Shows the command as it would be typed.
impl fmt::Display for StoreCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            StoreCommand::Set { key, value } => write!(f, " {key} {value}"),
            StoreCommand::Get { key } | StoreCommand::Del { key } => write!(f, " {key}"),
            StoreCommand::Import { file } => write!(f, " {}", file.display()),
            StoreCommand::List | StoreCommand::Compact => Ok(()),
        }
    }
}

/// Parses the arguments after the program name. Options come before the command;
/// everything after it is the command's own arguments, even when it starts with `-`,
/// except a lone `--help` or `-h` (`kv get --help`), which asks for the help.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, UsageError> {
    let mut args = args.into_iter();
    let mut dir = None;
    let word = loop {
        let Some(arg) = args.next() else {
            return Err(UsageError("missing command".into()));
        };
        if arg == "--dir" {
            let value = args
                .next()
                .ok_or_else(|| UsageError("`--dir` needs a directory".into()))?;
            dir = Some(PathBuf::from(value));
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--dir=")) {
            dir = Some(PathBuf::from(value));
        } else {
            break arg;
        }
    };
    let word = utf8(word)?;
    let rest: Vec<OsString> = args.collect();
    let asks_help = matches!(rest.as_slice(), [only] if only == "--help" || only == "-h");
    let command = match word.as_str() {
        _ if asks_help && word != "telemetry" => Command::Help,
        "set" => {
            let [key, value] = operands(&word, rest, ["KEY", "VALUE"])?;
            Command::Store(StoreCommand::Set {
                key: utf8(key)?,
                value: utf8(value)?,
            })
        }
        "get" => {
            let [key] = operands(&word, rest, ["KEY"])?;
            Command::Store(StoreCommand::Get { key: utf8(key)? })
        }
        "del" => {
            let [key] = operands(&word, rest, ["KEY"])?;
            Command::Store(StoreCommand::Del { key: utf8(key)? })
        }
        "import" => {
            let [file] = operands(&word, rest, ["FILE"])?;
            Command::Store(StoreCommand::Import { file: file.into() })
        }
        "list" => no_operands(&word, rest, Command::Store(StoreCommand::List))?,
        "compact" => no_operands(&word, rest, Command::Store(StoreCommand::Compact))?,
        "demo" => no_operands(&word, rest, Command::Demo)?,
        "counters" => no_operands(&word, rest, Command::Counters)?,
        "telemetry" => Command::Telemetry(rest),
        "manifest" => no_operands(&word, rest, Command::Manifest)?,
        "help" | "--help" | "-h" => Command::Help,
        other if other.starts_with('-') => {
            return Err(UsageError(format!("unknown option `{other}`")));
        }
        other => {
            return Err(UsageError(format!(
                "unknown command `{other}`; expected set, get, del, list, import, compact, \
                 demo, counters or telemetry"
            )));
        }
    };
    Ok(Invocation {
        dir: dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR)),
        command,
    })
}

/// Exactly `N` operands, named `names` in messages.
fn operands<const N: usize>(
    command: &str,
    rest: Vec<OsString>,
    names: [&str; N],
) -> Result<[OsString; N], UsageError> {
    let count = rest.len();
    rest.try_into().map_err(|_| {
        UsageError(format!(
            "`{command}` takes {N} argument{s} ({}), not {count}",
            names.join(" "),
            s = if N == 1 { "" } else { "s" },
        ))
    })
}

fn no_operands(command: &str, rest: Vec<OsString>, parsed: Command) -> Result<Command, UsageError> {
    if rest.is_empty() {
        Ok(parsed)
    } else {
        Err(UsageError(format!(
            "`{command}` takes no arguments, not {}",
            rest.len()
        )))
    }
}

fn utf8(arg: OsString) -> Result<String, UsageError> {
    arg.into_string()
        .map_err(|arg| UsageError(format!("`{}` is not valid UTF-8", arg.to_string_lossy())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Invocation, UsageError> {
        parse(line.split_whitespace().map(OsString::from))
    }

    #[test]
    fn the_directory_defaults_to_kv_data_and_may_be_given_either_way() {
        let get = Command::Store(StoreCommand::Get { key: "k".into() });
        let expected = |dir: &str| {
            Ok(Invocation {
                dir: dir.into(),
                command: get.clone(),
            })
        };
        assert_eq!(parse_line("get k"), expected("kv-data"));
        assert_eq!(parse_line("--dir /tmp/x get k"), expected("/tmp/x"));
        assert_eq!(parse_line("--dir=/tmp/y get k"), expected("/tmp/y"));
    }

    #[test]
    fn arguments_after_the_command_are_operands_even_when_they_look_like_options() {
        let parsed = parse_line("set --dir -1").map(|i| i.command);
        let expected = StoreCommand::Set {
            key: "--dir".into(),
            value: "-1".into(),
        };
        assert_eq!(parsed, Ok(Command::Store(expected)));
    }

    #[test]
    fn a_lone_help_flag_after_a_command_asks_for_the_help() {
        for line in [
            "get --help",
            "set -h",
            "demo --help",
            "list -h",
            "--dir x compact --help",
        ] {
            assert_eq!(
                parse_line(line).map(|i| i.command),
                Ok(Command::Help),
                "{line}"
            );
        }
        // With other operands it is one of them: a key may be `--help`.
        let parsed = parse_line("set --help x").map(|i| i.command);
        let expected = StoreCommand::Set {
            key: "--help".into(),
            value: "x".into(),
        };
        assert_eq!(parsed, Ok(Command::Store(expected)));
    }

    #[test]
    fn wrong_operand_counts_and_unknown_words_are_one_line_errors() {
        let message = |line| parse_line(line).unwrap_err().to_string();
        assert_eq!(
            message("set k"),
            "`set` takes 2 arguments (KEY VALUE), not 1 (see `kv help`)"
        );
        assert_eq!(
            message("list x"),
            "`list` takes no arguments, not 1 (see `kv help`)"
        );
        assert_eq!(message(""), "missing command (see `kv help`)");
        assert_eq!(
            message("--dir"),
            "`--dir` needs a directory (see `kv help`)"
        );
        assert_eq!(
            message("--verbose get k"),
            "unknown option `--verbose` (see `kv help`)"
        );
        assert!(message("bogus").starts_with("unknown command `bogus`; expected set, get"));
    }

    #[test]
    fn a_command_displays_as_typed() {
        let set = StoreCommand::Set {
            key: "k".into(),
            value: "v".into(),
        };
        assert_eq!(set.to_string(), "set k v");
        assert_eq!(StoreCommand::Compact.to_string(), "compact");
    }
}
