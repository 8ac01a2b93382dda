//! The numbers a maintainer decides from, for one program and one week: what is used by
//! fewer installations than a threshold they pick (with the upper bound that makes the
//! decision safe), what moved most since the week before, and which versions are still
//! in use. Computed from the same [`crate::series`] points as everything else.

use serde::Serialize;
use telemetry_rules::bucket::cmp_names;

use crate::aggregate::{Aggregate, ProgramAggregate};
use crate::index::Indexed;
use crate::rates::RatesByKey;
use crate::series::{self, Kind, Mix, Point, Reporting};
use crate::stats;

/// The most movers listed.
pub const MOVERS: usize = 20;

/// A name whose estimated share is below the threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rare {
    /// What it is.
    pub kind: Kind,
    /// Its full name.
    pub counter: String,
    /// Its numbers that week.
    pub week: Point,
    /// Whether even the upper bound of its share is below the threshold.
    pub confident: bool,
}

/// A name whose share changed between the two weeks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mover {
    /// What it is.
    pub kind: Kind,
    /// Its full name.
    pub counter: String,
    /// The week before.
    pub before: Point,
    /// The week.
    pub after: Point,
    /// The change of its share, `after − before`.
    pub change: f64,
    /// The lower bound of the change.
    pub change_low: f64,
    /// The upper bound of the change.
    pub change_high: f64,
    /// Whether the interval of the change excludes zero.
    pub beyond_noise: bool,
}

/// The summary of one program's week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decide {
    /// The program.
    pub program: String,
    /// The level of every interval.
    pub level: f64,
    /// The share threshold.
    pub below: f64,
    /// Its reports that week.
    pub reporting: Reporting,
    /// The week before it with reports, if any.
    pub previous: Option<String>,
    /// Names whose estimated share is below `below`, surest first (by upper bound).
    pub rare: Vec<Rare>,
    /// Names whose share moved most since `previous`, largest change first.
    pub movers: Vec<Mover>,
    /// Versions in use that week, newest first.
    pub versions: Vec<Mix>,
}

/// A week of a program.
type Week<'a> = (&'a str, &'a ProgramAggregate);

/// The week of `program` to summarize: `week` if it reported then, else its latest; and
/// the one before it.
fn weeks<'a>(
    aggregate: &'a Aggregate,
    program: &str,
    week: Option<&str>,
) -> Option<(Week<'a>, Option<Week<'a>>)> {
    let reported: Vec<Week> = aggregate
        .weeks
        .iter()
        .filter_map(|(w, programs)| Some((w.as_str(), programs.get(program)?)))
        .collect();
    let at = match week {
        Some(week) => reported.iter().position(|(w, _)| *w == week)?,
        None => reported.len().checked_sub(1)?,
    };
    let previous = at.checked_sub(1).map(|i| reported[i]);
    Some((reported[at], previous))
}

/// The summary of `program`'s `week` (its latest when `None`) at `level`, listing as
/// rare what is used by less than the share `below`: `None` when it has no such week.
/// Every name but stack chains is weighed (a stack counter as a whole: its chains are
/// on its own page), from the names `indexed` found once for all requests.
pub fn decide(
    indexed: &Indexed,
    rates: &dyn RatesByKey,
    program: &str,
    week: Option<&str>,
    below: f64,
    level: f64,
) -> Option<Decide> {
    let z = stats::z(level);
    let ((week, this), previous) = weeks(indexed.aggregate(), program, week)?;
    let names = indexed.names(program, rates);
    let mut rare = Vec::new();
    let mut movers = Vec::new();
    for (kind, name) in &names {
        let Some(after) = series::point(week, program, this, *kind, name, rates, level) else {
            continue;
        };
        if after.share < below {
            rare.push(Rare {
                kind: *kind,
                counter: name.clone(),
                confident: after.share_high < below,
                week: after.clone(),
            });
        }
        let Some(before) =
            previous.and_then(|(w, p)| series::point(w, program, p, *kind, name, rates, level))
        else {
            continue;
        };
        let change = stats::difference(&before.share_estimate(), &after.share_estimate());
        let high = change.high.unwrap_or(change.estimate);
        movers.push(Mover {
            kind: *kind,
            counter: name.clone(),
            change: change.estimate,
            change_low: change.low,
            change_high: high,
            beyond_noise: change.low > 0.0 || high < 0.0,
            before,
            after,
        });
    }
    rare.sort_by(|a, b| {
        a.week
            .share_high
            .total_cmp(&b.week.share_high)
            .then_with(|| cmp_names(&a.counter, &b.counter))
    });
    movers.sort_by(|a, b| {
        b.change
            .abs()
            .total_cmp(&a.change.abs())
            .then_with(|| cmp_names(&a.counter, &b.counter))
    });
    movers.truncate(MOVERS);
    let reporting = series::reporting(week, this, z);
    Some(Decide {
        program: program.to_string(),
        level: stats::clamp_level(level),
        below,
        versions: reporting.versions.clone(),
        reporting,
        previous: previous.map(|(w, _)| w.to_string()),
        rare,
        movers,
    })
}
