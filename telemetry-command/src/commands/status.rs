//! `telemetry status`: the mode and why, and what is on disk.
//!
//! ```text
//! Namespace:     default
//! Directory:     /home/ann/.local/state/rust-telemetry/default
//! Mode:          local
//! Decided by:    mode file, chosen 2026-11-22
//!                Programs count in weekly files in …
//! Set in:        /home/ann/…/default/mode: the user's choice; `telemetry on`, …
//! Mode file:     local, chosen 2026-11-22 (/home/ann/…/default/mode)
//! Week:          Thursday to Thursday: a new counter file starts every Thursday …
//! Counter files: 1, 16384 bytes
//!                bytes  program   week                    file
//!                16384  kv 0.1.0  2026-11-19..2026-11-26  kv@0.1.0-….v1.count
//! Set aside:     none
//! Reports:       none
//! Upload:        nothing is uploaded in mode local
//! Disk use:      16386 bytes in 2 files
//! Disk cap:      reports 366 days after their week; counter files left unreported …
//! Filesystem:    local
//! Overrides:     none (DO_NOT_TRACK, TELEMETRY_MODE and TELEMETRY_DIR are not set)
//! ```

use std::path::Path;

use telemetry_formats::mode::Decision;
use telemetry_formats::mode::{self, MODE_FILE, ModeFile};
use telemetry_formats::policy::{Directive, POLICY_VAR, PolicyFile};
use telemetry_formats::prompt::{PROMPT_FILE, State};
use telemetry_formats::safe_fs::{self, Filesystem};
use telemetry_formats::{Mode, ModeSource, cleanup, date, report};

use super::mode::meaning;
use crate::Report;
use crate::context::Context;
use crate::display;
use crate::error::Error;
use crate::listing::{self, Found, Kind, Listing};
use crate::table::{Align, Table};

/// Width of the labels.
const LABEL: usize = 15;

/// Reports the status of the namespace.
pub(crate) fn run(context: &Context) -> Result<Report, Error> {
    let mut out = Lines::default();
    out.field("Namespace", &context.namespace);
    let dir = context.namespace_dir.as_deref();
    let decision = mode::decide_at(&context.env, dir, context.defaults);
    let (mode, source) = (decision.mode, decision.source.clone());
    match dir {
        Some(dir) => {
            let exists = if dir.is_dir() {
                ""
            } else {
                " (does not exist: no data)"
            };
            out.field("Directory", &format!("{}{exists}", dir.display()));
        }
        None => out.field(
            "Directory",
            "none: no home directory and TELEMETRY_DIR is not set",
        ),
    }
    out.field("Mode", mode.as_str());
    out.field("Decided by", &source.to_string());
    let local = context.local_dir();
    if let Some(local) = &local {
        out.more(&meaning(mode, local, &context.name));
    }
    if source == ModeSource::Default && !context.fixed {
        out.more("(A program whose author or distributor chose off as its default is off.)");
    }
    out.field("Set in", &set_in(context, &source, dir));
    out.field("Policy", &policy(context, &decision));
    if let (Some(dir), Some(local)) = (dir, &local) {
        out.field("Mode file", &mode_file(dir));
        out.field("Prompt", &prompt(dir));
        out.field("Week", &week(local));
        let listing = listing::list(local)?;
        files(&mut out, "Counter files", &listing, Kind::Counter);
        files(&mut out, "Set aside", &listing, Kind::SetAside);
        let reports: Vec<&Found> = listing.of(Kind::Report).collect();
        let report_bytes: u64 = reports.iter().map(|f| f.size).sum();
        out.field(
            "Reports",
            &match reports.len() {
                0 => "none".to_string(),
                n => format!(
                    "{n}, {} ({} reports)",
                    display::bytes(report_bytes),
                    context.name
                ),
            },
        );
        let others: Vec<&str> = listing
            .files
            .iter()
            .filter(|f| matches!(f.kind, Kind::Temporary | Kind::Other))
            .map(|f| f.name.as_str())
            .collect();
        if !others.is_empty() {
            out.field("Other files", &display::escaped(&others.join(", ")));
        }
        #[cfg(feature = "upload")]
        out.field("Upload", &upload(dir, mode));
        #[cfg(not(feature = "upload"))]
        out.field(
            "Upload",
            "not known to this command, built without the upload feature",
        );
        out.field("Disk use", &disk_use(dir));
        out.field("Disk cap", &disk_cap());
        out.field("Filesystem", &filesystem(local));
    }
    out.field("Overrides", &overrides(context));
    Ok(Report::text(out.text))
}

/// Where the setting that decided the mode is, and who changes it.
fn set_in(context: &Context, source: &ModeSource, dir: Option<&Path>) -> String {
    let name = &context.name;
    let mode_file = || match dir {
        Some(dir) => dir.join(MODE_FILE).display().to_string(),
        None => MODE_FILE.to_string(),
    };
    match source {
        ModeSource::DoNotTrack => "the environment of this command (DO_NOT_TRACK): processes \
                                   started without it follow the mode file"
            .to_string(),
        ModeSource::Environment(_) => "the environment of this command (TELEMETRY_MODE), for \
                                       the processes that see it; it writes nothing"
            .to_string(),
        ModeSource::NoDirectory => "nowhere: there is no telemetry directory".to_string(),
        ModeSource::File { .. } | ModeSource::BadFile(_) => format!(
            "{}: the user's choice; `{name} on`, `off` or `local` changes it",
            display::escaped(&mode_file())
        ),
        ModeSource::Untrusted(_) => match dir {
            Some(dir) => format!(
                "the owner and permissions of {}",
                display::escaped(&dir.display().to_string())
            ),
            None => "the owner and permissions of the telemetry directory".to_string(),
        },
        ModeSource::Distributor => {
            let mode = context
                .defaults
                .distributor
                .map_or_else(|| "?".to_string(), |mode| Mode::from(mode).to_string());
            format!(
                "the program, when it was built: its distributor set \
                 TELEMETRY_DEFAULT_MODE={mode}; `{name} on`, `off` or `local` overrides it"
            )
        }
        ModeSource::Default if context.fixed => format!(
            "the program's source: its author's default for a fresh install; `{name} on`, \
             `off` or `local` overrides it"
        ),
        ModeSource::Default => format!(
            "each program's own default for a fresh install (local unless its author or \
             distributor chose off); `{name} on`, `off` or `local` overrides it"
        ),
        ModeSource::Policy(cap) => {
            let line = cap.line.map(|l| format!(", line {l}")).unwrap_or_default();
            format!(
                "{}{line}: the administrator's; no user's choice or variable can pass it",
                display::escaped(&cap.path.display().to_string())
            )
        }
        other => format!("{other}"),
    }
}

/// What the mode file says, and its date.
fn mode_file(dir: &Path) -> String {
    let path = dir.join(MODE_FILE);
    match mode::read_mode_file(dir) {
        Ok(None) => format!("none ({} does not exist)", path.display()),
        Ok(Some(ModeFile {
            mode,
            since: Some(since),
        })) => format!(
            "{mode}, chosen {} ({})",
            date::format(since),
            path.display()
        ),
        Ok(Some(ModeFile { mode, since: None })) => {
            format!("{mode}, no date recorded ({})", path.display())
        }
        Err(why) => format!(
            "unusable, so off: {} ({})",
            display::escaped(&why),
            path.display()
        ),
    }
}

/// The system policy files and what they say of this namespace.
fn policy(context: &Context, decision: &Decision) -> String {
    let files = &decision.policy.files;
    if files.is_empty() {
        let paths: Vec<String> = telemetry_formats::policy::system_paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let mut line = format!("none ({} does not exist", paths.join(", "));
        if let Some(path) = &context.env.policy {
            line.push_str(&format!(", nor {} named by {POLICY_VAR}", path.display()));
        }
        line.push(')');
        return line;
    }
    files
        .iter()
        .map(|file| policy_file(file, &context.namespace))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One policy file: what it says of `namespace`.
fn policy_file(file: &PolicyFile, namespace: &str) -> String {
    let from = if file.from_env {
        format!(" (named by {POLICY_VAR})")
    } else {
        String::new()
    };
    let path = display::escaped(&file.path.display().to_string());
    let rules = match &file.rules {
        Err(why) => return format!("{path}{from}: unusable, so off: {}", display::escaped(why)),
        Ok(rules) => rules,
    };
    let said: Vec<String> = rules
        .iter()
        .filter(|rule| rule.applies_to(namespace))
        .map(|rule| match rule.directive {
            Directive::AtMost(mode) => format!("at most {mode} (line {})", rule.line),
            Directive::PromptNever => format!("no prompt (line {})", rule.line),
        })
        .collect();
    if said.is_empty() {
        format!("{path}{from}: nothing for namespace {namespace:?}")
    } else {
        format!("{path}{from}: {}", said.join(", "))
    }
}

/// What the prompt's state file says.
fn prompt(dir: &Path) -> String {
    let path = dir.join(PROMPT_FILE);
    match State::read(dir) {
        Ok(None) => "no program of this namespace has asked, or may ask, yet".to_string(),
        Ok(Some(state)) => {
            let mut line = format!(
                "first seen {}, asked {} time{}",
                date::format(state.first_seen),
                state.asked,
                if state.asked == 1 { "" } else { "s" }
            );
            if let Some(day) = state.last_asked {
                line.push_str(&format!(", last {}", date::format(day)));
            }
            if let Some(day) = state.next {
                line.push_str(&format!("; not again before {}", date::format(day)));
            }
            line.push_str(&format!(" ({})", path.display()));
            line
        }
        Err(why) => format!(
            "unusable, so no program asks: {} ({})",
            display::escaped(&why),
            path.display()
        ),
    }
}

/// The weekday every week ends on.
fn week(local: &Path) -> String {
    match listing::weekday(local) {
        Ok(Some(day)) => {
            let day = listing::weekday_name(day);
            format!("{day} to {day}: a new counter file starts every {day} at 00:00 UTC")
        }
        Ok(None) => "not chosen yet (the first program to count picks a random weekday)".into(),
        Err(why) => format!("the weekday file {}", display::escaped(&why)),
    }
}

/// The files of one kind, with their size, program, week, and any problem.
fn files(out: &mut Lines, label: &str, listing: &Listing, kind: Kind) {
    let found: Vec<&Found> = listing.of(kind).collect();
    if found.is_empty() {
        out.field(label, "none");
        return;
    }
    let total: u64 = found.iter().map(|f| f.size).sum();
    out.field(
        label,
        &format!("{}, {}", found.len(), display::bytes(total)),
    );
    let mut rows = Vec::new();
    for file in found {
        let size = file.size.to_string();
        let name = display::escaped(&file.name);
        rows.push(match file.read() {
            Ok(contents) => {
                let header = &contents.header;
                let program = format!(
                    "{} {}",
                    display::escaped(header.get("program")),
                    display::escaped(header.get("version"))
                );
                vec![size, program, display::week(header), name]
            }
            Err(why) => vec![size, "?".into(), "?".into(), name, display::escaped(&why)],
        });
    }
    let mut table = Table::new(&[
        Align::Right,
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Left,
    ]);
    let mut titles = vec!["bytes", "program", "week", "file"];
    if rows.iter().any(|row| row.len() > 4) {
        titles.push("problem");
    }
    table.row(titles.into_iter().map(String::from).collect());
    for row in rows {
        table.row(row);
    }
    out.table(&table);
}

/// Files and bytes under the namespace directory.
fn disk_use(dir: &Path) -> String {
    match listing::disk_use(dir) {
        Ok((files, bytes)) => format!(
            "{} in {}",
            display::bytes(bytes),
            display::count(files, "file", "files")
        ),
        Err(e) => format!("unknown: {e}"),
    }
}

/// The upload state: collector, config, last upload, pending weeks, last error.
#[cfg(feature = "upload")]
fn upload(dir: &Path, mode: telemetry_formats::Mode) -> String {
    let state = telemetry_upload::state(dir);
    let Some((url, key)) = &state.collector else {
        return match mode {
            telemetry_formats::Mode::On => {
                "no upload has run yet: a program that names a collector uploads a week \
                 after it has ended (at most once a day); nothing uploaded"
                    .to_string()
            }
            _ => format!("nothing is uploaded in mode {mode}"),
        };
    };
    let mut lines = vec![format!(
        "collector {} (configs signed by {})",
        display::escaped(url),
        display::escaped(key)
    )];
    lines.push(match state.config_version {
        Some(v) => format!("config version {v}"),
        None => "no config downloaded yet".to_string(),
    });
    lines.push(match &state.last_upload {
        Some(week) => format!("last upload: the week ending {week}"),
        None => "last upload: none".to_string(),
    });
    if !state.pending.is_empty() {
        lines.push(format!(
            "reports not uploaded: {}",
            state.pending.join(", ")
        ));
    }
    if !state.rejected.is_empty() {
        lines.push(format!(
            "refused by the collector: {}",
            state.rejected.join(", ")
        ));
    }
    if let Some(error) = state.last_run.as_ref().and_then(|r| r.error.as_ref()) {
        lines.push(format!("last error: {}", display::escaped(error)));
    }
    if mode != telemetry_formats::Mode::On {
        lines.push(format!("(mode {mode}: nothing more is uploaded)"));
    }
    lines.join("\n")
}

/// What programs delete by themselves, once a week.
fn disk_cap() -> String {
    format!(
        "reports {} days after their week; counter files left unreported {} weeks after \
         their week ended; set-aside files after {} days, and all but the newest {}; \
         temporary files after {} minutes",
        report::KEEP_REPORT_DAYS,
        cleanup::KEEP_WEEKS,
        cleanup::KEEP_SET_ASIDE_DAYS,
        cleanup::KEEP_SET_ASIDE,
        cleanup::TEMP_MAX_AGE_SECS / 60
    )
}

/// Whether counter files can be used where the directory is.
fn filesystem(local: &Path) -> String {
    match safe_fs::filesystem(local) {
        Filesystem::Local => "local".to_string(),
        Filesystem::Remote(kind) => format!(
            "{kind}: a network or user-space filesystem, which several machines may share; \
             programs count in memory here and write no counter file"
        ),
        Filesystem::Unknown => "unknown".to_string(),
    }
}

/// The environment variables in effect, one line each.
fn overrides(context: &Context) -> String {
    let mut lines = context.override_notes();
    if let Some(dir) = &context.env.dir {
        match &context.flag_root {
            None => lines.push(format!(
                "TELEMETRY_DIR={} is set: the telemetry directory of every process that \
                 sees it, this one included.",
                dir.display()
            )),
            Some(flag) if flag == dir => lines.push(format!(
                "TELEMETRY_DIR={} is set, to the directory given with --dir.",
                dir.display()
            )),
            // `override_notes` says that programs use another directory.
            Some(_) => {}
        }
    }
    if lines.is_empty() {
        return "none (DO_NOT_TRACK, TELEMETRY_MODE and TELEMETRY_DIR are not set)".into();
    }
    lines.join("\n")
}

/// Labelled lines: `Label:` padded, continuation lines indented to match.
#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    fn field(&mut self, label: &str, value: &str) {
        let label = format!("{label}:");
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        self.text
            .push_str(format!("{label:<LABEL$}{first}").trim_end());
        self.text.push('\n');
        for line in lines {
            self.more(line);
        }
    }

    fn more(&mut self, value: &str) {
        for line in value.lines() {
            self.text.push_str(&" ".repeat(LABEL));
            self.text.push_str(line);
            self.text.push('\n');
        }
    }

    fn table(&mut self, table: &Table) {
        self.text.push_str(&table.render(LABEL));
    }
}
