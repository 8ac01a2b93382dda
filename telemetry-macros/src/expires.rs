//! `expires = "YYYY-MM-DD"`: the last day (UTC) a counter may be uploaded, accepted by
//! every declaring macro and written into the counter's manifest record.
//!
//! The date is checked while the program compiles, with the error on the string: it
//! must be a real calendar date written as the upload config writes dates, from
//! 1970-01-01 on (`telemetry_rules::date`, by which every format reads dates). It is
//! not compared with today's date: a build that compiles today compiles the same
//! tomorrow, and an expired counter still counts locally; only its upload stops.

use syn::{Error, LitStr, Result};
use telemetry_rules::date::{self, DateError};

use crate::args::Args;

/// The `expires = "…"` argument, checked: the date's text, or "" when there is none.
pub(crate) fn take(args: &mut Args) -> Result<String> {
    match args.take_str("expires")? {
        Some(lit) => check(&lit),
        None => Ok(String::new()),
    }
}

/// `lit`'s text when it is a date `YYYY-MM-DD` from 1970-01-01 on.
fn check(lit: &LitStr) -> Result<String> {
    let text = lit.value();
    let why = match date::parse(&text) {
        Ok(_) => return Ok(text),
        Err(DateError::NotWritten) => format!(
            "`expires` takes a date written `YYYY-MM-DD` (the last day the counter is \
             uploaded, UTC), not {text:?}"
        ),
        Err(DateError::Before1970) => {
            format!("`expires = {text:?}`: the date must be 1970-01-01 or later")
        }
        Err(error) => format!("`expires = {text:?}` is {error}"),
    };
    Err(Error::new(lit.span(), why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn checked(text: &str) -> std::result::Result<String, String> {
        check(&LitStr::new(text, Span::call_site())).map_err(|e| e.to_string())
    }

    #[test]
    fn real_dates_are_accepted_as_written() {
        for date in [
            "2027-06-30",
            "1970-01-01",
            "2000-02-29",
            "2024-02-29",
            "9999-12-31",
        ] {
            assert_eq!(checked(date).as_deref(), Ok(date));
        }
    }

    #[test]
    fn each_wrong_date_says_why() {
        for (text, why) in [
            ("2027-6-30", "written `YYYY-MM-DD`"),
            ("2027/06/30", "written `YYYY-MM-DD`"),
            ("30-06-2027", "written `YYYY-MM-DD`"),
            ("2027-06-30 ", "written `YYYY-MM-DD`"),
            ("+027-06-30", "written `YYYY-MM-DD`"),
            ("２０２７-06-30", "written `YYYY-MM-DD`"),
            ("", "written `YYYY-MM-DD`"),
            ("1969-12-31", "1970-01-01 or later"),
            ("2027-13-01", "there is no month 13"),
            ("2027-00-10", "there is no month 0"),
            ("2027-02-29", "2027-02 has 28 days"),
            ("2100-02-29", "2100-02 has 28 days"),
            ("2027-04-31", "2027-04 has 30 days"),
            ("2027-01-00", "2027-01 has 31 days"),
        ] {
            let error = checked(text).unwrap_err();
            assert!(error.contains(why), "{text:?}: {error}");
        }
    }
}
