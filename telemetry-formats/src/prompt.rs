//! The prompt's rules and its state file: when a program may ask its user whether to
//! turn upload on, and what it remembers of asking. `docs/CONSENT.md` gives the rules
//! with their reasons; the terminal side is the runtime's.
//!
//! The state file is `<namespace>/prompt`, shared by every program of the namespace,
//! so one answer, and one asking a day, serve them all. It holds dates and counts,
//! and one number drawn once for sampling, nothing else:
//!
//! ```text
//! rust-telemetry-prompt 1
//! first-seen 2026-11-22     the first day a program that may ask ran here
//! draw 417                  0 to 999, drawn once: the installation is in a sample
//!                           of p per mille when draw < p (each value is shared by
//!                           one installation in a thousand: it singles none out,
//!                           and it never leaves the machine)
//! asked 1                   how many times the question was asked
//! last-asked 2026-11-30     the day it was last asked
//! next 2026-12-07           the first day it may be asked again
//! version 1                 the text version the user last saw answered or told
//! ```
//!
//! The first three lines are always there; the others once they mean something. The
//! answer itself is not here: yes writes `on` to the mode file, no writes `off`. A file
//! that cannot be read or understood means no prompt, and is left as it is.
//!
//! The file's modification time is set to the first day a program may look at it
//! again (the end of the grace period, the next asking; a month on for an
//! installation outside the sample), so that a start which is not due learns it from
//! one `stat` instead of reading the file ([`not_before`]): reading it costs more than
//! the 5 µs a start may spend on the prompt. The time is only a hint that delays:
//! anything that changes the file (an edit, a copy) makes it read again.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::Path;

use crate::date;
use crate::safe_fs;

/// The state file's name in the namespace directory.
pub const PROMPT_FILE: &str = "prompt";
/// Its first word, before its version.
pub const PROMPT_MAGIC: &str = "rust-telemetry-prompt";
/// The version this code reads and writes.
pub const PROMPT_VERSION: u32 = 1;
/// The draw is a number below this.
pub const DRAWS: u32 = 1000;

/// The variable that makes the prompt due now, for authors testing it: `now` skips the
/// grace period, the sampling and the spacing of askings, never the rules of where it
/// may ask or a previous answer. Any other value (`never`, say) keeps it from asking.
pub const PROMPT_VAR: &str = "TELEMETRY_PROMPT";
/// The variable that sets how long the prompt waits for an answer, in seconds (for
/// tests of a silent user; it never waits longer than the program's limit).
pub const PROMPT_TIMEOUT_VAR: &str = "TELEMETRY_PROMPT_TIMEOUT";
/// The variable a distributor sets, in the build environment, to `never` to turn the
/// prompt off in the programs it builds.
pub const DEFAULT_PROMPT_VAR: &str = "TELEMETRY_DEFAULT_PROMPT";

/// Environment variables that mean the program runs under continuous integration,
/// where nobody is there to answer: set to anything but empty, the prompt never asks.
pub const CI_VARS: &[&str] = &[
    "CI",
    "CONTINUOUS_INTEGRATION",
    "BUILD_NUMBER",
    "BUILD_ID",
    "RUN_ID",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "TF_BUILD",
    "JENKINS_URL",
    "TEAMCITY_VERSION",
    "BUILDKITE",
    "CIRCLECI",
    "TRAVIS",
    "APPVEYOR",
    "DRONE",
    "BITBUCKET_BUILD_NUMBER",
    "CODEBUILD_BUILD_ID",
    "HEROKU_TEST_RUN_ID",
    "SEMAPHORE",
    "BUDDY",
];

/// What the prompt remembers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The first day a program that may ask ran in the namespace.
    pub first_seen: u64,
    /// The sampling draw, below [`DRAWS`].
    pub draw: u32,
    /// How many times the question was asked.
    pub asked: u32,
    /// The day it was last asked.
    pub last_asked: Option<u64>,
    /// The first day it may be asked again.
    pub next: Option<u64>,
    /// The version of the text the user last answered or was told about.
    pub version: Option<u32>,
}

impl State {
    /// The state of a namespace seen for the first time today, with a fresh draw.
    pub fn first(today: u64) -> State {
        State {
            first_seen: today,
            draw: fresh_draw(),
            asked: 0,
            last_asked: None,
            next: None,
            version: None,
        }
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{PROMPT_MAGIC} {PROMPT_VERSION}\nfirst-seen {}\ndraw {}\nasked {}\n",
            date::format(self.first_seen),
            self.draw,
            self.asked
        );
        if let Some(day) = self.last_asked {
            text.push_str(&format!("last-asked {}\n", date::format(day)));
        }
        if let Some(day) = self.next {
            text.push_str(&format!("next {}\n", date::format(day)));
        }
        if let Some(version) = self.version {
            text.push_str(&format!("version {version}\n"));
        }
        text
    }

    /// Parses the file's text, strictly.
    pub fn parse(text: &str) -> Result<State, String> {
        let mut lines = text.lines();
        match lines
            .next()
            .map(str::split_whitespace)
            .map(|mut w| (w.next(), w.next(), w.next()))
        {
            Some((Some(PROMPT_MAGIC), Some(version), None)) => match version.parse::<u32>() {
                Ok(PROMPT_VERSION) => {}
                Ok(newer) if newer > PROMPT_VERSION => {
                    return Err(format!("version {newer} is newer than this program's"));
                }
                _ => return Err(format!("{version:?} is not a version")),
            },
            _ => {
                return Err(format!(
                    "it does not start with `{PROMPT_MAGIC} {PROMPT_VERSION}`"
                ));
            }
        }
        let (mut first_seen, mut draw, mut asked) = (None, None, None);
        let mut state = State {
            first_seen: 0,
            draw: 0,
            asked: 0,
            last_asked: None,
            next: None,
            version: None,
        };
        for line in lines {
            let Some((key, value)) = line.split_once(' ') else {
                return Err(format!("{line:?} is not `key value`"));
            };
            let day = || date::parse(value).ok_or_else(|| format!("{value:?} is not a date"));
            let number = || {
                value
                    .parse::<u32>()
                    .map_err(|_| format!("{value:?} is not a count"))
            };
            match key {
                "first-seen" => first_seen = Some(day()?),
                "draw" => draw = Some(number()?).filter(|d| *d < DRAWS),
                "asked" => asked = Some(number()?),
                "last-asked" => state.last_asked = Some(day()?),
                "next" => state.next = Some(day()?),
                "version" => state.version = Some(number()?),
                other => return Err(format!("unknown field {other:?}")),
            }
        }
        state.first_seen = first_seen.ok_or("it has no first-seen date")?;
        state.draw = draw.ok_or(format!("it has no draw below {DRAWS}"))?;
        state.asked = asked.ok_or("it has no count of askings")?;
        Ok(state)
    }

    /// Reads `<dir>/prompt`: `Ok(None)` when there is none. Checked as every file
    /// telemetry reads ([`safe_fs::read_small`]).
    pub fn read(dir: &Path) -> Result<Option<State>, String> {
        match safe_fs::read_small(&dir.join(PROMPT_FILE)) {
            Ok(Some(text)) => State::parse(&text).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(format!("cannot read it: {e}")),
        }
    }

    /// Writes `<dir>/prompt` whole, through a temporary file and a rename. `dir` must
    /// exist and be trusted.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        safe_fs::check_dir(dir, false)?;
        let temp = dir.join(safe_fs::unique_name(PROMPT_FILE, ".tmp"));
        safe_fs::write_new(&temp, self.to_text().as_bytes())?;
        std::fs::rename(&temp, dir.join(PROMPT_FILE)).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
    }
}

/// The day the state file's modification time names: the first day a program may read
/// the file again. `None` when there is no file (or no usable time).
pub fn not_before(dir: &Path) -> Option<u64> {
    let meta = std::fs::symlink_metadata(dir.join(PROMPT_FILE)).ok()?;
    if !meta.is_file() {
        return None;
    }
    let secs = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(date::day_of(secs))
}

/// Sets the state file's modification time to the start of `day` (UTC), the first
/// day a program need read it again (see [`not_before`]).
pub fn set_not_before(dir: &Path, day: u64) -> io::Result<()> {
    let file = safe_fs::open_regular(&dir.join(PROMPT_FILE), false, safe_fs::MAX_SMALL_FILE)?;
    let time =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(day.saturating_mul(date::DAY));
    file.set_times(
        std::fs::FileTimes::new()
            .set_modified(time)
            .set_accessed(time),
    )
}

/// How long an installation outside the sample, or asked enough, goes before its
/// state file is read again (the program's sample may have grown meanwhile).
pub const RECHECK_DAYS: u64 = 30;

impl When {
    /// The first day a start need look at the state file again, after this verdict
    /// today; `None` when it must look every time (the question is due).
    pub fn recheck(&self, today: u64) -> Option<u64> {
        match self {
            When::Ask => None,
            When::NotBefore(day) => Some(*day),
            When::FirstUse | When::NotSampled | When::AskedEnough(_) => Some(today + RECHECK_DAYS),
        }
    }
}

/// A number below [`DRAWS`], from the randomness the standard library seeds its hash
/// maps with.
fn fresh_draw() -> u32 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(date::now_nanos());
    (hasher.finish() % u64::from(DRAWS)) as u32
}

/// When a program asks: the author's choices, with the defaults of
/// `docs/CONSENT.md`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    /// Days of use before the first asking (since the namespace was first seen).
    pub grace_days: u32,
    /// The share of installations ever asked, in per mille (0 to 1000).
    pub sample_per_mille: u32,
    /// The most times the question is asked.
    pub max_asks: u32,
    /// The fewest days between two askings.
    pub days_apart: u32,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            grace_days: 7,
            sample_per_mille: 50,
            max_asks: 3,
            days_apart: 7,
        }
    }
}

/// Whether the question is due, when everything about where it may be asked allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// Ask now.
    Ask,
    /// The namespace is seen for the first time: remember the day and ask nothing.
    FirstUse,
    /// Not before this day: the grace period, or the spacing of askings.
    NotBefore(u64),
    /// This installation is not in the sample.
    NotSampled,
    /// It was asked as many times as the program asks.
    AskedEnough(u32),
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Ask => f.write_str("due now"),
            When::FirstUse => f.write_str("first use: not before the grace period ends"),
            When::NotBefore(day) => write!(f, "not before {}", date::format(*day)),
            When::NotSampled => f.write_str("not in the sample of installations asked"),
            When::AskedEnough(n) => write!(f, "asked {n} times already: never again"),
        }
    }
}

/// Whether the question is due today, from the state file and the schedule; `now`
/// (`TELEMETRY_PROMPT=now`) skips the grace period, the sampling and the spacing.
pub fn when(state: Option<&State>, schedule: &Schedule, today: u64, now: bool) -> When {
    let Some(state) = state else {
        return if now { When::Ask } else { When::FirstUse };
    };
    if now {
        return When::Ask;
    }
    let grace_end = state.first_seen + u64::from(schedule.grace_days);
    if today < grace_end {
        return When::NotBefore(grace_end);
    }
    if state.draw >= schedule.sample_per_mille {
        return When::NotSampled;
    }
    if state.asked >= schedule.max_asks {
        return When::AskedEnough(state.asked);
    }
    let spaced = state
        .last_asked
        .map(|day| day + u64::from(schedule.days_apart.max(1)));
    match state.next.max(spaced) {
        Some(day) if today < day => When::NotBefore(day),
        _ => When::Ask,
    }
}

/// An answer to the question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Turn upload on.
    Yes,
    /// Turn telemetry off.
    No,
    /// Not now: Enter alone, end of input, Ctrl-C, no answer in time, or anything else.
    NotNow,
}

impl State {
    /// The state after the question was asked today and answered `answer`: the
    /// count and the day, and for "not now" the first day it may be asked again.
    pub fn asked(&self, today: u64, answer: Answer, schedule: &Schedule, version: u32) -> State {
        let mut next = self.clone();
        next.asked = self.asked.saturating_add(1);
        next.last_asked = Some(today);
        next.next = Some(today + u64::from(schedule.days_apart.max(1)));
        if answer != Answer::NotNow {
            next.version = Some(version);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY0: u64 = 20_000;

    fn state(first_seen: u64, draw: u32, asked: u32, last: Option<u64>) -> State {
        State {
            first_seen,
            draw,
            asked,
            last_asked: last,
            next: last.map(|d| d + 7),
            version: None,
        }
    }

    #[test]
    fn the_file_is_dates_counts_and_the_draw() {
        let s = State {
            first_seen: DAY0,
            draw: 417,
            asked: 2,
            last_asked: Some(DAY0 + 9),
            next: Some(DAY0 + 16),
            version: Some(1),
        };
        let text = s.to_text();
        assert_eq!(
            text,
            "rust-telemetry-prompt 1\nfirst-seen 2024-10-04\ndraw 417\nasked 2\n\
             last-asked 2024-10-13\nnext 2024-10-20\nversion 1\n"
        );
        assert_eq!(State::parse(&text), Ok(s));
    }

    #[test]
    fn a_fresh_state_holds_nothing_but_the_day_and_the_draw() {
        let s = State::first(DAY0);
        assert!(s.draw < DRAWS);
        assert_eq!(
            s.to_text(),
            format!(
                "rust-telemetry-prompt 1\nfirst-seen 2024-10-04\ndraw {}\nasked 0\n",
                s.draw
            )
        );
    }

    #[test]
    fn what_is_not_understood_is_refused() {
        for (text, why) in [
            ("", "does not start"),
            ("rust-telemetry-prompt 2\n", "newer"),
            (
                "rust-telemetry-prompt 1\nfirst-seen 2024-10-04\ndraw 1\n",
                "no count",
            ),
            (
                "rust-telemetry-prompt 1\nfirst-seen 2024-10-04\ndraw 1000\nasked 0\n",
                "no draw",
            ),
            (
                "rust-telemetry-prompt 1\nfirst-seen 2024-13-04\ndraw 1\nasked 0\n",
                "not a date",
            ),
            (
                "rust-telemetry-prompt 1\nfirst-seen 2024-10-04\ndraw 1\nasked 0\nid 7\n",
                "unknown field",
            ),
        ] {
            let error = State::parse(text).unwrap_err();
            assert!(error.contains(why), "{text:?}: {error}");
        }
    }

    #[test]
    fn the_first_use_is_only_remembered() {
        let schedule = Schedule::default();
        assert_eq!(when(None, &schedule, DAY0, false), When::FirstUse);
        assert_eq!(when(None, &schedule, DAY0, true), When::Ask);
    }

    #[test]
    fn the_grace_period_comes_first() {
        let schedule = Schedule::default();
        let s = state(DAY0, 0, 0, None);
        assert_eq!(
            when(Some(&s), &schedule, DAY0 + 6, false),
            When::NotBefore(DAY0 + 7)
        );
        assert_eq!(when(Some(&s), &schedule, DAY0 + 7, false), When::Ask);
    }

    #[test]
    fn only_the_sample_is_asked() {
        let schedule = Schedule::default();
        assert_eq!(
            when(Some(&state(DAY0, 49, 0, None)), &schedule, DAY0 + 30, false),
            When::Ask
        );
        assert_eq!(
            when(Some(&state(DAY0, 50, 0, None)), &schedule, DAY0 + 30, false),
            When::NotSampled
        );
        let everyone = Schedule {
            sample_per_mille: 1000,
            ..schedule
        };
        assert_eq!(
            when(
                Some(&state(DAY0, 999, 0, None)),
                &everyone,
                DAY0 + 30,
                false
            ),
            When::Ask
        );
        let nobody = Schedule {
            sample_per_mille: 0,
            ..schedule
        };
        assert_eq!(
            when(Some(&state(DAY0, 0, 0, None)), &nobody, DAY0 + 30, false),
            When::NotSampled
        );
    }

    #[test]
    fn askings_are_days_apart_never_twice_a_day_and_capped() {
        let schedule = Schedule::default();
        let asked_today = state(DAY0, 0, 1, Some(DAY0 + 10));
        assert_eq!(
            when(Some(&asked_today), &schedule, DAY0 + 10, false),
            When::NotBefore(DAY0 + 17)
        );
        assert_eq!(
            when(Some(&asked_today), &schedule, DAY0 + 17, false),
            When::Ask
        );
        let daily = Schedule {
            days_apart: 0,
            ..schedule
        };
        let no_next = State {
            next: None,
            ..asked_today.clone()
        };
        assert_eq!(
            when(Some(&no_next), &daily, DAY0 + 10, false),
            When::NotBefore(DAY0 + 11),
            "never twice in one day"
        );
        let enough = state(DAY0, 0, 3, Some(DAY0 + 20));
        assert_eq!(
            when(Some(&enough), &schedule, DAY0 + 90, false),
            When::AskedEnough(3)
        );
    }

    #[test]
    fn now_skips_every_rule_of_when() {
        let schedule = Schedule::default();
        for s in [
            state(DAY0, 0, 0, None),
            state(DAY0, 999, 0, None),
            state(DAY0 - 30, 0, 9, Some(DAY0)),
        ] {
            assert_eq!(when(Some(&s), &schedule, DAY0, true), When::Ask, "{s:?}");
        }
    }

    #[test]
    fn an_asking_moves_the_next_day_and_an_answer_keeps_the_version() {
        let schedule = Schedule::default();
        let s = state(DAY0, 0, 0, None);
        let later = s.asked(DAY0 + 8, Answer::NotNow, &schedule, 2);
        assert_eq!(
            (later.asked, later.last_asked, later.next, later.version),
            (1, Some(DAY0 + 8), Some(DAY0 + 15), None)
        );
        let yes = later.asked(DAY0 + 15, Answer::Yes, &schedule, 2);
        assert_eq!((yes.asked, yes.version), (2, Some(2)));
    }

    #[test]
    fn the_files_time_says_when_to_read_it_again() {
        let dir = std::env::temp_dir().join(format!("prompt-hint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        safe_fs::ensure_dir(&dir, true).expect("dir");
        assert_eq!(not_before(&dir), None);
        State::first(DAY0).write(&dir).expect("written");
        let today = date::day_of(date::now_secs());
        assert_eq!(not_before(&dir), Some(today), "written today");
        set_not_before(&dir, DAY0 + 7).expect("set");
        assert_eq!(not_before(&dir), Some(DAY0 + 7));
        assert_eq!(
            State::read(&dir).expect("read").map(|s| s.first_seen),
            Some(DAY0)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_file_is_read_and_written_in_its_directory() {
        let dir = std::env::temp_dir().join(format!("prompt-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        safe_fs::ensure_dir(&dir, true).expect("dir");
        assert_eq!(State::read(&dir), Ok(None));
        let s = State::first(DAY0);
        s.write(&dir).expect("written");
        assert_eq!(State::read(&dir), Ok(Some(s)));
        std::fs::write(dir.join(PROMPT_FILE), "nonsense").expect("write");
        assert!(State::read(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
