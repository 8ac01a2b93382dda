//! The engine behind the [`telemetry`](https://docs.rs/transparent-telemetry) crate
//! (package `transparent-telemetry`).
//!
//! Programs depend on `telemetry`, never on this crate: its macros declare counters
//! whose `static`s this crate defines, registers and increments. The public items are
//! re-exported by `telemetry`; everything under `__private` is for generated code and
//! may change in any release.
//!
//! The pieces, each in its own module:
//! - [`Counter`] and its hot path: one atomic add through a cached slot;
//! - the registry: a `linkme` slice of every declared counter, sorted and checked for
//!   conflicting declarations on first use ([`registry`]);
//! - the slot resolver, the only cold path of an increment;
//! - the shadow stack of `#[counted]` frames and [`StackCounter`];
//! - [`Histogram`] and [`LabelSet`], whose buckets are ordinary counters;
//! - the runtime's own counters.

#![warn(clippy::unwrap_used)]

mod counter;
mod crash;
pub mod file;
mod health;
mod histogram;
mod labels;
pub mod manifest;
mod program;
mod prompt;
mod registry;
mod session;
mod slots;
mod stack;

pub use counter::{Counter, Kind};
pub use histogram::Histogram;
pub use labels::LabelSet;
pub use manifest::{Manifest, manifest};
pub use program::{ModeChoice, ModeError, Program, ProgramInfo, Session};
pub use prompt::{Prompt, PromptOutcome, Suppressed};
pub use registry::{Conflict, ConflictError, Registry, registry};
pub use session::{counter_file, session};
pub use stack::{MAX_CHAINS, OVERFLOW_FRAME, StackCounter};
pub use telemetry_formats::{DefaultMode, Defaults, Mode, ModeSource};
pub use telemetry_formats::{cleanup, date, dirs, mode, policy, report, safe_fs, week};

/// Not public API: what generated code names, through `::telemetry::__private`.
#[doc(hidden)]
pub mod __private {
    pub use crate::counter::{Counter, Decl, Kind, Origin};
    pub use crate::histogram::Histogram;
    pub use crate::labels::LabelSet;
    pub use crate::manifest::record::{
        RecordParts, assemble_record, assembled_len, encode_program_record, encode_record,
        program_record_len, record_len,
    };
    pub use crate::program::{Program, PromptFacts, UploadHook};
    pub use crate::prompt::Prompt;
    pub use crate::registry::TELEMETRY_REGISTRY_V0_1 as REGISTRY;
    pub use crate::registry::build_index_uncached;
    pub use crate::session::{
        hold_worker_lock, prompt_checks, set_clock_offset, start_uncached, start_unpublished,
        start_unpublished_prompted,
    };
    pub use crate::stack::{ChainTable, Frame, StackCounter, enter};
    pub use crate::{
        __telemetry_manifest_record as manifest_record,
        __telemetry_program_record as program_record,
    };
    pub use core::module_path;
    pub use linkme;
}

/// Places a manifest record in the manifest link section, as `static $record`: bytes
/// the macros encoded, the `RecordParts` of a derived name, or a whole `Decl` constant
/// (the runtime's own counters). Not public API: used by generated code.
#[doc(hidden)]
#[macro_export]
macro_rules! __telemetry_manifest_record {
    ($record:ident = bytes $len:literal, $bytes:expr) => {
        $crate::__telemetry_manifest_static! {
            static $record: [::core::primitive::u8; $len] = $bytes;
        }
    };
    ($record:ident = parts $parts:expr) => {
        $crate::__telemetry_manifest_static! {
            static $record: [::core::primitive::u8; $crate::__private::assembled_len(&$parts)] =
                $crate::__private::assemble_record(&$parts);
        }
    };
    ($record:ident = $decl:expr) => {
        $crate::__telemetry_manifest_static! {
            static $record: [::core::primitive::u8; $crate::__private::record_len(&$decl)] =
                $crate::__private::encode_record(&$decl);
        }
    };
}

/// Places the program's manifest record (name and version) in the manifest link
/// section, as `static $record`. Not public API: used by `telemetry::program!()`.
#[doc(hidden)]
#[macro_export]
macro_rules! __telemetry_program_record {
    ($record:ident = $name:expr, $version:expr) => {
        $crate::__telemetry_manifest_static! {
            static $record: [
                ::core::primitive::u8;
                $crate::__private::program_record_len($name, $version)
            ] = $crate::__private::encode_program_record($name, $version);
        }
    };
}

/// A `static` kept by the compiler in the manifest link section of the target's object
/// format (see `manifest::record`), for the runtime's own records; the macros write the
/// same attributes into each expansion themselves. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __telemetry_manifest_static {
    (static $name:ident: $ty:ty = $value:expr;) => {
        #[cfg_attr(target_vendor = "apple", unsafe(link_section = "__DATA,__tmanifest"))]
        #[cfg_attr(windows, unsafe(link_section = ".tmanif"))]
        #[cfg_attr(
            not(any(windows, target_vendor = "apple")),
            unsafe(link_section = "telemetry_manifest")
        )]
        #[used]
        static $name: $ty = $value;
    };
}
