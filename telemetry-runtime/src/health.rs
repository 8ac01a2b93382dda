//! Counters the runtime declares about itself.
//!
//! They are ordinary registry entries, listed with the program's own, so what the
//! runtime can report about itself is as visible as everything else. Declaring at
//! least one also keeps the registry slice from ever being empty, which some linkers
//! mishandle.

use crate::counter::{Counter, Decl, Kind, Origin};
use crate::registry::TELEMETRY_REGISTRY_V0_1;

/// Declares one of the runtime's counters: its `Decl`, its manifest record, and the
/// registered `static`, as the macros do for a program's counters.
macro_rules! health_counter {
    ($(#[$doc:meta])* $counter:ident, $decl:ident, $record:ident, $name:literal, $description:literal) => {
        const $decl: Decl = Decl {
            name: $name,
            kind: Kind::Basic,
            description: $description,
            file: "src/health.rs",
            line: line!(),
            module_path: module_path!(),
            origin: Origin::Explicit,
            record: &[],
        };
        crate::manifest_record!($record = $decl);
        $(#[$doc])*
        #[linkme::distributed_slice(TELEMETRY_REGISTRY_V0_1)]
        pub(crate) static $counter: Counter = Counter::__new(Decl {
            record: &$record,
            ..$decl
        });
    };
}

health_counter!(
    /// Stack-counter chains beyond [`crate::stack::MAX_CHAINS`], counted in `(other)`.
    CHAINS_OVER_LIMIT,
    CHAINS_OVER_LIMIT_DECL,
    CHAINS_OVER_LIMIT_RECORD,
    "telemetry/stack/chains-over-limit",
    "New call chains a stack counter could not keep because it already held its \
     maximum number of chains; they are counted in `(other)`."
);

health_counter!(
    /// Names the open counter file could not hold (full, or a disk error); they are
    /// counted in memory.
    FILE_FULL,
    FILE_FULL_DECL,
    FILE_FULL_RECORD,
    "telemetry/file/name-not-stored",
    "Counters the week's file could not hold (file at its size limit, disk full or \
     an I/O error); they were counted in memory only."
);

health_counter!(
    /// Lookups that found the open counter file inconsistent.
    FILE_CORRUPT,
    FILE_CORRUPT_DECL,
    FILE_CORRUPT_RECORD,
    "telemetry/file/corrupt-lookup",
    "Lookups that found the week's counter file inconsistent; the counter was \
     counted in memory only."
);

/// Makes sure this module's statics are linked into every binary that reads the
/// registry.
#[inline(never)]
pub(crate) fn link() {
    core::hint::black_box((&CHAINS_OVER_LIMIT, &FILE_FULL, &FILE_CORRUPT));
}
