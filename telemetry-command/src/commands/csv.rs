//! `telemetry csv`: one row per counter of every readable counter file.
//!
//! Fields that hold a comma, a double quote, a carriage return or a newline are
//! quoted, with double quotes doubled (RFC 4180, section 2); a stack chain keeps the
//! newlines between its frames inside its quoted name. Rows end with `\n`.

use crate::Report;
use crate::context::Context;
use crate::display;
use crate::error::Error;
use crate::listing::{self, Kind};

/// The first row.
pub(crate) const HEADER: &str =
    "file,program,version,toolchain,os,arch,week_begin,week_end,counter,value\n";

/// Prints the counters as CSV; skipped files are noted on stderr.
pub(crate) fn run(context: &Context) -> Result<Report, Error> {
    let mut report = Report::text(HEADER.to_string());
    let Some(local) = context.local_dir() else {
        return Ok(report);
    };
    let listing = listing::list(&local)?;
    for file in listing.data_files() {
        if file.kind == Kind::SetAside {
            report.warnings.push(format!(
                "skipped {}: set aside by a program as unusable",
                display::escaped(&file.name)
            ));
            continue;
        }
        let contents = match file.read() {
            Ok(contents) => contents,
            Err(why) => {
                report.warnings.push(format!(
                    "skipped {}: {}",
                    display::escaped(&file.name),
                    display::escaped(&why)
                ));
                continue;
            }
        };
        let header = &contents.header;
        let mut prefix = vec![field(&file.name)];
        for key in ["program", "version", "toolchain", "os", "arch"] {
            prefix.push(field(header.get(key)));
        }
        prefix.push(display::day(header.begin));
        prefix.push(display::day(header.end));
        let prefix = prefix.join(",");
        for (name, value) in &contents.counters {
            report
                .out
                .push_str(&format!("{prefix},{},{value}\n", field(name)));
        }
    }
    Ok(report)
}

/// One field, quoted when RFC 4180 requires it.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("kv/command:get"), "kv/command:get");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("bug\nparse\nget"), "\"bug\nparse\nget\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
    }
}
