//! What serving the pages needs, the same for the collection server and `telemetry
//! view`: the `Content-Security-Policy` the pages are drawn for, and the week their
//! links ask for.

use telemetry_formats::date;

/// The `Content-Security-Policy` every page is served with: the pages have no script
/// and no frame, take styles only from the site's own stylesheet and images from it or
/// inline (the empty icon), and submit no form.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                       base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The week a page's query asks for, as the pages link to weeks (`/?week=2026-11-26`):
/// the first `week=` whose value is a `YYYY-MM-DD` date.
pub fn week_of(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.strip_prefix("week="))
        .find(|w| date::parse(w).is_some())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_week_that_is_a_date_is_asked_for() {
        assert_eq!(
            week_of(Some("week=2026-11-26")).as_deref(),
            Some("2026-11-26")
        );
        assert_eq!(
            week_of(Some("week=soon&week=2026-12-03")).as_deref(),
            Some("2026-12-03")
        );
        assert_eq!(week_of(Some("x=1&week=<b>")), None);
        assert_eq!(week_of(None), None);
    }
}
