//! Calendar dates in UTC, as days since 1970-01-01, without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// Days since 1970-01-01 (UTC) of a Unix time in seconds.
pub fn day_of(unix_secs: u64) -> u64 {
    unix_secs / DAY
}

/// In a debug build, with `TELEMETRY_DIR` set, this many days (at most 400) are taken
/// off the clock of the process: a scratch installation can then be made as it would
/// have been days ago (upload turned on, a week counted), to see its upload arrive at
/// once (README, "The collection server"). Release builds ignore it, and so does a
/// process without `TELEMETRY_DIR`, so that no variable moves the clock of a real
/// installation.
pub const DEBUG_DAYS_AGO_VAR: &str = "TELEMETRY_DEBUG_DAYS_AGO";

/// The current Unix time in seconds (0 if the clock is before 1970), less
/// [`DEBUG_DAYS_AGO_VAR`] days in a debug build of a scratch installation.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(debug_shift())
}

/// The seconds [`DEBUG_DAYS_AGO_VAR`] takes off the clock, read once per process.
#[cfg(debug_assertions)]
fn debug_shift() -> u64 {
    static SHIFT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SHIFT.get_or_init(|| {
        if std::env::var_os("TELEMETRY_DIR").is_none() {
            return 0;
        }
        std::env::var(DEBUG_DAYS_AGO_VAR)
            .ok()
            .and_then(|days| days.trim().parse::<u64>().ok())
            .filter(|days| *days <= 400)
            .map_or(0, |days| days * DAY)
    })
}

/// Release builds: nothing moves the clock.
#[cfg(not(debug_assertions))]
const fn debug_shift() -> u64 {
    0
}

/// Nanoseconds since the Unix epoch, for unique temporary names.
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The weekday of a day number: 0 is Sunday … 6 is Saturday (1970-01-01 was a
/// Thursday).
pub fn weekday(day: u64) -> u8 {
    ((day + 4) % 7) as u8
}

/// `YYYY-MM-DD` of a day number.
pub fn format(day: u64) -> String {
    let (y, m, d) = civil(day as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day number of a `YYYY-MM-DD` date, if it is a valid date on or after 1970-01-01
/// (the rule is `telemetry_rules::date`'s, which the macros check `expires` by).
pub fn parse(text: &str) -> Option<u64> {
    telemetry_rules::date::parse(text).ok()
}

/// The inverse of the rules' "days from civil" construction (shift the year to start
/// in March so the leap day is last, then count 400-year eras).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let m = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let y = year_of_era + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_for_four_centuries() {
        for day in 0..146_097 {
            assert_eq!(parse(&format(day)), Some(day), "{}", format(day));
        }
    }

    #[test]
    fn knows_some_fixed_dates() {
        assert_eq!(format(0), "1970-01-01");
        assert_eq!(parse("2000-02-29"), Some(11_016));
        assert_eq!(parse("2026-11-22").map(weekday), Some(0), "a Sunday");
        assert_eq!(parse("1900-02-29"), None);
        assert_eq!(parse("2023-02-29"), None);
        assert_eq!(parse("2026-13-01"), None);
        assert_eq!(parse("2026-1-01"), None);
        assert_eq!(parse("+026-01-01"), None);
    }
}
