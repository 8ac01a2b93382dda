//! The telemetry report of `kv demo` and `kv counters`: what this process counted,
//! then every counter the program can ever report.

use std::fmt::Write;

use telemetry::{Counter, Kind, registry};

/// Both sections, ready to print.
pub(crate) fn render() -> String {
    let mut out = String::new();
    counted(&mut out);
    out.push('\n');
    declared(&mut out);
    out
}

/// What was counted: this week's totals when a counter file is open, otherwise this
/// process's counts. Every counter above zero, by name, with each stack counter
/// chain on one line, its frames joined by ` <- `.
fn counted(out: &mut String) {
    let mut rows: Vec<(String, u64)> = Vec::new();
    for counter in registry().iter() {
        if matches!(counter.kind(), Kind::Stack { .. }) {
            for chain in counter.chains() {
                rows.push((chain.name().replace('\n', " <- "), chain.get()));
            }
        } else {
            rows.push((counter.name().to_owned(), counter.get()));
        }
    }
    rows.retain(|(_, value)| *value > 0);
    rows.sort();
    // A name declared at several sites is listed once per site by the registry.
    rows.dedup();

    match telemetry::session().and_then(|s| s.file()) {
        Some(file) => {
            let _ = writeln!(
                out,
                "Counted this week by every kv process (in {}):",
                file.display()
            );
        }
        None => out.push_str("What this run counted (kept in memory only):\n"),
    }
    if rows.is_empty() {
        out.push_str("  (nothing)\n");
    }
    let width = rows.iter().map(|(_, v)| digits(*v)).max().unwrap_or(1);
    for (name, value) in &rows {
        let _ = writeln!(out, "  {value:>width$}  {name}");
    }
}

/// "Every counter this program can report": the registry as a table, in name order
/// except that a histogram's buckets keep the order of their bounds.
fn declared(out: &mut String) {
    let registry = registry();
    let mut entries: Vec<&'static Counter> = registry.iter().collect();
    entries.sort_by_key(|counter| match counter.kind() {
        Kind::Bucket { index, .. } => (chart(counter.name()), index),
        _ => (counter.name(), 0),
    });
    let rows: Vec<[String; 5]> = entries.into_iter().map(row).collect();
    let header = ["NAME", "KIND", "VALUE", "DECLARED AT", "DESCRIPTION"].map(String::from);
    let mut widths = [0; 4];
    for cells in rows.iter().chain([&header]) {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let [name, kind, value, site] = widths;

    out.push_str("Every counter this program can report (the registry):\n");
    for [n, k, v, s, d] in [&header].into_iter().chain(&rows) {
        let line = format!("  {n:<name$}  {k:<kind$}  {v:>value$}  {s:<site$}  {d}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let conflicts = registry.conflicts();
    let declared = match registry.len() {
        1 => "1 counter declared".to_string(),
        n => format!("{n} counters declared"),
    };
    let _ = match conflicts.len() {
        0 => writeln!(out, "{declared}, none in conflict."),
        1 => writeln!(out, "{declared}, 1 name in conflict:"),
        n => writeln!(out, "{declared}, {n} names in conflict:"),
    };
    for conflict in conflicts {
        let _ = writeln!(out, "{conflict}");
    }
}

fn row(counter: &'static Counter) -> [String; 5] {
    [
        counter.name().to_owned(),
        counter.kind().as_str().to_owned(),
        counter.get().to_string(),
        format!("{}:{}", counter.file(), counter.line()),
        counter.description().replace('\n', " "),
    ]
}

/// The part of a counter name before its `:`.
fn chart(name: &str) -> &str {
    name.split_once(':').map_or(name, |(chart, _)| chart)
}

fn digits(value: u64) -> usize {
    value.to_string().len()
}
