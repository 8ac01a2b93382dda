//! `telemetry upload [--dry-run]`: uploads what is due now, as a program's upload child
//! would, or shows exactly what would be sent and why each counter is in or out.
//!
//! The collector is the one a program named (`upload/collector.json`, written by its
//! first upload run); `--collector URL --key ed25519:…` names one explicitly.

use std::path::Path;

use telemetry_upload::{Options, Preview, Target, Week};

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
        out.push_str("Nothing due now: every week with a report is uploaded or refused.\n");
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
            let document = bytes.trim_ascii_end();
            for line in String::from_utf8_lossy(document).lines() {
                out.push_str(&format!("    {line}\n"));
            }
            let padding = bytes.len().saturating_sub(document.len() + 1);
            out.push_str(&format!(
                "  then {padding} spaces, to its size class of {} bytes\n",
                bytes.len()
            ));
        }
    }
    for preview in &outcome.previews {
        show_preview(&mut out, preview);
    }
    let mut report = Report::text(out);
    report.failed = outcome.stopped.is_some()
        && !outcome
            .stopped
            .as_deref()
            .is_some_and(|s| s.starts_with("telemetry is "));
    Ok(report)
}

/// A week still in counter files, as it would be sent.
fn show_preview(out: &mut String, preview: &Preview) {
    let state = if preview.in_progress {
        "in progress, counted so far"
    } else {
        "ended, its report not made yet"
    };
    let when = match &preview.can_go {
        Ok(at) => format!(
            "can go from {}, on the first upload run after that",
            date_time(*at)
        ),
        Err(why) => format!("stays local: {why}"),
    };
    out.push_str(&format!("\nWeek {} ({state}): {when}\n", preview.week));
    if let Some((first, ends, at)) = &preview.first_week {
        out.push_str(&format!(
            "  The first week that can go runs from {first} to {ends} and can go from {}.\n",
            date_time(*at)
        ));
    }
    if let Some(rate) = preview.sample_rate {
        out.push_str(&format!(
            "  The whole week goes only if its x, drawn when its report is made, is at most \
             the config's sample_rate {rate}.\n"
        ));
    }
    if preview.can_go.is_err()
        && !(preview.decisions.builds.is_empty() && preview.decisions.names.is_empty())
    {
        out.push_str("  What the config takes of a week that goes:\n");
    }
    for (build, why) in &preview.decisions.builds {
        out.push_str(&format!("  out  {}: {why}\n", display::escaped(build)));
    }
    for (_, name, why) in &preview.decisions.names {
        let rate = preview
            .if_sampled
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, rate)| *rate);
        let name = display::escaped(&name.replace('\n', " <- "));
        match (why, rate) {
            (None, None) => out.push_str(&format!("  in   {name}\n")),
            (None, Some(rate)) => out.push_str(&format!(
                "  in   {name}, only if the week's x is at most its rate {rate}\n"
            )),
            (Some(why), _) => out.push_str(&format!("  out  {name}: {why}\n")),
        }
    }
    if let (Some(report), Some(len)) = (&preview.report, preview.body_len) {
        out.push_str(&format!(
            "  The report as it would be sent with the counts so far ({len} bytes with its \
             padding):\n"
        ));
        for line in report.lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC`.
fn date_time(secs: u64) -> String {
    format!(
        "{} {:02}:{:02} UTC",
        telemetry_formats::date::format(secs / 86_400),
        secs % 86_400 / 3600,
        secs % 3600 / 60
    )
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
