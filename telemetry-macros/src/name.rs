//! Counter name rules, checked while the program compiles.
//!
//! A name is a `/`-separated hierarchy rooted at its owner (`mytool/cache`), words
//! joined by `-`, and at most one `:` separating a chart from its bucket
//! (`mytool/cache:hit`). Errors point at the string literal.

use syn::{Error, LitStr, Result};

/// The longest declared name in bytes, bucket or label included. Keep in step with
/// `telemetry_runtime::names::MAX_NAME_LEN`.
pub(crate) const MAX_NAME_LEN: usize = 200;

/// The label unknown labels fall back to, added to every label set that lacks it; keep
/// in step with `telemetry_runtime::FALLBACK_LABEL`.
pub(crate) const FALLBACK: &str = "other";

/// What a macro accepts in its name argument.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// `counter!`: a plain name or a label set `chart:{a,b}`.
    CounterOrLabels,
    /// `#[counted]`, `stack_counter!`: a plain name.
    Plain,
    /// `histogram!`: a chart without `:`, the macro adds the buckets.
    Chart,
}

/// A checked name.
pub(crate) enum Name {
    Plain(String),
    Labels { chart: String, labels: Vec<String> },
}

/// Checks `lit` against the naming rules.
pub(crate) fn parse(lit: &LitStr, accept: Accept) -> Result<Name> {
    let text = lit.value();
    let err = |msg: String| Error::new(lit.span(), msg);
    let fail = |msg: String| Err(err(msg));
    if text.is_empty() {
        return fail("counter name is empty".into());
    }
    if let Some(c) = text.chars().find(|c| c.is_whitespace()) {
        return fail(format!(
            "counter name contains whitespace ({c:?}); join words with `-`"
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() || is_invisible(*c)) {
        return fail(format!(
            "counter name contains an unprintable character ({})",
            c.escape_unicode()
        ));
    }
    let (chart, bucket) = match text.split_once(':') {
        Some((chart, bucket)) => (chart, Some(bucket)),
        None => (text.as_str(), None),
    };
    if bucket.is_some_and(|b| b.contains(':')) {
        return fail(
            "counter name has more than one `:`; only one may separate the chart from its bucket"
                .into(),
        );
    }
    check_chart(chart).map_err(err)?;
    match (bucket, accept) {
        (None, _) => {
            check_len(&text).map_err(err)?;
            Ok(Name::Plain(text))
        }
        (Some(_), Accept::Chart) => fail(
            "a histogram name has no `:`; its buckets `:<bound>` are added by the macro".into(),
        ),
        (Some(bucket), _) if bucket.starts_with('{') || bucket.ends_with('}') => {
            if accept != Accept::CounterOrLabels {
                return fail("a label set `{…}` is only allowed in `counter!`".into());
            }
            let labels = parse_labels(bucket).map_err(err)?;
            // `other` counts too: the macro adds it when the list lacks it.
            let longest = labels
                .iter()
                .map(String::as_str)
                .chain([FALLBACK])
                .max_by_key(|l| l.len())
                .unwrap_or(FALLBACK);
            let len = chart.len() + 1 + longest.len();
            if len > MAX_NAME_LEN {
                return fail(format!(
                    "with the label `{longest}`, the counter name is {len} bytes long; \
                     the limit is {MAX_NAME_LEN}"
                ));
            }
            Ok(Name::Labels {
                chart: chart.to_string(),
                labels,
            })
        }
        (Some(bucket), _) => {
            check_bucket(bucket, "bucket").map_err(err)?;
            check_len(&text).map_err(err)?;
            Ok(Name::Plain(text))
        }
    }
}

/// Checks a histogram unit, which is appended to every bound.
pub(crate) fn check_unit(lit: &LitStr) -> Result<String> {
    let unit = lit.value();
    if unit.is_empty() {
        return Ok(unit);
    }
    let bad = unit
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '%' | 'µ')));
    match bad {
        Some(c) => Err(Error::new(
            lit.span(),
            format!("histogram unit contains {c:?}; use letters, digits and `-_/.%µ`"),
        )),
        None => Ok(unit),
    }
}

/// Checks a whole bucket name built by a macro (chart plus suffix) for length.
pub(crate) fn check_built(lit: &LitStr, full: &str) -> Result<()> {
    if full.len() <= MAX_NAME_LEN {
        return Ok(());
    }
    let chart = lit.value();
    let bucket = full.strip_prefix(chart.as_str()).unwrap_or(full);
    Err(Error::new(
        lit.span(),
        format!(
            "with the bucket `{bucket}`, the counter name is {} bytes long; the limit is \
             {MAX_NAME_LEN}",
            full.len()
        ),
    ))
}

fn check_chart(chart: &str) -> std::result::Result<(), String> {
    if chart.is_empty() {
        return Err("counter name has nothing before `:`".into());
    }
    if chart.split('/').any(str::is_empty) {
        return Err(format!(
            "counter name `{chart}` has an empty `/` segment (leading, trailing or doubled `/`)"
        ));
    }
    if let Some(c) = chart
        .chars()
        .find(|c| matches!(c, '{' | '}' | ',' | '\\' | '"'))
    {
        return Err(format!("counter name contains {c:?}, which is reserved"));
    }
    Ok(())
}

fn check_bucket(bucket: &str, what: &str) -> std::result::Result<(), String> {
    if bucket.is_empty() {
        return Err(format!("counter name has an empty {what} after `:`"));
    }
    if let Some(c) = bucket
        .chars()
        .find(|c| matches!(c, '{' | '}' | ',' | '\\' | '"' | '/'))
    {
        return Err(format!(
            "{what} `{bucket}` contains {c:?}, which is not allowed in a {what}"
        ));
    }
    Ok(())
}

fn parse_labels(bucket: &str) -> std::result::Result<Vec<String>, String> {
    let inner = bucket
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| format!("malformed label set `{bucket}`: write `chart:{{a,b,c}}`"))?;
    let mut labels: Vec<String> = Vec::new();
    for label in inner.split(',') {
        if label.is_empty() {
            return Err(format!(
                "malformed label set `{bucket}`: empty label; write `chart:{{a,b,c}}`"
            ));
        }
        check_bucket(label, "label").map_err(|e| format!("malformed label set `{bucket}`: {e}"))?;
        if labels.iter().any(|l| l == label) {
            return Err(format!("label `{label}` appears twice in `{bucket}`"));
        }
        labels.push(label.to_string());
    }
    Ok(labels)
}

fn check_len(name: &str) -> std::result::Result<(), String> {
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "counter name is {} bytes long; the limit is {MAX_NAME_LEN}",
            name.len()
        ));
    }
    Ok(())
}

/// Characters that print as nothing: zero-width spaces and joiners, bidi controls.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// `snake_case` identifier to the `-` form used in derived names.
pub(crate) fn dashed(ident: &str) -> String {
    ident.trim_start_matches("r#").replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn check(text: &str, accept: Accept) -> std::result::Result<String, String> {
        match parse(&LitStr::new(text, Span::call_site()), accept) {
            Ok(Name::Plain(n)) => Ok(n),
            Ok(Name::Labels { chart, labels }) => Ok(format!("{chart}|{}", labels.join("|"))),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn accepts_hierarchies_and_one_bucket() {
        assert_eq!(
            check("mytool/cache:hit", Accept::CounterOrLabels).unwrap(),
            "mytool/cache:hit"
        );
        assert_eq!(
            check("gopls/latency:<10ms", Accept::Plain).unwrap(),
            "gopls/latency:<10ms"
        );
        assert_eq!(check("édition/été", Accept::Plain).unwrap(), "édition/été");
    }

    #[test]
    fn parses_label_sets() {
        assert_eq!(
            check("mytool/editor:{vscode,vim,other}", Accept::CounterOrLabels).unwrap(),
            "mytool/editor|vscode|vim|other"
        );
    }

    #[test]
    fn the_added_other_label_counts_towards_the_length() {
        let chart = "a/".repeat(97) + "bc";
        assert_eq!(chart.len(), 196);
        let err = check(&format!("{chart}:{{ab}}"), Accept::CounterOrLabels).unwrap_err();
        assert!(
            err.contains("label `other`") && err.contains("202 bytes"),
            "{err}"
        );
        let chart = &chart[2..];
        assert!(check(&format!("{chart}:{{ab}}"), Accept::CounterOrLabels).is_ok());
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
        ];
        for (name, reason) in cases {
            let err = check(name, Accept::CounterOrLabels).unwrap_err();
            assert!(err.contains(reason), "{name:?}: {err}");
        }
        let long = "a/".repeat(100) + "b";
        assert!(
            check(&long, Accept::Plain)
                .unwrap_err()
                .contains("limit is 200")
        );
        assert!(
            check("a:{x}", Accept::Plain)
                .unwrap_err()
                .contains("only allowed in `counter!`")
        );
        assert!(
            check("a:b", Accept::Chart)
                .unwrap_err()
                .contains("histogram name has no `:`")
        );
    }
}
