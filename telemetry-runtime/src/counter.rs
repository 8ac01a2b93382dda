//! Counters and their hot path.
//!
//! Every counter is a `static` written by one of the macros. It caches a pointer to the
//! 64-bit cell it counts into (its *slot*). The first increment resolves the slot on a
//! cold path (see [`crate::slots`]); every later increment is one atomic load of the
//! cached pointer and one relaxed `fetch_add` through it. Re-pointing the slot (at a
//! shared name's canonical cell today, at a record of a memory-mapped file later) never
//! changes that path.

use core::fmt;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use telemetry_rules::Shape;

use crate::stack::ChainTable;

/// What a registry entry counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// A plain counter, declared by `counter!("name")` or `#[counted]`.
    Basic,
    /// A stack counter declared by `stack_counter!(name, depth = N)`: the entry stands
    /// for the family of call chains it counts, each chain a counter of its own.
    Stack {
        /// How many enclosing `#[counted]` frames a chain holds at most.
        depth: usize,
    },
    /// One bucket of a histogram declared by `histogram!(name, [bounds…])`.
    Bucket {
        /// Every upper bound of the histogram, in increasing order.
        bounds: &'static [u64],
        /// The unit appended to each bound in bucket names (may be empty).
        unit: &'static str,
        /// This bucket's position: `index < bounds.len()` counts values below
        /// `bounds[index]`, `index == bounds.len()` is the overflow bucket.
        index: usize,
    },
    /// One label of a fixed label set declared by `counter!("chart:{a,b,c}")`.
    Label {
        /// Every label of the set, the fallback `other` included.
        labels: &'static [&'static str],
        /// This label's position in `labels`.
        index: usize,
    },
}

impl Kind {
    /// A short lowercase word for this kind: `basic`, `stack`, `bucket` or `label`.
    pub const fn as_str(&self) -> &'static str {
        self.rule().as_str()
    }

    /// The kind as the shared rules name it, without its data.
    pub(crate) const fn rule(&self) -> telemetry_rules::Kind {
        match self {
            Kind::Basic => telemetry_rules::Kind::Basic,
            Kind::Stack { .. } => telemetry_rules::Kind::Stack,
            Kind::Bucket { .. } => telemetry_rules::Kind::Bucket,
            Kind::Label { .. } => telemetry_rules::Kind::Label,
        }
    }
}

/// The kind with what makes declarations of one name compatible, as a manifest writes
/// it: `stack, depth 8`, `histogram bucket of [10ms, 50ms]`, `label of {vim,other}`.
impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape: Shape<'_, &str> = match *self {
            Kind::Basic => Shape::Basic,
            Kind::Stack { depth } => Shape::Stack { depth },
            Kind::Bucket { bounds, unit, .. } => Shape::Bucket { bounds, unit },
            Kind::Label { labels, .. } => Shape::Label { labels },
        };
        shape.fmt(f)
    }
}

/// How a counter got its name; decides whether two sites may share it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `#[counted]` without a name: derived from the module path and function name.
    /// Two sites deriving the same name is an accident and is reported as a conflict.
    Derived,
    /// A name written by the author, which several sites may share on purpose.
    Explicit,
    /// A call chain of a stack counter, made at run time.
    Chain,
}

/// Where and how a counter was declared. Built by generated code only.
#[doc(hidden)]
#[derive(Debug)]
pub struct Decl {
    /// The full counter name.
    pub name: &'static str,
    /// What the counter counts.
    pub kind: Kind,
    /// The doc comment or `description = "…"` text, or "".
    pub description: &'static str,
    /// Source file, relative to the declaring crate's root.
    pub file: &'static str,
    /// Line of the declaration in `file`.
    pub line: u32,
    /// `module_path!()` at the declaration.
    pub module_path: &'static str,
    /// How the name was chosen.
    pub origin: Origin,
    /// The declaration's manifest record (see `manifest::record`), in the manifest
    /// link section; empty for chains.
    pub record: &'static [u8],
}

// The initial cells of every counter, as constants: evaluated once, where a call in
// each counter's initializer is evaluated for each declaration by the compiler.
#[allow(clippy::declare_interior_mutable_const)] // copied into each counter, never shared
const UNRESOLVED: AtomicPtr<AtomicU64> = AtomicPtr::new(core::ptr::null_mut());
#[allow(clippy::declare_interior_mutable_const)] // copied into each counter, never shared
const ZERO: AtomicU64 = AtomicU64::new(0);

/// A named event counter.
///
/// Obtained from `counter!`, a histogram or label set bucket, a stack counter chain, or
/// the registry; always `'static`. Increments are exact across threads and never block.
pub struct Counter {
    /// The cell increments go to; null until the first use resolves it.
    slot: AtomicPtr<AtomicU64>,
    /// In-memory cell: where counts live while no file holds them.
    local: AtomicU64,
    decl: Decl,
    /// For a stack counter's registry entry: its chains.
    chains: Option<&'static ChainTable>,
}

impl Counter {
    /// Builds a counter for a `static`. Not public API: used by generated code.
    #[doc(hidden)]
    pub const fn __new(decl: Decl) -> Counter {
        Counter {
            slot: UNRESOLVED,
            local: ZERO,
            decl,
            chains: None,
        }
    }

    /// Builds a counter declared with its name written out (`counter!`, a label or
    /// bucket, `#[counted("…")]`) for a `static`: [`Counter::__new`] with the `Decl` as
    /// arguments, which costs the compiler less per declaration than a `Decl` literal
    /// in each one. Not public API: used by generated code.
    #[doc(hidden)]
    pub const fn __declared(
        name: &'static str,
        kind: Kind,
        description: &'static str,
        file: &'static str,
        line: u32,
        module_path: &'static str,
        record: &'static [u8],
    ) -> Counter {
        Counter {
            slot: UNRESOLVED,
            local: ZERO,
            decl: Decl {
                name,
                kind,
                description,
                file,
                line,
                module_path,
                origin: Origin::Explicit,
                record,
            },
            chains: None,
        }
    }

    /// [`Counter::__declared`] for the registry entry of a stack counter. Not public
    /// API: used by generated code.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)] // the fields of a `Decl`, as `__declared`
    pub const fn __declared_stack(
        name: &'static str,
        depth: usize,
        description: &'static str,
        file: &'static str,
        line: u32,
        module_path: &'static str,
        record: &'static [u8],
        chains: &'static ChainTable,
    ) -> Counter {
        let kind = Kind::Stack { depth };
        let mut entry =
            Counter::__declared(name, kind, description, file, line, module_path, record);
        entry.chains = Some(chains);
        entry
    }

    /// Builds the registry entry of a stack counter. Not public API.
    #[doc(hidden)]
    pub const fn __stack(decl: Decl, chains: &'static ChainTable) -> Counter {
        Counter {
            slot: UNRESOLVED,
            local: ZERO,
            decl,
            chains: Some(chains),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&'static self) {
        self.add(1);
    }

    /// Adds `n`. Values wrap around after 2^64 - 1 (centuries of increments).
    #[inline]
    pub fn add(&'static self, n: u64) {
        let slot = self.slot.load(Ordering::Acquire);
        if slot.is_null() {
            self.add_cold(n);
        } else {
            // SAFETY: a non-null slot was stored by `crate::slots::resolve`, which only
            // stores pointers to cells that live for the rest of the process (a `local`
            // field of a `'static` counter, or a mapping that is never unmapped).
            let before = unsafe { (*slot).fetch_add(n, Ordering::Relaxed) };
            crate::session::tick(before, n);
        }
    }

    #[cold]
    #[inline(never)]
    fn add_cold(&'static self, n: u64) {
        crate::slots::resolve(self).fetch_add(n, Ordering::Relaxed);
    }

    /// The current value: every increment made so far to this name in this process,
    /// whichever site made it.
    pub fn get(&'static self) -> u64 {
        if self.chains.is_some() {
            return self.chains().map(Counter::get).fold(0, u64::wrapping_add);
        }
        crate::slots::resolve(self).load(Ordering::Relaxed)
    }

    /// The counter's full name, e.g. `mytool/cache:hit`.
    pub fn name(&self) -> &'static str {
        self.decl.name
    }

    /// What the counter counts.
    pub fn kind(&self) -> Kind {
        self.decl.kind
    }

    /// The description from the function's doc comment or a `description = "…"`
    /// argument; empty when none was given.
    pub fn description(&self) -> &'static str {
        self.decl.description
    }

    /// The source file of the declaration, relative to its crate's root.
    pub fn file(&self) -> &'static str {
        self.decl.file
    }

    /// The line of the declaration.
    pub fn line(&self) -> u32 {
        self.decl.line
    }

    /// The module that declared the counter, as `module_path!()` spells it.
    pub fn module_path(&self) -> &'static str {
        self.decl.module_path
    }

    /// The crate that declared the counter (the first segment of its module path).
    pub fn crate_name(&self) -> &'static str {
        match self.decl.module_path.split_once("::") {
            Some((krate, _)) => krate,
            None => self.decl.module_path,
        }
    }

    /// The declaration's manifest record, as placed in the binary. Not public API:
    /// for tests that records and registry agree.
    #[doc(hidden)]
    pub fn __record(&self) -> &'static [u8] {
        self.decl.record
    }

    /// The chains counted so far by a stack counter's entry, each a counter named
    /// `<stack name>\n<innermost frame>\n…`. Empty for every other kind.
    pub fn chains(&'static self) -> impl Iterator<Item = &'static Counter> + use<> {
        self.shared_chains().into_iter().flat_map(ChainTable::iter)
    }

    /// The chain table every site of this stack counter's name shares.
    pub(crate) fn shared_chains(&'static self) -> Option<&'static ChainTable> {
        self.chains?;
        crate::registry::canonical(self).chains.or(self.chains)
    }

    /// Forgets the cached slot: the next use resolves it again.
    pub(crate) fn clear_slot(&self) {
        if !self.slot.load(Ordering::Relaxed).is_null() {
            self.slot.store(core::ptr::null_mut(), Ordering::Release);
        }
    }

    /// Moves what was counted in memory into the cell this counter now resolves to.
    pub(crate) fn flush_local(&'static self) {
        if self.local.load(Ordering::Relaxed) == 0 {
            return;
        }
        let pending = self.local.swap(0, Ordering::AcqRel);
        crate::slots::resolve(self).fetch_add(pending, Ordering::Relaxed);
    }

    /// Adds to the in-memory cell directly, without resolving: for the runtime's own
    /// counters on paths where resolving could fail again.
    pub(crate) fn add_in_memory(&self, n: u64) {
        self.local.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn own_chains(&self) -> Option<&'static ChainTable> {
        self.chains
    }

    pub(crate) fn decl(&self) -> &Decl {
        &self.decl
    }

    pub(crate) fn slot(&self) -> &AtomicPtr<AtomicU64> {
        &self.slot
    }

    pub(crate) fn local(&self) -> &AtomicU64 {
        &self.local
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("name", &self.decl.name)
            .field("kind", &self.decl.kind)
            .field("file", &self.decl.file)
            .field("line", &self.decl.line)
            .finish_non_exhaustive()
    }
}
