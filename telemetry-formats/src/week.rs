//! Weeks: each installation picks a random weekday once, and every week ends on it.
//!
//! A counter file covers the week containing the day it is opened: from the last
//! occurrence of the chosen weekday on or before that day, to the next one after it.
//! Every process of a build that runs during the week shares the file; no file covers
//! more than 7 days.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::Path;

use crate::safe_fs;

/// The weekday file's name inside the `local` directory.
pub const WEEKDAY_FILE: &str = "weekday";

/// The week (first day, day after the last day) containing `day`, for weeks that end
/// on `weekday` (0 = Sunday). Days are counted from 1970-01-01.
pub fn window(day: u64, weekday: u8) -> (u64, u64) {
    let today = crate::date::weekday(day);
    let ahead = (u64::from(weekday) + 7 - u64::from(today)) % 7;
    let end = day + if ahead == 0 { 7 } else { ahead };
    (end - 7, end)
}

/// The installation's weekday, read from `local/weekday`, or chosen at random and
/// written there the first time. Processes racing to choose (several containers may
/// share the directory, each its own PID 1) all end up using the value on disk: each
/// writes its choice to a temporary file of a unique name and links it into place
/// without replacing anything, then every one of them reads the file back.
pub fn installation_weekday(local: &Path) -> io::Result<u8> {
    if let Some(day) = read_weekday(local)? {
        return Ok(day);
    }
    let temp = local.join(safe_fs::unique_name(WEEKDAY_FILE, ".tmp"));
    safe_fs::write_new(&temp, format!("{}\n", random_weekday()).as_bytes())?;
    safe_fs::place_new(&temp, &local.join(WEEKDAY_FILE))?;
    read_weekday(local)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "the weekday file vanished"))
}

/// The weekday stored in `local/weekday`: `Ok(None)` when none is chosen yet, an
/// `InvalidData` error when the file holds anything but a digit from 0 to 6, another
/// error when it is not a small regular file of this user's.
pub fn read_weekday(local: &Path) -> io::Result<Option<u8>> {
    let path = local.join(WEEKDAY_FILE);
    let Some(text) = safe_fs::read_small(&path)? else {
        return Ok(None);
    };
    match text.trim().parse::<u8>() {
        Ok(day) if day < 7 => Ok(Some(day)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} holds {:?}, not a weekday from 0 to 6",
                path.display(),
                text.trim()
            ),
        )),
    }
}

/// A weekday from the operating system's randomness (through std's hash seeds).
fn random_weekday() -> u8 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(crate::date::now_nanos());
    (hasher.finish() % 7) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::{self, weekday};

    #[test]
    fn every_today_and_weekday_pair_gives_a_week_ending_on_that_weekday() {
        let sunday = date::parse("2026-11-22").unwrap();
        for offset in 0..7 {
            let today = sunday + offset;
            for chosen in 0..7u8 {
                let (begin, end) = window(today, chosen);
                assert_eq!(end - begin, 7, "a week is 7 days");
                assert!(begin <= today && today < end, "the week contains today");
                assert_eq!(weekday(end), chosen, "it ends on the chosen weekday");
                assert_eq!(weekday(begin), chosen, "and begins on it");
            }
        }
    }

    #[test]
    fn the_chosen_weekday_itself_starts_a_new_week() {
        let sunday = date::parse("2026-11-22").unwrap();
        assert_eq!(window(sunday, 0), (sunday, sunday + 7));
        assert_eq!(window(sunday + 6, 0), (sunday, sunday + 7));
        assert_eq!(window(sunday + 7, 0), (sunday + 7, sunday + 14));
    }
}
