//! The arithmetic of the instruction-count guard (`tests/guard.rs`): the committed
//! baseline, the totals callgrind writes, and the comparison of the two.
//!
//! Instruction counts of one binary do not depend on the machine's load, so the guard
//! can be tight: a path fails when its count per call moves by more than
//! [`allowed`] of its baseline, up or down. Up is a regression; down is progress the
//! baseline must record (re-record it), or the next regression of the same size would
//! pass unseen.

use std::fmt;

/// A path may move by this many instructions per call…
pub const TOLERANCE_INSTRUCTIONS: f64 = 0.5;

/// …plus this share of its baseline count.
pub const TOLERANCE_SHARE: f64 = 0.01;

/// The change in instructions per call a path of `baseline` instructions may show.
pub fn allowed(baseline: f64) -> f64 {
    TOLERANCE_INSTRUCTIONS + baseline * TOLERANCE_SHARE
}

/// The committed baseline: the compiler it was measured with and the instructions per
/// call of each path.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The `rustc --version` line of the compiler that built the measured binary.
    pub rustc: String,
    /// Each path's name and instructions per call, in the program's order.
    pub paths: Vec<(String, f64)>,
}

/// A line of a baseline file that is not what the format expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// The line's number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for BadLine {}

impl Baseline {
    /// Reads a baseline file: `#` comment lines, then a line `rustc …`, then one line
    /// `<path> <instructions per call>` per path.
    pub fn parse(text: &str) -> Result<Baseline, BadLine> {
        let mut rustc = None;
        let mut paths = Vec::new();
        for (at, line) in text.lines().enumerate() {
            let bad = |problem| BadLine {
                line: at + 1,
                problem,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if rustc.is_none() {
                if !line.starts_with("rustc ") {
                    return Err(bad("expected the compiler's `rustc …` line first"));
                }
                rustc = Some(line.to_owned());
                continue;
            }
            let (path, count) = line
                .split_once(' ')
                .ok_or(bad("expected `<path> <instructions per call>`"))?;
            let count: f64 = count
                .trim()
                .parse()
                .map_err(|_| bad("the instructions per call are not a number"))?;
            if !count.is_finite() || count <= 0.0 {
                return Err(bad("the instructions per call must be positive"));
            }
            if paths.iter().any(|(known, _)| known == path) {
                return Err(bad("the path is listed twice"));
            }
            paths.push((path.to_owned(), count));
        }
        Ok(Baseline {
            rustc: rustc.ok_or(BadLine {
                line: text.lines().count(),
                problem: "no `rustc …` line",
            })?,
            paths,
        })
    }

    /// The file's text, with the comment that says what it is and how to re-record it.
    pub fn render(&self) -> String {
        let mut text = String::from(
            "# Instructions per call of each hot path, counted by callgrind in the bench\n\
             # profile's build of telemetry-callgrind (docs/BENCHMARKS.md). Written by\n\
             # CALLGRIND_BLESS=1 cargo test -p telemetry-callgrind --test guard\n",
        );
        text.push_str(&self.rustc);
        text.push('\n');
        for (path, count) in &self.paths {
            text.push_str(&format!("{path} {count:.2}\n"));
        }
        text
    }
}

/// The total instructions of a callgrind output file: its `totals:` line, or its
/// `summary:` line when it has none.
pub fn totals(callgrind_out: &str) -> Option<u64> {
    let field = |name: &str| {
        callgrind_out
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|count| count.parse().ok())
    };
    field("totals:").or_else(|| field("summary:"))
}

/// One path of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The path's name.
    pub path: String,
    /// Its count in the baseline, if listed there.
    pub baseline: Option<f64>,
    /// Its count in this run, if measured.
    pub measured: Option<f64>,
}

impl Row {
    /// Whether the path is in both and within [`allowed`] of its baseline.
    pub fn passes(&self) -> bool {
        match (self.baseline, self.measured) {
            (Some(baseline), Some(measured)) => (measured - baseline).abs() <= allowed(baseline),
            _ => false,
        }
    }
}

/// Every path of a baseline and of a run, side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline's paths in its order, then any it does not list.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Compares the counts `measured` in this run with `baseline`.
    pub fn new(baseline: &Baseline, measured: &[(String, f64)]) -> Comparison {
        let find = |paths: &[(String, f64)], path: &str| {
            paths
                .iter()
                .find(|(known, _)| known == path)
                .map(|(_, count)| *count)
        };
        let mut rows: Vec<Row> = baseline
            .paths
            .iter()
            .map(|(path, count)| Row {
                path: path.clone(),
                baseline: Some(*count),
                measured: find(measured, path),
            })
            .collect();
        for (path, count) in measured {
            if find(&baseline.paths, path).is_none() {
                rows.push(Row {
                    path: path.clone(),
                    baseline: None,
                    measured: Some(*count),
                });
            }
        }
        Comparison { rows }
    }

    /// Whether every path passes.
    pub fn passes(&self) -> bool {
        self.rows.iter().all(Row::passes)
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<28} {:>10} {:>10} {:>9}  verdict",
            "path", "baseline", "measured", "change"
        )?;
        for row in &self.rows {
            let show = |count: Option<f64>| count.map_or("-".to_owned(), |c| format!("{c:.2}"));
            let (change, verdict) = match (row.baseline, row.measured) {
                (Some(baseline), Some(measured)) => (
                    // Rounded first, so that a change of -0.001 shows as +0.00.
                    format!(
                        "{:+.2}",
                        ((measured - baseline) * 100.0).round() / 100.0 + 0.0
                    ),
                    if row.passes() {
                        "ok".to_owned()
                    } else {
                        format!("MOVED (allowed ±{:.2})", allowed(baseline))
                    },
                ),
                (Some(_), None) => ("-".to_owned(), "NOT MEASURED".to_owned()),
                _ => ("-".to_owned(), "NOT IN THE BASELINE".to_owned()),
            };
            writeln!(
                f,
                "{:<28} {:>10} {:>10} {:>9}  {verdict}",
                row.path,
                show(row.baseline),
                show(row.measured),
                change
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(paths: &[(&str, f64)]) -> Baseline {
        Baseline {
            rustc: "rustc 1.95.0 (59807616e 2026-04-14)".to_owned(),
            paths: paths.iter().map(|(p, c)| ((*p).to_owned(), *c)).collect(),
        }
    }

    fn measured(paths: &[(&str, f64)]) -> Vec<(String, f64)> {
        paths.iter().map(|(p, c)| ((*p).to_owned(), *c)).collect()
    }

    #[test]
    fn one_more_instruction_on_a_short_path_fails() {
        let base = baseline(&[("counter-inc", 13.01)]);
        let comparison = Comparison::new(&base, &measured(&[("counter-inc", 14.01)]));
        assert!(!comparison.passes());
        assert!(comparison.to_string().contains("MOVED (allowed ±0.63)"));
    }

    #[test]
    fn the_same_count_and_rounding_pass() {
        let base = baseline(&[("counter-inc", 13.01), ("stack", 306.02)]);
        let comparison = Comparison::new(
            &base,
            &measured(&[("counter-inc", 13.0137), ("stack", 306.0)]),
        );
        assert!(comparison.passes(), "{comparison}");
    }

    #[test]
    fn a_long_path_may_move_by_one_percent_and_half_an_instruction() {
        let base = baseline(&[("stack", 300.0)]);
        assert!(Comparison::new(&base, &measured(&[("stack", 303.5)])).passes());
        assert!(!Comparison::new(&base, &measured(&[("stack", 303.6)])).passes());
        assert!(!Comparison::new(&base, &measured(&[("stack", 296.4)])).passes());
    }

    #[test]
    fn fewer_instructions_fail_too_until_re_recorded() {
        let base = baseline(&[("counted-empty-fn", 30.01)]);
        let comparison = Comparison::new(&base, &measured(&[("counted-empty-fn", 17.01)]));
        assert!(!comparison.passes());
        assert!(comparison.to_string().contains("-13.00"));
    }

    #[test]
    fn a_path_missing_on_either_side_fails() {
        let base = baseline(&[("counter-inc", 13.0)]);
        let new_path = Comparison::new(
            &base,
            &measured(&[("counter-inc", 13.0), ("histogram-record", 35.0)]),
        );
        assert!(!new_path.passes());
        assert!(new_path.to_string().contains("NOT IN THE BASELINE"));
        let gone = Comparison::new(&base, &measured(&[]));
        assert!(!gone.passes());
        assert!(gone.to_string().contains("NOT MEASURED"));
    }

    #[test]
    fn a_rendered_baseline_reads_back() {
        let base = baseline(&[("raw-atomic-add", 5.0), ("counter-inc", 13.01)]);
        assert_eq!(Baseline::parse(&base.render()), Ok(base));
    }

    #[test]
    fn a_bad_baseline_names_its_line() {
        let error = |text| Baseline::parse(text).unwrap_err().to_string();
        assert_eq!(
            error("# c\nraw 5\n"),
            "line 2: expected the compiler's `rustc …` line first"
        );
        assert_eq!(
            error("rustc 1\nraw five\n"),
            "line 2: the instructions per call are not a number"
        );
        assert_eq!(
            error("rustc 1\nraw 5\nraw 6\n"),
            "line 3: the path is listed twice"
        );
        assert_eq!(
            error("rustc 1\nraw\n"),
            "line 2: expected `<path> <instructions per call>`"
        );
        assert_eq!(error("# only\n"), "line 1: no `rustc …` line");
    }

    #[test]
    fn totals_come_from_the_totals_line_or_else_the_summary() {
        let out =
            "version: 1\ncmd: x\nevents: Ir\nfn=(1) main\n3 7\nsummary: 1301377\ntotals: 1301377\n";
        assert_eq!(totals(out), Some(1_301_377));
        assert_eq!(totals("events: Ir\nsummary: 42\n"), Some(42));
        assert_eq!(totals("events: Ir\n"), None);
    }
}
