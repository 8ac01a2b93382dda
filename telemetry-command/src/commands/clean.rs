//! `telemetry clean`: deletes what was counted.
//!
//! Deleted: counter files, weekly reports, set-aside (`.bad`) files, and temporary
//! files older than
//! [`TEMP_GRACE`] (younger ones may be a file a program is writing right now). Kept:
//! the mode file, the weekday file, and anything telemetry did not write.

use std::fs;
use std::io;
use std::time::{Duration, SystemTime};

use telemetry_formats::mode::MODE_FILE;

use crate::Report;
use crate::context::Context;
use crate::display;
use crate::error::Error;
use crate::listing::{self, Found, Kind};
use crate::table::{Align, Table};

/// How old a temporary file must be to count as left over.
pub(crate) const TEMP_GRACE: Duration = Duration::from_secs(60);

/// Deletes the namespace's data files and reports each one.
pub(crate) fn run(context: &Context) -> Result<Report, Error> {
    let Some(local) = context.local_dir() else {
        return Ok(Report::text(
            "No data: there is no telemetry directory (no home directory and \
             TELEMETRY_DIR is not set).\n"
                .into(),
        ));
    };
    let listing = listing::list(&local)?;
    let dir = local.display();
    if !listing.exists {
        return Ok(Report::text(format!(
            "No data: {dir} does not exist. Nothing deleted.\n"
        )));
    }
    let now = SystemTime::now();
    let mut report = Report::default();
    let mut deleted = Table::new(&[Align::Right, Align::Left]);
    let (mut count, mut bytes, mut young, mut others) = (0u64, 0u64, 0u64, 0u64);
    for file in &listing.files {
        match file.kind {
            Kind::Counter | Kind::SetAside | Kind::Report => {}
            Kind::Temporary if is_old(file, now) => {}
            Kind::Temporary => {
                young += 1;
                continue;
            }
            Kind::Weekday => continue,
            Kind::Other => {
                others += 1;
                continue;
            }
        }
        match fs::remove_file(&file.path) {
            Ok(()) => {
                count += 1;
                bytes += file.size;
                deleted.row(vec![file.size.to_string(), display::escaped(&file.name)]);
            }
            // Gone already (another clean, or a program that set it aside).
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                report.failed = true;
                report
                    .warnings
                    .push(format!("cannot delete {}: {e}", file.path.display()));
            }
        }
    }
    let out = &mut report.out;
    if count == 0 {
        out.push_str(&format!("Nothing to delete in {dir}.\n"));
    } else {
        out.push_str(&format!("Deleted from {dir}:\n"));
        out.push_str(&deleted.render(2));
        let files = if count == 1 { "file" } else { "files" };
        out.push_str(&format!(
            "Deleted {count} {files}, {}.\n",
            display::bytes(bytes)
        ));
    }
    let kept: Vec<&str> = [
        (
            context
                .namespace_dir
                .as_ref()
                .is_some_and(|d| d.join(MODE_FILE).is_file()),
            "the mode file",
        ),
        (
            listing.of(Kind::Weekday).next().is_some(),
            "the weekday file",
        ),
    ]
    .into_iter()
    .filter_map(|(exists, what)| exists.then_some(what))
    .collect();
    if !kept.is_empty() {
        out.push_str(&format!("Kept {}.\n", kept.join(" and ")));
    }
    if young > 0 {
        out.push_str(&format!(
            "Kept {young} temporary file(s) less than a minute old: a program may be writing them.\n"
        ));
    }
    if others > 0 {
        out.push_str(&format!(
            "Left {others} other file(s) alone: telemetry did not write them.\n"
        ));
    }
    if count > 0 {
        out.push_str(
            "A program running now keeps counting into its open file, now deleted, \
             until it exits or its week ends; those counts are lost.\n",
        );
    }
    Ok(report)
}

/// Whether a temporary file was last written more than [`TEMP_GRACE`] ago (or its
/// time is unknown).
fn is_old(file: &Found, now: SystemTime) -> bool {
    file.modified
        .and_then(|modified| now.duration_since(modified).ok())
        .is_none_or(|age| age >= TEMP_GRACE)
}
