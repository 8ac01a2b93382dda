//! Dates as every format writes them: `YYYY-MM-DD`, a real calendar day (UTC) from
//! 1970-01-01 on. Used for `expires = "…"` (checked by the macros), in manifests, the
//! upload config and reports.

use std::fmt;

/// Why a text is not a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not `DDDD-DD-DD` with ASCII digits.
    NotWritten,
    /// Before 1970-01-01.
    Before1970,
    /// A month outside 1 to 12.
    NoMonth(u32),
    /// A day outside the month: its year, month and number of days.
    NoDay(u32, u32, u32),
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::NotWritten => f.write_str("not a date written `YYYY-MM-DD`"),
            DateError::Before1970 => f.write_str("the date must be 1970-01-01 or later"),
            DateError::NoMonth(month) => write!(f, "not a date: there is no month {month}"),
            DateError::NoDay(year, month, days) => {
                write!(f, "not a date: {year:04}-{month:02} has {days} days")
            }
        }
    }
}

impl std::error::Error for DateError {}

/// The day number (days since 1970-01-01) of a date written `YYYY-MM-DD`.
pub fn parse(text: &str) -> Result<u64, DateError> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(DateError::NotWritten);
    }
    let number = |part: &[u8]| -> Result<u32, DateError> {
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(DateError::NotWritten);
        }
        Ok(part.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
    };
    let (year, month, day) = (
        number(&bytes[0..4])?,
        number(&bytes[5..7])?,
        number(&bytes[8..10])?,
    );
    if year < 1970 {
        return Err(DateError::Before1970);
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::NoMonth(month));
    }
    let days = days_in_month(year, month);
    if !(1..=days).contains(&day) {
        return Err(DateError::NoDay(year, month, days));
    }
    Ok(days_from_civil(year, month, day))
}

/// The number of days of `month` (1 to 12) in `year`.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date from then on. The well-known "days from civil"
/// construction: the year starts in March so the leap day is last, then 400-year eras
/// are counted.
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    let (y, m, d) = (u64::from(year), u64::from(month), u64::from(day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_are_days_since_1970() {
        assert_eq!(parse("1970-01-01"), Ok(0));
        assert_eq!(parse("2000-02-29"), Ok(11_016));
        assert_eq!(parse("2026-11-22"), Ok(20_779));
        assert!(parse("9999-12-31").is_ok());
    }

    #[test]
    fn each_wrong_date_says_why() {
        for (text, why) in [
            ("2027-6-30", DateError::NotWritten),
            ("2027/06/30", DateError::NotWritten),
            ("+027-06-30", DateError::NotWritten),
            ("２０２７-06-30", DateError::NotWritten),
            ("", DateError::NotWritten),
            ("1969-12-31", DateError::Before1970),
            ("2027-13-01", DateError::NoMonth(13)),
            ("2027-00-10", DateError::NoMonth(0)),
            ("2027-02-29", DateError::NoDay(2027, 2, 28)),
            ("2100-02-29", DateError::NoDay(2100, 2, 28)),
            ("2027-01-00", DateError::NoDay(2027, 1, 31)),
        ] {
            assert_eq!(parse(text), Err(why), "{text:?}");
        }
    }
}
