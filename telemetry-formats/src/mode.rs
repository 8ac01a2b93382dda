//! Modes: `off`, `local` and `on`, where they come from, and the mode file.
//!
//! The mode file is `<telemetry dir>/mode`, one line: the mode, a space, and the UTC
//! date it was chosen (`on 2026-11-22`). The effective mode of a process is decided
//! in this order:
//!
//! 1. `DO_NOT_TRACK` set to anything but empty, `0` or `false` (exactly; a value with
//!    spaces, or one that is not UTF-8, counts as set): `off`;
//! 2. `TELEMETRY_MODE=off|local|on`: that mode, for this process only (any other
//!    value, one that is not UTF-8 included, counts as `off`); nothing is written;
//! 3. no telemetry directory (no home directory, and no `TELEMETRY_DIR`): `off`;
//! 4. a telemetry directory that is not this user's alone: `off`;
//! 5. the mode file (one that cannot be read or understood counts as `off`);
//! 6. the program's default for a fresh install, `local` unless the author chose `off`.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;
use std::str::FromStr;

use crate::date;
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

/// The mode of a fresh install, chosen by the program's author: never `on`, which
/// only a person may choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DefaultMode {
    /// Nothing is counted to files until the user chooses `local` or `on`.
    Off,
    /// Count locally until the user chooses otherwise (Go's default).
    #[default]
    Local,
}

impl From<DefaultMode> for Mode {
    fn from(mode: DefaultMode) -> Mode {
        match mode {
            DefaultMode::Off => Mode::Off,
            DefaultMode::Local => Mode::Local,
        }
    }
}

/// Where the effective mode came from.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// No mode file: the program's default for a fresh install.
    Default,
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
            ModeSource::Default => f.write_str("default of a fresh install"),
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
            dir: std::env::var_os("TELEMETRY_DIR")
                .filter(|d| !d.is_empty())
                .map(|d| {
                    let dir = std::path::PathBuf::from(d);
                    std::path::absolute(&dir).unwrap_or(dir)
                }),
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

/// Decides the effective mode (see the module docs for the order).
pub fn effective(env: &Env, dir: Option<&Path>, default: DefaultMode) -> (Mode, ModeSource) {
    if let Some(found) = env.override_mode() {
        return found;
    }
    let Some(dir) = dir else {
        return (Mode::Off, ModeSource::NoDirectory);
    };
    if let Err(why) = trusted_tree(dir) {
        return (Mode::Off, ModeSource::Untrusted(why));
    }
    match read_mode_file(dir) {
        Ok(Some(file)) => (file.mode, ModeSource::File { since: file.since }),
        Ok(None) => (default.into(), ModeSource::Default),
        Err(why) => (Mode::Off, ModeSource::BadFile(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(dnt: Option<&str>, mode: Option<&str>) -> Env {
        Env {
            do_not_track: dnt.map(OsString::from),
            mode: mode.map(OsString::from),
            dir: None,
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
}
