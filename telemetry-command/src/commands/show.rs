//! `telemetry show [--json]`: every counter of every counter file.
//!
//! Files come in name order, counters in name order within a file. A file that
//! cannot be read, and a file a program set aside, is shown with what was found in
//! it instead of failing the command.

use telemetry_formats::file::Contents;

use crate::Report;
use crate::context::Context;
use crate::display;
use crate::error::Error;
use crate::host::Declared;
use crate::listing::{self, Found, Kind, Listing};
use crate::table::{Align, Table};
use telemetry_formats::manifest::json_string;

/// The files `show` reads, or `None` when there is no directory of them.
fn data_files(context: &Context) -> Result<Option<Listing>, Error> {
    match context.local_dir() {
        Some(local) => listing::list(&local).map(Some),
        None => Ok(None),
    }
}

/// Prints every file as a header and a table of counters.
pub(crate) fn run(context: &Context) -> Result<Report, Error> {
    let Some(listing) = data_files(context)? else {
        return Ok(Report::text(
            "No data: there is no telemetry directory (no home directory and \
             TELEMETRY_DIR is not set).\n"
                .into(),
        ));
    };
    let dir = listing.dir.display();
    if !listing.exists {
        return Ok(Report::text(format!("No data: {dir} does not exist.\n")));
    }
    let files: Vec<&Found> = listing.data_files().collect();
    if files.is_empty() {
        return Ok(Report::text(format!("No counter files in {dir}.\n")));
    }
    let mut out = format!("Counter files in {dir}:\n");
    for file in files {
        out.push('\n');
        out.push_str(&display::escaped(&file.name));
        if file.kind == Kind::SetAside {
            out.push_str("  (set aside by a program as unusable: never counted into or reported)");
        }
        out.push('\n');
        match file.read() {
            Ok(contents) => {
                out.push_str(&format!(
                    "  {}, {}\n",
                    display::header(&contents.header),
                    display::count(contents.counters.len(), "counter", "counters")
                ));
                let declared = context.declared.as_ref().filter(|d| {
                    contents.header.get("program") == d.program
                        && contents.header.get("version") == d.version
                });
                out.push_str(&counters(&contents, declared));
            }
            Err(why) => out.push_str(&format!(
                "  unreadable ({}): {}\n",
                display::bytes(file.size),
                display::escaped(&why)
            )),
        }
    }
    Ok(Report::text(out))
}

/// What `show` appends to a counter of this program's file that this build does not
/// declare.
pub(crate) const NOT_DECLARED: &str = "  (not declared by this build)";

/// The counters of a file, value first so long chain names need no padding; with
/// `declared` (the file is this build's program and version), each counter the build
/// does not declare is marked.
fn counters(contents: &Contents, declared: Option<&Declared>) -> String {
    let mut table = Table::new(&[Align::Right, Align::Left]);
    for (name, value) in &contents.counters {
        let mut shown = display::counter_name(name);
        if declared.is_some_and(|d| !d.declares(name)) {
            shown.push_str(NOT_DECLARED);
        }
        table.row(vec![value.to_string(), shown]);
    }
    table.render(2)
}

/// Prints a JSON array of files (see `telemetry help show`).
pub(crate) fn run_json(context: &Context) -> Result<Report, Error> {
    let files: Vec<String> = match data_files(context)? {
        Some(listing) => listing.data_files().map(file_json).collect(),
        None => Vec::new(),
    };
    if files.is_empty() {
        return Ok(Report::text("[]\n".into()));
    }
    Ok(Report::text(format!("[\n{}\n]\n", files.join(",\n"))))
}

/// One file as a JSON object, indented as an element of the top-level array.
fn file_json(file: &Found) -> String {
    let mut fields = vec![
        ("path", json_string(&file.path.to_string_lossy())),
        ("set_aside", (file.kind == Kind::SetAside).to_string()),
    ];
    match file.read() {
        Ok(contents) => {
            let header = &contents.header;
            for key in ["program", "version", "toolchain", "os", "arch"] {
                fields.push((key, json_string(header.get(key))));
            }
            fields.push(("begin", json_string(&display::day(header.begin))));
            fields.push(("end", json_string(&display::day(header.end))));
            let counters: Vec<String> = contents
                .counters
                .iter()
                .map(|(name, value)| {
                    format!(
                        "      {{\"name\": {}, \"value\": {value}}}",
                        json_string(name)
                    )
                })
                .collect();
            let counters = if counters.is_empty() {
                "[]".to_string()
            } else {
                format!("[\n{}\n    ]", counters.join(",\n"))
            };
            fields.push(("counters", counters));
        }
        Err(why) => fields.push(("error", json_string(&why))),
    }
    let fields: Vec<String> = fields
        .into_iter()
        .map(|(key, value)| format!("    \"{key}\": {value}"))
        .collect();
    format!("  {{\n{}\n  }}", fields.join(",\n"))
}
