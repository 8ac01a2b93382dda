//! Where telemetry keeps its files.
//!
//! Everything lives under one root: `TELEMETRY_DIR` when set, otherwise the user's
//! state directory (`$XDG_STATE_HOME` or `~/.local/state` on Linux; the local
//! application-data directory elsewhere) plus `rust-telemetry`. Each namespace, a group
//! of programs sharing one mode, has a directory of its own under the root:
//!
//! ```text
//! <root>/<namespace>/mode            the chosen mode and the date it was chosen
//! <root>/<namespace>/local/weekday   the weekday that ends every week (0 = Sunday)
//! <root>/<namespace>/local/*.v1.count  counter files, one per program build per week
//! ```
//!
//! Without `TELEMETRY_DIR` and without an existing home directory there is no root, and
//! telemetry is off: nothing is created.

use std::path::{Path, PathBuf};

use crate::mode::Env;

/// The namespace of programs that do not choose one.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The directory under the platform's state directory.
pub const ROOT_NAME: &str = "rust-telemetry";
/// The directory of counter files inside a namespace.
pub const LOCAL: &str = "local";

/// The root directory, if there is one.
pub fn root(env: &Env) -> Option<PathBuf> {
    if let Some(dir) = &env.dir {
        return Some(dir.clone());
    }
    let base = directories::BaseDirs::new()?;
    if !base.home_dir().is_dir() {
        return None;
    }
    let state = base.state_dir().unwrap_or(base.data_local_dir());
    Some(state.join(ROOT_NAME))
}

/// The directory of `namespace` under `root`.
pub fn namespace_dir(root: &Path, namespace: &str) -> PathBuf {
    root.join(namespace)
}

/// Whether `namespace` is a usable directory name: 1 to 64 of `[a-z0-9._-]`, not
/// starting with a dot.
pub fn valid_namespace(namespace: &str) -> bool {
    (1..=64).contains(&namespace.len())
        && !namespace.starts_with('.')
        && namespace.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}
