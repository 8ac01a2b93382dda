//! `telemetry config`: make, check, sign and verify an upload config.
//!
//! ```text
//! telemetry config init --manifest FILE [--manifest FILE…] [--out CONFIG]
//! telemetry config check CONFIG --manifest FILE [--manifest FILE…]
//! telemetry config keygen --out KEYFILE
//! telemetry config sign CONFIG --key KEYFILE [--out SIGNED]
//! telemetry config verify SIGNED --key ed25519:…
//! ```
//!
//! Everything is local: no toolchain, no network, nothing written but the file named by
//! `--out` (created, never overwritten; a private key readable by its owner alone).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use telemetry_formats::config::{Config, MAX_CONFIG_LEN};
use telemetry_formats::manifest::Manifest;
use telemetry_formats::safe_fs;
use telemetry_formats::signature::{self, PublicKey};

use telemetry_command::{Host, Report, display};

use crate::app::error::CliError;

/// The usage of `config`, for its errors.
pub(crate) const USAGE: &str = "telemetry config init --manifest FILE… [--out CONFIG] | \
check CONFIG --manifest FILE… | keygen --out KEYFILE | sign CONFIG --key KEYFILE [--out SIGNED] | \
verify SIGNED --key ed25519:…";

/// Each action's usage and what it does, for `telemetry config ACTION --help`.
const ACTIONS: [(&str, &str, &str); 5] = [
    (
        "init",
        "telemetry config init --manifest FILE… [--out CONFIG]",
        "A first upload config, made from the programs' manifests (`telemetry manifest`):
every counter each manifest declares, at rate 1 (a histogram or a label set as
one family, a stack counter with its declared depth, each with its declaration's
expiry), versions from the manifest's on, and the common operating systems and
architectures. Edit it down to what you need. Printed, or written to CONFIG.",
    ),
    (
        "check",
        "telemetry config check CONFIG --manifest FILE…",
        "Names every entry of CONFIG that no manifest declares or allows: a program with
no manifest, a counter or family member the program does not declare, a basic
counter listed as a stack counter or the reverse, a stack depth deeper than the
counter records, an entry collected past its declared expiry. Exit status 1
when there is one.",
    ),
    (
        "keygen",
        "telemetry config keygen --out KEYFILE",
        "A new Ed25519 key pair: the private key to KEYFILE, readable by you alone, and
the public key alone on stdout, for telemetry::program!().upload(URL, KEY) and
`config verify`: telemetry config keygen --out collector.key > collector.pub",
    ),
    (
        "sign",
        "telemetry config sign CONFIG --key KEYFILE [--out SIGNED]",
        "The signed config a collector serves: the exact text of CONFIG and its Ed25519
signature by the private key in KEYFILE. Printed, or written to SIGNED.",
    ),
    (
        "verify",
        "telemetry config verify SIGNED --key ed25519:…",
        "Checks that SIGNED was signed by the public key given and holds a config a
program would use, and prints its version and number of programs.",
    ),
];

/// The end of each action's help.
const ACTION_FOOTER: &str =
    "Nothing is fetched or written but the --out file, which must not exist. The
format: docs/CONFIG.md. Exit status: 0 success, 1 the check found a problem or a
file could not be read or written, 2 usage error.";

#[derive(Default)]
struct Flags {
    /// `--help` or `-h`, anywhere.
    help: bool,
    action: Option<String>,
    file: Option<PathBuf>,
    manifests: Vec<PathBuf>,
    out: Option<PathBuf>,
    key: Option<OsString>,
}

fn parse(args: &[OsString]) -> Result<Flags, CliError> {
    let mut flags = Flags::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--help" || text == "-h" {
            flags.help = true;
            continue;
        }
        if text.starts_with('-') && !text.starts_with("--") && text != "-" {
            return Err(CliError::usage(format!("unknown flag {text}; {USAGE}")));
        }
        let (name, inline) = match text.strip_prefix("--") {
            Some(flag) => match flag.split_once('=') {
                Some((name, value)) => (Some(name.to_string()), Some(OsString::from(value))),
                None => (Some(flag.to_string()), None),
            },
            None => (None, None),
        };
        let Some(name) = name else {
            if flags.action.is_none() {
                flags.action = Some(text.into_owned());
            } else if flags.file.is_none() {
                flags.file = Some(PathBuf::from(arg));
            } else {
                return Err(CliError::usage(format!(
                    "unexpected argument {text:?}; {USAGE}"
                )));
            }
            continue;
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| {
                    args.next()
                        .filter(|next| !next.to_string_lossy().starts_with("--"))
                        .cloned()
                })
                .ok_or_else(|| CliError::usage(format!("--{name} needs a value")))
        };
        match name.as_str() {
            "manifest" => flags.manifests.push(PathBuf::from(value()?)),
            "out" if flags.out.is_none() => flags.out = Some(PathBuf::from(value()?)),
            "key" if flags.key.is_none() => flags.key = Some(value()?),
            "out" | "key" => return Err(CliError::usage(format!("--{name} is given twice"))),
            _ => return Err(CliError::usage(format!("unknown flag --{name}; {USAGE}"))),
        }
    }
    Ok(flags)
}

/// Runs `telemetry config …` with the arguments after `config`.
pub(crate) fn run(host: &Host, args: &[OsString]) -> Result<Report, CliError> {
    let flags = parse(args)?;
    if flags.help {
        return help(host, flags.action.as_deref());
    }
    let need = |what: Option<&PathBuf>, name: &str| {
        what.cloned()
            .ok_or_else(|| CliError::usage(format!("`config {name}` needs its file; {USAGE}")))
    };
    match flags.action.as_deref() {
        Some("init") => init(&flags),
        Some("check") => check(&need(flags.file.as_ref(), "check")?, &flags.manifests),
        Some("keygen") => keygen(flags.out.as_deref()),
        Some("sign") => sign(&need(flags.file.as_ref(), "sign")?, &flags),
        Some("verify") => verify(&need(flags.file.as_ref(), "verify")?, flags.key.as_ref()),
        Some(other) => Err(CliError::usage(format!(
            "unknown config action {other:?}; {USAGE}"
        ))),
        None => Err(CliError::usage(format!(
            "which config action? {USAGE} (`telemetry config --help` says more)"
        ))),
    }
}

/// `telemetry config --help`, the help of every action (`telemetry help config`), or
/// `telemetry config ACTION --help`.
fn help(host: &Host, action: Option<&str>) -> Result<Report, CliError> {
    let Some(action) = action else {
        let args = telemetry_command::parse(host, ["help".into(), "config".into()])?;
        return Ok(telemetry_command::run(host, &args)?);
    };
    let (_, usage, about) = ACTIONS
        .iter()
        .find(|(name, _, _)| *name == action)
        .ok_or_else(|| CliError::usage(format!("unknown config action {action:?}; {USAGE}")))?;
    Ok(Report::text(format!(
        "Usage: {usage}\n\n{about}\n\n{ACTION_FOOTER}\n"
    )))
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    safe_fs::read_capped(path, MAX_CONFIG_LEN.max(64 << 20))
        .map_err(|e| CliError::io(&format!("cannot read the {what}"), path, &e))
}

fn manifests(paths: &[PathBuf]) -> Result<Vec<Manifest>, CliError> {
    if paths.is_empty() {
        return Err(CliError::usage(
            "name at least one manifest: --manifest FILE (made by `telemetry manifest` \
             or `cargo telemetry manifest`)",
        ));
    }
    paths
        .iter()
        .map(|path| {
            // A program is told apart by its first bytes, before the size cap: a debug
            // build is easily larger than any manifest may be.
            if is_program(path) {
                return Err(CliError::Failed(format!(
                    "{0} is a program, not a manifest: `telemetry manifest {0} > \
                     manifest.json` lists its counters, then name that file with --manifest",
                    path.display()
                )));
            }
            let bytes = read_file(path, "manifest")?;
            let text = String::from_utf8_lossy(&bytes);
            Manifest::parse_json(&text)
                .map_err(|e| CliError::Failed(format!("{} is not a manifest: {e}", path.display())))
        })
        .collect()
}

/// Whether `path` starts as an executable or object file does (ELF, Mach-O, PE). An
/// unreadable file is not one: reading it as a manifest then says why.
fn is_program(path: &Path) -> bool {
    let Ok(file) = safe_fs::open_regular(path, false, u64::MAX) else {
        return false;
    };
    let mut head = Vec::with_capacity(4096);
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    object::FileKind::parse(&*head).is_ok()
}

/// Writes `bytes` to `out`, which must not exist, or returns them as the output.
fn output(bytes: Vec<u8>, out: Option<&Path>, what: &str) -> Result<Report, CliError> {
    match out {
        None => Ok(Report::text(String::from_utf8_lossy(&bytes).into_owned())),
        Some(path) => {
            safe_fs::write_new(path, &bytes)
                .map_err(|e| CliError::io(&format!("cannot write the {what}"), path, &e))?;
            Ok(Report::text(format!(
                "Wrote the {what} to {}.\n",
                path.display()
            )))
        }
    }
}

fn init(flags: &Flags) -> Result<Report, CliError> {
    let manifests = manifests(&flags.manifests)?;
    let config = Config::from_manifests(&manifests).map_err(CliError::Failed)?;
    output(config.to_json(), flags.out.as_deref(), "upload config")
}

fn check(path: &Path, manifest_paths: &[PathBuf]) -> Result<Report, CliError> {
    let manifests = manifests(manifest_paths)?;
    let config = Config::parse(&read_file(path, "config")?)
        .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
    let problems = config.check(&manifests);
    if problems.is_empty() {
        let counters: usize = config.programs.iter().map(|p| p.counters.len()).sum();
        let stacks: usize = config.programs.iter().map(|p| p.stacks.len()).sum();
        return Ok(Report::text(format!(
            "{}: version {}, {}, {} and {}, every one declared by a manifest.\n",
            path.display(),
            config.version,
            display::count(config.programs.len(), "program", "programs"),
            display::count(counters, "counter entry", "counter entries"),
            display::count(stacks, "stack counter", "stack counters"),
        )));
    }
    let mut report = Report::text(format!(
        "{}: {} {} that the manifests do not declare or allow:\n",
        path.display(),
        problems.len(),
        if problems.len() == 1 {
            "entry"
        } else {
            "entries"
        }
    ));
    for problem in problems {
        report
            .out
            .push_str(&format!("  {}\n", crate::escaped(&problem)));
    }
    report.failed = true;
    Ok(report)
}

fn keygen(out: Option<&Path>) -> Result<Report, CliError> {
    let out = out.ok_or_else(|| {
        CliError::usage("`config keygen` needs --out KEYFILE for the private key")
    })?;
    let (secret, public) = signature::keygen().map_err(CliError::Failed)?;
    safe_fs::write_new(out, secret.as_bytes())
        .map_err(|e| CliError::io("cannot write the private key", out, &e))?;
    // The public key alone on stdout, so that `> collector.pub` or `$(…)` keeps it;
    // what a person needs to know on stderr.
    Ok(Report {
        out: format!("{public}\n"),
        warnings: vec![format!(
            "wrote the private key to {} (readable by you alone; keep it out of the \
             repository); the public key, for telemetry::program!().upload(URL, KEY), is \
             on stdout",
            out.display()
        )],
        failed: false,
    })
}

fn sign(path: &Path, flags: &Flags) -> Result<Report, CliError> {
    let key_path = flags
        .key
        .as_ref()
        .map(PathBuf::from)
        .ok_or_else(|| CliError::usage("`config sign` needs --key KEYFILE"))?;
    let secret = read_file(&key_path, "private key")?;
    let signed = signature::sign(
        &read_file(path, "config")?,
        &String::from_utf8_lossy(&secret),
    )
    .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
    output(signed, flags.out.as_deref(), "signed config")
}

fn verify(path: &Path, key: Option<&OsString>) -> Result<Report, CliError> {
    let key = key
        .and_then(|k| k.to_str())
        .ok_or_else(|| CliError::usage("`config verify` needs --key ed25519:…"))?;
    let key = PublicKey::parse(key).map_err(|e| CliError::usage(e.to_string()))?;
    let config = signature::verify(&read_file(path, "signed config")?, &key)
        .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
    Ok(Report::text(format!(
        "{}: verified, signed by {key}: config version {}, {}.\n",
        path.display(),
        config.version,
        display::count(config.programs.len(), "program", "programs")
    )))
}
