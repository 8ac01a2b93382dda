//! `program!()`, `start!()` and `prompt!("…")`: the program's description, with the
//! counters the runtime counts on the program's behalf, named after the package being
//! compiled so that every program's manifest lists its own:
//!
//! - `<program>/crash/panic` and `<program>/crash/panic-stack`, the panics the hook
//!   `start!()` installs counts (`program!()` and `start!()` declare them);
//! - `<program>/prompt/asked`, `<program>/prompt/answer:{…}` and
//!   `<program>/prompt/accepted-after:{…}`, the prompt's own counters (`prompt!()`
//!   declares them, so a program that never asks lists none).
//!
//! Each is declared as `counter!` declares its counters, at the site of the macro
//! call in the program's source, which is what the manifest shows.
//!
//! `program!()` also reads the distributor's build settings, `TELEMETRY_DEFAULT_MODE`
//! and `TELEMETRY_DEFAULT_PROMPT`: it checks them here, so that a value it would refuse
//! fails the build with a message on the call, and writes `option_env!` of both into
//! the expansion, so that the compiler records them and cargo rebuilds the program when
//! either changes.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Error, Path, Result, Token};

use crate::args::Args;
use crate::declare;
use crate::site::Site;

/// The deepest chain of the panic stack counter.
const DEPTH: usize = 16;

/// The distributor's default mode, set in the build environment.
const DEFAULT_MODE_VAR: &str = "TELEMETRY_DEFAULT_MODE";
/// The distributor's prompt setting, set in the build environment.
const DEFAULT_PROMPT_VAR: &str = "TELEMETRY_DEFAULT_PROMPT";

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

/// The arguments of `program!`, `start!` and `prompt!`'s optional `crate = path`.
struct CratePath(Option<Path>);

impl Parse for CratePath {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        if input.is_empty() {
            return Ok(CratePath(None));
        }
        let key: Token![crate] = input.parse().map_err(|e| {
            Error::new(
                e.span(),
                "expected nothing, or `crate = path` to the telemetry crate",
            )
        })?;
        let _: Token![=] = input.parse()?;
        let path = input.call(Path::parse_mod_style).map_err(|e| {
            Error::new(
                e.span(),
                format!(
                    "`{}` takes a path to the telemetry crate, written without quotes",
                    quote!(#key)
                ),
            )
        })?;
        let _: Option<Token![,]> = input.parse()?;
        Ok(CratePath(Some(path)))
    }
}

impl CratePath {
    /// `, crate = path` for a declaration's arguments, or nothing.
    fn arg(&self) -> TokenStream {
        match &self.0 {
            Some(path) => quote!(, crate = #path),
            None => TokenStream::new(),
        }
    }

    /// `<crate>::__private`.
    fn private(&self) -> TokenStream {
        match &self.0 {
            Some(path) => quote!(#path::__private),
            None => quote!(::telemetry::__private),
        }
    }
}

/// Parses `args` as a declaration's arguments and declares it with `declare`.
fn declared(
    args: TokenStream,
    site: &Site,
    declare: fn(Args, Site) -> Result<TokenStream>,
) -> Result<TokenStream> {
    declare(syn::parse2(args)?, site.clone())
}

/// `(&'static Counter, &'static StackCounter)`: the counters of the panic hook.
fn crash_counters(krate: &CratePath, site: &Site) -> Result<TokenStream> {
    let owner = owner();
    let panic = format!("{owner}/crash/panic");
    let stack = format!("{owner}/crash/panic-stack");
    let path = krate.arg();
    let counter = declared(
        quote! {
            #panic,
            description = "Panics of this program, on any thread, counted by the panic hook \
                           `start!()` installs (never the message or location)."
            #path
        },
        site,
        declare::counter,
    )?;
    let stack = declared(
        quote! {
            #stack,
            depth = #DEPTH,
            description = "The chain of #[counted] functions around each panic, innermost first."
            #path
        },
        site,
        declare::stack_counter,
    )?;
    Ok(quote!((#counter, #stack)))
}

/// The distributor's setting `var`, checked: `Ok(None)` when it is not set.
fn distributor_setting(var: &str, allowed: &[&str], why: &str) -> Result<Option<String>> {
    match std::env::var(var) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) if allowed.contains(&value.as_str()) => Ok(Some(value)),
        Ok(value) => Err(Error::new(
            Span::call_site(),
            format!("{var}={value:?} in the build environment is refused: {why}"),
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::new(
            Span::call_site(),
            format!("{var} in the build environment is not UTF-8: {why}"),
        )),
    }
}

/// `program!()`: a `Program` describing the package being compiled.
pub(crate) fn program(input: TokenStream, site: Site) -> Result<TokenStream> {
    let krate: CratePath = syn::parse2(input)?;
    distributor_setting(
        DEFAULT_MODE_VAR,
        &["off", "local"],
        "a distributor's default mode is off or local, never on: only a person may \
         choose on",
    )?;
    distributor_setting(
        DEFAULT_PROMPT_VAR,
        &["never"],
        "the only setting is never, which keeps the program from asking its users",
    )?;
    let crash = crash_counters(&krate, &site)?;
    let private = krate.private();
    let (mode_var, prompt_var) = (DEFAULT_MODE_VAR, DEFAULT_PROMPT_VAR);
    Ok(quote! {{
        use #private as __telemetry_private;
        __telemetry_private::program_record!(
            __TELEMETRY_PROGRAM = ::core::env!("CARGO_PKG_NAME"),
            ::core::env!("CARGO_PKG_VERSION")
        );
        __telemetry_private::Program::__new(
            ::core::env!("CARGO_PKG_NAME"),
            ::core::env!("CARGO_PKG_VERSION"),
            &__TELEMETRY_PROGRAM,
        )
        .__crash_counters(#crash)
        .__upload_hook(__telemetry_private::upload_hook())
        .__distributor(::core::option_env!(#mode_var), ::core::option_env!(#prompt_var))
        .__prompt_facts(__telemetry_private::prompt_facts())
    }})
}

/// `start!()`: `program!().start()`.
pub(crate) fn start(input: TokenStream, site: Site) -> Result<TokenStream> {
    let program = program(input, site)?;
    Ok(quote!({
        let __telemetry_program = #program;
        __telemetry_program.start()
    }))
}

/// `prompt!("reason")`: a `Prompt` with the prompt's counters.
pub(crate) fn prompt(input: TokenStream, site: Site) -> Result<TokenStream> {
    let (reason, krate) = syn::parse::Parser::parse2(
        |input: ParseStream<'_>| -> Result<(syn::LitStr, CratePath)> {
            let reason: syn::LitStr = input.parse().map_err(|e| {
                Error::new(
                    e.span(),
                    "expected the reason, a string literal: what the maintainers want to \
                     learn, as in prompt!(\"to learn which commands matter\")",
                )
            })?;
            if input.is_empty() {
                return Ok((reason, CratePath(None)));
            }
            let _: Token![,] = input.parse()?;
            Ok((reason, input.parse()?))
        },
        input,
    )?;
    let text = reason.value();
    if text.trim().is_empty() || text.len() > 300 || text.chars().any(char::is_control) {
        return Err(Error::new(
            reason.span(),
            "the reason is one line of 1 to 300 characters, no control characters",
        ));
    }
    let owner = owner();
    let path = krate.arg();
    let asked = format!("{owner}/prompt/asked");
    let answer = format!("{owner}/prompt/answer:{{yes,no,not-now,more}}");
    let accepted = format!("{owner}/prompt/accepted-after:{{1,2,3}}");
    let asked = declared(
        quote! {
            #asked,
            description = "Times the prompt asked whether to turn upload on; leaves the \
                           machine only from those who later said yes."
            #path
        },
        &site,
        declare::counter,
    )?;
    let answer = declared(
        quote! {
            #answer,
            description = "Answers to the prompt (more: the user asked to see the facts); \
                           leave the machine only from those who said yes."
            #path
        },
        &site,
        declare::counter,
    )?;
    let accepted = declared(
        quote! {
            #accepted,
            description = "Each start with upload on that the prompt won, by the number of \
                           askings it took (other: more than 3)."
            #path
        },
        &site,
        declare::counter,
    )?;
    let private = krate.private();
    Ok(quote! {{
        use #private as __telemetry_private;
        __telemetry_private::Prompt::__new(#reason, (#asked, #answer, #accepted))
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crash_counters_use_the_path_program_passes() {
        let tokens = program(quote!(crate = crate::re::tele), Site::default()).expect("expands");
        let text = tokens.to_string();
        assert!(text.contains("crate :: re :: tele"), "{text}");
        assert!(!text.contains(":: telemetry ::"), "{text}");
    }

    #[test]
    fn anything_but_a_crate_path_is_refused() {
        for input in [quote!(foo), quote!("kv"), quote!(crate = "x")] {
            assert!(program(input.clone(), Site::default()).is_err(), "{input}");
        }
        assert!(prompt(quote!(), Site::default()).is_err());
        assert!(prompt(quote!(""), Site::default()).is_err());
    }
}
