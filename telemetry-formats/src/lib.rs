//! Every format of transparent telemetry, defined once: what the program writes on the
//! user's machine, what the `telemetry` command reads, and (as they are built) what is
//! uploaded and what the collection server accepts. No counting engine and no network
//! code live here, so the command and the server use the formats without linking
//! either.
//!
//! - [`dirs`]: where files live; [`mode`]: the modes, the mode file, the environment
//!   variables that override it and the order in which all of them decide;
//!   [`policy`]: the system policy; [`prompt`]: the prompt's state file; [`week`]:
//!   weeks and the weekday file;
//! - [`file`](mod@file): counter files, their names and the validating reader ([`file::format`]
//!   is the byte layout);
//! - [`manifest`]: the manifest of a program's counters and its records;
//! - [`program`]: the identity of a program build; [`report`]: weekly reports;
//!   [`config`]: the upload config; `signature` (feature `signatures`): signed configs;
//!   [`upload`]: what of a report may be uploaded;
//! - [`safe_fs`]: how every file is opened, trusting nothing found on disk;
//!   [`cleanup`]: the disk-use cap; [`date`]: UTC calendar dates.
//!
//! `docs/FORMAT.md` and `docs/MANIFEST.md` describe the same bytes for people; each
//! format carries a version, and every reader rejects a version it does not know.

#![warn(clippy::unwrap_used)]

pub mod cleanup;
pub mod config;
pub mod date;
pub mod dirs;
pub mod file;
pub mod manifest;
pub mod mode;
pub mod policy;
pub mod program;
pub mod prompt;
pub mod report;
pub mod safe_fs;
#[cfg(feature = "signatures")]
pub mod signature;
pub mod upload;
mod version;
pub mod week;

pub use mode::{DefaultMode, Defaults, Mode, ModeSource};
pub use program::ProgramInfo;

/// A small deterministic generator (xorshift64*) for the tests, so failures reproduce.
#[cfg(test)]
pub(crate) mod test_rng {
    pub(crate) struct Rng(pub(crate) u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// A number in `0..n`.
        pub(crate) fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// A number in (0, 1).
        pub(crate) fn unit(&mut self) -> f64 {
            ((self.next() >> 11) as f64 + 1.0) / ((1u64 << 53) as f64 + 2.0)
        }
    }
}
