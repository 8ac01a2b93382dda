//! The command handlers, one `#[counted]` function per command, and how they fail.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use kvlite::Store;
use telemetry::counted;

use crate::cli::StoreCommand;

/// What a command prints on standard output.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    pub(crate) out: String,
}

impl Reply {
    fn line(text: impl fmt::Display) -> Reply {
        Reply {
            out: format!("{text}\n"),
        }
    }
}

/// Why a command failed. Each is one line of text and has an exit status.
#[derive(Debug)]
pub(crate) enum CommandError {
    /// `get` or `del` of a key without a value.
    NotFound(String),
    /// The store could not be opened, read or written.
    Store(kvlite::Error),
    /// Another file (an import file, the demo's directory) could not be used.
    File {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// An import file with a line that is not `key=value`.
    BadImport {
        path: PathBuf,
        line: usize,
        problem: &'static str,
    },
}

impl CommandError {
    /// The exit status: 1 for a key not found, 3 for a file that could not be used.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CommandError::NotFound(_) => 1,
            CommandError::Store(_) | CommandError::File { .. } | CommandError::BadImport { .. } => {
                3
            }
        }
    }

    /// A [`CommandError::File`] that happened while doing `action` to `path`.
    pub(crate) fn file(
        action: &'static str,
        path: &Path,
    ) -> impl FnOnce(io::Error) -> CommandError {
        let path = path.to_owned();
        move |source| CommandError::File {
            action,
            path,
            source,
        }
    }
}

impl From<kvlite::Error> for CommandError {
    fn from(error: kvlite::Error) -> CommandError {
        CommandError::Store(error)
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::NotFound(key) => write!(f, "no such key: {key}"),
            CommandError::Store(error) => error.fmt(f),
            CommandError::File {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            CommandError::BadImport {
                path,
                line,
                problem,
            } => write!(f, "{}:{line}: {problem}; nothing imported", path.display()),
        }
    }
}

/// Runs a store command on an open store (uncounted: the handler it calls is counted).
pub(crate) fn dispatch(store: &mut Store, command: &StoreCommand) -> Result<Reply, CommandError> {
    match command {
        StoreCommand::Set { key, value } => set(store, key, value),
        StoreCommand::Get { key } => get(store, key),
        StoreCommand::Del { key } => del(store, key),
        StoreCommand::List => list(store),
        StoreCommand::Import { file } => import(store, file),
        StoreCommand::Compact => compact(store),
    }
}

/// The warning to show when `store` skipped corrupt lines since it had seen `before`.
pub(crate) fn corrupt_warning(store: &Store, before: u64) -> Option<String> {
    let skipped = store.corrupt_lines_seen().saturating_sub(before);
    (skipped > 0).then(|| {
        format!(
            "skipped {skipped} corrupt record{} in {}",
            if skipped == 1 { "" } else { "s" },
            store.path().display()
        )
    })
}

/// Stores a value under a key.
#[counted]
pub(crate) fn set(store: &mut Store, key: &str, value: &str) -> Result<Reply, CommandError> {
    store.set(key, value)?;
    Ok(Reply::default())
}

/// Prints the value of a key.
#[counted]
pub(crate) fn get(store: &mut Store, key: &str) -> Result<Reply, CommandError> {
    match store.get(key)? {
        Some(value) => Ok(Reply::line(value)),
        None => Err(CommandError::NotFound(key.to_owned())),
    }
}

/// Deletes a key.
#[counted]
pub(crate) fn del(store: &mut Store, key: &str) -> Result<Reply, CommandError> {
    if store.delete(key)? {
        Ok(Reply::default())
    } else {
        Err(CommandError::NotFound(key.to_owned()))
    }
}

/// Prints every key and its value, sorted by key.
#[counted]
pub(crate) fn list(store: &mut Store) -> Result<Reply, CommandError> {
    let out = store
        .list()?
        .iter()
        .map(|(key, value)| format!("{}={}\n", printable(key), printable(value)))
        .collect();
    Ok(Reply { out })
}

/// Stores every `key=value` line of a file.
// Counted to decide whether `import` is worth keeping: uploads of this counter stop
// after its last day (it still counts locally), so nobody has to remember to drop it.
#[counted(expires = "2027-06-30")]
pub(crate) fn import(store: &mut Store, file: &Path) -> Result<Reply, CommandError> {
    let text = std::fs::read_to_string(file).map_err(CommandError::file("read", file))?;
    let pairs = crate::import::parse(&text).map_err(|bad| CommandError::BadImport {
        path: file.to_owned(),
        line: bad.line,
        problem: bad.problem,
    })?;
    for (key, value) in &pairs {
        store.set(key, value)?;
    }
    let s = if pairs.len() == 1 { "" } else { "s" };
    Ok(Reply::line(format_args!("imported {} key{s}", pairs.len())))
}

/// Rewrites the data file without overwritten, deleted or corrupt records.
#[counted]
pub(crate) fn compact(store: &mut Store) -> Result<Reply, CommandError> {
    let stats = store.compact()?;
    let s = |n: u64| if n == 1 { "" } else { "s" };
    Ok(Reply::line(format_args!(
        "compacted: {} line{} -> {} record{}, {} -> {} byte{}, {} corrupt line{} dropped",
        stats.lines_before,
        s(stats.lines_before),
        stats.records_after,
        s(stats.records_after),
        stats.bytes_before,
        stats.bytes_after,
        s(stats.bytes_after),
        stats.corrupt_dropped,
        s(stats.corrupt_dropped),
    )))
}

/// Runs a scripted session in a temporary directory and shows what it counted.
#[counted]
pub(crate) fn demo() -> Result<Reply, CommandError> {
    crate::demo::run()
}

/// Lists every counter kv can report, with its value in this process.
#[counted]
pub(crate) fn counters() -> Reply {
    Reply {
        out: crate::report::render(),
    }
}

/// `text` with control characters escaped, so one entry stays on one line.
fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}
