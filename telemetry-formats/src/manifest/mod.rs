//! The manifest: every counter a program can report, as a reviewer reads it.
//!
//! Built from the manifest records the macros place in the binary ([`record`]), either
//! from inside the running program (the runtime's `manifest()`) or by `telemetry
//! manifest` from a built executable. Both render the same JSON and Markdown,
//! documented in `docs/MANIFEST.md`.

mod json;
pub mod record;

use std::collections::BTreeMap;
use std::fmt::Write;

use telemetry_rules::{Kind, Shape, bucket};

pub use record::{CounterRecord, Record, RecordError};

/// The manifest format version, written into the JSON.
pub const FORMAT: u32 = 1;

/// A program's manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The program's name and version, when known.
    pub program: Option<(String, String)>,
    /// Every declaration, without duplicates, in the order of [`Manifest::sort`].
    pub counters: Vec<CounterRecord>,
}

/// One name declared by sites that cannot share one counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestConflict {
    /// The name.
    pub name: String,
    /// Every declaring site.
    pub sites: Vec<CounterRecord>,
}

impl std::fmt::Display for ManifestConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "counter `{}` is declared by conflicting sites:",
            self.name
        )?;
        for site in &self.sites {
            write!(
                f,
                "\n  {} {}:{} ({}{})",
                site.crate_name,
                site.file,
                site.line,
                shape(site),
                if site.derived {
                    ", name derived by #[counted]"
                } else {
                    ""
                }
            )?;
        }
        Ok(())
    }
}

impl Manifest {
    /// Reads a manifest from its JSON (as [`Manifest::to_json`] writes it and
    /// `telemetry manifest` prints it): every counter with its kind and the fields of
    /// that kind, and `expires` when it has one. An unknown manifest format or kind, a
    /// missing field, or an `expires` that is not a `YYYY-MM-DD` date is an error.
    /// (A bucket's or label's index is not in the JSON; it is taken from the order of
    /// the declaration's buckets or labels.) The counters are put in
    /// [`Manifest::sort`]'s order, whatever order the JSON lists them in.
    pub fn parse_json(text: &str) -> Result<Manifest, String> {
        let mut manifest = json::parse(text)?;
        manifest.sort();
        Ok(manifest)
    }

    /// Gathers decoded records: the last program record names the program, counters
    /// are sorted and exact duplicates dropped.
    pub fn from_records(records: impl IntoIterator<Item = Record>) -> Manifest {
        let mut manifest = Manifest::default();
        for record in records {
            match record {
                Record::Program { name, version } => manifest.program = Some((name, version)),
                Record::Counter(counter) => manifest.counters.push(counter),
            }
        }
        manifest.sort();
        manifest.counters.dedup();
        manifest
    }

    /// Puts the counters in the order they are listed: by name as
    /// `telemetry_rules::bucket::cmp_names` orders names (a histogram's buckets by
    /// bound), then by crate, file and line.
    pub fn sort(&mut self) {
        self.counters.sort_by(|a, b| {
            bucket::cmp_names(&a.name, &b.name).then_with(|| {
                (&a.crate_name, &a.file, a.line).cmp(&(&b.crate_name, &b.file, b.line))
            })
        });
    }

    /// Names declared in ways that cannot share one counter: different kinds, bounds,
    /// units, labels or depths, or a name derived by `#[counted]` at several sites.
    pub fn conflicts(&self) -> Vec<ManifestConflict> {
        let mut by_name: BTreeMap<&str, Vec<&CounterRecord>> = BTreeMap::new();
        for counter in &self.counters {
            by_name.entry(&counter.name).or_default().push(counter);
        }
        by_name
            .into_iter()
            .filter(|(_, sites)| {
                sites.len() > 1
                    && (sites.iter().any(|s| s.derived)
                        || sites.iter().any(|s| shape(s) != shape(sites[0])))
            })
            .map(|(name, sites)| ManifestConflict {
                name: name.to_string(),
                sites: sites.into_iter().cloned().collect(),
            })
            .collect()
    }

    /// The manifest as JSON: stable key order, two-space indentation, a newline at the
    /// end, so that a diff shows exactly what changed.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n");
        let _ = writeln!(out, "  \"manifest_format\": {FORMAT},");
        match &self.program {
            Some((name, version)) => {
                let _ = writeln!(
                    out,
                    "  \"program\": {{ \"name\": {}, \"version\": {} }},",
                    json_string(name),
                    json_string(version)
                );
            }
            None => out.push_str("  \"program\": null,\n"),
        }
        out.push_str("  \"counters\": [");
        for (i, c) in self.counters.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str("    {\n");
            let mut fields: Vec<(&str, String)> = vec![
                ("name", json_string(&c.name)),
                ("kind", json_string(c.kind.as_str())),
            ];
            if let Some(depth) = c.depth {
                fields.push(("depth", depth.to_string()));
            }
            if c.kind == Kind::Bucket {
                let bounds: Vec<String> = c.bounds.iter().map(u64::to_string).collect();
                fields.push(("bounds", format!("[{}]", bounds.join(", "))));
                fields.push(("unit", json_string(&c.unit)));
            }
            if c.kind == Kind::Label {
                let labels: Vec<String> = c.labels.iter().map(|l| json_string(l)).collect();
                fields.push(("labels", format!("[{}]", labels.join(", "))));
            }
            if let Some(day) = &c.expires {
                fields.push(("expires", json_string(day)));
            }
            fields.push(("description", json_string(&c.description)));
            fields.push(("crate", json_string(&c.crate_name)));
            fields.push(("file", json_string(&c.file)));
            fields.push(("line", c.line.to_string()));
            fields.push(("name_derived", c.derived.to_string()));
            for (j, (key, value)) in fields.iter().enumerate() {
                let comma = if j + 1 < fields.len() { "," } else { "" };
                let _ = writeln!(out, "      \"{key}\": {value}{comma}");
            }
            out.push_str("    }");
        }
        out.push_str(if self.counters.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        out
    }

    /// The manifest as a Markdown page for reviewers: one table row per counter.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        match &self.program {
            Some((name, version)) => {
                let _ = writeln!(out, "# Counters of {name} {version}\n");
            }
            None => out.push_str("# Counters\n\n"),
        }
        let _ = writeln!(
            out,
            "Every counter this program can report: {} declarations, generated by \
             `telemetry manifest` from the built program (manifest format {FORMAT}). Do \
             not edit by hand.\n",
            self.counters.len()
        );
        out.push_str("| Counter | Kind | Description | Declared in |\n");
        out.push_str("| --- | --- | --- | --- |\n");
        for c in &self.counters {
            let name = c.name.replace('|', "\\|");
            let description = if c.description.is_empty() {
                "—".to_string()
            } else {
                c.description.replace('|', "\\|").replace('\n', " ")
            };
            let kind = match &c.expires {
                Some(day) => format!("{}, expires {day}", shape(c)),
                None => shape(c),
            };
            let _ = writeln!(
                out,
                "| `{name}` | {} | {description} | `{}` {}:{} |",
                kind.replace('|', "\\|"),
                c.crate_name,
                c.file,
                c.line
            );
        }
        out
    }
}

/// The kind with what makes two declarations of one name compatible.
pub fn shape(c: &CounterRecord) -> String {
    let shape = match c.kind {
        Kind::Basic => Shape::Basic,
        Kind::Stack => Shape::Stack {
            depth: c.depth.unwrap_or(0) as usize,
        },
        Kind::Bucket => Shape::Bucket {
            bounds: &c.bounds,
            unit: &c.unit,
        },
        Kind::Label => Shape::Label { labels: &c.labels },
    };
    shape.to_string()
}

/// `text` as a JSON string literal, quotes included, with every character JSON
/// requires escaped (RFC 8259, section 7) and every other control character too, so
/// the output is also safe on a terminal. U+2028 and U+2029 are escaped for JavaScript
/// parsers older than ES2019.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_from_its_json() {
        let text = include_str!("../../../docs/kv-manifest.json");
        let manifest = Manifest::parse_json(text).unwrap();
        assert_eq!(manifest.to_json(), text, "the JSON round-trips exactly");
        assert_eq!(manifest.program.as_ref().map(|p| p.0.as_str()), Some("kv"));
        assert!(manifest.counters.iter().any(|c| c.kind == Kind::Stack));
        assert!(Manifest::parse_json("{\"manifest_format\": 2}").is_err());
    }

    fn counter(name: &str, kind: Kind) -> CounterRecord {
        CounterRecord {
            name: name.to_string(),
            kind,
            depth: None,
            index: None,
            bounds: Vec::new(),
            unit: String::new(),
            labels: Vec::new(),
            description: String::new(),
            crate_name: "app".to_string(),
            file: "src/main.rs".to_string(),
            line: 3,
            derived: false,
            expires: None,
        }
    }

    #[test]
    fn an_expiry_is_in_the_json_and_the_table_only_when_declared() {
        let mut expiring = counter("app/era:old", Kind::Label);
        expiring.labels = vec!["old".to_string(), "other".to_string()];
        expiring.index = Some(0);
        expiring.expires = Some("2027-06-30".to_string());
        let manifest = Manifest {
            program: Some(("app".to_string(), "1.0.0".to_string())),
            counters: vec![counter("app/a", Kind::Basic), expiring],
        };
        let json = manifest.to_json();
        assert_eq!(json.matches("\"expires\"").count(), 1, "{json}");
        assert!(
            json.contains(
                "\"labels\": [\"old\", \"other\"],\n      \"expires\": \"2027-06-30\",\n      \
                 \"description\""
            ),
            "{json}"
        );
        assert_eq!(Manifest::parse_json(&json), Ok(manifest.clone()));
        let table = manifest.to_markdown();
        assert!(
            table.contains("| `app/era:old` | label of {old,other}, expires 2027-06-30 |"),
            "{table}"
        );
        assert!(table.contains("| `app/a` | basic |"), "{table}");
        for bad in ["\"2027-02-30\"", "\"later\"", "20270630"] {
            let text = json.replace("\"2027-06-30\"", bad);
            let error = Manifest::parse_json(&text).unwrap_err();
            assert!(
                error.starts_with("counter 2: expires") && error.contains("YYYY-MM-DD"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_histograms_buckets_are_listed_by_bound_in_json_and_table() {
        let bucket = |name: &str, index: u32| CounterRecord {
            bounds: vec![5, 20, 100],
            unit: "ms".to_string(),
            index: Some(index),
            ..counter(name, Kind::Bucket)
        };
        let in_bound_order = [
            "app/a",
            "app/latency:<5ms",
            "app/latency:<20ms",
            "app/latency:<100ms",
            "app/latency:>=100ms",
            "app/z",
        ];
        let records = [
            bucket("app/latency:>=100ms", 3),
            counter("app/z", Kind::Basic),
            bucket("app/latency:<100ms", 2),
            bucket("app/latency:<20ms", 1),
            counter("app/a", Kind::Basic),
            bucket("app/latency:<5ms", 0),
        ];
        let manifest = Manifest::from_records(records.into_iter().map(Record::Counter));
        let names: Vec<&str> = manifest.counters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, in_bound_order);
        let table = manifest.to_markdown();
        let rows: Vec<usize> = in_bound_order
            .iter()
            .map(|name| table.find(&format!("| `{name}` |")).unwrap())
            .collect();
        assert!(rows.is_sorted(), "{table}");
        // A JSON listing them as text sorts them reads back in bound order.
        let mut as_text = manifest.clone();
        as_text.counters.sort_by(|a, b| a.name.cmp(&b.name));
        assert_ne!(as_text, manifest);
        assert_eq!(Manifest::parse_json(&as_text.to_json()), Ok(manifest));
    }

    #[test]
    fn quotes_backslashes_and_controls_are_escaped() {
        assert_eq!(json_string("plain"), r#""plain""#);
        assert_eq!(json_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_string("x\ny\tz\r"), r#""x\ny\tz\r""#);
        assert_eq!(json_string("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
        assert_eq!(json_string("\u{8}\u{c}"), r#""\b\f""#);
        assert_eq!(json_string("\u{2028}é"), r#""\u2028é""#);
    }
}
