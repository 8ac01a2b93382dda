//! `telemetry manifest BINARY [--format json|md] [--check FILE]`: every counter a
//! built program can report, read from its file without running it, or whether a
//! committed manifest is still that.

use std::path::Path;

use telemetry_cli::manifest::check::{self, Check};
use telemetry_cli::manifest::{self, ManifestError};

use super::Report;
use crate::app::args::{Args, Format};
use crate::app::error::CliError;

/// Prints the manifest of the binary of `args`, or compares it with `--check FILE`.
pub(crate) fn run(args: &Args) -> Result<Report, CliError> {
    let Some(binary) = args.binary.as_deref() else {
        return Err(CliError::usage(
            "`manifest` needs the path of a built program",
        ));
    };
    let manifest = manifest::read_binary(binary)?;
    let Some(file) = args.check.as_deref() else {
        return Ok(Report::text(match args.format {
            Format::Json => manifest.to_json(),
            Format::Markdown => manifest.to_markdown(),
        }));
    };
    let committed = std::fs::read_to_string(file).map_err(|error| ManifestError::Read {
        path: file.to_owned(),
        error,
    })?;
    match check::check(&committed, &manifest) {
        Err(why) => Err(ManifestError::NotAManifest {
            path: file.to_owned(),
            why,
        }
        .into()),
        Ok(Check::UpToDate) => Ok(Report::text(format!(
            "{} is up to date: {} counters.\n",
            file.display(),
            manifest.counters.len()
        ))),
        Ok(Check::Stale(staleness)) => Ok(Report {
            out: format!(
                "{} is stale: {staleness}Regenerate it with:\n  telemetry manifest {} > {}\n",
                file.display(),
                shell_word(binary),
                shell_word(file)
            ),
            warnings: Vec::new(),
            failed: true,
        }),
    }
}

/// `path` as one word of a POSIX shell command line: quoted when it holds anything
/// but letters, digits and `_ - . / + , : @ =`.
fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./+,:@=".contains(c));
    if plain {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(shell_word(Path::new("target/debug/kv")), "target/debug/kv");
        assert_eq!(shell_word(Path::new("my dir/kv")), "'my dir/kv'");
        assert_eq!(shell_word(Path::new("it's")), "'it'\\''s'");
        assert_eq!(shell_word(Path::new("$HOME")), "'$HOME'");
    }
}
