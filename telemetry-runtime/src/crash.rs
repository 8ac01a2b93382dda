//! The crash counter: a panic hook that counts every panic, and the chain of
//! `#[counted]` functions around it, in two registry counters named after the program
//! (`<program>/crash/panic` and `<program>/crash/panic-stack`, declared by
//! `telemetry::program!()`).
//!
//! Only registry names are recorded: never the panic's message, payload or location,
//! which may hold anything. The hook chains to the hook set before it, so the
//! program's own reporting keeps working; a hook set later replaces this one, as with
//! any hook, and may chain to it through `std::panic::take_hook`.

use std::sync::Once;

use crate::counter::Counter;
use crate::stack::StackCounter;

/// Installs the hook once per process. Does nothing on a thread that is panicking
/// already (setting a hook there would abort).
pub(crate) fn install(panics: &'static Counter, stack: &'static StackCounter) {
    static ONCE: Once = Once::new();
    if std::thread::panicking() {
        return;
    }
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // The shadow stack still holds the frames around the panic: unwinding
            // starts after the hook returns.
            stack.inc();
            panics.inc();
            // A chain new to the file may wait in memory for the worker: write it
            // out now, as the process may be about to end.
            crate::session::settle();
            previous(info);
        }));
    });
}
