//! Modes: `off`, `local` and `on`, where they come from, and the mode file.
//!
//! The mode file is `<telemetry dir>/mode`, one line: the mode, a space, and the UTC
//! date it was chosen (`on 2026-11-22`). The effective mode of a process is decided
//! by one function, [`decide`], in this order (`docs/CONSENT.md` has the same table):
//!
//! 1. `DO_NOT_TRACK` set to anything but empty, `0` or `false` (exactly; a value with
//!    spaces, or one that is not UTF-8, counts as set): `off`;
//! 2. `TELEMETRY_MODE=off|local|on`: that mode, for this process only (any other
//!    value, one that is not UTF-8 included, counts as `off`); nothing is written;
//! 3. no telemetry directory (no home directory, and no `TELEMETRY_DIR`): `off`;
//! 4. a telemetry directory that is not this user's alone: `off`;
//! 5. the mode file, the user's choice (one that cannot be read or understood counts
//!    as `off`);
//! 6. the distributor's default, set when the program was built
//!    (`TELEMETRY_DEFAULT_MODE=off|local`);
//! 7. the program's default for a fresh install, `local` unless the author chose `off`.
//!
//! The system policy ([`crate::policy`]) then caps whatever that gave: a policy of
//! `at-most local` turns `on` into `local`, whether `on` came from the mode file or
//! from `TELEMETRY_MODE`. The environment is the user's own per-process setting, and
//! the policy is the one setting meant to bind every user of a machine; were
//! `TELEMETRY_MODE=on` to pass it, any user could undo an administrator's policy with
//! one variable. So the environment decides among everything but the policy, and can
//! always lower what the policy allows, but never raise it.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;
use std::str::FromStr;

use crate::date;
use crate::policy::{self, Cap, Policy};
use crate::safe_fs;

/// What telemetry may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Count in memory only: no file or directory is created or modified, no network
    /// access, no child process.
    Off,
    /// Count in weekly files on this machine; never upload.
    Local,
    /// Count locally, and upload each finished week's report, as far as the
    /// collector's signed config asks, from the day this mode was chosen on.
    On,
}

impl Mode {
    /// `off`, `local` or `on`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Local => "local",
            Mode::On => "on",
        }
    }

    /// True for `local` and `on`: counts go to files.
    pub fn writes_files(self) -> bool {
        self != Mode::Off
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(text: &str) -> Result<Mode, String> {
        match text {
            "off" => Ok(Mode::Off),
            "local" => Ok(Mode::Local),
            "on" => Ok(Mode::On),
            other => Err(format!("unknown mode {other:?}; expected off, local or on")),
        }
    }
}

/// The mode of a fresh install, chosen by the program's author or its distributor:
/// never `on`, which only a person may choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum DefaultMode {
    /// Nothing is counted to files until the user chooses `local` or `on`.
    Off,
    /// Count locally until the user chooses otherwise (Go's default).
    #[default]
    Local,
}

impl DefaultMode {
    /// `off` or `local`.
    pub fn as_str(self) -> &'static str {
        Mode::from(self).as_str()
    }
}

impl FromStr for DefaultMode {
    type Err = String;
    fn from_str(text: &str) -> Result<DefaultMode, String> {
        match text {
            "off" => Ok(DefaultMode::Off),
            "local" => Ok(DefaultMode::Local),
            "on" => Err(
                "a default mode is off or local, never on: only a person may \
                         choose on"
                    .to_string(),
            ),
            other => Err(format!(
                "unknown default mode {other:?}; expected off or local"
            )),
        }
    }
}

/// The defaults that decide the mode when the user has not chosen one: the
/// distributor's, set when the program was built, before the program author's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Defaults {
    /// `TELEMETRY_DEFAULT_MODE` when the program was built, if it was set.
    pub distributor: Option<DefaultMode>,
    /// The program author's choice (`Program::default_mode`).
    pub program: DefaultMode,
}

impl From<DefaultMode> for Defaults {
    fn from(program: DefaultMode) -> Defaults {
        Defaults {
            distributor: None,
            program,
        }
    }
}

/// The variable a distributor sets, in the build environment, to choose the default
/// mode of the programs it builds (`off` or `local`).
pub const DEFAULT_MODE_VAR: &str = "TELEMETRY_DEFAULT_MODE";

impl From<DefaultMode> for Mode {
    fn from(mode: DefaultMode) -> Mode {
        match mode {
            DefaultMode::Off => Mode::Off,
            DefaultMode::Local => Mode::Local,
        }
    }
}

/// Where the effective mode came from: the setting that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModeSource {
    /// `DO_NOT_TRACK` is set.
    DoNotTrack,
    /// `TELEMETRY_MODE` is set (to the text shown; an unknown value means `off`).
    Environment(String),
    /// There is no telemetry directory (no home directory and no `TELEMETRY_DIR`).
    NoDirectory,
    /// The mode file, chosen on the day given (days since 1970-01-01, UTC).
    File {
        /// The day the mode was chosen.
        since: Option<u64>,
    },
    /// The mode file exists but cannot be used; counted as `off`.
    BadFile(String),
    /// The telemetry directory is not this user's alone (another user owns it, or
    /// may write it); counted as `off`, and nothing in it is read or written.
    Untrusted(String),
    /// No mode file: the distributor's default, set when the program was built.
    Distributor,
    /// No mode file: the program's default for a fresh install.
    Default,
    /// The system policy, which allowed less than the setting that would have
    /// decided otherwise.
    Policy(Cap),
}

impl ModeSource {
    /// True when the mode is the user's own choice or a default, so that changing
    /// the mode file changes it; false when an environment variable, the policy, or
    /// a directory that cannot be used decides instead.
    pub fn follows_mode_file(&self) -> bool {
        matches!(
            self,
            ModeSource::File { .. }
                | ModeSource::BadFile(_)
                | ModeSource::Distributor
                | ModeSource::Default
        )
    }
}

impl fmt::Display for ModeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModeSource::DoNotTrack => f.write_str("DO_NOT_TRACK is set"),
            ModeSource::Environment(value) => {
                write!(f, "TELEMETRY_MODE={value} (this process only)")
            }
            ModeSource::NoDirectory => f.write_str("no home directory and no TELEMETRY_DIR"),
            ModeSource::File { since: Some(day) } => {
                write!(f, "mode file, chosen {}", date::format(*day))
            }
            ModeSource::File { since: None } => f.write_str("mode file"),
            ModeSource::BadFile(why) => write!(f, "mode file unusable ({why}), so off"),
            ModeSource::Untrusted(why) => write!(f, "{why}, so off"),
            ModeSource::Distributor => write!(
                f,
                "the distributor's default, {DEFAULT_MODE_VAR} when this program was built"
            ),
            ModeSource::Default => f.write_str("default of a fresh install"),
            ModeSource::Policy(cap) => cap.fmt(f),
        }
    }
}

/// What the environment says, read once.
///
/// Values are kept as the operating system gave them: a value that is not valid UTF-8
/// is still a value, and for the two privacy variables it means `off`.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// `DO_NOT_TRACK`.
    pub do_not_track: Option<OsString>,
    /// `TELEMETRY_MODE`.
    pub mode: Option<OsString>,
    /// `TELEMETRY_DIR`, made absolute against the working directory when it was read.
    pub dir: Option<std::path::PathBuf>,
    /// `TELEMETRY_POLICY`: a policy file read as well as the system's (see
    /// [`crate::policy`]), made absolute like `dir`.
    pub policy: Option<std::path::PathBuf>,
}

/// The values of `DO_NOT_TRACK` that allow tracking, besides being unset. Any other
/// value, one with spaces or one that is not UTF-8 included, means `off`.
pub const DO_NOT_TRACK_ALLOWS: [&str; 3] = ["", "0", "false"];

impl Env {
    /// Reads the three variables of this process. A relative `TELEMETRY_DIR` is
    /// resolved now, so that a later change of directory moves nothing.
    pub fn from_process() -> Env {
        Env {
            do_not_track: std::env::var_os("DO_NOT_TRACK"),
            mode: std::env::var_os("TELEMETRY_MODE"),
            dir: absolute_var("TELEMETRY_DIR"),
            policy: absolute_var(policy::POLICY_VAR),
        }
    }

    /// True when `DO_NOT_TRACK` asks for no tracking: it is set to anything but one of
    /// [`DO_NOT_TRACK_ALLOWS`].
    pub fn do_not_track(&self) -> bool {
        self.do_not_track
            .as_deref()
            .is_some_and(|v| !DO_NOT_TRACK_ALLOWS.iter().any(|allowed| v == *allowed))
    }

    /// The override from `DO_NOT_TRACK` or `TELEMETRY_MODE`, if any. `TELEMETRY_MODE`
    /// set to anything but `off`, `local` or `on` exactly (or empty, which is unset)
    /// means `off`.
    pub fn override_mode(&self) -> Option<(Mode, ModeSource)> {
        if self.do_not_track() {
            return Some((Mode::Off, ModeSource::DoNotTrack));
        }
        let value = self.mode.as_deref()?;
        if value.is_empty() {
            return None;
        }
        let mode = value
            .to_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Mode::Off);
        Some((
            mode,
            ModeSource::Environment(value.to_string_lossy().into_owned()),
        ))
    }
}

/// The value of the variable `name` as an absolute path, if it is set and not empty.
fn absolute_var(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os(name).filter(|d| !d.is_empty()).map(|d| {
        let dir = std::path::PathBuf::from(d);
        std::path::absolute(&dir).unwrap_or(dir)
    })
}

/// The contents of a mode file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeFile {
    /// The chosen mode.
    pub mode: Mode,
    /// The UTC day it was chosen.
    pub since: Option<u64>,
}

/// The mode file's name inside the telemetry directory.
pub const MODE_FILE: &str = "mode";

/// Reads `<dir>/mode`: `Ok(None)` when there is none. The file must be a regular
/// file of this user's, at most a few kilobytes (see [`crate::safe_fs`]).
pub fn read_mode_file(dir: &Path) -> Result<Option<ModeFile>, String> {
    let text = match safe_fs::read_small(&dir.join(MODE_FILE)) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    parse_mode_file(&text).map(Some)
}

fn parse_mode_file(text: &str) -> Result<ModeFile, String> {
    let line = text.trim();
    let (mode, since) = match line.split_once(' ') {
        Some((mode, since)) => (mode, Some(since.trim())),
        None => (line, None),
    };
    let mode: Mode = mode.parse()?;
    let since = match since {
        Some(text) => Some(date::parse(text).ok_or_else(|| format!("bad date {text:?}"))?),
        None => None,
    };
    Ok(ModeFile { mode, since })
}

/// Writes `<dir>/mode` (creating `dir` when needed) with today's date, through a
/// temporary file and a rename, so a reader never sees half a line.
pub fn write_mode_file(dir: &Path, mode: Mode, today: u64) -> io::Result<()> {
    if let Some(root) = dir.parent() {
        safe_fs::ensure_dir(root, true)?;
    }
    safe_fs::ensure_dir(dir, false)?;
    let temp = dir.join(safe_fs::unique_name(MODE_FILE, ".tmp"));
    safe_fs::write_new(
        &temp,
        format!("{mode} {}\n", date::format(today)).as_bytes(),
    )?;
    std::fs::rename(&temp, dir.join(MODE_FILE)).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Checks the root and namespace directories, where they exist: a tree another user
/// created first could hold a mode file saying `on`.
pub fn trusted_tree(namespace_dir: &Path) -> Result<(), String> {
    let root = namespace_dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(root) = root {
        safe_fs::check_dir(root, true).map_err(|e| e.to_string())?;
    }
    safe_fs::check_dir(namespace_dir, false)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// What the user's side of the decision found: the telemetry directory and its mode
/// file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// There is no telemetry directory.
    NoDirectory,
    /// The directory is not this user's alone, for the reason given.
    Untrusted(String),
    /// The mode file.
    File(ModeFile),
    /// A mode file that cannot be used, for the reason given.
    BadFile(String),
    /// No mode file: the user has not chosen.
    Missing,
}

impl Recorded {
    /// Looks at `dir` (the namespace directory, if there is one) and its mode file.
    pub fn read(dir: Option<&Path>) -> Recorded {
        let Some(dir) = dir else {
            return Recorded::NoDirectory;
        };
        if let Err(why) = trusted_tree(dir) {
            return Recorded::Untrusted(why);
        }
        match read_mode_file(dir) {
            Ok(Some(file)) => Recorded::File(file),
            Ok(None) => Recorded::Missing,
            Err(why) => Recorded::BadFile(why),
        }
    }
}

/// The effective mode, from everything that may decide it: the environment, the
/// policy's cap on the namespace, what the user recorded, and the defaults. The one
/// place the order of precedence is written (see the module docs).
pub fn decide(
    env: &Env,
    cap: Option<&Cap>,
    recorded: &Recorded,
    defaults: Defaults,
) -> (Mode, ModeSource) {
    if env.do_not_track() {
        return (Mode::Off, ModeSource::DoNotTrack);
    }
    let (mode, source) = match env.override_mode() {
        Some(found) => found,
        None => match recorded {
            Recorded::NoDirectory => (Mode::Off, ModeSource::NoDirectory),
            Recorded::Untrusted(why) => (Mode::Off, ModeSource::Untrusted(why.clone())),
            Recorded::File(file) => (file.mode, ModeSource::File { since: file.since }),
            Recorded::BadFile(why) => (Mode::Off, ModeSource::BadFile(why.clone())),
            Recorded::Missing => match defaults.distributor {
                Some(mode) => (mode.into(), ModeSource::Distributor),
                None => (defaults.program.into(), ModeSource::Default),
            },
        },
    };
    match cap {
        Some(cap) if cap.mode < mode => (cap.mode, ModeSource::Policy(cap.clone())),
        _ => (mode, source),
    }
}

/// Everything that went into a decision, for `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The effective mode.
    pub mode: Mode,
    /// The setting that decided it.
    pub source: ModeSource,
    /// The policy files found.
    pub policy: Policy,
    /// The policy's cap on the namespace, whether or not it decided.
    pub cap: Option<Cap>,
    /// What the user recorded; `None` when the environment decided without the
    /// directory being looked at.
    pub recorded: Option<Recorded>,
}

/// Reads the policy (the system's, and the file `env.policy` names), the directory
/// and its mode file, and decides the mode of the namespace whose directory is `dir`
/// (`<root>/<namespace>`; `None` when there is no root, where only policy rules for
/// every namespace apply).
pub fn decide_at(env: &Env, dir: Option<&Path>, defaults: impl Into<Defaults>) -> Decision {
    let namespace = dir
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let policy = Policy::read(env.policy.as_deref());
    let cap = policy.cap(namespace);
    // DO_NOT_TRACK and TELEMETRY_MODE decide without the directory being looked at.
    let recorded = env.override_mode().is_none().then(|| Recorded::read(dir));
    let (mode, source) = decide(
        env,
        cap.as_ref(),
        recorded.as_ref().unwrap_or(&Recorded::Missing),
        defaults.into(),
    );
    Decision {
        mode,
        source,
        policy,
        cap,
        recorded,
    }
}

/// Decides the effective mode of the namespace whose directory is `dir` (see
/// [`decide_at`] and, for the order, the module docs).
pub fn effective(
    env: &Env,
    dir: Option<&Path>,
    defaults: impl Into<Defaults>,
) -> (Mode, ModeSource) {
    let decision = decide_at(env, dir, defaults);
    (decision.mode, decision.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(dnt: Option<&str>, mode: Option<&str>) -> Env {
        Env {
            do_not_track: dnt.map(OsString::from),
            mode: mode.map(OsString::from),
            ..Env::default()
        }
    }

    #[cfg(unix)]
    fn not_utf8() -> OsString {
        std::os::unix::ffi::OsStringExt::from_vec(vec![0xff, b'1'])
    }

    #[test]
    fn do_not_track_wins_over_everything() {
        let (mode, source) = effective(&env(Some("1"), Some("on")), None, DefaultMode::Local);
        assert_eq!((mode, source), (Mode::Off, ModeSource::DoNotTrack));
    }

    #[test]
    fn do_not_track_zero_false_or_empty_is_not_set() {
        for value in ["", "0", "false"] {
            assert_eq!(env(Some(value), None).override_mode(), None, "{value:?}");
        }
    }

    #[test]
    fn every_other_do_not_track_value_means_off() {
        for value in [
            "1", "true", "yes", " ", "0 ", " 0", "FALSE", "False", "no", "\t",
        ] {
            assert_eq!(
                env(Some(value), Some("on")).override_mode(),
                Some((Mode::Off, ModeSource::DoNotTrack)),
                "{value:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn values_that_are_not_utf8_mean_off() {
        let dnt = Env {
            do_not_track: Some(not_utf8()),
            ..Env::default()
        };
        assert_eq!(dnt.override_mode().map(|m| m.0), Some(Mode::Off));
        let mode = Env {
            mode: Some(not_utf8()),
            ..Env::default()
        };
        assert_eq!(mode.override_mode().map(|m| m.0), Some(Mode::Off));
    }

    #[test]
    fn telemetry_mode_overrides_and_an_unknown_value_means_off() {
        assert_eq!(
            env(None, Some("local")).override_mode().map(|m| m.0),
            Some(Mode::Local)
        );
        for value in ["of", " local", "local ", "Local", "ON"] {
            assert_eq!(
                env(None, Some(value)).override_mode().map(|m| m.0),
                Some(Mode::Off),
                "{value:?}"
            );
        }
        assert_eq!(env(None, Some("")).override_mode(), None, "empty is unset");
    }

    #[test]
    fn no_directory_means_off() {
        assert_eq!(
            effective(&env(None, None), None, DefaultMode::Local).0,
            Mode::Off
        );
    }

    #[test]
    fn parses_mode_files_strictly() {
        assert_eq!(
            parse_mode_file("on 2026-11-22\n"),
            Ok(ModeFile {
                mode: Mode::On,
                since: date::parse("2026-11-22")
            })
        );
        assert_eq!(parse_mode_file("local").map(|m| m.since), Ok(None));
        assert!(parse_mode_file("maybe 2026-11-22").is_err());
        assert!(parse_mode_file("on 2026-02-30").is_err());
        assert!(parse_mode_file("").is_err());
    }

    /// One row of the precedence table: the inputs, and the mode and setting that win.
    struct Case {
        dnt: Option<&'static str>,
        env_mode: Option<&'static str>,
        cap: Option<Mode>,
        recorded: Recorded,
        distributor: Option<DefaultMode>,
        program: DefaultMode,
        expect: (Mode, &'static str),
    }

    fn kind(source: &ModeSource) -> &'static str {
        match source {
            ModeSource::DoNotTrack => "DO_NOT_TRACK",
            ModeSource::Environment(_) => "TELEMETRY_MODE",
            ModeSource::NoDirectory => "no directory",
            ModeSource::Untrusted(_) => "untrusted",
            ModeSource::File { .. } => "mode file",
            ModeSource::BadFile(_) => "bad mode file",
            ModeSource::Distributor => "distributor",
            ModeSource::Default => "program",
            ModeSource::Policy(_) => "policy",
        }
    }

    #[test]
    fn the_precedence_table_case_by_case() {
        use DefaultMode as D;
        use Mode::{Local, Off, On};
        let file = |mode| {
            Recorded::File(ModeFile {
                mode,
                since: Some(20_000),
            })
        };
        let case = |dnt, env_mode, cap, recorded, distributor, program, expect| Case {
            dnt,
            env_mode,
            cap,
            recorded,
            distributor,
            program,
            expect,
        };
        let cases = [
            // 1. DO_NOT_TRACK beats everything, a policy and TELEMETRY_MODE included.
            case(
                Some("1"),
                Some("on"),
                None,
                file(On),
                None,
                D::Local,
                (Off, "DO_NOT_TRACK"),
            ),
            case(
                Some("1"),
                None,
                Some(Local),
                file(On),
                None,
                D::Local,
                (Off, "DO_NOT_TRACK"),
            ),
            // 2. TELEMETRY_MODE beats the user's choice and every default...
            case(
                None,
                Some("on"),
                None,
                file(Off),
                Some(D::Off),
                D::Off,
                (On, "TELEMETRY_MODE"),
            ),
            case(
                None,
                Some("off"),
                None,
                file(On),
                None,
                D::Local,
                (Off, "TELEMETRY_MODE"),
            ),
            case(
                None,
                Some("bogus"),
                None,
                file(On),
                None,
                D::Local,
                (Off, "TELEMETRY_MODE"),
            ),
            case(
                None,
                Some("local"),
                None,
                Recorded::NoDirectory,
                None,
                D::Local,
                (Local, "TELEMETRY_MODE"),
            ),
            // ...but the policy caps it, and a lower value passes the cap.
            case(
                None,
                Some("on"),
                Some(Local),
                file(On),
                None,
                D::Local,
                (Local, "policy"),
            ),
            case(
                None,
                Some("on"),
                Some(Off),
                Recorded::Missing,
                None,
                D::Local,
                (Off, "policy"),
            ),
            case(
                None,
                Some("off"),
                Some(Local),
                file(On),
                None,
                D::Local,
                (Off, "TELEMETRY_MODE"),
            ),
            // 3-4. No usable directory means off.
            case(
                None,
                None,
                None,
                Recorded::NoDirectory,
                None,
                D::Local,
                (Off, "no directory"),
            ),
            case(
                None,
                None,
                None,
                Recorded::Untrusted("others may write it".into()),
                None,
                D::Local,
                (Off, "untrusted"),
            ),
            // 5. The user's choice beats every default, and is capped by the policy.
            case(
                None,
                None,
                None,
                file(On),
                Some(D::Off),
                D::Off,
                (On, "mode file"),
            ),
            case(
                None,
                None,
                None,
                file(Local),
                Some(D::Off),
                D::Off,
                (Local, "mode file"),
            ),
            case(
                None,
                None,
                None,
                file(Off),
                None,
                D::Local,
                (Off, "mode file"),
            ),
            case(
                None,
                None,
                Some(Local),
                file(On),
                None,
                D::Local,
                (Local, "policy"),
            ),
            case(
                None,
                None,
                Some(Off),
                file(Local),
                None,
                D::Local,
                (Off, "policy"),
            ),
            case(
                None,
                None,
                Some(Local),
                file(Local),
                None,
                D::Local,
                (Local, "mode file"),
            ),
            case(
                None,
                None,
                None,
                Recorded::BadFile("bad date".into()),
                None,
                D::Local,
                (Off, "bad mode file"),
            ),
            // 6. The distributor's default beats the program's, either way.
            case(
                None,
                None,
                None,
                Recorded::Missing,
                Some(D::Off),
                D::Local,
                (Off, "distributor"),
            ),
            case(
                None,
                None,
                None,
                Recorded::Missing,
                Some(D::Local),
                D::Off,
                (Local, "distributor"),
            ),
            case(
                None,
                None,
                Some(Off),
                Recorded::Missing,
                Some(D::Local),
                D::Local,
                (Off, "policy"),
            ),
            // 7. The program's default, last.
            case(
                None,
                None,
                None,
                Recorded::Missing,
                None,
                D::Local,
                (Local, "program"),
            ),
            case(
                None,
                None,
                None,
                Recorded::Missing,
                None,
                D::Off,
                (Off, "program"),
            ),
            case(
                None,
                None,
                Some(Local),
                Recorded::Missing,
                None,
                D::Local,
                (Local, "program"),
            ),
            case(
                None,
                None,
                Some(Off),
                Recorded::Missing,
                None,
                D::Off,
                (Off, "program"),
            ),
            // DO_NOT_TRACK values that allow tracking leave the rest to decide.
            case(
                Some("0"),
                None,
                None,
                file(On),
                None,
                D::Local,
                (On, "mode file"),
            ),
        ];
        for (row, c) in cases.iter().enumerate() {
            let env = env(c.dnt, c.env_mode);
            let cap = c.cap.map(|mode| Cap {
                mode,
                path: "/etc/rust-telemetry/policy".into(),
                line: Some(2),
                unusable: None,
            });
            let defaults = Defaults {
                distributor: c.distributor,
                program: c.program,
            };
            let (mode, source) = decide(&env, cap.as_ref(), &c.recorded, defaults);
            assert_eq!((mode, kind(&source)), c.expect, "row {row}");
        }
    }

    #[test]
    fn a_policy_that_decides_names_its_file_and_line() {
        let cap = Cap {
            mode: Mode::Local,
            path: "/etc/rust-telemetry/policy".into(),
            line: Some(3),
            unusable: None,
        };
        let recorded = Recorded::File(ModeFile {
            mode: Mode::On,
            since: None,
        });
        let (_, source) = decide(&env(None, None), Some(&cap), &recorded, Defaults::default());
        assert_eq!(
            source.to_string(),
            "the policy file /etc/rust-telemetry/policy (line 3): at most local"
        );
        assert!(!source.follows_mode_file());
    }

    #[test]
    fn default_modes_are_off_or_local_never_on() {
        assert_eq!("off".parse(), Ok(DefaultMode::Off));
        assert_eq!("local".parse(), Ok(DefaultMode::Local));
        let on = "on".parse::<DefaultMode>().unwrap_err();
        assert!(on.contains("never on"), "{on}");
        assert!("Local".parse::<DefaultMode>().is_err());
    }
}
