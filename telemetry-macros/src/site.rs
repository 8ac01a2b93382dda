//! Where a declaration is: its source file relative to its crate, and its line.
//!
//! Read from the compiler's spans (`proc_macro::Span::local_file` and `line`, stable
//! since Rust 1.88). The file is made relative to the declaring crate's root, so a
//! binary never carries the absolute path of the machine that built it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use proc_macro2::Span;

/// A source location.
#[derive(Clone, Debug, Default)]
pub(crate) struct Site {
    /// The file as written in the registry: relative to the crate root, `/`-separated.
    pub file: String,
    /// The file on disk, when the compiler knows it.
    pub path: Option<PathBuf>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Site {
    /// The location of `span`; empty outside a compiler (in unit tests).
    pub(crate) fn of(span: Span) -> Site {
        if !proc_macro::is_available() {
            return Site::default();
        }
        let span = span.unwrap();
        let path = span.local_file();
        let file = match &path {
            Some(path) => relative_to_crate(path),
            None => span.file(),
        };
        Site {
            file,
            path,
            line: u32::try_from(span.line()).unwrap_or(u32::MAX),
            column: u32::try_from(span.column()).unwrap_or(u32::MAX),
        }
    }
}

thread_local! {
    /// `relative_to_crate` of each file seen, by crate root and file: every
    /// declaration of a file would otherwise resolve both paths again. (A proc-macro
    /// server expands for several crates in one process, hence the root in the key.)
    static RELATIVE: RefCell<HashMap<(Option<OsString>, PathBuf), String>> =
        RefCell::new(HashMap::new());
}

fn relative_to_crate(path: &Path) -> String {
    let key = (std::env::var_os("CARGO_MANIFEST_DIR"), path.to_path_buf());
    if let Some(known) = RELATIVE.with(|cache| cache.borrow().get(&key).cloned()) {
        return known;
    }
    let relative = resolve_relative(key.0.as_deref(), path);
    RELATIVE.with(|cache| cache.borrow_mut().insert(key, relative.clone()));
    relative
}

fn resolve_relative(manifest_dir: Option<&OsStr>, path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = manifest_dir.and_then(|dir| std::fs::canonicalize(dir).ok());
    let shown = match root
        .as_deref()
        .and_then(|root| absolute.strip_prefix(root).ok())
    {
        Some(inside) => inside.to_path_buf(),
        // Outside the crate (an `include!` from elsewhere): keep only the file name.
        None => PathBuf::from(path.file_name().unwrap_or(path.as_os_str())),
    };
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
