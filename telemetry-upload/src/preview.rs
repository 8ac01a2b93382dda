//! What the dry run shows beside the weeks with a report: the weeks still in counter
//! files (the week in progress, and one that ended but whose report is not made yet),
//! each as it would be sent once its report is made, with every counter in or out and
//! why, and the day it can first go.
//!
//! A report's `x` is drawn when the report is made, so it is not known yet: a counter
//! or chain whose config rate is below 1 goes only if that `x` is at most its rate, and
//! a config `sample_rate` below 1 keeps the whole week local when `x` is above it. Both
//! are shown as such, not guessed.

use std::collections::BTreeMap;
use std::fs;

use telemetry_formats::config::{self, Config};
use telemetry_formats::date::{self, DAY};
use telemetry_formats::file::{self, Contents};
use telemetry_formats::report::{self, Report};
use telemetry_formats::upload::{self, Decisions, Out};

use crate::padding;
use crate::work::Work;

/// A week not made into a report yet, as it would be sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// The day the week ends (the report's `week`).
    pub week: String,
    /// Whether it is still running at the time of the dry run.
    pub in_progress: bool,
    /// When it can first go (Unix seconds), or why it stays local.
    pub can_go: Result<u64, String>,
    /// When the week stays local because it began before the day `on` was chosen:
    /// the first week that can go, as (first day, day it ends, time it can go).
    pub first_week: Option<(String, String, u64)>,
    /// Every decision, with `x` taken as low as it can be: what may go. When the week
    /// stays local as a whole (`decisions.week`), the decisions on each build and
    /// name are those the config would make in a week that goes.
    pub decisions: Decisions,
    /// The counters and chains that go only if the week's `x` is at most their rate,
    /// with that rate.
    pub if_sampled: Vec<(String, f64)>,
    /// The config's `sample_rate` when it is below 1: the whole week goes only if its
    /// `x` is at most this.
    pub sample_rate: Option<f64>,
    /// The upload report as it would be sent with the counts so far, its `x` line
    /// showing that it is drawn later; `None` when nothing of it would go.
    pub report: Option<String>,
    /// The length the body would have now (its size class).
    pub body_len: Option<usize>,
}

/// The upload runs make a week's report an hour after it ends.
const GRACE_SECS: u64 = 3600;

/// The weeks of the counter files in `work.local` that have no report yet, oldest
/// first, as they would be sent under `config`.
pub(crate) fn weeks(work: &Work, config: &Config, now: u64, last_week: &str) -> Vec<Preview> {
    let reported: Vec<String> = report::list(&work.local)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let mut weeks: BTreeMap<u64, Vec<Contents>> = BTreeMap::new();
    let Ok(read) = fs::read_dir(&work.local) else {
        return Vec::new();
    };
    for entry in read.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(file::SUFFIX) {
            continue;
        }
        let Ok(contents) = file::read(&entry.path()) else {
            continue;
        };
        weeks
            .entry(date::day_of(contents.header.end))
            .or_default()
            .push(contents);
    }
    weeks
        .into_iter()
        .filter(|(end, _)| !reported.contains(&date::format(*end)))
        .map(|(end, files)| preview(work, config, now, last_week, end, &files))
        .collect()
}

fn preview(
    work: &Work,
    config: &Config,
    now: u64,
    last_week: &str,
    end: u64,
    files: &[Contents],
) -> Preview {
    // With the lowest x there is, everything that may go goes; with the highest x at
    // which the week goes at all, only what goes whatever x is drawn.
    let local = report::build(end, files, last_week, f64::MIN_POSITIVE);
    let week = local.week.clone();
    let (upload, mut decisions) = upload::filter(&local, config, work.since, work.today, last_week);
    if decisions.week.is_some() {
        // The week stays local as a whole; what the config would do with each counter
        // of a week that goes is still shown.
        let (_, each) = upload::filter(&local, config, 0, work.today, last_week);
        decisions.builds = each.builds;
        decisions.names = each.names;
    }
    let highest = Report {
        x: config.sample_rate.clamp(f64::MIN_POSITIVE, 1.0),
        ..local.clone()
    };
    let (_, surely) = upload::filter(&highest, config, 0, work.today, last_week);
    let if_sampled = decisions
        .names
        .iter()
        .zip(&surely.names)
        .filter(|((_, _, may), (_, _, sure))| may.is_none() && *sure == Some(Out::SampledOut))
        .map(|((build, name, _), _)| {
            let program = build.split(' ').next().unwrap_or("");
            (name.clone(), rate_of(config, program, name))
        })
        .collect();
    let can_go = match &decisions.week {
        None => Ok((end * DAY + GRACE_SECS).max(now)),
        Some(why) => Err(why.to_string()),
    };
    let first_week = (decisions.week == Some(Out::BeforeOn)).then(|| {
        // Weeks follow each other every 7 days; the first that can go begins after the
        // day `on` was chosen.
        let begin = end.saturating_sub(7);
        let first = begin + 7 * ((work.since.saturating_sub(begin)) / 7 + 1);
        (
            date::format(first),
            date::format(first + 7),
            (first + 7) * DAY + GRACE_SECS,
        )
    });
    let report = upload.as_ref().map(|upload| {
        let json = String::from_utf8_lossy(&upload.to_json()).into_owned();
        json.lines()
            .map(|line| {
                if line.starts_with("  \"x\": ") {
                    "  \"x\": (drawn when the report is made),".to_string()
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    });
    Preview {
        week,
        in_progress: end * DAY > now,
        can_go,
        first_week,
        body_len: upload.map(|u| padding::size_class(u.to_json().len())),
        report,
        decisions,
        if_sampled,
        sample_rate: (config.sample_rate < 1.0).then_some(config.sample_rate),
    }
}

/// The rate the config gives `name` (a counter, or a chain by its stack counter) of
/// `program`.
fn rate_of(config: &Config, program: &str, name: &str) -> f64 {
    let Some(program) = config.program(program) else {
        return 0.0;
    };
    if let Some((owner, _)) = name.split_once('\n') {
        return program
            .stacks
            .iter()
            .find(|s| s.name == owner)
            .map_or(0.0, |s| s.rate);
    }
    program
        .counters
        .iter()
        .find(|c| config::expand(&c.name).is_ok_and(|names| names.iter().any(|n| n == name)))
        .map_or(0.0, |c| c.rate)
}
