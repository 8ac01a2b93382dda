//! Comparing a built program's manifest with the JSON manifest committed earlier.
//!
//! The committed file is up to date when its text is exactly what
//! [`Manifest::to_json`] writes now. When it is not, the two are compared counter by
//! counter to say what changed: declarations are paired by name, crate, file and
//! line first, then by name alone (so a counter that moved is one change of `line`,
//! not one counter removed and one added), and each pair is compared field by field.

use std::fmt;

use serde_json::{Map, Value};
use telemetry_formats::manifest::{CounterRecord, FORMAT, Manifest};
use telemetry_rules::Kind;

/// A counter's fields, as its JSON object has them.
type Fields = Map<String, Value>;

/// What [`check`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// The committed text is exactly the manifest's JSON.
    UpToDate,
    /// It is not: what differs.
    Stale(Staleness),
}

/// How a committed manifest differs from the program's, one line per difference,
/// each ready to print (control characters escaped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Staleness {
    /// Counters the program declares that the file does not list.
    pub added: Vec<String>,
    /// Counters the file lists that the program no longer declares.
    pub removed: Vec<String>,
    /// Counters in both, with the fields that differ and their values.
    pub changed: Vec<String>,
    /// How the program's name or version changed, if it did.
    pub program: Option<String>,
}

impl Staleness {
    /// True when every counter and the program are the same and only the text
    /// differs (spacing, key order, an extra field at the top).
    pub fn text_only(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.program.is_none()
    }
}

/// A summary line, then one line per difference, each ending in a newline.
impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text_only() {
            return writeln!(
                f,
                "the counters and the program are the same, but the text is not exactly \
                 what `telemetry manifest` writes (spacing, key order or another field)"
            );
        }
        let counters = |n: usize| if n == 1 { "counter" } else { "counters" };
        writeln!(
            f,
            "{} {} added, {} removed, {} changed{}",
            self.added.len(),
            counters(self.added.len()),
            self.removed.len(),
            self.changed.len(),
            if self.program.is_some() {
                ", and the program"
            } else {
                ""
            }
        )?;
        for (label, lines) in [
            ("added  ", &self.added),
            ("removed", &self.removed),
            ("changed", &self.changed),
        ] {
            for line in lines {
                writeln!(f, "  {label}  {line}")?;
            }
        }
        if let Some(program) = &self.program {
            writeln!(f, "  program  {program}")?;
        }
        Ok(())
    }
}

/// Compares the committed manifest text `committed` with `current`, the manifest of
/// the program as built now. Fails, saying why, when `committed` is not a manifest
/// of this format.
pub fn check(committed: &str, current: &Manifest) -> Result<Check, String> {
    let (old_program, old) = parse(committed)?;
    if committed == current.to_json() {
        return Ok(Check::UpToDate);
    }
    let new_program = program_value(current);
    let new: Vec<Fields> = current.counters.iter().map(counter_fields).collect();
    let mut staleness = Staleness::default();
    if old_program != new_program {
        staleness.program = Some(crate::escaped(&format!(
            "{} -> {}",
            describe_program(&old_program),
            describe_program(&new_program)
        )));
    }
    let pairs = pair(&old, &new);
    let mut old_paired = vec![false; old.len()];
    let mut new_paired = vec![false; new.len()];
    for &(o, n) in &pairs {
        old_paired[o] = true;
        new_paired[n] = true;
        let differences = differences(&old[o], &new[n]);
        if !differences.is_empty() {
            staleness.changed.push(crate::escaped(&format!(
                "{}: {}",
                name_of(&new[n]),
                differences.join("; ")
            )));
        }
    }
    staleness.changed.sort();
    for (i, counter) in new.iter().enumerate() {
        if !new_paired[i] {
            staleness
                .added
                .push(crate::escaped(&describe_counter(counter)));
        }
    }
    for (i, counter) in old.iter().enumerate() {
        if !old_paired[i] {
            staleness
                .removed
                .push(crate::escaped(&describe_counter(counter)));
        }
    }
    Ok(Check::Stale(staleness))
}

/// The program and the counters of a committed manifest.
fn parse(text: &str) -> Result<(Value, Vec<Fields>), String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| crate::escaped(&format!("it is not JSON ({e})")))?;
    let Value::Object(mut top) = value else {
        return Err("it is not a JSON object".to_string());
    };
    match top.get("manifest_format") {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(FORMAT)) => {}
        Some(other) => {
            return Err(crate::escaped(&format!(
                "its manifest_format is {other}; this `telemetry` reads format {FORMAT}"
            )));
        }
        None => return Err("it has no \"manifest_format\"".to_string()),
    }
    let program = top.remove("program").unwrap_or(Value::Bool(false));
    let program_ok = match &program {
        Value::Null => true,
        Value::Object(fields) => {
            fields.get("name").is_some_and(Value::is_string)
                && fields.get("version").is_some_and(Value::is_string)
        }
        _ => false,
    };
    if !program_ok {
        return Err("its \"program\" is neither null nor a name and a version".to_string());
    }
    let Some(Value::Array(list)) = top.remove("counters") else {
        return Err("it has no \"counters\" list".to_string());
    };
    let mut counters = Vec::with_capacity(list.len());
    for (i, counter) in list.into_iter().enumerate() {
        match counter {
            Value::Object(fields) if fields.get("name").is_some_and(Value::is_string) => {
                counters.push(fields);
            }
            _ => return Err(format!("its counter number {} has no name", i + 1)),
        }
    }
    Ok((program, counters))
}

/// The fields of a counter, as [`Manifest::to_json`] writes them.
fn counter_fields(c: &CounterRecord) -> Fields {
    let mut fields = Map::new();
    fields.insert("name".into(), c.name.clone().into());
    fields.insert("kind".into(), c.kind.as_str().into());
    if let Some(depth) = c.depth {
        fields.insert("depth".into(), depth.into());
    }
    if c.kind == Kind::Bucket {
        fields.insert("bounds".into(), c.bounds.clone().into());
        fields.insert("unit".into(), c.unit.clone().into());
    }
    if c.kind == Kind::Label {
        fields.insert("labels".into(), c.labels.clone().into());
    }
    if let Some(day) = &c.expires {
        fields.insert("expires".into(), day.clone().into());
    }
    fields.insert("description".into(), c.description.clone().into());
    fields.insert("crate".into(), c.crate_name.clone().into());
    fields.insert("file".into(), c.file.clone().into());
    fields.insert("line".into(), c.line.into());
    fields.insert("name_derived".into(), c.derived.into());
    fields
}

/// The `program` of a manifest, as its JSON writes it.
fn program_value(manifest: &Manifest) -> Value {
    match &manifest.program {
        Some((name, version)) => {
            let mut fields = Map::new();
            fields.insert("name".into(), name.clone().into());
            fields.insert("version".into(), version.clone().into());
            Value::Object(fields)
        }
        None => Value::Null,
    }
}

/// Pairs of indices into `old` and `new` that are one declaration: same name,
/// crate, file and line first, then same name in order.
fn pair(old: &[Fields], new: &[Fields]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut old_free = vec![true; old.len()];
    let mut new_free = vec![true; new.len()];
    type Same = fn(&Fields, &Fields) -> bool;
    let passes: [Same; 2] = [
        |a, b| name_of(a) == name_of(b) && place(a) == place(b),
        |a, b| name_of(a) == name_of(b),
    ];
    for same in passes {
        for (n, new_counter) in new.iter().enumerate() {
            if !new_free[n] {
                continue;
            }
            if let Some(o) = (0..old.len()).find(|&o| old_free[o] && same(&old[o], new_counter)) {
                old_free[o] = false;
                new_free[n] = false;
                pairs.push((o, n));
            }
        }
    }
    pairs
}

/// The fields in which two declarations differ, each as `field old -> new`.
fn differences(old: &Fields, new: &Fields) -> Vec<String> {
    const ORDER: [&str; 12] = [
        "name",
        "kind",
        "depth",
        "bounds",
        "unit",
        "labels",
        "expires",
        "description",
        "crate",
        "file",
        "line",
        "name_derived",
    ];
    let mut extra: Vec<&String> = old
        .keys()
        .chain(new.keys())
        .filter(|key| !ORDER.contains(&key.as_str()))
        .collect();
    extra.sort();
    extra.dedup();
    ORDER
        .into_iter()
        .chain(extra.into_iter().map(String::as_str))
        .filter(|key| old.get(*key) != new.get(*key))
        .map(|key| format!("{key} {} -> {}", show(old.get(key)), show(new.get(key))))
        .collect()
}

fn name_of(counter: &Fields) -> &str {
    counter.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Crate, file and line of a declaration.
fn place(counter: &Fields) -> (Option<&Value>, Option<&Value>, Option<&Value>) {
    (
        counter.get("crate"),
        counter.get("file"),
        counter.get("line"),
    )
}

/// `name (kind, crate file:line)`.
fn describe_counter(counter: &Fields) -> String {
    let text = |key| counter.get(key).and_then(Value::as_str).unwrap_or("?");
    format!(
        "{} ({}, {} {}:{})",
        name_of(counter),
        text("kind"),
        text("crate"),
        text("file"),
        show(counter.get("line"))
    )
}

/// `name version`, or `none`.
fn describe_program(program: &Value) -> String {
    let text = |key| program.get(key).and_then(Value::as_str).unwrap_or("?");
    match program {
        Value::Null => "none".to_string(),
        _ => format!("{} {}", text("name"), text("version")),
    }
}

/// A field's value as JSON, or `(none)` when absent.
fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".to_string(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(name: &str, line: u32) -> CounterRecord {
        CounterRecord {
            name: name.to_string(),
            kind: Kind::Basic,
            depth: None,
            index: None,
            bounds: Vec::new(),
            unit: String::new(),
            labels: Vec::new(),
            description: format!("Counts {name}"),
            crate_name: "app".to_string(),
            file: "src/main.rs".to_string(),
            line,
            derived: false,
            expires: None,
        }
    }

    fn manifest(counters: Vec<CounterRecord>) -> Manifest {
        Manifest {
            program: Some(("app".to_string(), "1.0.0".to_string())),
            counters,
        }
    }

    fn stale(committed: &Manifest, current: &Manifest) -> Staleness {
        match check(&committed.to_json(), current) {
            Ok(Check::Stale(staleness)) => staleness,
            other => panic!("{other:?}"),
        }
    }

    fn every_kind() -> Manifest {
        let mut stack = counter("app/bug", 3);
        stack.kind = Kind::Stack;
        stack.depth = Some(8);
        let mut bucket = counter("app/latency:<5", 4);
        bucket.kind = Kind::Bucket;
        bucket.index = Some(0);
        bucket.bounds = vec![5, 50];
        bucket.unit = "ms".to_string();
        let mut label = counter("app/editor:vim", 5);
        label.kind = Kind::Label;
        label.index = Some(0);
        label.labels = vec!["vim".to_string(), "other".to_string()];
        label.expires = Some("2027-06-30".to_string());
        manifest(vec![counter("app/a", 1), stack, bucket, label])
    }

    #[test]
    fn the_same_manifest_is_up_to_date() {
        let m = every_kind();
        assert_eq!(check(&m.to_json(), &m), Ok(Check::UpToDate));
    }

    #[test]
    fn the_fields_compared_are_exactly_the_fields_written() {
        // Reformatted text, same content: only the text differs, so the fields built
        // for comparison are those `to_json` writes, for every kind.
        let m = every_kind();
        let reformatted = m.to_json().replace("\n", "\n ");
        match check(&reformatted, &m) {
            Ok(Check::Stale(staleness)) => assert!(staleness.text_only(), "{staleness:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn added_removed_and_changed_counters_are_named() {
        let committed = manifest(vec![counter("app/a", 1), counter("app/b", 2)]);
        let mut moved = counter("app/a", 11);
        moved.description = "New words".to_string();
        let current = manifest(vec![moved, counter("app/c", 3)]);
        let staleness = stale(&committed, &current);
        assert_eq!(staleness.added, ["app/c (basic, app src/main.rs:3)"]);
        assert_eq!(staleness.removed, ["app/b (basic, app src/main.rs:2)"]);
        assert_eq!(
            staleness.changed,
            ["app/a: description \"Counts app/a\" -> \"New words\"; line 1 -> 11"]
        );
        let text = staleness.to_string();
        assert!(
            text.starts_with("1 counter added, 1 removed, 1 changed\n"),
            "{text}"
        );
        assert!(text.contains("\n  removed  app/b (basic"), "{text}");
    }

    #[test]
    fn a_kind_change_and_a_program_change_are_reported() {
        let committed = every_kind();
        let mut current = every_kind();
        current.program = Some(("app".to_string(), "1.1.0".to_string()));
        current.counters[0].kind = Kind::Stack;
        current.counters[0].depth = Some(4);
        let staleness = stale(&committed, &current);
        assert_eq!(
            staleness.changed,
            ["app/a: kind \"basic\" -> \"stack\"; depth (none) -> 4"]
        );
        assert_eq!(staleness.program.as_deref(), Some("app 1.0.0 -> app 1.1.0"));
    }

    #[test]
    fn an_expiry_given_changed_or_dropped_is_reported() {
        let committed = every_kind();
        let mut current = every_kind();
        current.counters[0].expires = Some("2027-01-31".to_string());
        current.counters[3].expires = None;
        let staleness = stale(&committed, &current);
        assert_eq!(
            staleness.changed,
            [
                "app/a: expires (none) -> \"2027-01-31\"",
                "app/editor:vim: expires \"2027-06-30\" -> (none)"
            ]
        );
    }

    #[test]
    fn text_that_is_not_a_manifest_is_refused_with_the_reason() {
        let m = every_kind();
        let reason = |text: &str| check(text, &m).unwrap_err();
        assert!(reason("not json").contains("not JSON"));
        assert!(reason("[]").contains("not a JSON object"));
        assert!(reason("{}").contains("no \"manifest_format\""));
        assert!(
            reason(
                &m.to_json()
                    .replace("\"manifest_format\": 1", "\"manifest_format\": 2")
            )
            .contains("manifest_format is 2")
        );
        assert!(reason(r#"{"manifest_format": 1, "program": null}"#).contains("no \"counters\""));
        assert!(
            reason(r#"{"manifest_format": 1, "program": 3, "counters": []}"#)
                .contains("\"program\"")
        );
        assert!(
            reason(r#"{"manifest_format": 1, "program": null, "counters": [{}]}"#)
                .contains("number 1 has no name")
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let committed = manifest(vec![counter("app/a", 1)]);
        let mut current = committed.clone();
        current.counters[0].description = "bell\u{7}\u{9b}".to_string();
        let staleness = stale(&committed, &current);
        assert!(
            !staleness
                .to_string()
                .chars()
                .any(|c| c.is_control() && c != '\n')
        );
    }
}
