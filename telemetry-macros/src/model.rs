//! The data the macros' phases hand each other. Parsing (`args`) and the expansions
//! (`declare`, `counted`) build it; the manifest records (`record`) and the code
//! written as text (`emit`) read it. It depends on none of them, so the phases depend
//! on it and never on each other in a circle.

use proc_macro2::TokenStream;
use quote::quote;

use crate::site::Site;

/// `<crate>::__private`, from the `crate = …` argument: where every path the generated
/// code names starts. Each generated block binds it first, with
/// [`use_item`](Private::use_item), and names everything through that alias.
/// `None` for the default, `::telemetry::__private`, which text can spell.
#[derive(Clone)]
pub(crate) struct Private(pub(crate) Option<TokenStream>);

/// The default `<crate>::__private`, as text.
pub(crate) const DEFAULT_PRIVATE: &str = "::telemetry::__private";

impl Private {
    /// `use <crate>::__private as __telemetry_private;` for a path given as `crate =
    /// …`, keeping the spans it was written with (it may be a macro's `$crate`); `None`
    /// for the default, which the caller writes as text with the rest of the block.
    pub(crate) fn use_item(&self) -> Option<TokenStream> {
        let path = self.0.as_ref()?;
        Some(quote!(use #path as __telemetry_private;))
    }
}

/// How a counter got its name, spelled like `telemetry_runtime::__private::Origin`.
#[derive(Clone, Copy)]
pub(crate) enum Origin {
    Derived,
    Explicit,
}

/// A counter's name, as the macro knows it.
#[derive(Clone)]
pub(crate) enum CounterName {
    /// Written in the declaration (or built from it: buckets, labels).
    Literal(String),
    /// Derived by `#[counted]`: `module_path!()` turned into a path, then `/` and this.
    Derived { tail: String },
}

/// Everything a `Decl` needs, as code and text.
pub(crate) struct DeclParts {
    pub name: CounterName,
    /// An expression of type `Kind`.
    pub kind: String,
    pub description: String,
    /// The last day it is uploaded, `YYYY-MM-DD`, or "" when it does not expire.
    pub expires: String,
    pub site: Site,
}

impl DeclParts {
    pub(crate) fn origin(&self) -> Origin {
        match self.name {
            CounterName::Literal(_) => Origin::Explicit,
            CounterName::Derived { .. } => Origin::Derived,
        }
    }
}

/// What kind of counter a record describes, with its list.
pub(crate) enum RecordKind<'a> {
    Basic,
    Stack {
        depth: u32,
    },
    Bucket {
        index: u32,
        bounds: &'a [u64],
        unit: &'a str,
    },
    Label {
        index: u32,
        labels: &'a [String],
    },
}
