//! A tiny persistent key-value store, instrumented with transparent telemetry.
//!
//! ```
//! # fn main() -> kvlite::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("kvlite-doc-{}", std::process::id()));
//! let mut store = kvlite::Store::open(&dir)?;
//! store.set("colour", "blue")?;
//! assert_eq!(store.get("colour")?.as_deref(), Some("blue"));
//! assert!(store.delete("colour")?);
//! assert_eq!(store.get("colour")?, None);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! A store is a directory holding one data file, [`DATA_FILE`]: one record per line,
//! only ever appended to, each line with its own checksum (the format is described in
//! [`record`]). Opening a store indexes where each key's records lie; reading a key
//! goes through a small least-recently-used cache; [`Store::compact`] rewrites the file
//! with only the live records.
//!
//! Bad data never stops the store: a line that fails its checksum is skipped, as if it
//! had never been written, and counted.
//!
//! # What it counts
//!
//! Every counter below is in [`telemetry::registry()`] of any program that links this
//! crate, whether or not it is ever incremented:
//!
//! - calls of [`Store::open`], [`get`](Store::get), [`set`](Store::set),
//!   [`delete`](Store::delete), [`list`](Store::list), [`compact`](Store::compact),
//!   [`verify`](Store::verify) and [`record::parse`], e.g. `kvlite/store/Store/get`;
//! - `kvlite/cache:hit` and `kvlite/cache:miss` (and the label set's `other`), and
//!   `kvlite/cache/evictions`;
//! - `kvlite/store/bytes-written`;
//! - `kvlite/bug/corrupt-record`, a stack counter: one count per corrupt line read,
//!   under the chain of calls that read it, e.g.
//!   `kvlite/record/parse <- kvlite/store/Store/get`.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod cache;
mod error;
mod index;
pub mod record;
mod scan;
mod store;

pub use cache::CACHE_CAPACITY;
pub use error::Error;
pub use store::{CompactStats, DATA_FILE, Store, VerifyReport};

/// The result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
