//! Reading a manifest's JSON, as `Manifest::to_json` writes it (`docs/MANIFEST.md`):
//! typed, as the config and the report are read, then checked field by field where a
//! kind needs more than the types say.

use serde::Deserialize;
use telemetry_rules::{Kind, bucket};

use super::{CounterRecord, FORMAT, Manifest};

/// The whole document.
#[derive(Deserialize)]
struct Document {
    program: Option<Program>,
    counters: Vec<Counter>,
}

/// `"program": { "name": …, "version": … }`.
#[derive(Deserialize)]
struct Program {
    name: String,
    version: String,
}

/// One object of `"counters"`. Fields a kind does not have are absent; `expires` is
/// kept as written, so that a wrong one is named with its counter.
#[derive(Deserialize)]
struct Counter {
    name: String,
    kind: String,
    depth: Option<u32>,
    bounds: Option<Vec<u64>>,
    #[serde(default)]
    unit: String,
    labels: Option<Vec<String>>,
    expires: Option<serde_json::Value>,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "crate")]
    crate_name: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    line: u32,
    #[serde(default)]
    name_derived: bool,
}

/// Reads a manifest, in the order its JSON lists the counters.
pub(super) fn parse(text: &str) -> Result<Manifest, String> {
    match crate::version::version(text.as_bytes(), "manifest_format") {
        Ok(Some(v)) if v == u64::from(FORMAT) => {}
        Ok(Some(v)) => return Err(format!("manifest format {v}; this reads format {FORMAT}")),
        Ok(None) => return Err("no \"manifest_format\"".into()),
        Err(e) => return Err(format!("not JSON: {e}")),
    }
    let document: Document =
        serde_json::from_str(text).map_err(|e| format!("not a manifest: {e}"))?;
    let counters = document
        .counters
        .into_iter()
        .enumerate()
        .map(|(i, c)| counter(c).map_err(|what| format!("counter {}: {what}", i + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Manifest {
        program: document.program.map(|p| (p.name, p.version)),
        counters,
    })
}

/// A counter's record, with the fields its kind requires.
fn counter(c: Counter) -> Result<CounterRecord, String> {
    let Some(kind) = Kind::from_name(&c.kind) else {
        return Err(format!("unknown kind {:?}", c.kind));
    };
    let bounds = match (kind, c.bounds) {
        (Kind::Bucket, Some(bounds)) => bounds,
        (Kind::Bucket, None) => return Err("a bucket without bounds".into()),
        _ => Vec::new(),
    };
    let labels = match (kind, c.labels) {
        (Kind::Label, Some(labels)) => labels,
        (Kind::Label, None) => return Err("a label without its set".into()),
        _ => Vec::new(),
    };
    let depth = match (kind, c.depth) {
        (Kind::Stack, Some(depth)) => Some(depth),
        (Kind::Stack, None) => return Err("a stack counter without a depth".into()),
        _ => None,
    };
    let expires = match c.expires {
        None => None,
        Some(serde_json::Value::String(day)) if crate::date::parse(&day).is_some() => Some(day),
        Some(other) => return Err(format!("expires {other} is not a YYYY-MM-DD date")),
    };
    // Not in the JSON: a bucket's or label's place in its histogram or set.
    let member = c.name.split_once(':').map(|(_, member)| member);
    let index = match kind {
        Kind::Bucket => {
            member.and_then(|m| bucket::labels(&bounds, &c.unit).iter().position(|l| l == m))
        }
        Kind::Label => member.and_then(|m| labels.iter().position(|l| l == m)),
        Kind::Basic | Kind::Stack => None,
    };
    Ok(CounterRecord {
        name: c.name,
        kind,
        depth,
        index: index.map(|i| i as u32),
        bounds,
        unit: c.unit,
        labels,
        description: c.description,
        crate_name: c.crate_name,
        file: c.file,
        line: c.line,
        derived: c.name_derived,
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_counter(fields: &str) -> String {
        format!(
            r#"{{"manifest_format": 1, "program": null, "counters": [{{"name": "app/a", {fields}}}]}}"#
        )
    }

    #[test]
    fn each_kind_needs_its_fields() {
        for (fields, why) in [
            (r#""kind": "bucket""#, "counter 1: a bucket without bounds"),
            (r#""kind": "label""#, "counter 1: a label without its set"),
            (
                r#""kind": "stack""#,
                "counter 1: a stack counter without a depth",
            ),
            (
                r#""kind": "histogram""#,
                "counter 1: unknown kind \"histogram\"",
            ),
        ] {
            assert_eq!(parse(&with_counter(fields)).err().as_deref(), Some(why));
        }
    }

    #[test]
    fn what_is_not_a_manifest_says_so() {
        let missing_kind = parse(&with_counter(r#""line": 3"#)).unwrap_err();
        assert!(
            missing_kind.starts_with("not a manifest: missing field `kind`"),
            "{missing_kind}"
        );
        let bad_bound = parse(&with_counter(r#""kind": "bucket", "bounds": ["ten"]"#)).unwrap_err();
        assert!(
            bad_bound.starts_with("not a manifest: invalid type"),
            "{bad_bound}"
        );
        assert_eq!(parse("{}").unwrap_err(), "no \"manifest_format\"");
        assert_eq!(
            parse(r#"{"manifest_format": 2}"#).unwrap_err(),
            "manifest format 2; this reads format 1"
        );
        assert!(parse("kv").unwrap_err().starts_with("not JSON:"));
    }

    #[test]
    fn a_bucket_and_a_label_find_their_place() {
        let bucket = with_counter(r#""kind": "bucket", "bounds": [5, 20], "unit": "ms""#)
            .replace("app/a", "app/a:>=20ms");
        assert_eq!(parse(&bucket).unwrap().counters[0].index, Some(2));
        let label = with_counter(r#""kind": "label", "labels": ["x", "other"]"#)
            .replace("app/a", "app/a:other");
        assert_eq!(parse(&label).unwrap().counters[0].index, Some(1));
    }
}
