//! Usage text: of every command, or of one.

use crate::host::Host;

/// One command's usage line and description.
#[derive(Clone, Copy)]
struct Entry {
    name: &'static str,
    usage: &'static str,
    about: &'static str,
    /// True when the command works in a namespace directory, so `--dir` and
    /// `--namespace` apply to it.
    namespaced: bool,
}

const COMMANDS: &[Entry] = &[
    Entry {
        name: "on",
        usage: "{cmd} on",
        about: "Counts go to weekly files on this machine, and each finished week's report
is uploaded once to the collector a program names: only what its signed config
asks for, and only weeks that began after the day on was chosen. The date of the
choice is recorded; choosing the same mode again keeps it.",
        namespaced: true,
    },
    Entry {
        name: "local",
        usage: "{cmd} local",
        about: "Counts go to weekly files on this machine only; nothing is ever uploaded.
This is the default of a fresh install unless a program's author chose off.",
        namespaced: true,
    },
    Entry {
        name: "off",
        usage: "{cmd} off",
        about: "Nothing is counted to files: programs count in memory only and create no
file or directory. This command writes the mode file and nothing else; existing
counter files are kept (see `{cmd} clean`).",
        namespaced: true,
    },
    Entry {
        name: "status",
        usage: "{cmd} status",
        about: "The mode a program of this namespace runs in and why, the mode file, the
directory, the weekday weeks end on, every counter file and set-aside file with
its size, the total disk use, and the environment variables in effect.",
        namespaced: true,
    },
    Entry {
        name: "show",
        usage: "{cmd} show [--json]",
        about: "Every counter of every counter file, grouped by file (sorted by file name,
then counter name), with the file's program, version, toolchain, os, arch and
week (begin..end, the end day not included). Stack-counter chains are shown
innermost frame first, frames joined by \" <- \". Files that cannot be read are
listed with what was found instead. A program's own `show` marks the counters of
its own files (same version) that this build no longer declares, with
\"(not declared by this build)\": a rebuilt binary shares the week's file.
--json prints an array with one object per file: path, set_aside, and either
program, version, toolchain, os, arch, begin, end (YYYY-MM-DD, end excluded),
counters [{name, value}], or error (a message).",
        namespaced: true,
    },
    Entry {
        name: "csv",
        usage: "{cmd} csv",
        about: "Every counter of every readable counter file as CSV, one row per counter:
file,program,version,toolchain,os,arch,week_begin,week_end,counter,value
Fields are quoted as RFC 4180 says (a stack chain's frames are separated by a
newline inside its quoted name); rows end with \\n. Files that cannot be read
and set-aside files are skipped with a note on stderr.",
        namespaced: true,
    },
    Entry {
        name: "reports",
        usage: "{cmd} reports [--json]",
        about: "The weekly reports: once a week has ended, the next program to run turns its
counter files into one report, <week>.json in the local directory (the schema is
docs/REPORT.md). One line per report: the week (the day it ended), its program
builds, how many counters and stack chains it holds, its size and its file.
--json prints the reports themselves, as a JSON array.",
        namespaced: true,
    },
    #[cfg(feature = "upload")]
    Entry {
        name: "upload",
        usage: "{cmd} upload [--dry-run] [--collector URL --key ed25519:…]",
        about: "Uploads what is due now, as a program's daily upload process does: only in
mode on, only weeks that began after the day on was chosen and ended at most 21
days ago, only what the collector's signed config asks for. Every byte sent is
kept in upload/<week>.json, the collector's receipt beside it.
--dry-run sends and writes nothing: it shows, per week, each counter in or out
and why (not in the config, sampled out, expired, before the on date, program
build not allowed) and the exact report that would be sent.
The collector is the one a program named on its first upload; --collector and
--key name one (https://, or http:// to this machine).",
        namespaced: true,
    },
    Entry {
        name: "clean",
        usage: "{cmd} clean",
        about: "Deletes every counter file, weekly report, set-aside (.bad) file and leftover
temporary file (.tmp, older than a minute) in the namespace's local directory,
and prints what it deleted. Keeps the mode file and the weekday file.",
        namespaced: true,
    },
];

/// The entry of `help` itself, listed last.
const HELP: Entry = Entry {
    name: "help",
    usage: "{cmd} help [COMMAND]",
    about: "This text, or the text of one command (also `{cmd} COMMAND --help`).",
    namespaced: true,
};

const USAGE: &str = "Usage: {cmd}{flags} COMMAND

Commands:
";

/// The flags of a host whose namespace is not fixed.
const NAMESPACE_FLAGS: &str = " [--dir DIR] [--namespace NAME]";

const NAMESPACE_FLAG_HELP: &str =
    "  --dir DIR         the telemetry root directory; without it, $TELEMETRY_DIR,
                    else the user's state directory + rust-telemetry
  --namespace NAME  the namespace of programs sharing one mode (default: default)
";

const FOOTER: &str = "
Flags (before or after the command, as `--flag VALUE` or `--flag=VALUE`):
{namespace_flags}  -h, --help        usage{version}

Environment (read by every instrumented program, never written):
  DO_NOT_TRACK=1    telemetry off in processes that see it
  TELEMETRY_MODE    off, local or on, for processes that see it
  TELEMETRY_DIR     the telemetry root directory
  TELEMETRY_POLICY  a policy file, read as well as the system's: it can only lower
  TELEMETRY_PROMPT  never: programs do not ask; now: a program that may ask asks now

Exit status: 0 success, 1 the command failed (a directory or file could not be
read or written), 2 usage error (unknown command or flag, missing value, extra
argument).{exit_note}
";

/// Usage of every command of `host`, or of its command `topic`.
pub(crate) fn text(host: &Host, topic: Option<&str>) -> String {
    let extra = host.extra.iter().map(|extra| Entry {
        name: extra.name,
        usage: extra.usage,
        about: extra.about,
        namespaced: extra.namespaced,
    });
    let mut entries = COMMANDS.iter().copied().chain(extra).chain([HELP]);
    let fixed = host.namespace.is_some();
    let flags = if fixed { "" } else { NAMESPACE_FLAGS };
    let footer = FOOTER
        .replace(
            "{namespace_flags}",
            if fixed { "" } else { NAMESPACE_FLAG_HELP },
        )
        .replace(
            "{version}",
            if host.version.is_some() {
                "; -V, --version: the version"
            } else {
                ""
            },
        )
        .replace("{exit_note}", host.exit_note);
    let text = match topic.and_then(|name| entries.find(|c| c.name == name)) {
        Some(entry) if entry.namespaced => {
            format!("Usage: {}{flags}\n\n{}\n{footer}", entry.usage, entry.about)
        }
        Some(entry) => {
            let extra_footer = host
                .extra_named(entry.name)
                .map_or("", |extra| extra.footer);
            format!("Usage: {}\n\n{}\n{extra_footer}", entry.usage, entry.about)
        }
        None => {
            let mut out = format!(
                "{}: {}\n\n{}",
                host.name,
                host.summary,
                USAGE.replace("{flags}", flags)
            );
            for entry in entries {
                out.push_str(&format!("  {}\n", entry.usage));
                for line in entry.about.lines() {
                    out.push_str(&format!("      {line}\n"));
                }
            }
            out.push_str(&footer);
            out
        }
    };
    text.replace("{cmd}", &host.name)
}

/// The line `--version` prints, with a newline.
pub(crate) fn version(host: &Host) -> String {
    format!("{}\n", host.version.as_deref().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::command_names;

    #[test]
    fn every_command_has_help() {
        let host = Host::new("telemetry");
        for name in command_names(&host) {
            let text = text(&host, Some(name));
            assert!(
                text.starts_with(&format!("Usage: telemetry {name}")),
                "{name} has no help: {text}"
            );
        }
    }

    #[test]
    fn the_help_of_on_says_what_is_uploaded() {
        let text = text(&Host::new("telemetry"), Some("on"));
        assert!(text.contains("report\nis uploaded once"), "{text}");
        assert!(text.contains("signed config"), "{text}");
        assert!(!text.contains("does not upload"), "{text}");
        assert!(!text.contains("nothing is sent"), "{text}");
    }

    #[test]
    fn help_documents_the_exit_statuses() {
        let text = text(&Host::new("telemetry"), None);
        assert!(text.contains("Exit status: 0 success, 1"));
        assert!(text.contains("2 usage error"));
    }

    #[test]
    fn help_names_the_command_as_the_host_types_it() {
        let text = text(&Host::new("mytool telemetry"), None);
        assert!(text.starts_with("mytool telemetry: choose"), "{text}");
        assert!(text.contains("\n  mytool telemetry status\n"), "{text}");
        assert!(!text.contains("{cmd}"), "{text}");
        assert!(!text.contains("--version"), "{text}");
    }
}
