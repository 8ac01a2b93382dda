//! Counter names, as Go's telemetry writes them: a `/`-separated hierarchy rooted at
//! its owner (`mytool/cache`), words joined by `-`, and at most one `:` separating a
//! chart from its bucket (`mytool/cache:hit`). A label set is written as one name with
//! its labels in braces (`mytool/editor:{vscode,vim}`) and stands for one counter per
//! label.
//!
//! [`check`] says whether a written name is one, and [`NameError`] why not, in the
//! words the macros show at the string literal.

use std::fmt;

use crate::{FALLBACK_LABEL, MAX_NAME_LEN};

/// What a declaration accepts as its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accept {
    /// `counter!`: a plain name or a label set `chart:{a,b}`.
    CounterOrLabels,
    /// `#[counted]`, `stack_counter!`: a plain name.
    Plain,
    /// `histogram!`: a chart without `:`; the macro adds the buckets.
    Chart,
}

/// A name that follows the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name<'a> {
    /// One counter's name.
    Plain(&'a str),
    /// A label set: the chart and its labels as written (without the fallback label
    /// when they lack it).
    Labels {
        /// What comes before `:`.
        chart: &'a str,
        /// The labels in the braces, in order.
        labels: Vec<&'a str>,
    },
}

/// Why a written name is not a counter name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing at all.
    Empty,
    /// A whitespace character.
    Whitespace(char),
    /// A control character or one that prints as nothing.
    Unprintable(char),
    /// A second `:`.
    TwoColons,
    /// `:` first.
    NothingBeforeColon,
    /// An empty `/` segment in the chart.
    EmptySegment(String),
    /// One of `{ } , \ "` in the chart.
    Reserved(char),
    /// A `:` in a histogram's name.
    ColonInHistogram,
    /// A label set where only a plain name goes.
    LabelsNotAllowed,
    /// Nothing after `:` (the part is `bucket` or `label`).
    EmptyPart(&'static str),
    /// A character a bucket or label may not hold: the part, its text, the character.
    BadChar(&'static str, String, char),
    /// Braces that do not enclose the whole bucket.
    MalformedLabels(String),
    /// An empty label in the set.
    EmptyLabel(String),
    /// A label of the set breaks a rule.
    BadLabel(String, Box<NameError>),
    /// A label written twice in the set.
    DuplicateLabel(String, String),
    /// Longer than [`MAX_NAME_LEN`]: the length.
    TooLong(usize),
    /// With this label (the longest, maybe the fallback), longer than
    /// [`MAX_NAME_LEN`].
    LabelTooLong(String, usize),
    /// With this histogram bucket, longer than [`MAX_NAME_LEN`].
    BucketTooLong(String, usize),
    /// A histogram unit with a character other than letters, digits and `-_/.%µ`.
    BadUnit(char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LIMIT: usize = MAX_NAME_LEN;
        match self {
            NameError::Empty => f.write_str("counter name is empty"),
            NameError::Whitespace(c) => write!(
                f,
                "counter name contains whitespace ({c:?}); join words with `-`"
            ),
            NameError::Unprintable(c) => write!(
                f,
                "counter name contains an unprintable character ({})",
                c.escape_unicode()
            ),
            NameError::TwoColons => f.write_str(
                "counter name has more than one `:`; only one may separate the chart from \
                 its bucket",
            ),
            NameError::NothingBeforeColon => f.write_str("counter name has nothing before `:`"),
            NameError::EmptySegment(chart) => write!(
                f,
                "counter name `{chart}` has an empty `/` segment (leading, trailing or \
                 doubled `/`)"
            ),
            NameError::Reserved(c) => write!(f, "counter name contains {c:?}, which is reserved"),
            NameError::ColonInHistogram => f.write_str(
                "a histogram name has no `:`; its buckets `:<bound>` are added by the macro",
            ),
            NameError::LabelsNotAllowed => {
                f.write_str("a label set `{…}` is only allowed in `counter!`")
            }
            NameError::EmptyPart(what) => {
                write!(f, "counter name has an empty {what} after `:`")
            }
            NameError::BadChar(what, text, c) => write!(
                f,
                "{what} `{text}` contains {c:?}, which is not allowed in a {what}"
            ),
            NameError::MalformedLabels(set) => {
                write!(f, "malformed label set `{set}`: write `chart:{{a,b,c}}`")
            }
            NameError::EmptyLabel(set) => write!(
                f,
                "malformed label set `{set}`: empty label; write `chart:{{a,b,c}}`"
            ),
            NameError::BadLabel(set, why) => write!(f, "malformed label set `{set}`: {why}"),
            NameError::DuplicateLabel(label, set) => {
                write!(f, "label `{label}` appears twice in `{set}`")
            }
            NameError::TooLong(len) => {
                write!(f, "counter name is {len} bytes long; the limit is {LIMIT}")
            }
            NameError::LabelTooLong(label, len) => write!(
                f,
                "with the label `{label}`, the counter name is {len} bytes long; the limit \
                 is {LIMIT}"
            ),
            NameError::BucketTooLong(bucket, len) => write!(
                f,
                "with the bucket `{bucket}`, the counter name is {len} bytes long; the limit \
                 is {LIMIT}"
            ),
            NameError::BadUnit(c) => write!(
                f,
                "histogram unit contains {c:?}; use letters, digits and `-_/.%µ`"
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// Checks `text` against the naming rules, as a declaration accepting `accept`.
pub fn check(text: &str, accept: Accept) -> Result<Name<'_>, NameError> {
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(c) = text.chars().find(|c| c.is_whitespace()) {
        return Err(NameError::Whitespace(c));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() || is_invisible(*c)) {
        return Err(NameError::Unprintable(c));
    }
    let (chart, bucket) = match text.split_once(':') {
        Some((chart, bucket)) => (chart, Some(bucket)),
        None => (text, None),
    };
    if bucket.is_some_and(|b| b.contains(':')) {
        return Err(NameError::TwoColons);
    }
    check_chart(chart)?;
    match (bucket, accept) {
        (None, _) => {
            check_len(text)?;
            Ok(Name::Plain(text))
        }
        (Some(_), Accept::Chart) => Err(NameError::ColonInHistogram),
        (Some(bucket), _) if bucket.starts_with('{') || bucket.ends_with('}') => {
            if accept != Accept::CounterOrLabels {
                return Err(NameError::LabelsNotAllowed);
            }
            let labels = labels(bucket)?;
            // The fallback counts too: the macro adds it when the list lacks it.
            let longest = labels
                .iter()
                .copied()
                .chain([FALLBACK_LABEL])
                .max_by_key(|l| l.len())
                .unwrap_or(FALLBACK_LABEL);
            let len = chart.len() + 1 + longest.len();
            if len > MAX_NAME_LEN {
                return Err(NameError::LabelTooLong(longest.to_string(), len));
            }
            Ok(Name::Labels { chart, labels })
        }
        (Some(bucket), _) => {
            check_part(bucket, "bucket")?;
            check_len(text)?;
            Ok(Name::Plain(text))
        }
    }
}

/// Checks a histogram unit, which is appended to every bound.
pub fn check_unit(unit: &str) -> Result<(), NameError> {
    match unit
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '%' | 'µ')))
    {
        Some(c) => Err(NameError::BadUnit(c)),
        None => Ok(()),
    }
}

/// Whether `name` may be a frame of a stack counter's chain: the name of a
/// `#[counted]` function's counter, which is a plain name.
pub fn is_frame(name: &str) -> bool {
    matches!(check(name, Accept::Plain), Ok(Name::Plain(_)))
}

/// `snake_case` identifier to the `-` form of derived names: `load_all` is `load-all`.
pub fn dashed(ident: &str) -> String {
    ident.trim_start_matches("r#").replace('_', "-")
}

fn check_chart(chart: &str) -> Result<(), NameError> {
    if chart.is_empty() {
        return Err(NameError::NothingBeforeColon);
    }
    if chart.split('/').any(str::is_empty) {
        return Err(NameError::EmptySegment(chart.to_string()));
    }
    match chart
        .chars()
        .find(|c| matches!(c, '{' | '}' | ',' | '\\' | '"'))
    {
        Some(c) => Err(NameError::Reserved(c)),
        None => Ok(()),
    }
}

fn check_part(part: &str, what: &'static str) -> Result<(), NameError> {
    if part.is_empty() {
        return Err(NameError::EmptyPart(what));
    }
    match part
        .chars()
        .find(|c| matches!(c, '{' | '}' | ',' | '\\' | '"' | '/'))
    {
        Some(c) => Err(NameError::BadChar(what, part.to_string(), c)),
        None => Ok(()),
    }
}

fn labels(set: &str) -> Result<Vec<&str>, NameError> {
    let inner = set
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| NameError::MalformedLabels(set.to_string()))?;
    let mut labels: Vec<&str> = Vec::new();
    for label in inner.split(',') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel(set.to_string()));
        }
        check_part(label, "label").map_err(|e| NameError::BadLabel(set.to_string(), e.into()))?;
        if labels.contains(&label) {
            return Err(NameError::DuplicateLabel(
                label.to_string(),
                set.to_string(),
            ));
        }
        labels.push(label);
    }
    Ok(labels)
}

fn check_len(name: &str) -> Result<(), NameError> {
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong(name.len()));
    }
    Ok(())
}

/// Characters that print as nothing: zero-width spaces and joiners, bidi controls.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str, accept: Accept) -> Result<String, String> {
        match check(text, accept) {
            Ok(Name::Plain(n)) => Ok(n.to_string()),
            Ok(Name::Labels { chart, labels }) => Ok(format!("{chart}|{}", labels.join("|"))),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn accepts_hierarchies_and_one_bucket() {
        assert_eq!(
            checked("mytool/cache:hit", Accept::CounterOrLabels).unwrap(),
            "mytool/cache:hit"
        );
        assert_eq!(
            checked("gopls/latency:<10ms", Accept::Plain).unwrap(),
            "gopls/latency:<10ms"
        );
        assert_eq!(
            checked("édition/été", Accept::Plain).unwrap(),
            "édition/été"
        );
    }

    #[test]
    fn parses_label_sets() {
        assert_eq!(
            checked("mytool/editor:{vscode,vim,other}", Accept::CounterOrLabels).unwrap(),
            "mytool/editor|vscode|vim|other"
        );
    }

    #[test]
    fn the_added_other_label_counts_towards_the_length() {
        let chart = "a/".repeat(97) + "bc";
        assert_eq!(chart.len(), 196);
        let err = checked(&format!("{chart}:{{ab}}"), Accept::CounterOrLabels).unwrap_err();
        assert!(
            err.contains("label `other`") && err.contains("202 bytes"),
            "{err}"
        );
        let chart = &chart[2..];
        assert!(checked(&format!("{chart}:{{ab}}"), Accept::CounterOrLabels).is_ok());
    }

    #[test]
    fn rejects_each_broken_rule_with_its_reason() {
        let cases = [
            ("", "empty"),
            ("a b", "whitespace"),
            ("a\u{7}b", "unprintable"),
            ("a\u{200b}b", "unprintable"),
            ("a:b:c", "more than one `:`"),
            (":b", "nothing before `:`"),
            ("a:", "empty bucket"),
            ("/a", "empty `/` segment"),
            ("a//b", "empty `/` segment"),
            ("a/", "empty `/` segment"),
            ("a:{x,,y}", "empty label"),
            ("a:{x,x}", "appears twice"),
            ("a:{x,y", "malformed label set"),
            ("a:{}", "empty label"),
            ("a{b", "reserved"),
            (
                "a:{x,y/z}",
                "malformed label set `{x,y/z}`: label `y/z` contains '/'",
            ),
            ("a:b/c", "bucket `b/c` contains '/'"),
        ];
        for (name, reason) in cases {
            let err = checked(name, Accept::CounterOrLabels).unwrap_err();
            assert!(err.contains(reason), "{name:?}: {err}");
        }
        let long = "a/".repeat(100) + "b";
        assert_eq!(
            checked(&long, Accept::Plain).unwrap_err(),
            "counter name is 201 bytes long; the limit is 200"
        );
        assert!(
            checked("a:{x}", Accept::Plain)
                .unwrap_err()
                .contains("only allowed in `counter!`")
        );
        assert!(
            checked("a:b", Accept::Chart)
                .unwrap_err()
                .contains("histogram name has no `:`")
        );
    }

    #[test]
    fn units_are_letters_digits_and_a_few_signs() {
        for unit in ["", "ms", "µs", "KiB", "req/s", "%", "x_1.5-y"] {
            assert_eq!(check_unit(unit), Ok(()), "{unit:?}");
        }
        assert_eq!(
            check_unit("m s").unwrap_err().to_string(),
            "histogram unit contains ' '; use letters, digits and `-_/.%µ`"
        );
    }

    #[test]
    fn a_frame_is_a_plain_name_within_the_limit() {
        assert!(is_frame("kvlite/store/Store/get"));
        assert!(is_frame("mytool/ünïcode-mod/parse"));
        assert!(is_frame(&("a/".repeat(99) + "bc")));
        assert!(!is_frame(&("a/".repeat(100) + "b")), "201 bytes");
        for bad in ["", "a//b", "a b", "a:{x,y}", "a\nb", "/a"] {
            assert!(!is_frame(bad), "{bad:?}");
        }
    }

    #[test]
    fn identifiers_are_dashed() {
        assert_eq!(dashed("load_all"), "load-all");
        assert_eq!(dashed("r#type"), "type");
    }
}
