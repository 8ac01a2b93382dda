//! Usage text: of every command, or of one.

/// One command's usage line and description.
struct Entry {
    name: &'static str,
    usage: &'static str,
    about: &'static str,
    /// True when the command works in a namespace directory, so `--dir` and
    /// `--namespace` apply to it.
    namespaced: bool,
}

const COMMANDS: [Entry; 13] = [
    Entry {
        name: "on",
        usage: "telemetry on",
        about: "Counts go to weekly files on this machine, and weekly reports may be
uploaded once uploading exists. This version does not upload: nothing is sent.
The date of the choice is recorded; choosing the same mode again keeps it.",
        namespaced: true,
    },
    Entry {
        name: "local",
        usage: "telemetry local",
        about: "Counts go to weekly files on this machine only; nothing is ever uploaded.
This is the default of a fresh install unless a program's author chose off.",
        namespaced: true,
    },
    Entry {
        name: "off",
        usage: "telemetry off",
        about: "Nothing is counted to files: programs count in memory only and create no
file or directory. This command writes the mode file and nothing else; existing
counter files are kept (see `telemetry clean`).",
        namespaced: true,
    },
    Entry {
        name: "status",
        usage: "telemetry status",
        about: "The mode a program of this namespace runs in and why, the mode file, the
directory, the weekday weeks end on, every counter file and set-aside file with
its size, the total disk use, and the environment variables in effect.",
        namespaced: true,
    },
    Entry {
        name: "show",
        usage: "telemetry show [--json]",
        about: "Every counter of every counter file, grouped by file (sorted by file name,
then counter name), with the file's program, version, toolchain, os, arch and
week (begin..end, the end day not included). Stack-counter chains are shown
innermost frame first, frames joined by \" <- \". Files that cannot be read are
listed with what was found instead.
--json prints an array with one object per file: path, set_aside, and either
program, version, toolchain, os, arch, begin, end (YYYY-MM-DD, end excluded),
counters [{name, value}], or error (a message).",
        namespaced: true,
    },
    Entry {
        name: "csv",
        usage: "telemetry csv",
        about: "Every counter of every readable counter file as CSV, one row per counter:
file,program,version,toolchain,os,arch,week_begin,week_end,counter,value
Fields are quoted as RFC 4180 says (a stack chain's frames are separated by a
newline inside its quoted name); rows end with \\n. Files that cannot be read
and set-aside files are skipped with a note on stderr.",
        namespaced: true,
    },
    Entry {
        name: "reports",
        usage: "telemetry reports [--json]",
        about: "The weekly reports: once a week has ended, the next program to run turns its
counter files into one report, <week>.json in the local directory (the schema is
docs/REPORT.md). One line per report: the week (the day it ended), its program
builds, how many counters and stack chains it holds, its size and its file.
--json prints the reports themselves, as a JSON array.",
        namespaced: true,
    },
    Entry {
        name: "view",
        usage: "telemetry view [--addr 127.0.0.1:PORT]",
        about: "Serves pages of what was counted here, to this machine only: at / the charts
of every weekly report and of this week so far (read from the counter files),
drawn by the code of a collector's public charts; at /sent every uploaded copy
with the collector's receipt (what it kept and dropped). Prints the address and
runs until stopped (Ctrl-C). Without --addr it listens on a free port of
127.0.0.1; an address that is not loopback is refused. It only reads: nothing is
written, in any mode.",
        namespaced: true,
    },
    Entry {
        name: "upload",
        usage: "telemetry upload [--dry-run] [--collector URL --key ed25519:…]",
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
        usage: "telemetry clean",
        about: "Deletes every counter file, weekly report, set-aside (.bad) file and leftover
temporary file (.tmp, older than a minute) in the namespace's local directory,
and prints what it deleted. Keeps the mode file and the weekday file.",
        namespaced: true,
    },
    Entry {
        name: "manifest",
        usage: "telemetry manifest BINARY [--format json|md] [--check FILE]",
        about: "Every counter the built program BINARY can report, read from its file without
running it: JSON (sorted, the same for the same program), or with --format md a
Markdown table for reviewers. Stripped and non-executable files work, and ELF,
Mach-O and PE files (and COFF objects) are all read, whatever this system is.
--check FILE compares with the JSON manifest FILE committed earlier: prints that
it is up to date, or the counters added, removed and changed (with the fields)
and the command that regenerates FILE.
Exit status: 0 printed, or up to date; 1 FILE is stale; 2 usage error; 3 BINARY
or FILE cannot be read, BINARY is not an executable or is truncated or damaged,
or FILE is not a manifest; 4 BINARY has no counter registry; 5 its registry is
in a newer record format; 6 it declares one name in conflicting ways (every
declaring site is listed).",
        namespaced: false,
    },
    Entry {
        name: "config",
        usage: "telemetry config init|check|keygen|sign|verify …",
        about: "The upload config a collector publishes (docs/CONFIG.md), made from manifests:
  config init --manifest FILE… [--out CONFIG]   a first config: every counter of
      each manifest at rate 1, to edit down
  config check CONFIG --manifest FILE…          every entry no manifest declares
      or allows, such as one collected past its declared expiry (exit 1 when
      there is one)
  config keygen --out KEYFILE                   a new Ed25519 key pair: the private
      key to KEYFILE (mode 0600), the public key printed
  config sign CONFIG --key KEYFILE [--out SIGNED]  the signed config
  config verify SIGNED --key ed25519:…          checks signature and config
Nothing is fetched or written but the --out file, which must not exist.",
        namespaced: false,
    },
    Entry {
        name: "help",
        usage: "telemetry help [COMMAND]",
        about: "This text, or the text of one command (also `telemetry COMMAND --help`).",
        namespaced: true,
    },
];

const HEADER: &str = "\
telemetry: choose what the programs of a namespace may count, and look at or
delete what they counted.

Usage: telemetry [--dir DIR] [--namespace NAME] COMMAND

Commands:
";

const FOOTER: &str = "
Flags (before or after the command, as `--flag VALUE` or `--flag=VALUE`):
  --dir DIR         the telemetry root directory; without it, $TELEMETRY_DIR,
                    else the user's state directory + rust-telemetry
  --namespace NAME  the namespace of programs sharing one mode (default: default)
  -h, --help        usage; -V, --version: the version

Environment (read by every instrumented program, never written):
  DO_NOT_TRACK=1    telemetry off in processes that see it
  TELEMETRY_MODE    off, local or on, for processes that see it
  TELEMETRY_DIR     the telemetry root directory

Exit status: 0 success, 1 the command failed (a directory or file could not be
read or written), 2 usage error (unknown command or flag, missing value, extra
argument). `manifest` has statuses of its own: see `telemetry help manifest`.
";

const MANIFEST_FOOTER: &str = "
The manifest format, and how a reviewer uses it: docs/MANIFEST.md.
";

/// Usage of every command, or of the command `topic`.
pub(crate) fn text(topic: Option<&str>) -> String {
    match topic.and_then(|name| COMMANDS.iter().find(|c| c.name == name)) {
        Some(entry) if entry.namespaced => format!(
            "Usage: {} [--dir DIR] [--namespace NAME]\n\n{}\n{FOOTER}",
            entry.usage, entry.about
        ),
        Some(entry) => format!(
            "Usage: {}\n\n{}\n{MANIFEST_FOOTER}",
            entry.usage, entry.about
        ),
        None => {
            let mut out = String::from(HEADER);
            for entry in &COMMANDS {
                out.push_str(&format!("  {}\n", entry.usage));
                for line in entry.about.lines() {
                    out.push_str(&format!("      {line}\n"));
                }
            }
            out.push_str(FOOTER);
            out
        }
    }
}

/// `telemetry <version>`.
pub(crate) fn version() -> String {
    format!("telemetry {}\n", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::args::COMMAND_NAMES;

    #[test]
    fn every_command_has_help() {
        for name in COMMAND_NAMES {
            assert!(
                COMMANDS.iter().any(|c| c.name == name),
                "{name} has no help"
            );
        }
    }

    #[test]
    fn help_documents_the_exit_statuses() {
        let text = text(None);
        assert!(text.contains("Exit status: 0 success, 1"));
        assert!(text.contains("2 usage error"));
    }
}
