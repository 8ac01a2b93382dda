//! The second phase: a week's upload report, its local report filtered by the config
//! (`telemetry_formats::upload`), with every decision kept for the dry run, as the
//! bytes to send: its JSON padded to a size class ([`padding`](crate::padding)).

use telemetry_formats::config::Config;
use telemetry_formats::report::Report;
use telemetry_formats::upload::{self, Decisions};

use crate::work::{Due, Work};

/// What a due week gives.
pub(crate) enum Made {
    /// The bytes to send: the upload report, padded.
    Send(Vec<u8>, Decisions),
    /// Nothing of it may go: why.
    LocalOnly(String, Decisions),
}

/// Reads the week's local report and filters it by `config`; `Err` when the local
/// report cannot be read (a note for the run's outcome).
pub(crate) fn make(
    work: &Work,
    due: &Due,
    config: &Config,
    last_week: &str,
) -> Result<Made, String> {
    let local = Report::read(&due.report).map_err(|e| format!("{}: {e}", due.report.display()))?;
    let (upload, decisions) = upload::filter(&local, config, work.since, work.today, last_week);
    Ok(match upload {
        Some(upload) => Made::Send(crate::padding::pad(upload.to_json()), decisions),
        None => {
            let why = decisions.week.as_ref().map_or(
                "nothing of it is in the config".to_string(),
                ToString::to_string,
            );
            Made::LocalOnly(why, decisions)
        }
    })
}
