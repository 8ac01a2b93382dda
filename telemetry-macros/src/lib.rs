//! Procedural macros of the `telemetry` crate. Depend on `telemetry`, which re-exports
//! them with their documentation; the expansions name only `::telemetry::__private`,
//! or `<path>::__private` when given `crate = path`.
//!
//! Each macro has a thin entry point here; arguments are parsed in `args`, names
//! checked in `name`, and code generated in `declare` (function-like macros) and
//! `counted` (the attribute), with manifest records encoded in `record`, all written as
//! text (`emit`). The data these phases hand each other is in `model`, which depends on
//! none of them, so no two modules import each other. Every declaration is a cost at
//! each `cargo check` of the crate holding it, so the expansions are lean: what the
//! compiler does per declaration, and why, is in `docs/BENCHMARKS.md`.

mod args;
mod counted;
mod declare;
mod emit;
mod enclosing;
mod expires;
mod lex;
mod model;
mod name;
mod program;
mod record;
mod site;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;
use syn::parse_macro_input;

use crate::args::Args;
use crate::site::Site;

/// Declares a counter and evaluates to `&'static Counter`; see `telemetry::counter!`.
#[proc_macro]
pub fn counter(input: TokenStream) -> TokenStream {
    let site = Site::of(proc_macro2::Span::call_site());
    let args = parse_macro_input!(input as Args);
    declare::counter(args, site)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a histogram and evaluates to `&'static Histogram`; see
/// `telemetry::histogram!`.
#[proc_macro]
pub fn histogram(input: TokenStream) -> TokenStream {
    let site = Site::of(proc_macro2::Span::call_site());
    let args = parse_macro_input!(input as Args);
    declare::histogram(args, site)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares a stack counter and evaluates to `&'static StackCounter`; see
/// `telemetry::stack_counter!`.
#[proc_macro]
pub fn stack_counter(input: TokenStream) -> TokenStream {
    let site = Site::of(proc_macro2::Span::call_site());
    let args = parse_macro_input!(input as Args);
    declare::stack_counter(args, site)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Counts the calls of a function; see `telemetry::counted`.
#[proc_macro_attribute]
pub fn counted(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    let result = syn::parse::<Args>(args).and_then(|args| {
        let item = counted::MaybeFn::parse(item.into())?;
        counted::expand(args, item)
    });
    match result {
        Ok(expanded) => expanded.into(),
        Err(error) => counted::fallback(original, error).into(),
    }
}

/// Describes the calling program; see `telemetry::program!`.
#[proc_macro]
pub fn program(input: TokenStream) -> TokenStream {
    let site = Site::of(proc_macro2::Span::call_site());
    program::program(input.into(), site)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Starts telemetry for the calling program; see `telemetry::start!`.
#[proc_macro]
pub fn start(input: TokenStream) -> TokenStream {
    let site = Site::of(proc_macro2::Span::call_site());
    program::start(input.into(), site)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The prompt a program may show its users, with its counters; see
/// `telemetry::prompt!`.
#[proc_macro]
pub fn prompt(input: TokenStream) -> TokenStream {
    let site = Site::of(proc_macro2::Span::call_site());
    program::prompt(input.into(), site)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
