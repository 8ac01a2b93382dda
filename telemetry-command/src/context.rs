//! Where a command works: the namespace directory, the environment and today's date.

use std::path::{Path, PathBuf};

use telemetry_formats::mode::Env;
use telemetry_formats::{Defaults, date, dirs};

use crate::args::Args;
use crate::error::Error;
use crate::host::{Declared, Host};

/// Everything a command needs besides its own flags.
pub struct Context {
    /// `<root>/<namespace>`, or `None` when there is no root (no home directory and
    /// no `TELEMETRY_DIR`), where telemetry is off.
    pub namespace_dir: Option<PathBuf>,
    /// The namespace's name.
    pub namespace: String,
    /// The root, when it came from `--dir`.
    pub flag_root: Option<PathBuf>,
    /// `DO_NOT_TRACK`, `TELEMETRY_MODE` and `TELEMETRY_DIR` of this process.
    pub env: Env,
    /// Today, in days since 1970-01-01 (UTC).
    pub today: u64,
    /// The name the commands are typed under (`telemetry`, `mytool telemetry`), for
    /// texts that name another command.
    pub name: String,
    /// The defaults of the program (or, for the `telemetry` command, of a program
    /// that does not choose).
    pub defaults: Defaults,
    /// The program's collector, when it names one.
    pub collector: Option<(String, String)>,
    /// True for a program's subcommand, whose namespace is fixed (no `--dir`).
    pub fixed: bool,
    /// What the program's build declares, for a program's subcommand that knows it.
    pub declared: Option<Declared>,
}

impl Context {
    /// The context of a command line, in this process's environment.
    pub fn new(host: &Host, args: &Args) -> Context {
        let env = Env::from_process();
        let root = match &args.dir {
            Some(dir) => Some(dir.clone()),
            None => dirs::root(&env),
        };
        Context {
            namespace_dir: root.map(|root| dirs::namespace_dir(&root, &args.namespace)),
            namespace: args.namespace.clone(),
            flag_root: args.dir.clone(),
            env,
            today: date::day_of(date::now_secs()),
            name: host.name.to_string(),
            defaults: host.defaults,
            collector: host.collector.clone(),
            fixed: host.namespace.is_some(),
            declared: host.declared.clone(),
        }
    }

    /// The namespace directory, or the operational error of having none.
    pub fn require_dir(&self) -> Result<&Path, Error> {
        self.namespace_dir.as_deref().ok_or_else(|| {
            Error::Failed(format!(
                "there is no telemetry directory: no home directory and TELEMETRY_DIR is \
                 not set{}",
                if self.fixed { "" } else { " (use --dir)" }
            ))
        })
    }

    /// The directory of counter files, if there is a namespace directory.
    pub fn local_dir(&self) -> Option<PathBuf> {
        self.namespace_dir.as_ref().map(|dir| dir.join(dirs::LOCAL))
    }

    /// Notes about environment variables that override the mode file or the
    /// directory for the processes that see them, one line each.
    pub fn override_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.env.do_not_track() {
            notes.push(format!(
                "DO_NOT_TRACK={} is set: telemetry is off in every process that sees it, \
                 whatever the mode file says.",
                self.env
                    .do_not_track
                    .as_deref()
                    .unwrap_or_default()
                    .to_string_lossy()
            ));
        }
        if let Some(raw) = self.env.mode.as_deref().filter(|m| !m.is_empty()) {
            let mode = raw.to_string_lossy();
            let meaning = match raw.to_str().map(str::parse::<telemetry_formats::Mode>) {
                Some(Ok(parsed)) => format!("mode {parsed}"),
                _ => "off (not exactly off, local or on)".to_string(),
            };
            let shadowed = if self.env.do_not_track() {
                " (DO_NOT_TRACK wins over it)"
            } else {
                ""
            };
            notes.push(format!(
                "TELEMETRY_MODE={mode} is set: {meaning} in every process that sees it, \
                 whatever the mode file says{shadowed}."
            ));
        }
        if let (Some(flag), Some(env_dir)) = (&self.flag_root, &self.env.dir)
            && flag != env_dir
        {
            notes.push(format!(
                "TELEMETRY_DIR={} is set: processes that see it use that directory, not --dir.",
                env_dir.display()
            ));
        }
        notes
    }
}
