//! Counter names in macro arguments. The rules, and the words of every error, are
//! `telemetry_rules::name`'s; here the errors get the span of the string literal.

use syn::{Error, LitStr, Result};

pub(crate) use telemetry_rules::name::Accept;
use telemetry_rules::name::{self as rules, NameError};

/// A checked name.
pub(crate) enum Name {
    Plain(String),
    Labels { chart: String, labels: Vec<String> },
}

/// Checks `lit` against the naming rules.
pub(crate) fn parse(lit: &LitStr, accept: Accept) -> Result<Name> {
    let text = lit.value();
    match rules::check(&text, accept) {
        Ok(rules::Name::Plain(_)) => Ok(Name::Plain(text)),
        Ok(rules::Name::Labels { chart, labels }) => Ok(Name::Labels {
            chart: chart.to_string(),
            labels: labels.into_iter().map(String::from).collect(),
        }),
        Err(error) => Err(at(lit, &error)),
    }
}

/// Checks a histogram unit, which is appended to every bound.
pub(crate) fn check_unit(lit: &LitStr) -> Result<String> {
    let unit = lit.value();
    rules::check_unit(&unit).map_err(|error| at(lit, &error))?;
    Ok(unit)
}

/// The full names of the buckets of the histogram `lit` names (`chart`), each checked
/// for length.
pub(crate) fn bucket_names(
    lit: &LitStr,
    chart: &str,
    bounds: &[u64],
    unit: &str,
) -> Result<Vec<String>> {
    telemetry_rules::bucket::names(chart, bounds, unit).map_err(|error| at(lit, &error))
}

fn at(lit: &LitStr, error: &NameError) -> Error {
    Error::new(lit.span(), error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    #[test]
    fn an_error_is_the_rules_error_on_the_literal() {
        let lit = LitStr::new("a b", Span::call_site());
        let error = parse(&lit, Accept::Plain).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("counter name contains whitespace (' '); join words with `-`")
        );
        let lit = LitStr::new("kv/editor:{vim}", Span::call_site());
        let Ok(Name::Labels { chart, labels }) = parse(&lit, Accept::CounterOrLabels) else {
            panic!("a label set");
        };
        assert_eq!(
            (chart.as_str(), labels),
            ("kv/editor", vec!["vim".to_string()])
        );
    }
}
