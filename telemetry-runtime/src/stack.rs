//! Stack counters, built on a shadow stack of `#[counted]` frames.
//!
//! Each thread keeps the chain of `#[counted]` functions it is inside, as pointers to
//! their registry counters, in a fixed ring of [`RING`] entries. Entering a counted
//! function writes one entry and bumps a depth; leaving it (normally, by `return`, `?`
//! or unwinding) lowers the depth. A stack counter reads the innermost `depth` entries
//! and counts into the counter of that exact chain, so chain names are made only of
//! registry names: never addresses, paths or argument data.
//!
//! Recursion deeper than the ring overwrites the oldest entries. Each entry remembers
//! the depth it was written at, so a chain read after such a recursion stops at the
//! first overwritten frame instead of naming a wrong one.

use core::cell::Cell;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Mutex;

use telemetry_rules::{MAX_DEPTH, chain};

use crate::counter::{Counter, Decl, Origin};

/// Entries of each thread's shadow stack. A power of two.
const RING: usize = 64;

/// The most distinct chains one stack counter keeps. Further chains are counted in one
/// chain named `<stack name>\n(other)`, and in `telemetry/stack/chains-over-limit`.
pub const MAX_CHAINS: usize = 1 << 16;

/// The frame name standing for every chain past [`MAX_CHAINS`].
pub const OVERFLOW_FRAME: &str = "(other)";

const _: () = assert!(RING.is_power_of_two() && MAX_DEPTH <= RING);

#[derive(Clone, Copy)]
struct Entry {
    frame: Option<&'static Counter>,
    depth: u32,
}

struct Shadow {
    depth: Cell<u32>,
    ring: [Cell<Entry>; RING],
}

thread_local! {
    static SHADOW: Shadow = const {
        Shadow {
            depth: Cell::new(0),
            ring: [const { Cell::new(Entry { frame: None, depth: 0 }) }; RING],
        }
    };
}

impl Shadow {
    #[inline]
    fn push(&self, frame: &'static Counter) {
        let depth = self.depth.get();
        self.ring[depth as usize & (RING - 1)].set(Entry {
            frame: Some(frame),
            depth,
        });
        self.depth.set(depth.wrapping_add(1));
    }

    #[inline]
    fn pop(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    /// Copies the innermost frames, at most `max`, into `out`; returns how many.
    #[inline]
    fn read(&self, max: usize, out: &mut [&'static Counter; MAX_DEPTH]) -> usize {
        let depth = self.depth.get();
        let mut len = 0;
        while len < max.min(MAX_DEPTH) && (len as u32) < depth {
            let at = depth - 1 - len as u32;
            let entry = self.ring[at as usize & (RING - 1)].get();
            match entry.frame {
                Some(frame) if entry.depth == at => out[len] = frame,
                _ => break,
            }
            len += 1;
        }
        len
    }
}

/// The guard of one `#[counted]` call: the frame stays on this thread's shadow stack
/// until the guard drops. Not public API: used by generated code.
#[doc(hidden)]
#[must_use]
pub struct Frame {
    _not_send: PhantomData<*const ()>,
}

/// Counts a call of a `#[counted]` function and pushes its frame. Not public API.
#[doc(hidden)]
#[inline]
pub fn enter(counter: &'static Counter) -> Frame {
    counter.inc();
    // The shadow stack has no destructor, so this access cannot fail; `try_with`
    // keeps even a thread in its final teardown from panicking here.
    let _ = SHADOW.try_with(|shadow| shadow.push(counter));
    Frame {
        _not_send: PhantomData,
    }
}

impl Drop for Frame {
    #[inline]
    fn drop(&mut self) {
        let _ = SHADOW.try_with(Shadow::pop);
    }
}

/// A counter of call chains: `stack_counter!("mytool/bug/unexpected-eof", depth = 8)`.
///
/// Each [`inc`](StackCounter::inc) counts the chain of `#[counted]` functions enclosing
/// the call on this thread, innermost first and at most `depth` of them. Every distinct
/// chain is a counter of its own named `<name>\n<innermost>\n<next>…`, e.g.
/// `kv/bug/corrupt-record\nkvlite/parse/parse-record\nkvlite/store/Store/get`. A call
/// with no counted function around it counts in the chain named `<name>` alone.
///
/// A known chain costs a few tens of nanoseconds and allocates nothing; the first call
/// of a new chain allocates its name once.
pub struct StackCounter {
    entry: &'static Counter,
    depth: usize,
    /// The chains of this name, shared by every site declaring it; null until used.
    table: AtomicPtr<ChainTable>,
}

impl StackCounter {
    /// Builds a stack counter for a `static`. Not public API.
    #[doc(hidden)]
    pub const fn __new(entry: &'static Counter, depth: usize) -> StackCounter {
        StackCounter {
            entry,
            depth,
            table: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Counts the current chain once.
    #[inline]
    pub fn inc(&'static self) {
        self.add(1);
    }

    /// Counts the current chain `n` times.
    #[inline]
    pub fn add(&'static self, n: u64) {
        self.current().add(n);
    }

    /// The counter of the chain enclosing this call.
    pub fn current(&'static self) -> &'static Counter {
        let mut frames = [self.entry; MAX_DEPTH];
        let len = SHADOW
            .try_with(|shadow| shadow.read(self.depth, &mut frames))
            .unwrap_or(0);
        match self.table() {
            Some(table) => table.counter_for(self.entry, &frames[..len]),
            None => self.entry,
        }
    }

    #[inline]
    fn table(&'static self) -> Option<&'static ChainTable> {
        match leaked(self.table.load(Ordering::Acquire)) {
            Some(table) => Some(table),
            None => self.resolve_table(),
        }
    }

    #[cold]
    #[inline(never)]
    fn resolve_table(&'static self) -> Option<&'static ChainTable> {
        let table = self.entry.shared_chains()?;
        self.table
            .store(ptr::from_ref(table).cast_mut(), Ordering::Release);
        Some(table)
    }

    /// The stack counter's name (every chain name starts with it).
    pub fn name(&self) -> &'static str {
        self.entry.name()
    }

    /// The deepest chain recorded.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The total over every chain.
    pub fn get(&'static self) -> u64 {
        self.entry.get()
    }

    /// The registry entry of this stack counter.
    pub fn entry(&self) -> &'static Counter {
        self.entry
    }

    /// Every chain counted so far, in no particular order.
    pub fn chains(&self) -> impl Iterator<Item = &'static Counter> + use<> {
        self.entry.chains()
    }
}

impl core::fmt::Debug for StackCounter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StackCounter")
            .field("name", &self.name())
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

/// The chains of one stack counter: an open-addressing table of leaked chains that
/// readers probe without a lock; inserts take a mutex and may replace the table by a
/// larger copy. Superseded tables are leaked, never freed, because a reader may still
/// be probing them (their total size is below the final table's).
#[doc(hidden)]
pub struct ChainTable {
    table: AtomicPtr<Table>,
    len: AtomicUsize,
    insert: Mutex<()>,
    overflow: AtomicPtr<Chain>,
}

struct Table {
    mask: usize,
    slots: Box<[AtomicPtr<Chain>]>,
}

struct Chain {
    hash: u64,
    frames: Box<[&'static Counter]>,
    counter: Counter,
}

impl Default for ChainTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainTable {
    /// An empty table, for a `static`. Not public API.
    pub const fn new() -> ChainTable {
        ChainTable {
            table: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
            insert: Mutex::new(()),
            overflow: AtomicPtr::new(ptr::null_mut()),
        }
    }

    #[inline]
    fn counter_for(
        &self,
        entry: &'static Counter,
        frames: &[&'static Counter],
    ) -> &'static Counter {
        let hash = hash(frames);
        if let Some(chain) = Self::probe(self.table.load(Ordering::Acquire), hash, frames) {
            return &chain.counter;
        }
        self.insert(entry, hash, frames)
    }

    #[inline]
    fn probe(table: *mut Table, hash: u64, frames: &[&'static Counter]) -> Option<&'static Chain> {
        let table = leaked(table)?;
        let mut at = hash as usize & table.mask;
        loop {
            let chain = leaked(table.slots[at].load(Ordering::Acquire))?;
            if chain.hash == hash && same_frames(&chain.frames, frames) {
                return Some(chain);
            }
            at = (at + 1) & table.mask;
        }
    }

    #[cold]
    #[inline(never)]
    fn insert(
        &self,
        entry: &'static Counter,
        hash: u64,
        frames: &[&'static Counter],
    ) -> &'static Counter {
        let _guard = self
            .insert
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut table = self.table.load(Ordering::Acquire);
        if let Some(chain) = Self::probe(table, hash, frames) {
            return &chain.counter;
        }
        let len = self.len.load(Ordering::Relaxed);
        if len >= MAX_CHAINS {
            crate::health::CHAINS_OVER_LIMIT.inc();
            return self.overflow(entry);
        }
        let capacity = leaked(table).map_or(0, |t| t.slots.len());
        if (len + 1) * 2 > capacity {
            table = Self::grow(table, (capacity * 2).max(16));
            self.table.store(table, Ordering::Release);
        }
        let chain = Box::leak(Box::new(Chain {
            hash,
            frames: frames.into(),
            counter: Counter::__new(chain_decl(entry, frames)),
        }));
        let Some(table) = leaked(table) else {
            return self.overflow(entry);
        };
        let mut at = hash as usize & table.mask;
        while !table.slots[at].load(Ordering::Relaxed).is_null() {
            at = (at + 1) & table.mask;
        }
        table.slots[at].store(chain, Ordering::Release);
        self.len.store(len + 1, Ordering::Relaxed);
        &chain.counter
    }

    /// A new leaked table of `capacity` slots holding every chain of `old`.
    fn grow(old: *mut Table, capacity: usize) -> *mut Table {
        let slots: Box<[AtomicPtr<Chain>]> = (0..capacity)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect();
        let table = Table {
            mask: capacity - 1,
            slots,
        };
        for slot in leaked(old).map_or(&[][..], |old| &old.slots) {
            let chain = slot.load(Ordering::Acquire);
            if let Some(found) = leaked(chain) {
                let mut at = found.hash as usize & table.mask;
                while !table.slots[at].load(Ordering::Relaxed).is_null() {
                    at = (at + 1) & table.mask;
                }
                table.slots[at].store(chain, Ordering::Relaxed);
            }
        }
        Box::leak(Box::new(table))
    }

    fn overflow(&self, entry: &'static Counter) -> &'static Counter {
        let mut chain = self.overflow.load(Ordering::Acquire);
        if chain.is_null() {
            let decl = Decl {
                name: leak_name(entry.name(), [OVERFLOW_FRAME]),
                ..chain_decl(entry, &[])
            };
            chain = Box::leak(Box::new(Chain {
                hash: 0,
                frames: Box::new([]),
                counter: Counter::__new(decl),
            }));
            self.overflow.store(chain, Ordering::Release);
        }
        match leaked(chain) {
            Some(chain) => &chain.counter,
            None => entry,
        }
    }

    /// Every chain counted so far, the overflow chain included.
    pub(crate) fn iter(&'static self) -> impl Iterator<Item = &'static Counter> {
        let slots = leaked(self.table.load(Ordering::Acquire)).map_or(&[][..], |t| &t.slots);
        let overflow = self.overflow.load(Ordering::Acquire);
        slots
            .iter()
            .map(|slot| slot.load(Ordering::Acquire))
            .chain(core::iter::once(overflow))
            .filter_map(leaked)
            .map(|chain| &chain.counter)
    }
}

/// The table or chain behind a pointer read from a `ChainTable` or `StackCounter`.
fn leaked<T>(ptr: *mut T) -> Option<&'static T> {
    // SAFETY: every non-null pointer stored in a `ChainTable` or `StackCounter` comes
    // from `Box::leak` or a `&'static` reference, was fully written before being
    // published with a Release store (and is read back with Acquire), and is never
    // freed, so it is valid for reads for `'static`.
    unsafe { ptr.as_ref() }
}

fn chain_decl(entry: &'static Counter, frames: &[&'static Counter]) -> Decl {
    let decl = entry.decl();
    Decl {
        name: leak_name(entry.name(), frames.iter().map(|f| f.name())),
        kind: decl.kind,
        description: decl.description,
        file: decl.file,
        line: decl.line,
        module_path: decl.module_path,
        origin: Origin::Chain,
        record: &[],
    }
}

/// `prefix\nframe\nframe…`, leaked: chain names live as long as their counters.
fn leak_name<'a>(prefix: &str, frames: impl IntoIterator<Item = &'a str>) -> &'static str {
    let mut name = String::from(prefix);
    for frame in frames {
        name.push(chain::SEPARATOR);
        name.push_str(frame);
    }
    Box::leak(name.into_boxed_str())
}

#[inline]
fn hash(frames: &[&'static Counter]) -> u64 {
    let mut h = frames.len() as u64;
    for frame in frames {
        h = (h ^ ptr::from_ref(*frame) as usize as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    h
}

#[inline]
fn same_frames(a: &[&'static Counter], b: &[&'static Counter]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ptr::eq(*x, *y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counter::Kind;

    fn basic(name: &'static str) -> &'static Counter {
        Box::leak(Box::new(Counter::__new(Decl {
            name,
            kind: Kind::Basic,
            description: "",
            file: "src/lib.rs",
            line: 1,
            module_path: "t",
            origin: Origin::Chain,
            record: &[],
        })))
    }

    #[test]
    fn reads_innermost_frames_first_up_to_the_depth() {
        let (a, b, c) = (basic("t/a"), basic("t/b"), basic("t/c"));
        let _fa = enter(a);
        let _fb = enter(b);
        let _fc = enter(c);
        let mut out = [a; MAX_DEPTH];
        let len = SHADOW.with(|s| s.read(2, &mut out));
        assert_eq!(len, 2);
        assert_eq!([out[0].name(), out[1].name()], ["t/c", "t/b"]);
    }

    #[test]
    fn leaving_a_frame_pops_it_even_when_unwinding() {
        let a = basic("t/outer");
        let b = basic("t/inner");
        let _fa = enter(a);
        let result = std::panic::catch_unwind(|| {
            let _fb = enter(b);
            panic!("boom");
        });
        assert!(result.is_err());
        let mut out = [a; MAX_DEPTH];
        let len = SHADOW.with(|s| s.read(8, &mut out));
        assert_eq!(len, 1);
        assert_eq!(out[0].name(), "t/outer");
    }

    #[test]
    fn a_chain_past_an_overwritten_ring_entry_is_cut_there() {
        let a = basic("t/deep");
        let b = basic("t/after");
        let mut guards = Vec::new();
        for _ in 0..RING + 5 {
            guards.push(enter(a));
        }
        // Back down to depth 3: entries 0..5 were overwritten at depths 64..69.
        guards.truncate(3);
        let _fb = enter(b);
        let mut out = [a; MAX_DEPTH];
        let len = SHADOW.with(|s| s.read(8, &mut out));
        assert_eq!(len, 1, "only the frame written at its own depth is trusted");
        assert_eq!(out[0].name(), "t/after");
    }
}
