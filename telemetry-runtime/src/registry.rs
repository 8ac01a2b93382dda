//! The static registry of every counter declared in the final binary.
//!
//! Each macro expansion places one `static Counter` in a `linkme` distributed slice.
//! The linker gathers them into one section, so the whole list exists before `main`
//! without any code running, allocating or locking. This module reads that slice once,
//! sorts it into an index, and checks it for conflicting declarations.
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

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use crate::counter::{Counter, Origin};

/// Every counter declared in the binary. Not public API: generated code adds to it.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static TELEMETRY_REGISTRY_V0_1: [Counter];

/// The registry, sorted and checked once on first use.
struct Index {
    /// Every entry, sorted by name, then file, then line.
    entries: Vec<&'static Counter>,
    /// Names declared by conflicting sites, sorted.
    conflicted: Vec<&'static str>,
    conflicts: Vec<Conflict>,
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
        // release programs never print anything of telemetry's own.
        eprintln!(
            "{}",
            ConflictError {
                conflicts: &index.conflicts
            }
        );
    }
    index
}

impl Index {
    fn build(list: impl IntoIterator<Item = &'static Counter>) -> Index {
        let mut entries: Vec<&'static Counter> = list.into_iter().collect();
        entries.sort_by(|a, b| (a.name(), a.file(), a.line()).cmp(&(b.name(), b.file(), b.line())));
        let conflicts: Vec<Conflict> = entries
            .chunk_by(|a, b| a.name() == b.name())
            .filter_map(Conflict::find)
            .collect();
        let conflicted = conflicts.iter().map(|c| c.name).collect();
        Index {
            entries,
            conflicted,
            conflicts,
        }
    }

    fn first_named(&self, name: &str) -> Option<usize> {
        let at = self.entries.partition_point(|c| c.name() < name);
        (self.entries.get(at)?.name() == name).then_some(at)
    }
}

/// The entry whose in-memory cell every site named like `counter` shares: the first
/// one in registry order, or `counter` itself when its name is in conflict or it is
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
        Origin::Chain => name.split('\n').next().unwrap_or(name),
        Origin::Derived | Origin::Explicit => name,
    };
    if index.conflicted.binary_search(&owner).is_ok() {
        return Placement::Alone;
    }
    match counter.decl().origin {
        Origin::Chain => Placement::Shared(counter),
        Origin::Derived | Origin::Explicit => match index.first_named(name) {
            Some(at) => Placement::Shared(index.entries[at]),
            None => Placement::Shared(counter),
        },
    }
}

/// Every name a new counter file is laid out with: each registry name once, except
/// stack counters (their chains come later) and names in conflict.
pub(crate) fn file_names() -> Vec<&'static str> {
    let index = index();
    let mut names: Vec<&'static str> = index
        .entries
        .iter()
        .filter(|c| !matches!(c.kind(), crate::Kind::Stack { .. }))
        .map(|c| c.name())
        .filter(|name| index.conflicted.binary_search(name).is_err())
        .collect();
    names.dedup();
    names
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
        self.index.entries.iter().copied()
    }

    /// The number of declarations.
    pub fn len(&self) -> usize {
        self.index.entries.len()
    }

    /// True when nothing is declared (never the case: the runtime declares its own).
    pub fn is_empty(&self) -> bool {
        self.index.entries.is_empty()
    }

    /// The first declaration of `name`, if any site declares it.
    pub fn get(&self, name: &str) -> Option<&'static Counter> {
        self.index
            .first_named(name)
            .map(|at| self.index.entries[at])
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
    /// The conflict among `group`, which holds every site of one name, if any.
    fn find(group: &[&'static Counter]) -> Option<Conflict> {
        let [first, rest @ ..] = group else {
            return None;
        };
        let derived = group.iter().any(|c| c.decl().origin == Origin::Derived);
        let mismatched = rest.iter().any(|c| c.kind() != first.kind());
        (!rest.is_empty() && (derived || mismatched)).then(|| Conflict {
            name: first.name(),
            sites: group.to_vec(),
        })
    }

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
        assert_eq!(index.conflicted, vec!["t/x:<10"]);
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
