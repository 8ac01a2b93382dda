//! `telemetry on | off | local`: records the user's choice in the mode file.
//!
//! Only the mode file is written (its directory is created when missing): never
//! `local/`, whatever the mode, so `off` leaves nothing else behind. Choosing the
//! mode already recorded keeps the file, and with it the date it was first chosen.

use std::path::Path;

use telemetry_formats::mode::{self, MODE_FILE, ModeFile};
use telemetry_formats::{Mode, ModeSource, date, dirs};

use crate::Report;
use crate::context::Context;
use crate::error::Error;

/// Sets the mode of the namespace to `mode`.
pub(crate) fn run(context: &Context, mode: Mode) -> Result<Report, Error> {
    let dir = context.require_dir()?;
    let namespace = &context.namespace;
    let mut out = String::new();
    match mode::read_mode_file(dir) {
        Ok(Some(ModeFile {
            mode: recorded,
            since: Some(since),
        })) if recorded == mode => {
            out.push_str(&format!(
                "Telemetry is already {mode} for namespace {namespace:?}, chosen {}; \
                 the mode file is unchanged.\n",
                date::format(since)
            ));
        }
        previous => {
            mode::write_mode_file(dir, mode, context.today)
                .map_err(|e| Error::io("cannot write the mode file in", dir, &e))?;
            out.push_str(&format!(
                "Telemetry is now {mode} for namespace {namespace:?}, chosen {} ({}).\n",
                date::format(context.today),
                before(&previous)
            ));
        }
    }
    out.push_str(&meaning(mode, &dir.join(dirs::LOCAL), &context.name));
    out.push_str(&format!(
        "Mode file: {}\n\
         Programs already running keep the mode they started with.\n",
        dir.join(MODE_FILE).display()
    ));
    for note in context.override_notes() {
        out.push_str(&format!("Note: {note}\n"));
    }
    let decision = mode::decide_at(&context.env, Some(dir), context.defaults);
    if let ModeSource::Policy(cap) = &decision.source {
        out.push_str(&format!(
            "Note: {cap}: programs of namespace {namespace:?} stay {}, whatever the mode \
             file says.\n",
            decision.mode
        ));
    }
    Ok(Report::text(out))
}

/// What the mode was before, for the line announcing the new one.
fn before(previous: &Result<Option<ModeFile>, String>) -> String {
    match previous {
        Ok(None) => "there was no mode file: programs used their default".to_string(),
        Ok(Some(ModeFile {
            mode,
            since: Some(since),
        })) => format!("it was {mode}, chosen {}", date::format(*since)),
        Ok(Some(ModeFile { mode, since: None })) => {
            format!("it was {mode}, with no date recorded")
        }
        Err(why) => format!("replacing a mode file that could not be used: {why}"),
    }
}

/// What `mode` means for the programs of a namespace whose counter files are in
/// `local`, in a few lines; other commands are named as typed under `name`.
pub(crate) fn meaning(mode: Mode, local: &Path, name: &str) -> String {
    let upload = local.with_file_name("upload");
    let upload = upload.display();
    let local = local.display();
    match mode {
        Mode::Off => format!(
            "Programs count in memory only: they create no file or directory, start no \
             process and send nothing.\n\
             Counter files already in {local} are kept; `{name} clean` deletes them.\n"
        ),
        Mode::Local => format!(
            "Programs count in weekly files in {local}, on this machine only; nothing is \
             uploaded.\n\
             `{name} show` prints everything they counted.\n"
        ),
        Mode::On => format!(
            "Programs count in weekly files in {local}, as in local mode.\n\
             A program that names a collector uploads each finished week's report to it, \
             at most once a day: only weeks that began after today, and only what the \
             collector's signed config asks for. Nothing counted before the day on was \
             chosen is ever uploaded.\n\
             Every byte sent is kept in {upload}; `{name} upload --dry-run` shows what \
             would be sent and why.\n"
        ),
    }
}
