//! `__crash_counters!(path)`: the counters `start!()` counts panics in, named after the
//! package being compiled, so that every program's manifest lists its own:
//! `<program>/crash/panic` (a basic counter) and `<program>/crash/panic-stack` (a stack
//! counter of the `#[counted]` functions around each panic). They are declared as
//! `counter!` and `stack_counter!` declare theirs, with a site naming `program!()`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::Args;
use crate::declare;
use crate::site::Site;

/// The deepest chain of the panic stack counter.
const DEPTH: usize = 16;

/// The package name as a counter-name segment: lowercase, `-` between words.
fn owner() -> String {
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    let owner: String = package
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if owner.is_empty() {
        "program".to_string()
    } else {
        owner
    }
}

/// Where the manifest says the two counters are declared: by `program!()`, not at a
/// line of the program's source (the expansion has no span of the program's own).
const SITE_FILE: &str = "(telemetry::program!)";

/// Expands to `(&'static Counter, &'static StackCounter)`. `path` is the facade's path
/// (`program!()` passes its `$crate`), given to both declarations as `crate = path`, so
/// a renamed or re-exported telemetry works here too.
pub(crate) fn crash_counters(path: TokenStream) -> TokenStream {
    let owner = owner();
    let panic = format!("{owner}/crash/panic");
    let stack = format!("{owner}/crash/panic-stack");
    let site = Site {
        file: SITE_FILE.to_string(),
        ..Site::default()
    };
    let counter_args: Args = match syn::parse2(quote! {
        #panic,
        description = "Panics of this program, on any thread, counted by the panic hook \
                       `start!()` installs (never the message or location).",
        crate = #path
    }) {
        Ok(args) => args,
        Err(e) => return e.into_compile_error(),
    };
    let stack_args: Args = match syn::parse2(quote! {
        #stack,
        depth = #DEPTH,
        description = "The chain of #[counted] functions around each panic, innermost first.",
        crate = #path
    }) {
        Ok(args) => args,
        Err(e) => return e.into_compile_error(),
    };
    let counter = declare::counter(counter_args, site.clone());
    let stack = declare::stack_counter(stack_args, site);
    match (counter, stack) {
        (Ok(counter), Ok(stack)) => quote!((#counter, #stack)),
        (Err(e), _) | (_, Err(e)) => e.into_compile_error(),
    }
}
