//! `counter!`, `histogram!` and `stack_counter!`: each expands to a block of `static`s,
//! every counter among them placed in the registry slice, and evaluates to a
//! `&'static` reference to the counter, histogram, label set or stack counter.
//! Primitive types are spelled `::core::primitive::…`, as a crate may define items
//! named `str` or `u64` of its own.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Error, LitStr, Result};

use crate::args::{Args, Private, missing};
use crate::name::{self, Accept, FALLBACK, Name};
use crate::record::RecordKind;
use crate::site::Site;

/// The deepest stack counter; keep in step with `telemetry_runtime::MAX_DEPTH`.
const MAX_DEPTH: u64 = 32;
/// The most histogram bounds.
const MAX_BOUNDS: usize = 32;

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

/// Everything a `Decl` needs, as tokens and text.
pub(crate) struct DeclParts {
    /// Where the generated code finds the runtime: `<crate>::__private`.
    pub private: Private,
    pub name: CounterName,
    /// An expression of type `Kind`.
    pub kind: TokenStream,
    pub description: String,
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

/// The items declaring the counter `ident`: its manifest record in the manifest link
/// section, and `static #ident: Counter` in the registry, built by `init` from its
/// `Decl` (which points at the record). The `Decl` is written in place, not as a
/// `const` of its own: every item costs the compiler a body to check and evaluate.
pub(crate) fn counter_items(
    ident: &syn::Ident,
    parts: &DeclParts,
    record: &RecordKind<'_>,
    init: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
    let record = crate::record::record(&format_ident!("{ident}_RECORD"), record, parts);
    let DeclParts {
        private,
        kind,
        description,
        site,
        ..
    } = parts;
    let (name, bytes, items) = (&record.name, &record.bytes, &record.items);
    let (file, line) = (&site.file, site.line);
    let origin = match parts.origin() {
        Origin::Derived => quote!(Derived),
        Origin::Explicit => quote!(Explicit),
    };
    let init = init(quote! {
        #private::Decl {
            name: #name,
            kind: #kind,
            description: #description,
            file: #file,
            line: #line,
            module_path: #private::module_path!(),
            origin: #private::Origin::#origin,
            record: #bytes,
        }
    });
    quote! {
        #items
        #[#private::linkme::distributed_slice(#private::REGISTRY)]
        #[linkme(crate = #private::linkme)]
        static #ident: #private::Counter = #init;
    }
}

fn basic_counter(ident: &syn::Ident, parts: &DeclParts, record: &RecordKind<'_>) -> TokenStream {
    let private = &parts.private;
    counter_items(
        ident,
        parts,
        record,
        |decl| quote!(#private::Counter::__new(#decl)),
    )
}

fn description(args: &mut Args) -> Result<String> {
    Ok(args
        .take_str("description")?
        .map(|d| d.value())
        .unwrap_or_default())
}

fn required_name(args: &mut Args, usage: &str) -> Result<LitStr> {
    if let Some(name) = args.name()? {
        return Ok(name);
    }
    Err(match args.first_flag() {
        Some(ident) => Error::new(
            ident.span(),
            format!(
                "the counter name must be a string literal, not `{ident}`: \
                 names are checked while the program compiles"
            ),
        ),
        None => missing(
            args.span(),
            &format!("missing the counter name; expected {usage}"),
        ),
    })
}

const COUNTER_USAGE: &str =
    "`counter!(\"owner/name\")`, optionally followed by `description = \"…\"`";

/// `counter!("name")` or `counter!("chart:{a,b}")`.
pub(crate) fn counter(mut args: Args, site: Site) -> Result<TokenStream> {
    let lit = required_name(&mut args, COUNTER_USAGE)?;
    let description = description(&mut args)?;
    let private = args.krate()?;
    args.finish(COUNTER_USAGE)?;
    match name::parse(&lit, Accept::CounterOrLabels)? {
        Name::Plain(name) => {
            let ident = format_ident!("__TELEMETRY_COUNTER");
            let item = basic_counter(
                &ident,
                &DeclParts {
                    private: private.clone(),
                    name: CounterName::Literal(name),
                    kind: quote!(#private::Kind::Basic),
                    description,
                    site,
                },
                &RecordKind::Basic,
            );
            Ok(quote!({ #item &#ident }))
        }
        Name::Labels { chart, mut labels } => {
            if !labels.iter().any(|l| l == FALLBACK) {
                labels.push(FALLBACK.to_string());
            }
            let fallback = labels.iter().position(|l| l == FALLBACK).unwrap_or(0);
            let count = labels.len();
            let idents: Vec<_> = (0..count)
                .map(|i| format_ident!("__TELEMETRY_LABEL_{i}"))
                .collect();
            let items = labels
                .iter()
                .zip(&idents)
                .enumerate()
                .map(|(index, (label, ident))| {
                    let name = format!("{chart}:{label}");
                    basic_counter(
                        ident,
                        &DeclParts {
                            private: private.clone(),
                            name: CounterName::Literal(name),
                            kind: quote!(#private::Kind::Label {
                                labels: __TELEMETRY_LABELS,
                                index: #index,
                            }),
                            description: description.clone(),
                            site: site.clone(),
                        },
                        &RecordKind::Label {
                            index: index as u32,
                            labels: &labels,
                        },
                    )
                });
            Ok(quote!({
                const __TELEMETRY_LABELS: &[&::core::primitive::str] = &[#(#labels),*];
                #(#items)*
                static __TELEMETRY_LABEL_SET: #private::LabelSet =
                    #private::LabelSet::__new(
                        __TELEMETRY_LABELS,
                        &[#(&#idents),*],
                        #fallback,
                    );
                &__TELEMETRY_LABEL_SET
            }))
        }
    }
}

const HISTOGRAM_USAGE: &str = "`histogram!(\"owner/name\", [10, 50, 100])`, optionally followed by `unit = \"ms\"` and `description = \"…\"`";

/// `histogram!("name", [bounds…], unit = "ms")`.
pub(crate) fn histogram(mut args: Args, site: Site) -> Result<TokenStream> {
    let lit = required_name(&mut args, HISTOGRAM_USAGE)?;
    let (list_span, list) = args.bounds()?.ok_or_else(|| {
        missing(
            args.span(),
            &format!("missing the bucket bounds; expected {HISTOGRAM_USAGE}"),
        )
    })?;
    let unit = match args.take_str("unit")? {
        Some(unit) => name::check_unit(&unit)?,
        None => String::new(),
    };
    let description = description(&mut args)?;
    let private = args.krate()?;
    args.finish(HISTOGRAM_USAGE)?;
    let Name::Plain(chart) = name::parse(&lit, Accept::Chart)? else {
        return Err(Error::new(lit.span(), "a histogram name has no label set"));
    };
    let bounds = parse_bounds(list_span, &list)?;

    let mut bucket_names: Vec<String> = bounds
        .iter()
        .map(|b| format!("{chart}:<{b}{unit}"))
        .collect();
    let last = bounds.last().copied().unwrap_or_default();
    bucket_names.push(format!("{chart}:>={last}{unit}"));
    for full in &bucket_names {
        name::check_built(&lit, full)?;
    }
    let idents: Vec<_> = (0..bucket_names.len())
        .map(|i| format_ident!("__TELEMETRY_BUCKET_{i}"))
        .collect();
    let items = bucket_names
        .iter()
        .zip(&idents)
        .enumerate()
        .map(|(index, (name, ident))| {
            basic_counter(
                ident,
                &DeclParts {
                    private: private.clone(),
                    name: CounterName::Literal(name.clone()),
                    kind: quote!(#private::Kind::Bucket {
                        bounds: __TELEMETRY_BOUNDS,
                        unit: #unit,
                        index: #index,
                    }),
                    description: description.clone(),
                    site: site.clone(),
                },
                &RecordKind::Bucket {
                    index: index as u32,
                    bounds: &bounds,
                    unit: &unit,
                },
            )
        });
    Ok(quote!({
        const __TELEMETRY_BOUNDS: &[::core::primitive::u64] = &[#(#bounds),*];
        #(#items)*
        static __TELEMETRY_HISTOGRAM: #private::Histogram =
            #private::Histogram::__new(__TELEMETRY_BOUNDS, &[#(&#idents),*]);
        &__TELEMETRY_HISTOGRAM
    }))
}

fn parse_bounds(span: Span, list: &[syn::LitInt]) -> Result<Vec<u64>> {
    if list.is_empty() {
        return Err(Error::new(span, "a histogram needs at least one bound"));
    }
    if let Some(extra) = list.get(MAX_BOUNDS) {
        return Err(Error::new(
            extra.span(),
            format!("a histogram has at most {MAX_BOUNDS} bounds"),
        ));
    }
    let mut bounds: Vec<u64> = Vec::with_capacity(list.len());
    for lit in list {
        let value: u64 = lit
            .base10_parse()
            .map_err(|_| Error::new(lit.span(), "a bound must be an integer from 0 to 2^64-1"))?;
        if !matches!(lit.suffix(), "" | "u64" | "u32" | "u16" | "u8" | "usize") {
            return Err(Error::new(
                lit.span(),
                "a bound is an unsigned integer; drop the suffix",
            ));
        }
        if bounds.last().is_some_and(|&prev| prev >= value) {
            return Err(Error::new(lit.span(), "bounds must be strictly increasing"));
        }
        bounds.push(value);
    }
    Ok(bounds)
}

const STACK_USAGE: &str =
    "`stack_counter!(\"owner/name\", depth = 8)`, optionally followed by `description = \"…\"`";

/// `stack_counter!("name", depth = N)`.
pub(crate) fn stack_counter(mut args: Args, site: Site) -> Result<TokenStream> {
    let lit = required_name(&mut args, STACK_USAGE)?;
    let depth_lit = args.take_int("depth")?.ok_or_else(|| {
        missing(
            args.span(),
            &format!("missing `depth = N`; expected {STACK_USAGE}"),
        )
    })?;
    let description = description(&mut args)?;
    let private = args.krate()?;
    args.finish(STACK_USAGE)?;
    let Name::Plain(name) = name::parse(&lit, Accept::Plain)? else {
        return Err(Error::new(
            lit.span(),
            "a stack counter name has no label set",
        ));
    };
    let depth: u64 = depth_lit.base10_parse()?;
    if depth == 0 || depth > MAX_DEPTH {
        return Err(Error::new(
            depth_lit.span(),
            format!("depth must be between 1 and {MAX_DEPTH}"),
        ));
    }
    let depth = depth as usize;
    let parts = DeclParts {
        private: private.clone(),
        name: CounterName::Literal(name),
        kind: quote!(#private::Kind::Stack { depth: #depth }),
        description,
        site,
    };
    let record = RecordKind::Stack {
        depth: depth as u32,
    };
    let entry = counter_items(
        &format_ident!("__TELEMETRY_STACK_ENTRY"),
        &parts,
        &record,
        |decl| quote!(#private::Counter::__stack(#decl, &__TELEMETRY_CHAINS)),
    );
    Ok(quote!({
        static __TELEMETRY_CHAINS: #private::ChainTable =
            #private::ChainTable::new();
        #entry
        static __TELEMETRY_STACK: #private::StackCounter =
            #private::StackCounter::__new(&__TELEMETRY_STACK_ENTRY, #depth);
        &__TELEMETRY_STACK
    }))
}
