//! The cold path: choosing the cell a counter counts into.
//!
//! A counter's slot starts null. Its first use lands here and stores a pointer to the
//! cell every site of that name shares: the name's record in this week's counter file
//! when one is open, else the in-memory cell of the name's canonical registry entry. Sites that share a name on purpose therefore share one cell, while a
//! counter caught in a [conflict](crate::Conflict) keeps a cell of its own so that two
//! different things are never added together.
//!
//! The slot is a plain `AtomicPtr`: pointing it at another cell (a record in a
//! memory-mapped file) is one store here, and the hot path in [`Counter::add`] does not
//! change.

use core::ptr;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::counter::Counter;
use crate::registry::{self, Placement};
use crate::session;

/// Returns the cell `counter` counts into, resolving and caching it on first use.
pub(crate) fn resolve(counter: &'static Counter) -> &'static AtomicU64 {
    let current = counter.slot().load(Ordering::Acquire);
    if !current.is_null() {
        // SAFETY: only this function stores into slots, and it only stores pointers
        // derived from `&'static AtomicU64`.
        return unsafe { &*current };
    }
    let mut tries = 0;
    loop {
        let file_before = session::active_id();
        let target = home_cell(counter);
        let wanted = ptr::from_ref(target).cast_mut();
        let cell = match counter.slot().compare_exchange(
            ptr::null_mut(),
            wanted,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => target,
            // SAFETY: as above, the winner stored a pointer from a `&'static AtomicU64`.
            Err(winner) => return unsafe { &*winner },
        };
        // A new file opened meanwhile may already have cleared the slots: do not keep
        // a cell of the week that just ended.
        tries += 1;
        if session::active_id() == file_before || tries == 3 {
            return cell;
        }
        let _ = counter.slot().compare_exchange(
            wanted,
            ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
}

/// Where `counter` counts: its name's cell in the open counter file, else the
/// in-memory cell of its name's canonical entry. A counter in conflict always counts
/// alone in memory.
fn home_cell(counter: &'static Counter) -> &'static AtomicU64 {
    match registry::placement(counter) {
        Placement::Alone => counter.local(),
        Placement::Shared(canonical) => {
            session::file_cell(counter.name()).unwrap_or(canonical.local())
        }
    }
}
