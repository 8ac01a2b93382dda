//! `telemetry reports`: the weekly reports of the namespace, one line each, or whole
//! as JSON.
//!
//! ```text
//! week        programs   counters  stacks  bytes  file
//! 2026-11-26  kv 0.1.0         14       1    812  /home/ann/…/local/2026-11-26.json
//! ```

use telemetry_formats::report::{self, Report as WeekReport};

use crate::Report;
use crate::context::Context;
use crate::display;
use crate::error::Error;
use crate::table::{Align, Table};

/// Lists the local reports.
pub(crate) fn run(context: &Context, json: bool) -> Result<Report, Error> {
    let Some(local) = context.local_dir() else {
        return Ok(Report::text(
            "No reports: there is no telemetry directory.\n".into(),
        ));
    };
    let found = report::list(&local);
    let mut out = Report::default();
    let mut table = Table::new(&[
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Left,
    ]);
    table.row(
        ["week", "programs", "counters", "stacks", "bytes", "file"]
            .map(String::from)
            .to_vec(),
    );
    let mut documents = Vec::new();
    for (week, path) in &found {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        match WeekReport::read(path) {
            Ok(read) => {
                let programs: Vec<String> = read
                    .programs
                    .iter()
                    .map(|p| format!("{} {}", p.program, p.version))
                    .collect();
                let counters: usize = read.programs.iter().map(|p| p.counters.len()).sum();
                let stacks: usize = read.programs.iter().map(|p| p.stacks.len()).sum();
                table.row(vec![
                    week.clone(),
                    display::escaped(&programs.join(", ")),
                    counters.to_string(),
                    stacks.to_string(),
                    size.to_string(),
                    display::escaped(&path.display().to_string()),
                ]);
                documents.push(
                    String::from_utf8_lossy(&read.to_json())
                        .trim_end()
                        .to_string(),
                );
            }
            Err(e) => out.warnings.push(format!(
                "{}: {}",
                display::escaped(&path.display().to_string()),
                display::escaped(&e.to_string())
            )),
        }
    }
    out.out = if json {
        format!("[{}]\n", documents.join(",\n"))
    } else if found.is_empty() {
        format!(
            "No reports in {}: a week becomes a report once it has ended.\n",
            display::escaped(&local.display().to_string())
        )
    } else {
        table.render(0)
    };
    out.failed = !out.warnings.is_empty();
    Ok(out)
}
