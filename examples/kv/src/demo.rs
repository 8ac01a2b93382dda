//! `kv demo`: a scripted session in a fresh temporary directory, with one record
//! corrupted on purpose, then the telemetry report of the whole run.

use std::fs::{self, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kvlite::{DATA_FILE, Store};

use crate::cli::StoreCommand;
use crate::commands::{self, CommandError, Reply};
use crate::metrics;

/// The import file of the session.
const IMPORT_FILE: &str = "\
# Imported by `kv demo`.
delta=4
epsilon=5

beta=two
";

/// Runs the session and returns its transcript followed by the report.
pub(crate) fn run() -> Result<Reply, CommandError> {
    let dir = DemoDir::create()?;
    let mut session = Session {
        store: Store::open(&dir.path)?,
        out: format!("A scripted session in {}:\n", dir.path.display()),
        commands: 0,
    };
    session.script(&dir.path)?;
    let Session {
        store,
        mut out,
        commands,
    } = session;
    drop(store);
    let removed = dir.remove()?;
    out.push_str(&format!(
        "\nRan {commands} commands, then removed {}.\n\n",
        removed.display()
    ));
    out.push_str(&crate::report::render());
    Ok(Reply { out })
}

struct Session {
    store: Store,
    /// The transcript so far.
    out: String,
    /// Commands run so far.
    commands: u64,
}

impl Session {
    fn script(&mut self, dir: &Path) -> Result<(), CommandError> {
        for (key, value) in [("alpha", "1"), ("beta", "2"), ("gamma", "3")] {
            self.run(set(key, value))?;
        }
        self.run(get("alpha"))?; // from the file: a cache miss
        self.run(get("alpha"))?; // a cache hit
        self.run(get("beta"))?;
        self.run(get("alpha"))?;
        self.run(get("omega"))?; // never set
        self.run(StoreCommand::Del {
            key: "gamma".into(),
        })?;

        let file = dir.join("import.txt");
        fs::write(&file, IMPORT_FILE).map_err(CommandError::file("write", &file))?;
        self.note("import.txt sets delta=4, epsilon=5 and beta=two");
        self.run(StoreCommand::Import { file })?;
        self.run(get("beta"))?; // `beta` was overwritten: a miss again
        self.run(set("delta", "40"))?;

        let line = flip_a_bit_in_last_record(self.store.path())?;
        self.note(format_args!(
            "flipped one bit of line {line} of {DATA_FILE}, `set delta 40`: it now reads 41 \
             and fails its checksum"
        ));
        self.run(get("delta"))?; // skips the corrupt record: the one before says 4
        self.run(get("delta"))?;
        self.run(StoreCommand::List)?;
        self.run(StoreCommand::Compact)?;
        self.run(StoreCommand::List)?;
        Ok(())
    }

    /// Runs one command as `kv` would, and adds it and its output to the transcript.
    /// A key not found is part of the script; any other error ends the session.
    fn run(&mut self, command: StoreCommand) -> Result<(), CommandError> {
        self.commands += 1;
        self.out.push_str(&format!("  $ kv {command}\n"));
        let before = self.store.corrupt_lines_seen();
        let result = metrics::measured(command.name(), || {
            commands::dispatch(&mut self.store, &command)
        });
        match result {
            Ok(reply) => {
                for line in reply.out.lines() {
                    self.out.push_str(&format!("    {line}\n"));
                }
            }
            Err(error @ CommandError::NotFound(_)) => {
                let code = error.exit_code();
                self.out
                    .push_str(&format!("    kv: {error} (exit status {code})\n"));
            }
            Err(error) => return Err(error),
        }
        if let Some(warning) = commands::corrupt_warning(&self.store, before) {
            self.out.push_str(&format!("    kv: warning: {warning}\n"));
        }
        Ok(())
    }

    fn note(&mut self, text: impl std::fmt::Display) {
        self.out.push_str(&format!("  # {text}\n"));
    }
}

fn set(key: &str, value: &str) -> StoreCommand {
    StoreCommand::Set {
        key: key.into(),
        value: value.into(),
    }
}

fn get(key: &str) -> StoreCommand {
    StoreCommand::Get { key: key.into() }
}

/// Flips the lowest bit of the last character of the value of the file's last record,
/// as a failing disk might, and returns that record's line number.
fn flip_a_bit_in_last_record(path: &Path) -> Result<usize, CommandError> {
    let bytes = fs::read(path).map_err(CommandError::file("read", path))?;
    let last_tab = bytes.iter().rposition(|&b| b == b'\t');
    let Some(at) = last_tab.and_then(|tab| tab.checked_sub(1)) else {
        let empty = io::Error::new(io::ErrorKind::InvalidData, "no record to corrupt");
        return Err(CommandError::file("corrupt", path)(empty));
    };
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut file| {
            file.seek(SeekFrom::Start(at as u64))?;
            file.write_all(&[bytes[at] ^ 1])
        })
        .map_err(CommandError::file("corrupt", path))?;
    Ok(bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1)
}

/// The session's directory under the system's temporary directory, named after this
/// process; removed when dropped, even when the session fails.
struct DemoDir {
    path: PathBuf,
}

impl DemoDir {
    fn create() -> Result<DemoDir, CommandError> {
        let path = std::env::temp_dir().join(format!("kv-demo-{}", std::process::id()));
        // Left behind by an earlier process that had this process id, if anything.
        if path.exists() {
            fs::remove_dir_all(&path).map_err(CommandError::file("remove", &path))?;
        }
        fs::create_dir_all(&path).map_err(CommandError::file("create", &path))?;
        Ok(DemoDir { path })
    }

    /// Removes the directory now, reporting failure; returns its path.
    fn remove(self) -> Result<PathBuf, CommandError> {
        fs::remove_dir_all(&self.path).map_err(CommandError::file("remove", &self.path))?;
        Ok(self.path.clone())
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
