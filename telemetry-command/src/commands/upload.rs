//! `telemetry upload [--dry-run]`: uploads what is due now, as a program's upload child
//! would, or shows exactly what would be sent and why each counter is in or out.
//!
//! The collector is the one a program named (`upload/collector.json`, written by its
//! first upload run); `--collector URL --key ed25519:…` names one explicitly.

use std::path::Path;

use telemetry_upload::{Options, Target, Week};

use crate::Report;
use crate::context::Context;
use crate::display;
use crate::error::Error;

/// Runs an upload, or a dry run, for the namespace.
pub(crate) fn run(
    context: &Context,
    dry_run: bool,
    collector: Option<(&str, &str)>,
) -> Result<Report, Error> {
    let dir = context.require_dir()?;
    let own = context
        .collector
        .as_ref()
        .map(|(url, key)| (url.as_str(), key.as_str()));
    let target = target(dir, collector.or(own))?;
    let options = Options {
        dry_run,
        ..Options::now()
    };
    let outcome = telemetry_upload::run(dir, &target, &context.env, &options);
    let mut out = String::new();
    out.push_str(&format!("Collector: {}\n", display::escaped(&target.url)));
    match outcome.config_version {
        Some(v) => out.push_str(&format!(
            "Config: version {v}, verified with {}\n",
            target.key
        )),
        None => out.push_str("Config: none usable\n"),
    }
    for note in &outcome.notes {
        out.push_str(&format!("Note: {}\n", display::escaped(note)));
    }
    if let Some(why) = &outcome.stopped {
        out.push_str(&format!("Nothing uploaded: {}\n", display::escaped(why)));
    }
    if outcome.stopped.is_none() && outcome.weeks.is_empty() {
        out.push_str("Nothing due: every week with a report is uploaded or refused.\n");
    }
    for (week, state, decisions) in &outcome.weeks {
        let what = match state {
            Week::Uploaded(_) => "uploaded".to_string(),
            Week::Rejected(status, reason) => {
                format!("refused ({status}): {}", display::escaped(reason))
            }
            Week::Retry(error, next) => format!(
                "failed ({}); tried again from {}",
                display::escaped(error),
                telemetry_formats::date::format(next / 86_400)
            ),
            Week::Waiting(next) => format!(
                "waiting to retry until {}",
                telemetry_formats::date::format(next / 86_400)
            ),
            Week::LocalOnly(why) => format!("stays local: {why}"),
            Week::WouldSend(bytes) => format!("would send {} bytes", bytes.len()),
        };
        out.push_str(&format!("\nWeek {week}: {what}\n"));
        for (build, why) in &decisions.builds {
            out.push_str(&format!("  out  {}: {why}\n", display::escaped(build)));
        }
        for (_, name, why) in &decisions.names {
            let name = display::escaped(&name.replace('\n', " <- "));
            match why {
                None => out.push_str(&format!("  in   {name}\n")),
                Some(why) => out.push_str(&format!("  out  {name}: {why}\n")),
            }
        }
        if let Week::WouldSend(bytes) = state {
            out.push_str("  The report that would be sent:\n");
            for line in String::from_utf8_lossy(bytes).lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    let mut report = Report::text(out);
    report.failed = outcome.stopped.is_some()
        && !outcome
            .stopped
            .as_deref()
            .is_some_and(|s| s.starts_with("telemetry is "));
    Ok(report)
}

fn target(dir: &Path, collector: Option<(&str, &str)>) -> Result<Target, Error> {
    if let Some((url, key)) = collector {
        return Target::new(url, key).map_err(Error::usage);
    }
    match telemetry_upload::state(dir).collector {
        Some((url, key)) => Target::new(&url, &key).map_err(Error::Failed),
        None => Err(Error::Failed(
            "no collector known yet: a program that uploads names it on its first run; \
             or give --collector URL --key ed25519:…"
                .into(),
        )),
    }
}
