//! Counters the runtime declares about itself.
//!
//! They are ordinary registry entries, listed with the program's own, so what the
//! runtime can report about itself is as visible as everything else. Declaring at
//! least one also keeps the registry slice from ever being empty, which some linkers
//! mishandle.

use crate::counter::{Counter, Decl, Kind, Origin};
use crate::registry::TELEMETRY_REGISTRY_V0_1;

/// Stack-counter chains beyond [`crate::stack::MAX_CHAINS`], counted in `(other)`.
const CHAINS_OVER_LIMIT_DECL: Decl = Decl {
    name: "telemetry/stack/chains-over-limit",
    kind: Kind::Basic,
    description: "New call chains a stack counter could not keep because it already \
                  held its maximum number of chains; they are counted in `(other)`.",
    file: "src/health.rs",
    line: line!(),
    module_path: module_path!(),
    origin: Origin::Explicit,
    record: &[],
};
crate::__telemetry_manifest_record!(CHAINS_OVER_LIMIT_RECORD = CHAINS_OVER_LIMIT_DECL);
#[linkme::distributed_slice(TELEMETRY_REGISTRY_V0_1)]
pub(crate) static CHAINS_OVER_LIMIT: Counter = Counter::__new(Decl {
    record: &CHAINS_OVER_LIMIT_RECORD,
    ..CHAINS_OVER_LIMIT_DECL
});

/// Names the open counter file could not hold (full, or a disk error); they are
/// counted in memory.
const FILE_FULL_DECL: Decl = Decl {
    name: "telemetry/file/name-not-stored",
    kind: Kind::Basic,
    description: "Counters the week's file could not hold (file at its size limit, \
                  disk full or an I/O error); they were counted in memory only.",
    file: "src/health.rs",
    line: line!(),
    module_path: module_path!(),
    origin: Origin::Explicit,
    record: &[],
};
crate::__telemetry_manifest_record!(FILE_FULL_RECORD = FILE_FULL_DECL);
#[linkme::distributed_slice(TELEMETRY_REGISTRY_V0_1)]
pub(crate) static FILE_FULL: Counter = Counter::__new(Decl {
    record: &FILE_FULL_RECORD,
    ..FILE_FULL_DECL
});

/// Lookups that found the open counter file inconsistent.
const FILE_CORRUPT_DECL: Decl = Decl {
    name: "telemetry/file/corrupt-lookup",
    kind: Kind::Basic,
    description: "Lookups that found the week's counter file inconsistent; the \
                  counter was counted in memory only.",
    file: "src/health.rs",
    line: line!(),
    module_path: module_path!(),
    origin: Origin::Explicit,
    record: &[],
};
crate::__telemetry_manifest_record!(FILE_CORRUPT_RECORD = FILE_CORRUPT_DECL);
#[linkme::distributed_slice(TELEMETRY_REGISTRY_V0_1)]
pub(crate) static FILE_CORRUPT: Counter = Counter::__new(Decl {
    record: &FILE_CORRUPT_RECORD,
    ..FILE_CORRUPT_DECL
});

/// Makes sure this module's statics are linked into every binary that reads the
/// registry.
#[inline(never)]
pub(crate) fn link() {
    core::hint::black_box((&CHAINS_OVER_LIMIT, &FILE_FULL, &FILE_CORRUPT));
}
