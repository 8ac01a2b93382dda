//! `counter!`, `histogram!` and `stack_counter!`: each expands to a block of `static`s,
//! every counter among them placed in the registry slice, and evaluates to a
//! `&'static` reference to the counter, histogram, label set or stack counter.
//! Primitive types are spelled `::core::primitive::…`, as a crate may define items
//! named `str` or `u64` of its own. The code is written as text (see `emit`).
//!
//! Each counter is placed in the registry by the registry slice's own macro (what
//! linkme's `#[distributed_slice]` attribute expands to), not by the attribute: the
//! attribute adds, for every element, a proc-macro run and a function with two
//! closures that only checks the element's type, which here is always `Counter`.
//! Together they were about a third of a counter's cost at `cargo check`.

use std::fmt::Write;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::{Error, LitStr, Result};

use crate::args::{Args, missing};
use crate::emit::{P, block, str_lit};
use crate::expires;
use crate::model::{CounterName, DeclParts, Private, RecordKind};
use crate::name::{self, Accept, Name};
use crate::record;
use crate::site::Site;
use telemetry_rules::{FALLBACK_LABEL, MAX_BOUNDS, MAX_DEPTH};

/// The items declaring the counter `ident`: its manifest record in the manifest link
/// section, and `static #ident: Counter` in the registry, named by the record when
/// the name is derived, otherwise built by one constructor call with the `Decl`'s
/// fields as arguments (`stack`: the depth and the `ChainTable` of a stack counter's
/// entry). Nothing is a `const` of its own, and no `Decl` literal is written: every
/// item costs the compiler a body to check and evaluate, and a struct literal in each
/// declaration costs more than a call.
pub(crate) fn counter_items(
    ident: &str,
    parts: &DeclParts,
    record: &RecordKind<'_>,
    stack: Option<(u64, &str)>,
) -> String {
    let record_ident = format!("{ident}_RECORD");
    let items = record::record(&record_ident, record, parts);
    let DeclParts {
        name,
        kind,
        description,
        site,
        ..
    } = parts;
    let (description, file, line) = (str_lit(description), str_lit(&site.file), site.line);
    let module_path = format!("{P}::module_path!()");
    let init = match (name, stack) {
        (CounterName::Derived { .. }, _) => {
            format!(
                "{record_ident}.counter({description}, {file}, {line}, \
                 {module_path})"
            )
        }
        (CounterName::Literal(name), None) => format!(
            "{P}::Counter::__declared({}, {kind}, {description}, {file}, {line}, \
             {module_path}, &{record_ident})",
            str_lit(name)
        ),
        (CounterName::Literal(name), Some((depth, chains))) => format!(
            "{P}::Counter::__declared_stack({}, {depth}, {description}, {file}, {line}, \
             {module_path}, &{record_ident}, &{chains})",
            str_lit(name)
        ),
    };
    format!(
        "{items} {P}::REGISTRY! {{ #![linkme_macro = {P}::REGISTRY] \
         static {ident}: {P}::Counter = {init}; }}"
    )
}

fn basic_counter(ident: &str, parts: &DeclParts, record: &RecordKind<'_>) -> String {
    counter_items(ident, parts, record, None)
}

/// The expansion of a function-like macro: the block `code`, after the alias of
/// `<crate>::__private`.
fn expression(private: &Private, code: &str) -> TokenStream {
    TokenStream::from(TokenTree::Group(block(private, code)))
}

/// `a, b, c` from each item's code.
fn joined<T>(items: impl IntoIterator<Item = T>, each: impl Fn(T) -> String) -> String {
    items.into_iter().map(each).collect::<Vec<_>>().join(", ")
}

fn description(args: &mut Args) -> Result<String> {
    Ok(args
        .take_str("description")?
        .map(|d| d.value())
        .unwrap_or_default())
}

fn required_name(args: &mut Args, usage: &str, hint: &str) -> Result<LitStr> {
    match args.name(hint)? {
        Some(name) => Ok(name),
        None => Err(missing(
            args.span(),
            &format!("missing the counter name; expected {usage}"),
        )),
    }
}

/// For `counter!`, after a name that is not a literal: what to write instead.
const LABELS_HINT: &str = "; to count one of a few values known at run time, declare them \
                           as labels: `counter!(\"owner/chart:{a,b,c}\").inc(value)`";

const COUNTER_USAGE: &str = "`counter!(\"owner/name\")`, optionally followed by \
                             `description = \"…\"` and `expires = \"YYYY-MM-DD\"`";

/// `counter!("name")` or `counter!("chart:{a,b}")`.
pub(crate) fn counter(mut args: Args, site: Site) -> Result<TokenStream> {
    let lit = required_name(&mut args, COUNTER_USAGE, LABELS_HINT)?;
    let description = description(&mut args)?;
    let expires = expires::take(&mut args)?;
    let private = args.krate()?;
    args.finish(COUNTER_USAGE)?;
    match name::parse(&lit, Accept::CounterOrLabels)? {
        Name::Plain(name) => {
            let item = basic_counter(
                "__TELEMETRY_COUNTER",
                &DeclParts {
                    name: CounterName::Literal(name),
                    kind: format!("{P}::Kind::Basic"),
                    description,
                    expires,
                    site,
                },
                &RecordKind::Basic,
            );
            Ok(expression(
                &private,
                &format!("{item} &__TELEMETRY_COUNTER"),
            ))
        }
        Name::Labels { chart, mut labels } => {
            if !labels.iter().any(|l| l == FALLBACK_LABEL) {
                labels.push(FALLBACK_LABEL.to_string());
            }
            let fallback = labels.iter().position(|l| l == FALLBACK_LABEL).unwrap_or(0);
            let mut code = format!(
                "const __TELEMETRY_LABELS: &[&::core::primitive::str] = &[{}];",
                joined(&labels, |l| str_lit(l))
            );
            for (index, label) in labels.iter().enumerate() {
                code.push_str(&basic_counter(
                    &format!("__TELEMETRY_LABEL_{index}"),
                    &DeclParts {
                        name: CounterName::Literal(format!("{chart}:{label}")),
                        kind: format!(
                            "{P}::Kind::Label {{ labels: __TELEMETRY_LABELS, index: {index} }}"
                        ),
                        description: description.clone(),
                        expires: expires.clone(),
                        site: site.clone(),
                    },
                    &RecordKind::Label {
                        index: index as u32,
                        labels: &labels,
                    },
                ));
            }
            // The lookup is a `match` the compiler lays out, not a loop over the list.
            let _ = write!(
                code,
                "fn __telemetry_label_index(label: &::core::primitive::str) -> \
                 ::core::option::Option<::core::primitive::usize> {{ match label {{ {}, \
                 _ => ::core::option::Option::None }} }} \
                 static __TELEMETRY_LABEL_SET: {P}::LabelSet = {P}::LabelSet::__new(\
                 __TELEMETRY_LABELS, &[{}], {fallback}, __telemetry_label_index); \
                 &__TELEMETRY_LABEL_SET",
                joined(labels.iter().enumerate(), |(i, l)| format!(
                    "{} => ::core::option::Option::Some({i})",
                    str_lit(l)
                )),
                joined(0..labels.len(), |i| format!("&__TELEMETRY_LABEL_{i}"))
            );
            Ok(expression(&private, &code))
        }
    }
}

const HISTOGRAM_USAGE: &str = "`histogram!(\"owner/name\", [10, 50, 100])`, optionally \
                               followed by `unit = \"ms\"`, `description = \"…\"` and \
                               `expires = \"YYYY-MM-DD\"`";

/// `histogram!("name", [bounds…], unit = "ms")`.
pub(crate) fn histogram(mut args: Args, site: Site) -> Result<TokenStream> {
    let lit = required_name(&mut args, HISTOGRAM_USAGE, "")?;
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
    let expires = expires::take(&mut args)?;
    let private = args.krate()?;
    args.finish(HISTOGRAM_USAGE)?;
    let Name::Plain(chart) = name::parse(&lit, Accept::Chart)? else {
        return Err(Error::new(lit.span(), "a histogram name has no label set"));
    };
    let bounds = parse_bounds(list_span, &list)?;

    let bucket_names = name::bucket_names(&lit, &chart, &bounds, &unit)?;
    let unit_lit = str_lit(&unit);
    let mut code = format!(
        "const __TELEMETRY_BOUNDS: &[::core::primitive::u64] = &[{}];",
        joined(&bounds, |b| b.to_string())
    );
    for (index, name) in bucket_names.iter().enumerate() {
        code.push_str(&basic_counter(
            &format!("__TELEMETRY_BUCKET_{index}"),
            &DeclParts {
                name: CounterName::Literal(name.clone()),
                kind: format!(
                    "{P}::Kind::Bucket {{ bounds: __TELEMETRY_BOUNDS, unit: {unit_lit}, \
                     index: {index} }}"
                ),
                description: description.clone(),
                expires: expires.clone(),
                site: site.clone(),
            },
            &RecordKind::Bucket {
                index: index as u32,
                bounds: &bounds,
                unit: &unit,
            },
        ));
    }
    let _ = write!(
        code,
        "static __TELEMETRY_HISTOGRAM: {P}::Histogram = {P}::Histogram::__new(\
         __TELEMETRY_BOUNDS, &[{}]); &__TELEMETRY_HISTOGRAM",
        joined(0..bucket_names.len(), |i| format!(
            "&__TELEMETRY_BUCKET_{i}"
        ))
    );
    Ok(expression(&private, &code))
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

const STACK_USAGE: &str = "`stack_counter!(\"owner/name\", depth = 8)`, optionally followed \
                           by `description = \"…\"` and `expires = \"YYYY-MM-DD\"`";

/// `stack_counter!("name", depth = N)`.
pub(crate) fn stack_counter(mut args: Args, site: Site) -> Result<TokenStream> {
    let lit = required_name(&mut args, STACK_USAGE, "")?;
    let depth_lit = args.take_int("depth")?.ok_or_else(|| {
        missing(
            args.span(),
            &format!("missing `depth = N`; expected {STACK_USAGE}"),
        )
    })?;
    let description = description(&mut args)?;
    let expires = expires::take(&mut args)?;
    let private = args.krate()?;
    args.finish(STACK_USAGE)?;
    let Name::Plain(name) = name::parse(&lit, Accept::Plain)? else {
        return Err(Error::new(
            lit.span(),
            "a stack counter name has no label set",
        ));
    };
    let depth: u64 = depth_lit.base10_parse()?;
    if depth == 0 || depth > MAX_DEPTH as u64 {
        return Err(Error::new(
            depth_lit.span(),
            format!("depth must be between 1 and {MAX_DEPTH}"),
        ));
    }
    let parts = DeclParts {
        name: CounterName::Literal(name),
        // Unused: `counter_items` passes the depth to the stack entry's constructor.
        kind: String::new(),
        description,
        expires,
        site,
    };
    let entry = counter_items(
        "__TELEMETRY_STACK_ENTRY",
        &parts,
        &RecordKind::Stack {
            depth: depth as u32,
        },
        Some((depth, "__TELEMETRY_CHAINS")),
    );
    Ok(expression(
        &private,
        &format!(
            "static __TELEMETRY_CHAINS: {P}::ChainTable = {P}::ChainTable::new(); {entry} \
             static __TELEMETRY_STACK: {P}::StackCounter = \
             {P}::StackCounter::__new(&__TELEMETRY_STACK_ENTRY, {depth}); &__TELEMETRY_STACK"
        ),
    ))
}
