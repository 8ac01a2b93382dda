//! Hooks for this workspace's own tests and benchmarks, kept apart from the API as
//! Go keeps `countertest` apart: they exist only with the `testing` feature, which no
//! program enables. They move the runtime's clock, hold the worker busy, shorten or
//! lengthen what exit waits for, and run the work of `start!()` (or of its prompt's
//! checks) without keeping the result, so that one process can measure a thousand starts.

pub use crate::registry::build_index_uncached;
pub use crate::session::{
    hold_worker_lock, prompt_checks, set_clock_offset, set_exit_wait, start_uncached,
    start_unpublished, start_unpublished_prompted,
};
