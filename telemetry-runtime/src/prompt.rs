//! The prompt: once it is due, `start!()` asks the person at the terminal whether the
//! program may upload its weekly counts. The rules of where, when and what are the
//! product (`docs/CONSENT.md` gives them with their reasons):
//!
//! - **Where**: standard input and standard error are both terminals and this process
//!   is in the terminal's foreground; no CI variable ([`prompt::CI_VARS`]), no
//!   `DO_NOT_TRACK` or `TELEMETRY_MODE`, no policy rule for the namespace, no
//!   distributor setting; the user has not answered (no mode file); not the upload
//!   child; the program names a collector (without one, `on` would change nothing);
//!   and the mode allows files (in `off` nothing may be written, so nothing could
//!   remember having asked).
//! - **When** ([`prompt::when`]): after the grace period, in the sample, at most a few
//!   times, days apart, never twice a day in the namespace. `TELEMETRY_PROMPT=now`
//!   skips these, never the rules of where.
//! - **What**: facts the library writes (counters only, no identifier, weekly, what
//!   the program can count, where everything is published, how to change one's
//!   mind), with the author's reason. Yes writes `on`, no writes `off`; anything else
//!   is "not now", which only moves the next possible day.
//!
//! Every check before the state file is read is free, a system call or one variable;
//! the variables of CI and of the upload child are looked at only when something is
//! due, before anything is written or asked. Nothing is written before every rule of
//! where has passed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use telemetry_formats::mode::{Decision, ModeFile, Recorded};
use telemetry_formats::prompt::{self, Answer, Schedule, State, When};
use telemetry_formats::{Mode, ModeSource};

use crate::counter::Counter;
use crate::labels::LabelSet;

/// How long the question waits for an answer unless the program says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The counters of the prompt, declared by `telemetry::prompt!()`.
type PromptCounters = (&'static Counter, &'static LabelSet, &'static LabelSet);

/// What a program asks its users, and when: made by `telemetry::prompt!("reason")`,
/// tuned by its methods, given to `Program::prompt`.
///
/// ```no_run
/// # fn program() -> telemetry_runtime::Program { unimplemented!() }
/// # fn prompt(r: &'static str) -> telemetry_runtime::Prompt { unimplemented!() }
/// program()
///     .prompt(prompt("to learn which commands people use").grace_days(14))
///     .start();
/// ```
#[derive(Clone, Debug)]
pub struct Prompt {
    reason: &'static str,
    counters: PromptCounters,
    pub(crate) schedule: Schedule,
    pub(crate) version: u32,
    timeout: Duration,
    command: Option<Cow<'static, str>>,
}

impl Prompt {
    /// A prompt giving `reason`, with the counters `telemetry::prompt!()` declared.
    /// Not public API: use `telemetry::prompt!`.
    #[doc(hidden)]
    pub fn __new(reason: &'static str, counters: PromptCounters) -> Prompt {
        Prompt {
            reason,
            counters,
            schedule: Schedule::default(),
            version: 1,
            timeout: DEFAULT_TIMEOUT,
            command: None,
        }
    }

    /// Days of use before the first asking, counted from the first day a program of
    /// the namespace that may ask ran on this machine (default 7).
    pub fn grace_days(mut self, days: u32) -> Prompt {
        self.schedule.grace_days = days;
        self
    }

    /// The share of installations ever asked, in percent, 0 to 100 (default 5): each
    /// installation draws once whether it is in the sample, and keeps the draw.
    pub fn sample_percent(mut self, percent: f64) -> Prompt {
        let per_mille = (percent.clamp(0.0, 100.0) * 10.0).round();
        self.schedule.sample_per_mille = if per_mille.is_nan() {
            0
        } else {
            per_mille as u32
        };
        self
    }

    /// The most times one installation is asked (default 3).
    pub fn max_asks(mut self, times: u32) -> Prompt {
        self.schedule.max_asks = times;
        self
    }

    /// The fewest days between two askings (default 7; at least 1: never twice a day).
    pub fn days_apart(mut self, days: u32) -> Prompt {
        self.schedule.days_apart = days.max(1);
        self
    }

    /// The version of what is collected (default 1). Raise it only when what the
    /// program collects changes materially: users who said yes to an earlier version
    /// are then told once what changed (with the new reason), and nobody who said no
    /// is asked again.
    pub fn version(mut self, version: u32) -> Prompt {
        self.version = version.max(1);
        self
    }

    /// How long the question waits for an answer before it counts as "not now"
    /// (default 30 seconds).
    pub fn timeout(mut self, timeout: Duration) -> Prompt {
        self.timeout = timeout;
        self
    }

    /// How users reach the program's `telemetry` subcommand, as the text names it
    /// (default `<program> telemetry`).
    pub fn command(mut self, command: impl Into<Cow<'static, str>>) -> Prompt {
        self.command = Some(command.into());
        self
    }

    /// The reason the program gives.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// Why the prompt did not ask.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Suppressed {
    /// The distributor built the program with `TELEMETRY_DEFAULT_PROMPT=never`, or a
    /// default mode of its own (`TELEMETRY_DEFAULT_MODE`).
    Distributor,
    /// The program names no collector: `on` would change nothing.
    NoCollector,
    /// This is the upload child.
    UploadChild,
    /// An environment variable: `DO_NOT_TRACK`, `TELEMETRY_MODE`, `TELEMETRY_PROMPT`
    /// set to anything but `now`, or a CI variable (named).
    Environment(String),
    /// A rule of the system policy (its file, and line when the file is usable).
    Policy(PathBuf, Option<usize>),
    /// The user has answered: the mode file says this.
    Answered(ModeFile),
    /// The mode does not allow files (the program's default is `off`, or the
    /// directory is unusable): nothing could remember having asked.
    NoFiles(ModeSource),
    /// Standard input or standard error is not a terminal.
    NotATerminal,
    /// The process is not in the terminal's foreground: reading would stop it.
    Background,
    /// This platform has no prompt (only Unix terminals are asked).
    Unsupported,
    /// The state file cannot be used (why); it is left as it is.
    State(String),
    /// Another program of the namespace is asking right now.
    Busy,
}

/// What the prompt did at `start`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PromptOutcome {
    /// The program has no prompt.
    #[default]
    NotConfigured,
    /// A rule of where it may ask kept it from asking.
    Suppressed(Suppressed),
    /// Everything allowed it, but it is not due (the state file says when).
    NotDue(When),
    /// It asked, and this was the answer.
    Asked(Answer),
    /// The user said yes to an earlier version: told once what changed.
    Told(u32),
}

/// What the prompt needs from `start`.
pub(crate) struct Start<'a> {
    pub program: &'a str,
    pub namespace: &'a str,
    pub dir: Option<&'a Path>,
    pub decision: &'a Decision,
    pub collector: Option<&'a str>,
    pub distributor: bool,
    pub facts: Option<crate::program::PromptFacts>,
    pub today: u64,
}

/// The value of an environment variable, if set and not empty.
fn var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// Applies every rule and, when due, asks. Never fails: whatever goes wrong is "not
/// asked", and the program goes on.
pub(crate) fn run(prompt: &Prompt, start: &Start<'_>) -> PromptOutcome {
    match check(prompt, start, &Terminal::of_process()) {
        Ok(Due::Ask(dir, state)) => ask_and_record(prompt, start, &dir, state),
        Ok(Due::Tell(dir, state)) => tell(prompt, start, &dir, state),
        Ok(Due::FirstUse(_)) => PromptOutcome::NotDue(When::FirstUse),
        Err(outcome) => outcome,
    }
}

/// What is due.
pub(crate) enum Due {
    /// Ask, in this directory, with this state.
    Ask(PathBuf, State),
    /// Tell a user who said yes to an older version what changed.
    Tell(PathBuf, State),
    /// Remember the first day, in this directory (never returned by [`check`]).
    FirstUse(PathBuf),
}

/// What the terminal is, for the rules of where.
pub(crate) struct Terminal {
    /// Standard input and standard error are terminals.
    pub interactive: bool,
    /// This process is in the terminal's foreground process group.
    pub foreground: bool,
}

impl Terminal {
    #[cfg(unix)]
    pub(crate) fn of_process() -> Terminal {
        // SAFETY: `isatty`, `tcgetpgrp` and `getpgrp` only read the state of a file
        // descriptor or of this process, and have no preconditions.
        unsafe {
            let interactive = libc::isatty(0) == 1 && libc::isatty(2) == 1;
            let foreground = interactive && libc::tcgetpgrp(0) == libc::getpgrp();
            Terminal {
                interactive,
                foreground,
            }
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn of_process() -> Terminal {
        Terminal {
            interactive: false,
            foreground: false,
        }
    }
}

/// Every rule, cheapest first; `Ok` when something is due. Writes only the state
/// file of a first use, once every rule of where has passed.
pub(crate) fn check(
    prompt: &Prompt,
    start: &Start<'_>,
    terminal: &Terminal,
) -> Result<Due, PromptOutcome> {
    let no = |why| Err(PromptOutcome::Suppressed(why));
    if !cfg!(unix) {
        return no(Suppressed::Unsupported);
    }
    if start.distributor {
        return no(Suppressed::Distributor);
    }
    if start.collector.is_none() {
        return no(Suppressed::NoCollector);
    }
    let decision = start.decision;
    let told = match &decision.source {
        ModeSource::DoNotTrack => return no(Suppressed::Environment("DO_NOT_TRACK".into())),
        ModeSource::Environment(_) => {
            return no(Suppressed::Environment("TELEMETRY_MODE".into()));
        }
        ModeSource::Distributor => return no(Suppressed::Distributor),
        ModeSource::Policy(cap) => return no(Suppressed::Policy(cap.path.clone(), cap.line)),
        ModeSource::File { since } => {
            let file = ModeFile {
                mode: decision.mode,
                since: *since,
            };
            // Only a user who chose on may be told of a new version.
            if decision.mode != Mode::On {
                return no(Suppressed::Answered(file));
            }
            Some(file)
        }
        ModeSource::Default if decision.mode.writes_files() => None,
        other => return no(Suppressed::NoFiles(other.clone())),
    };
    if let Some((path, line)) = decision.policy.forbids_prompt(start.namespace) {
        return no(Suppressed::Policy(path, line));
    }
    let Some(dir) = start.dir else {
        return no(Suppressed::NoFiles(ModeSource::NoDirectory));
    };
    if !terminal.interactive {
        return no(Suppressed::NotATerminal);
    }
    if !terminal.foreground {
        return no(Suppressed::Background);
    }
    let now = match var(prompt::PROMPT_VAR) {
        None => false,
        Some(value) if value == "now" => true,
        Some(value) => {
            return no(Suppressed::Environment(format!(
                "{}={}",
                prompt::PROMPT_VAR,
                value.to_string_lossy()
            )));
        }
    };
    // The file's own time says when it is worth reading again: one `stat`.
    if let Some(day) = prompt::not_before(dir).filter(|day| *day > start.today) {
        match told {
            Some(answered) => return no(Suppressed::Answered(answered)),
            None if !now => return Err(PromptOutcome::NotDue(When::NotBefore(day))),
            None => {}
        }
    }
    let state =
        State::read(dir).map_err(|why| PromptOutcome::Suppressed(Suppressed::State(why)))?;
    let due = match told {
        Some(answered) => {
            let seen = state.as_ref().and_then(|s| s.version).unwrap_or(1);
            match state {
                Some(state) if seen < prompt.version => Due::Tell(dir.to_path_buf(), state),
                _ => return no(Suppressed::Answered(answered)),
            }
        }
        None => match prompt::when(state.as_ref(), &prompt.schedule, start.today, now) {
            When::Ask => Due::Ask(
                dir.to_path_buf(),
                state.unwrap_or_else(|| State::first(start.today)),
            ),
            When::FirstUse => Due::FirstUse(dir.to_path_buf()),
            // Not due: nothing is asked, so the rest need not be looked at. The file's
            // time is set to when it is worth reading again (the only write).
            other => {
                if let Some(day) = other.recheck(start.today)
                    && state.is_some()
                {
                    let _ = prompt::set_not_before(dir, day);
                }
                return Err(PromptOutcome::NotDue(other));
            }
        },
    };
    // Before anything is written or asked: the upload child, and CI.
    if var(telemetry_formats::upload::CHILD_VAR).is_some() {
        return no(Suppressed::UploadChild);
    }
    if let Some(ci) = prompt::CI_VARS.iter().find(|name| var(name).is_some()) {
        return no(Suppressed::Environment((*ci).to_string()));
    }
    if let Due::FirstUse(dir) = due {
        let first = State::first(start.today);
        let grace_end = start.today + u64::from(prompt.schedule.grace_days);
        return match first
            .write(&dir)
            .and_then(|()| prompt::set_not_before(&dir, grace_end))
        {
            Ok(()) => Err(PromptOutcome::NotDue(When::FirstUse)),
            Err(e) => no(Suppressed::State(format!("cannot write it: {e}"))),
        };
    }
    Ok(due)
}

/// The file that marks a prompt on screen, so that two programs of the namespace
/// starting together do not both ask.
const ASKING_FILE: &str = "prompt.asking";
/// An asking mark older than this was left by a program that died while asking.
const ASKING_STALE: Duration = Duration::from_secs(15 * 60);

/// Takes the asking mark: `false` when another program holds it.
fn take_mark(dir: &Path) -> bool {
    let mark = dir.join(ASKING_FILE);
    for _ in 0..2 {
        match telemetry_formats::safe_fs::write_new(&mark, b"") {
            Ok(()) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stale = std::fs::symlink_metadata(&mark)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > ASKING_STALE);
                if !stale || std::fs::remove_file(&mark).is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

fn ask_and_record(prompt: &Prompt, start: &Start<'_>, dir: &Path, state: State) -> PromptOutcome {
    if !take_mark(dir) {
        return PromptOutcome::Suppressed(Suppressed::Busy);
    }
    // Another program may have asked, or been answered, since the rules were checked.
    let fresh = State::read(dir).ok().flatten();
    let answered = !matches!(Recorded::read(Some(dir)), Recorded::Missing);
    let now = var(prompt::PROMPT_VAR).is_some_and(|v| v == "now");
    let outcome = if answered
        || fresh
            .as_ref()
            .is_some_and(|s| prompt::when(Some(s), &prompt.schedule, start.today, now) != When::Ask)
    {
        PromptOutcome::Suppressed(Suppressed::Busy)
    } else {
        let state = fresh.unwrap_or(state);
        let answer = terminal::ask(prompt, start, &state);
        record(prompt, start, dir, &state, answer);
        PromptOutcome::Asked(answer)
    };
    let _ = std::fs::remove_file(dir.join(ASKING_FILE));
    outcome
}

/// Writes what the answer decides, counts it, and says what happened.
fn record(prompt: &Prompt, start: &Start<'_>, dir: &Path, state: &State, answer: Answer) {
    let (asked, answers, _) = prompt.counters;
    asked.inc();
    answers.inc(match answer {
        Answer::Yes => "yes",
        Answer::No => "no",
        Answer::NotNow => "not-now",
    });
    let next = state.asked(start.today, answer, &prompt.schedule, prompt.version);
    let command = command(prompt, start);
    let written = match answer {
        Answer::Yes => telemetry_formats::mode::write_mode_file(dir, Mode::On, start.today),
        Answer::No => telemetry_formats::mode::write_mode_file(dir, Mode::Off, start.today),
        Answer::NotNow => Ok(()),
    };
    let said = match (&written, answer) {
        (Err(e), _) => format!("could not record the answer ({e}): nothing changed"),
        (Ok(()), Answer::Yes) => format!(
            "upload is on for the programs of namespace {:?}. Nothing counted before \
             today is ever sent. `{command} status` shows it; `{command} off` stops it.",
            start.namespace
        ),
        (Ok(()), Answer::No) => format!(
            "telemetry is off for the programs of namespace {:?}: nothing is counted to \
             files. `{command} local` counts on this machine again.",
            start.namespace
        ),
        (Ok(()), Answer::NotNow) if next.asked < prompt.schedule.max_asks => format!(
            "not now. {} may ask again from {}; `{command} on` or `{command} off` \
             answers for good.",
            start.program,
            telemetry_formats::date::format(next.next.unwrap_or(start.today + 1))
        ),
        (Ok(()), Answer::NotNow) => format!(
            "not now. {} will not ask again; `{command} on` turns upload on.",
            start.program
        ),
    };
    // The state is written even if the mode file could not be: never ask twice a day.
    if next.write(dir).is_ok()
        && let Some(day) = next.next
    {
        let _ = prompt::set_not_before(dir, day);
    }
    terminal::say(&format!("{}: {said}\n", start.program));
}

/// Tells a user who said yes to an earlier version what changed, once.
fn tell(prompt: &Prompt, start: &Start<'_>, dir: &Path, state: State) -> PromptOutcome {
    let command = command(prompt, start);
    terminal::say(&format!(
        "{program}: upload is on, and what {program} collects has changed since you said \
         yes: {reason}.\n{program}: `{command} show` lists what it counts; `{command} off` \
         or `{command} local` stops the upload.\n",
        program = start.program,
        reason = prompt.reason,
    ));
    let mut next = state;
    next.version = Some(prompt.version);
    if next.write(dir).is_ok() {
        let _ = prompt::set_not_before(dir, start.today + ON_RECHECK_DAYS);
    }
    PromptOutcome::Told(prompt.version)
}

/// How the text names the program's `telemetry` subcommand.
fn command<'a>(prompt: &'a Prompt, start: &Start<'_>) -> Cow<'a, str> {
    match &prompt.command {
        Some(command) => Cow::Borrowed(command),
        None => Cow::Owned(format!("{} telemetry", start.program)),
    }
}

/// How often a start in mode `on` looks at the state file: to count the acceptance
/// below (so it is in every week's report), and to find a new version of the text.
const ON_RECHECK_DAYS: u64 = 7;

/// Counts, at a start in mode `on` that the prompt won, after how many askings: once
/// every [`ON_RECHECK_DAYS`] days at most, the file's time saying when (so a start
/// reads the state file about once a week). The time is moved on only when the user
/// has seen the current version of the text, so that the next start at a terminal
/// still tells them of a new one.
pub(crate) fn count_acceptance(
    prompt: &Prompt,
    decision: &Decision,
    dir: Option<&Path>,
    today: u64,
) {
    let (ModeSource::File { since: Some(since) }, Some(dir)) = (&decision.source, dir) else {
        return;
    };
    if decision.mode != Mode::On || prompt::not_before(dir).is_none_or(|day| day > today) {
        return;
    }
    let Ok(Some(state)) = State::read(dir) else {
        return;
    };
    if state.last_asked == Some(*since) {
        let (_, _, accepted) = prompt.counters;
        accepted.inc(&state.asked.to_string());
    }
    if state.version.unwrap_or(1) >= prompt.version {
        let _ = prompt::set_not_before(dir, today + ON_RECHECK_DAYS);
    }
}

/// The text of the question, from facts.
pub(crate) fn question(prompt: &Prompt, start: &Start<'_>, counters: usize) -> String {
    let program = start.program;
    let command = command(prompt, start);
    let published = match start.collector {
        Some(url) => {
            let url = url.trim_end_matches('/');
            format!("{url}/counters and {url}/data/")
        }
        None => "the collector's site".to_string(),
    };
    format!(
        "\n{program} asks: may it send its maintainers a weekly count of how it is used?\n\
         \x20 Why:    {reason}.\n\
         \x20 What:   counters only, how many times things happened; {program} can count \
         {counters} things (`{command} show` lists what it counted here).\n\
         \x20 Never:  an identifier of any kind: no name, account, machine, address or \
         installation ID.\n\
         \x20 When:   once a week, only what the collector's public config asks for, each \
         counter at its sample rate; nothing counted before today.\n\
         \x20 Public: everything uploaded is published, at {published}.\n\
         \x20 Later:  `{command} on`, `{command} off` or `{command} local` changes the \
         answer at any time.\n",
        reason = prompt.reason,
    )
}

/// The line the answer is typed on.
pub(crate) fn ask_line(program: &str, timeout: Duration) -> String {
    format!(
        "Upload {program}'s weekly counts? [y]es, [n]o, [m]ore; Enter: not now ({} s): ",
        timeout.as_secs()
    )
}

/// This week's counts of the program as this process sees them (every process of the
/// build counts into one file), and what the facts hook says would be sent.
fn more(start: &Start<'_>) -> String {
    let mut counted: Vec<(&str, u64)> = crate::registry::registry()
        .iter()
        .map(|c| (c.name(), c.get()))
        .filter(|(_, n)| *n > 0)
        .collect();
    counted.sort();
    let mut out = format!(
        "\nThis week so far, {} counted on this machine:\n",
        start.program
    );
    if counted.is_empty() {
        out.push_str("  nothing yet\n");
    }
    const SHOWN: usize = 40;
    for (name, n) in counted.iter().take(SHOWN) {
        out.push_str(&format!("  {n:>8}  {name}\n"));
    }
    if counted.len() > SHOWN {
        out.push_str(&format!("  … and {} more\n", counted.len() - SHOWN));
    }
    out.push_str(&match (start.facts, start.dir) {
        (Some(facts), Some(dir)) => facts(dir, &counted),
        _ => "What would be sent: nothing can be known before the collector's config is \
              fetched, after a yes.\n"
            .to_string(),
    });
    out.push('\n');
    out
}

/// Talking to the terminal: Unix only.
mod terminal {
    use super::*;

    /// Writes `text` to standard error; there is nowhere to report a failure to.
    pub(super) fn say(text: &str) {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// Asks, until an answer, end of input, Ctrl-C, or the time limit.
    #[cfg(unix)]
    pub(super) fn ask(prompt: &Prompt, start: &Start<'_>, _state: &State) -> Answer {
        let timeout = var(prompt::PROMPT_TIMEOUT_VAR)
            .and_then(|v| v.to_str()?.parse::<u64>().ok())
            .map_or(prompt.timeout, |secs| {
                prompt.timeout.min(Duration::from_secs(secs))
            });
        let counters = crate::registry::registry().len();
        say(&question(prompt, start, counters));
        let Some(_raw) = LineMode::enter() else {
            say("\n");
            return Answer::NotNow;
        };
        let deadline = std::time::Instant::now() + timeout;
        loop {
            say(&ask_line(start.program, timeout));
            let line = match read_line(deadline) {
                Line::Text(text) => text,
                Line::Interrupted => {
                    say("\n");
                    return Answer::NotNow;
                }
                Line::End => {
                    say("\n");
                    return Answer::NotNow;
                }
                Line::TimedOut => {
                    discard_input();
                    say("\n(no answer)\n");
                    return Answer::NotNow;
                }
            };
            match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => return Answer::Yes,
                "n" | "no" => return Answer::No,
                "" => return Answer::NotNow,
                "m" | "more" | "?" => {
                    let (_, answers, _) = prompt.counters;
                    answers.inc("more");
                    say(&more(start));
                }
                _ => say("Please answer y (yes), n (no) or m (more); Enter alone: not now.\n"),
            }
        }
    }

    #[cfg(not(unix))]
    pub(super) fn ask(_: &Prompt, _: &Start<'_>, _: &State) -> Answer {
        Answer::NotNow
    }

    /// One read from the terminal.
    #[cfg(unix)]
    enum Line {
        Text(String),
        Interrupted,
        End,
        TimedOut,
    }

    /// Reads one line: the terminal is in canonical mode, so a read returns a whole
    /// line, ended by Enter, by Ctrl-C (made an end-of-line character, see
    /// [`LineMode`]) or by Ctrl-D (end of input when nothing was typed; what was typed,
    /// without a newline, otherwise).
    #[cfg(unix)]
    fn read_line(deadline: std::time::Instant) -> Line {
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Line::TimedOut;
            }
            let mut poll = libc::pollfd {
                fd: 0,
                events: libc::POLLIN,
                revents: 0,
            };
            let millis = left.as_millis().clamp(1, i32::MAX as u128) as i32;
            // SAFETY: `poll` points at one valid `pollfd` for the call's duration.
            let ready = unsafe { libc::poll(&mut poll, 1, millis) };
            let interrupted =
                || std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
            match ready {
                0 => return Line::TimedOut,
                n if n < 0 && interrupted() => continue,
                n if n < 0 => return Line::End,
                _ => {}
            }
            let mut buf = [0u8; 1024];
            // SAFETY: `buf` is valid for writes of its length for the call's duration.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 && interrupted() {
                continue;
            }
            let Some(got) = usize::try_from(n).ok().and_then(|n| buf.get(..n)) else {
                return Line::End;
            };
            return if got.is_empty() {
                Line::End
            } else if got.contains(&INTERRUPT) {
                Line::Interrupted
            } else {
                Line::Text(String::from_utf8_lossy(got).into_owned())
            };
        }
    }

    /// Ctrl-C, read as a character while the prompt waits.
    #[cfg(unix)]
    const INTERRUPT: u8 = 0x03;

    /// Drops what was typed and not yet read, so it does not reach the program.
    #[cfg(unix)]
    fn discard_input() {
        // SAFETY: `tcflush` on standard input has no memory-safety preconditions.
        unsafe {
            libc::tcflush(0, libc::TCIFLUSH);
        }
    }

    /// The terminal set for the question: line editing and echo as usual, but Ctrl-C
    /// ends the line as a character instead of interrupting the program (so it means
    /// "not now" and the program goes on); restored when dropped.
    #[cfg(unix)]
    struct LineMode {
        saved: libc::termios,
    }

    #[cfg(unix)]
    impl LineMode {
        fn enter() -> Option<LineMode> {
            // SAFETY: `termios` is plain data; zeroed is a valid value to fill.
            let mut saved: libc::termios = unsafe { std::mem::zeroed() };
            // SAFETY: `saved` is a valid `termios` to write for the call's duration.
            if unsafe { libc::tcgetattr(0, &mut saved) } != 0 {
                return None;
            }
            let mut asking = saved;
            asking.c_lflag &= !libc::ISIG;
            asking.c_lflag |= libc::ICANON | libc::ECHO;
            asking.c_cc[libc::VEOL] = INTERRUPT;
            // SAFETY: `asking` is a valid `termios` read for the call's duration.
            if unsafe { libc::tcsetattr(0, libc::TCSANOW, &asking) } != 0 {
                return None;
            }
            Some(LineMode { saved })
        }
    }

    #[cfg(unix)]
    impl Drop for LineMode {
        fn drop(&mut self) {
            // SAFETY: `saved` is the valid `termios` read by `enter`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &self.saved);
            }
        }
    }
}
