//! `telemetry manifest BINARY [--format json|md] [--check FILE]`: every counter a
//! built program can report, read from its file without running it, or whether a
//! committed manifest is still that.

use std::path::{Path, PathBuf};

use telemetry_command::{Args, Report, display};

use crate::app::error::CliError;
use crate::manifest::check::{self, Check};
use crate::manifest::{self, ManifestError};

/// How `manifest` prints the manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Format {
    /// `--format json`, the default.
    #[default]
    Json,
    /// `--format md`: a Markdown page for reviewers.
    Markdown,
}

/// What `manifest` was asked to do.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    /// The built program whose manifest is read.
    binary: PathBuf,
    /// `--format`.
    format: Format,
    /// `--check FILE`: the committed manifest to compare with.
    check: Option<PathBuf>,
}

/// The request of a command line whose command is `manifest`.
fn request(args: &Args) -> Result<Request, CliError> {
    let format = match args.extra_flag("format") {
        None => None,
        Some(value) => Some(match value.to_str() {
            Some("json") => Format::Json,
            Some("md") => Format::Markdown,
            _ => {
                return Err(CliError::usage(format!(
                    "--format is json or md, not {:?}",
                    value.to_string_lossy()
                )));
            }
        }),
    };
    let Some(binary) = args.operand.as_ref() else {
        return Err(CliError::usage(
            "`manifest` needs the path of a built program: telemetry manifest BINARY",
        ));
    };
    let check = args.extra_flag("check").map(PathBuf::from);
    if check.is_some() && format == Some(Format::Markdown) {
        return Err(CliError::usage(
            "--check compares with a JSON manifest; it takes no --format md",
        ));
    }
    Ok(Request {
        binary: PathBuf::from(binary),
        format: format.unwrap_or_default(),
        check,
    })
}

/// Prints the manifest of the binary of `args`, or compares it with `--check FILE`.
pub(crate) fn run(args: &Args) -> Result<Report, CliError> {
    let request = request(args)?;
    let binary = request.binary.as_path();
    let manifest = manifest::read_binary(binary)?;
    let Some(file) = request.check.as_deref() else {
        return Ok(Report::text(match request.format {
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
            "{} is up to date: {}.\n",
            file.display(),
            display::count(manifest.counters.len(), "counter", "counters")
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
    use std::ffi::OsString;

    fn parse(args: &[&str]) -> Result<Request, CliError> {
        let args = telemetry_command::parse(&crate::app::host(), args.iter().map(OsString::from))?;
        request(&args)
    }

    fn usage_message(args: &[&str]) -> String {
        match parse(args) {
            Err(CliError::Usage(message)) => message,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn mistakes_are_usage_errors_naming_the_argument() {
        assert!(usage_message(&["manifest"]).contains("needs the path of a built program"));
        assert!(usage_message(&["manifest", "a", "b"]).contains("\"b\""));
        assert!(usage_message(&["manifest", "a", "--format=xml"]).contains("\"xml\""));
        assert!(usage_message(&["manifest", "a", "--check"]).contains("--check needs a value"));
        assert!(usage_message(&["show", "--format", "md"]).contains("only for `manifest`"));
        assert!(usage_message(&["status", "--check", "f"]).contains("only for `manifest`"));
        assert!(
            usage_message(&["manifest", "a", "--format", "md", "--check", "f"])
                .contains("no --format md")
        );
    }

    #[test]
    fn manifest_takes_a_binary_and_its_flags_anywhere() {
        let parsed = parse(&["--format=md", "manifest", "target/kv"]).unwrap();
        assert_eq!(parsed.binary, PathBuf::from("target/kv"));
        assert_eq!(parsed.format, Format::Markdown);
        let parsed = parse(&["manifest", "--check", "m.json", "kv"]).unwrap();
        assert_eq!(parsed.binary, PathBuf::from("kv"));
        assert_eq!(parsed.check, Some(PathBuf::from("m.json")));
        assert_eq!(parsed.format, Format::Json);
    }

    #[cfg(unix)]
    #[test]
    fn a_binary_path_need_not_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let path = OsString::from_vec(b"bin\xff".to_vec());
        let args = telemetry_command::parse(
            &crate::app::host(),
            [OsString::from("manifest"), path.clone()],
        )
        .unwrap();
        assert_eq!(request(&args).unwrap().binary, PathBuf::from(path));
    }

    #[test]
    fn paths_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(shell_word(Path::new("target/debug/kv")), "target/debug/kv");
        assert_eq!(shell_word(Path::new("my dir/kv")), "'my dir/kv'");
        assert_eq!(shell_word(Path::new("it's")), "'it'\\''s'");
        assert_eq!(shell_word(Path::new("$HOME")), "'$HOME'");
    }
}
