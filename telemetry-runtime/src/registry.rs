//! The static registry of every counter declared in the final binary.
//!
//! Each macro expansion places one `static Counter` in a `linkme` distributed slice.
//! The linker gathers them into one section, so the whole list exists before `main`
//! without any code running, allocating or locking. This module reads that slice once,
//! groups it by name into an index, and checks it for conflicting declarations.
//!
//! # Pitfalls of link-time registration, and how they are handled
//!
//! - **A crate the binary never references is not linked**, so its counters are absent.
//!   A library's counters are present whenever the binary calls into the library; a
//!   crate pulled in only for its counters needs `use that_crate as _;`.
//! - **Two semver-incompatible versions of this crate** in one binary would panic on
//!   first access if both declared a slice of one name (linkme's duplicate check). The
//!   slice is therefore named after this crate's compatibility version
//!   (`TELEMETRY_REGISTRY_V0_1`), so two versions keep two separate registries; each
//!   counts and lists only its own counters. `cargo tree -d -i telemetry` finds them.
//! - **An empty slice** breaks some linkers (lld-link). The runtime declares counters
//!   of its own (see [`crate::health`]) and references them here, so the slice is never
//!   empty.
//! - **Targets without linker sections** (wasm) are not supported by linkme; the crate
//!   fails to build there with linkme's message.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::counter::{Counter, Origin};

/// Every counter declared in the binary. Not public API: generated code adds to it.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static TELEMETRY_REGISTRY_V0_1: [Counter];

/// The registry, indexed by name and checked once on first use.
struct Index {
    /// Every entry, in slice order.
    all: Vec<&'static Counter>,
    /// Each declared name: its canonical site, and whether its sites conflict.
    names: HashMap<&'static str, Name, BuildHasherDefault<Fnv>>,
    /// Every conflict, sorted by name.
    conflicts: Vec<Conflict>,
    /// Every entry sorted by name, then file, then line; made on first iteration.
    sorted: OnceLock<Vec<&'static Counter>>,
}

struct Name {
    /// The site with the smallest (file, line): whose in-memory cell the others share.
    canonical: &'static Counter,
    /// Some site derived its name with `#[counted]`.
    derived: bool,
    conflicted: bool,
}

static INDEX: OnceLock<Index> = OnceLock::new();

fn index() -> &'static Index {
    let mut built = false;
    let index = INDEX.get_or_init(|| {
        built = true;
        crate::health::link();
        Index::build(TELEMETRY_REGISTRY_V0_1.iter())
    });
    if built && cfg!(debug_assertions) && !index.conflicts.is_empty() {
        // A programming error in the binary; reported once, in debug builds only, so
        // release programs never print anything of telemetry's own. A closed or full
        // stderr is no reason to fail: the write's error is ignored.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            ConflictError {
                conflicts: &index.conflicts
            }
        );
    }
    index
}

impl Index {
    /// Groups the entries by name in one pass of hashing (no sort: start-up reads
    /// this for thousands of counters), marking names whose sites cannot share.
    fn build(list: impl IntoIterator<Item = &'static Counter>) -> Index {
        let all: Vec<&'static Counter> = list.into_iter().collect();
        let mut names: HashMap<&'static str, Name, BuildHasherDefault<Fnv>> =
            HashMap::with_capacity_and_hasher(all.len(), BuildHasherDefault::default());
        for &counter in &all {
            let derived = counter.decl().origin == Origin::Derived;
            match names.entry(counter.name()) {
                Entry::Vacant(slot) => {
                    slot.insert(Name {
                        canonical: counter,
                        derived,
                        conflicted: false,
                    });
                }
                Entry::Occupied(mut slot) => {
                    let name = slot.get_mut();
                    name.conflicted |=
                        derived || name.derived || counter.kind() != name.canonical.kind();
                    name.derived |= derived;
                    if (counter.file(), counter.line())
                        < (name.canonical.file(), name.canonical.line())
                    {
                        name.canonical = counter;
                    }
                }
            }
        }
        let mut conflicts: Vec<Conflict> = Vec::new();
        let mut in_conflict: Vec<&'static Counter> = all
            .iter()
            .copied()
            .filter(|c| names[c.name()].conflicted)
            .collect();
        in_conflict
            .sort_by(|a, b| (a.name(), a.file(), a.line()).cmp(&(b.name(), b.file(), b.line())));
        for group in in_conflict.chunk_by(|a, b| a.name() == b.name()) {
            conflicts.push(Conflict {
                name: group[0].name(),
                sites: group.to_vec(),
            });
        }
        Index {
            all,
            names,
            conflicts,
            sorted: OnceLock::new(),
        }
    }

    fn sorted(&self) -> &[&'static Counter] {
        self.sorted.get_or_init(|| {
            let mut sorted = self.all.clone();
            sorted.sort_by(|a, b| {
                (a.name(), a.file(), a.line()).cmp(&(b.name(), b.file(), b.line()))
            });
            sorted
        })
    }

    fn conflicted(&self, name: &str) -> bool {
        self.names.get(name).is_some_and(|n| n.conflicted)
    }
}

/// FNV-1a over the name's bytes: names are few, short and chosen by the program's
/// authors, so a fast hash with no protection against crafted keys fits.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// The entry whose in-memory cell every site named like `counter` shares: the first
/// in file and line order, or `counter` itself when its name is in conflict or it is
/// not in the registry.
pub(crate) fn canonical(counter: &'static Counter) -> &'static Counter {
    match placement(counter) {
        Placement::Shared(canonical) => canonical,
        Placement::Alone => counter,
    }
}

/// How a counter shares its cell.
pub(crate) enum Placement {
    /// With every site of its name, through this canonical entry; in the counter file
    /// when one is open.
    Shared(&'static Counter),
    /// Alone and in memory only: its name is in conflict, and must never be reported.
    Alone,
}

pub(crate) fn placement(counter: &'static Counter) -> Placement {
    let index = index();
    let name = counter.name();
    // A chain belongs to its stack counter: it is in conflict when that name is.
    let owner = match counter.decl().origin {
        Origin::Chain => telemetry_rules::chain::split(name).0,
        Origin::Derived | Origin::Explicit => name,
    };
    if index.conflicted(owner) {
        return Placement::Alone;
    }
    match (counter.decl().origin, index.names.get(name)) {
        (Origin::Derived | Origin::Explicit, Some(found)) => Placement::Shared(found.canonical),
        _ => Placement::Shared(counter),
    }
}

/// Every name a new counter file is laid out with: each registry name once, except
/// stack counters (their chains come later) and names in conflict.
pub(crate) fn file_names() -> Vec<&'static str> {
    index()
        .names
        .iter()
        .filter(|(_, n)| !n.conflicted && !matches!(n.canonical.kind(), crate::Kind::Stack { .. }))
        .map(|(name, _)| *name)
        .collect()
}

/// Calls `f` on every counter: each registry entry, and each chain of each stack
/// counter. Reads the slice directly, without sorting it.
pub(crate) fn for_each_counter(f: &mut dyn FnMut(&'static Counter)) {
    crate::health::link();
    for counter in TELEMETRY_REGISTRY_V0_1.iter() {
        f(counter);
        if let Some(table) = counter.own_chains() {
            for chain in table.iter() {
                f(chain);
            }
        }
    }
}

/// Sorts and checks the registry again, without keeping the result: for benchmarks
/// of start-up. Returns the number of entries.
#[cfg(feature = "testing")]
pub fn build_index_uncached() -> usize {
    Index::build(TELEMETRY_REGISTRY_V0_1.iter()).names.len()
}

/// Returns the registry of every counter declared in the final binary: in the binary
/// crate, in every library crate it links, in functions that never run, in generic and
/// inlined functions.
///
/// The first call sorts the registry and checks it for [conflicts](Registry::conflicts);
/// later calls are free.
pub fn registry() -> Registry {
    Registry { index: index() }
}

/// A sorted view of every declared counter. See [`registry`].
#[derive(Clone, Copy)]
pub struct Registry {
    index: &'static Index,
}

impl Registry {
    /// Every declared counter (each histogram bucket and label its own entry), sorted
    /// by name, then source file and line. A name declared at several sites appears
    /// once per site.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'static Counter> + use<> {
        self.index.sorted().iter().copied()
    }

    /// The number of declarations.
    pub fn len(&self) -> usize {
        self.index.all.len()
    }

    /// True when nothing is declared (never the case: the runtime declares its own).
    pub fn is_empty(&self) -> bool {
        self.index.all.is_empty()
    }

    /// The declaration of `name` whose cell every site shares (the first in file and
    /// line order), if any site declares it.
    pub fn get(&self, name: &str) -> Option<&'static Counter> {
        self.index.names.get(name).map(|n| n.canonical)
    }

    /// Names declared at several sites in ways that cannot share one counter: different
    /// kinds, histogram bounds, label sets or stack depths, or a name derived by
    /// `#[counted]` that another site also uses. Each such site counts on its own and
    /// is never merged with the others.
    pub fn conflicts(&self) -> &'static [Conflict] {
        &self.index.conflicts
    }

    /// `Ok` when there is no conflict, otherwise an error listing every conflicting
    /// site. Meant for a test: `telemetry::registry().check().unwrap()`.
    pub fn check(&self) -> Result<(), ConflictError> {
        if self.index.conflicts.is_empty() {
            Ok(())
        } else {
            Err(ConflictError {
                conflicts: &self.index.conflicts,
            })
        }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One name declared by sites that must not share a counter.
#[derive(Debug)]
pub struct Conflict {
    name: &'static str,
    sites: Vec<&'static Counter>,
}

impl Conflict {
    /// The counter name in conflict.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Every site declaring the name, in registry order.
    pub fn sites(&self) -> &[&'static Counter] {
        &self.sites
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "counter `{}` is declared by conflicting sites:",
            self.name
        )?;
        let derived: HashSet<*const Counter> = self
            .sites
            .iter()
            .filter(|c| c.decl().origin == Origin::Derived)
            .map(|c| core::ptr::from_ref(*c))
            .collect();
        for site in &self.sites {
            let how = if derived.contains(&core::ptr::from_ref(*site)) {
                ", name derived by #[counted]"
            } else {
                ""
            };
            write!(
                f,
                "\n  {}:{} ({} in crate `{}`) {}{}",
                site.file(),
                site.line(),
                site.module_path(),
                site.crate_name(),
                site.kind(),
                how
            )?;
        }
        Ok(())
    }
}

/// The error of [`Registry::check`]: every conflict, with every site's location.
#[derive(Debug)]
pub struct ConflictError {
    conflicts: &'static [Conflict],
}

impl ConflictError {
    /// The conflicts found.
    pub fn conflicts(&self) -> &'static [Conflict] {
        self.conflicts
    }
}

impl fmt::Display for ConflictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "telemetry: {} counter name(s) declared by conflicting sites; each site counts \
             separately and none is reported. Give each a distinct name, or use one \
             explicit name with one shape everywhere.",
            self.conflicts.len()
        )?;
        for conflict in self.conflicts {
            write!(f, "\n{conflict}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConflictError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counter::{Decl, Kind};

    const fn decl(name: &'static str, kind: Kind, origin: Origin, line: u32) -> Decl {
        Decl {
            name,
            kind,
            description: "",
            file: "src/lib.rs",
            line,
            module_path: "krate::m",
            origin,
            record: &[],
        }
    }

    static SAME_A: Counter = Counter::__new(decl("t/same", Kind::Basic, Origin::Explicit, 1));
    static SAME_B: Counter = Counter::__new(decl("t/same", Kind::Basic, Origin::Explicit, 2));
    static DERIVED_A: Counter = Counter::__new(decl("t/new", Kind::Basic, Origin::Derived, 3));
    static DERIVED_B: Counter = Counter::__new(decl("t/new", Kind::Basic, Origin::Derived, 4));
    static SHAPE_A: Counter = Counter::__new(decl("t/x:<10", Kind::Basic, Origin::Explicit, 5));
    static SHAPE_B: Counter = Counter::__new(decl(
        "t/x:<10",
        Kind::Bucket {
            bounds: &[10],
            unit: "",
            index: 0,
        },
        Origin::Explicit,
        6,
    ));

    #[test]
    fn the_slice_is_named_after_this_crates_compatibility_version() {
        let version = env!("CARGO_PKG_VERSION");
        let mut parts = version.split('.');
        let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
        let compatible = if major == "0" {
            format!("V0_{minor}")
        } else {
            format!("V{major}")
        };
        let source = include_str!("registry.rs");
        assert!(
            source.contains(&format!(
                "pub static TELEMETRY_REGISTRY_{compatible}: [Counter];"
            )),
            "rename the slice to TELEMETRY_REGISTRY_{compatible} for version {version}"
        );
    }

    #[test]
    fn explicit_names_with_one_shape_share_without_conflict() {
        let index = Index::build([&SAME_A, &SAME_B]);
        assert!(index.conflicts.is_empty());
    }

    #[test]
    fn two_derived_names_alike_are_a_conflict_naming_both_lines() {
        let index = Index::build([&DERIVED_B, &DERIVED_A]);
        assert_eq!(index.conflicts.len(), 1);
        let text = index.conflicts[0].to_string();
        assert!(text.contains("src/lib.rs:3"), "{text}");
        assert!(text.contains("src/lib.rs:4"), "{text}");
        assert!(text.contains("name derived by #[counted]"), "{text}");
    }

    #[test]
    fn a_basic_counter_and_a_bucket_of_one_name_conflict() {
        let index = Index::build([&SHAPE_A, &SHAPE_B]);
        assert!(index.conflicted("t/x:<10"));
        let text = index.conflicts[0].to_string();
        assert!(
            text.contains("src/lib.rs:5 (krate::m in crate `krate`) basic"),
            "{text}"
        );
        assert!(
            text.contains("src/lib.rs:6 (krate::m in crate `krate`) histogram bucket of [10]"),
            "{text}"
        );
    }
}
