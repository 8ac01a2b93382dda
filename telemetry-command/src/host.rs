//! Who runs the commands: the `telemetry` command, or a program's own `telemetry`
//! subcommand. The commands, their flags, texts and exit statuses are the same for
//! both; only the name they are typed under, and the commands a host adds, differ.

use std::borrow::Cow;
use std::collections::BTreeSet;

use telemetry_formats::Defaults;

/// A command a host adds to the command line and runs itself, such as the
/// `telemetry` command's `manifest`, `config` and `view`. The parser recognises its
/// name, operand and flags, and `help` describes it; [`crate::run`] leaves it to the
/// host ([`crate::Command::Extra`]).
#[derive(Clone, Copy, Debug)]
pub struct Extra {
    /// Its name, as typed.
    pub name: &'static str,
    /// Its usage line, as `help` prints it.
    pub usage: &'static str,
    /// What it does, a paragraph of lines of at most 80 columns.
    pub about: &'static str,
    /// True when it works in a namespace directory, so `--dir` and `--namespace`
    /// apply to it.
    pub namespaced: bool,
    /// What it takes besides flags.
    pub operand: Operand,
    /// Its flags, each taking a value (`--name VALUE` or `--name=VALUE`), without the
    /// leading `--`. Given to another command, one is a usage error.
    pub flags: &'static [&'static str],
    /// Printed at the end of its own help when it is not namespaced.
    pub footer: &'static str,
}

/// What an [`Extra`] command takes besides flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// Nothing: any other argument is a usage error.
    None,
    /// One argument (a path, which need not be UTF-8), in
    /// [`Args::operand`](crate::Args::operand).
    One,
    /// Every argument after the command, unparsed, in
    /// [`Args::rest`](crate::Args::rest).
    Rest,
}

/// Who runs the commands, and under which name.
///
/// ```
/// let host = telemetry_command::Host::new("mytool telemetry");
/// let args = telemetry_command::parse(&host, ["status".into()]).unwrap();
/// assert_eq!(args.command, telemetry_command::Command::Status);
/// ```
#[derive(Clone, Debug)]
pub struct Host {
    pub(crate) name: Cow<'static, str>,
    pub(crate) version: Option<String>,
    pub(crate) extra: &'static [Extra],
    pub(crate) summary: &'static str,
    pub(crate) exit_note: &'static str,
    pub(crate) namespace: Option<String>,
    pub(crate) defaults: Defaults,
    pub(crate) collector: Option<(String, String)>,
    pub(crate) declared: Option<Declared>,
}

/// The counters one build of a program declares: `show` marks the counters of that
/// program's files (same name and version) that the build does not declare.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declared {
    /// The program's name, as in its counter files' headers.
    pub program: String,
    /// Its version, as in its counter files' headers.
    pub version: String,
    /// Every name it declares: each label and bucket its own name, a stack counter by
    /// its own name (the first line of each chain it records).
    pub names: BTreeSet<String>,
}

impl Declared {
    /// Whether `name`, as a counter file holds it, is declared: a chain by its first
    /// line, the stack counter that recorded it.
    pub fn declares(&self, name: &str) -> bool {
        let head = name.split('\n').next().unwrap_or(name);
        self.names.contains(head)
    }
}

impl Host {
    /// A host whose commands are typed as `<name> on`, `<name> status`, …: `telemetry`
    /// for the `telemetry` command, `mytool telemetry` for a program's subcommand. The
    /// name is also the prefix of every error line, `<name>: <message>`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Host {
        Host {
            name: name.into(),
            version: None,
            extra: &[],
            summary: "choose what the programs of a namespace may count, and look at or\n\
                      delete what they counted.",
            exit_note: "",
            namespace: None,
            defaults: Defaults::default(),
            collector: None,
            declared: None,
        }
    }

    /// A program's `telemetry` subcommand: the commands work on the program's
    /// namespace alone (no `--namespace`, no `--dir`: `TELEMETRY_DIR` still moves
    /// everything), `status` knows the program's defaults, and `upload` its collector.
    pub fn program(
        name: impl Into<Cow<'static, str>>,
        namespace: impl Into<String>,
        defaults: Defaults,
        collector: Option<(String, String)>,
    ) -> Host {
        let mut host = Host::new(name).summary(
            "turn this program's telemetry on, off or local, and look at or delete\n\
             what it counted.",
        );
        host.namespace = Some(namespace.into());
        host.defaults = defaults;
        host.collector = collector;
        host
    }

    /// The counters this build declares, so that `show` marks those of this program's
    /// files it does not: a rebuilt binary of the same version shares the week's file
    /// with the build before it, whose counters may since have been removed.
    pub fn declared(mut self, declared: Declared) -> Host {
        self.declared = Some(declared);
        self
    }

    /// The line `--version` and `-V` print; without one they are unknown flags.
    pub fn version(mut self, line: impl Into<String>) -> Host {
        self.version = Some(line.into());
        self
    }

    /// Commands this host adds and runs itself, listed in `help` before `help`.
    pub fn extra(mut self, commands: &'static [Extra]) -> Host {
        self.extra = commands;
        self
    }

    /// What the host is for, after `<name>: ` at the top of `help`.
    pub fn summary(mut self, text: &'static str) -> Host {
        self.summary = text;
        self
    }

    /// A sentence appended to the exit-status paragraph of `help`, for extra commands
    /// with statuses of their own.
    pub fn exit_note(mut self, text: &'static str) -> Host {
        self.exit_note = text;
        self
    }

    /// The name the commands are typed under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The defaults that decide the mode when the user has chosen none, as `status`
    /// reports them: a program's own (the `telemetry` command assumes `local`, the
    /// default of a program that does not choose).
    pub fn defaults(&self) -> Defaults {
        self.defaults
    }

    /// The extra command named `name`, if this host has one.
    pub(crate) fn extra_named(&self, name: &str) -> Option<&'static Extra> {
        self.extra.iter().find(|extra| extra.name == name)
    }
}
