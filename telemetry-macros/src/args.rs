//! Arguments shared by every macro: `"name", [bounds…], key = value, flag`, where a
//! value is a string, an integer or a path (`crate = ::my_reexport::telemetry`).
//!
//! Parsing accepts any mix; each macro then takes what it understands, and
//! [`Args::finish`] rejects whatever is left with a spanned error naming the accepted
//! keys, so a misspelled key is an error from the start.

use proc_macro2::Span;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Ident, LitInt, LitStr, Path, Result, Token, bracketed};

use crate::model::Private;

/// One argument.
pub(crate) enum Arg {
    /// A string literal in position: the name.
    Name(LitStr),
    /// A bracketed list of integers in position: histogram bounds.
    Bounds(Span, Vec<LitInt>),
    /// `key = "text"`.
    Str(Ident, LitStr),
    /// `key = 8`.
    Int(Ident, LitInt),
    /// `key = some::path`.
    Path(Ident, Path),
    /// A bare `key`.
    Flag(Ident),
    /// Anything else in an argument's place: `&name`, `name.as_str()`, `format!(…)`.
    /// Only ever an error, but parsed so that the error can say what is wrong.
    Expr(Expr),
    /// `key = <anything else>`: `name = &n`, `description = text.trim()`.
    KeyExpr(Ident, Expr),
}

/// Keys some macro takes: a bare one is a value forgotten (`description`), not a
/// variable passed as the name.
const KEYS: [&str; 6] = ["name", "description", "expires", "crate", "depth", "unit"];

impl Arg {
    fn span(&self) -> Span {
        match self {
            Arg::Name(lit) => lit.span(),
            Arg::Bounds(span, _) => *span,
            Arg::Str(key, _)
            | Arg::Int(key, _)
            | Arg::Path(key, _)
            | Arg::Flag(key)
            | Arg::KeyExpr(key, _) => key.span(),
            Arg::Expr(expr) => syn::spanned::Spanned::span(expr),
        }
    }

    /// An error about the value, pointing at all of it.
    fn value_error(&self, message: String) -> Error {
        match self {
            Arg::Str(_, lit) => Error::new(lit.span(), message),
            Arg::Int(_, lit) => Error::new(lit.span(), message),
            Arg::Path(_, path) => Error::new_spanned(path, message),
            Arg::KeyExpr(_, expr) | Arg::Expr(expr) => Error::new_spanned(expr, message),
            _ => Error::new(self.span(), message),
        }
    }

    fn key(&self) -> Option<&Ident> {
        match self {
            Arg::Str(key, _)
            | Arg::Int(key, _)
            | Arg::Path(key, _)
            | Arg::Flag(key)
            | Arg::KeyExpr(key, _) => Some(key),
            Arg::Name(_) | Arg::Bounds(..) | Arg::Expr(_) => None,
        }
    }
}

/// Whether the next tokens are one whole argument: followed by `,` or the end.
fn ends_argument(input: ParseStream<'_>) -> bool {
    input.is_empty() || input.peek(Token![,])
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        let lookahead = input.lookahead1();
        let whole = |parse: fn(ParseStream<'_>) -> Result<()>| {
            let fork = input.fork();
            parse(&fork).is_ok() && ends_argument(&fork)
        };
        if lookahead.peek(LitStr) && whole(|f| f.parse::<LitStr>().map(drop)) {
            return Ok(Arg::Name(input.parse()?));
        }
        if lookahead.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let list = Punctuated::<LitInt, Token![,]>::parse_terminated(&content)?;
            return Ok(Arg::Bounds(bracket.span.join(), list.into_iter().collect()));
        }
        // `crate` is a keyword, yet a key.
        if lookahead.peek(Ident::peek_any) {
            if whole(|f| Ident::parse_any(f).map(drop)) {
                return Ok(Arg::Flag(Ident::parse_any(input)?));
            }
            if input.peek2(Token![=]) {
                let key = Ident::parse_any(input)?;
                let eq: Token![=] = input.parse()?;
                return value(input, key, eq);
            }
        }
        // An expression where a literal belongs (`&name`, `name.as_str()`): parsed
        // whole, so that the macro can say the name must be a literal.
        match input.parse::<Expr>() {
            Ok(expr) => Ok(Arg::Expr(expr)),
            Err(_) => Err(lookahead.error()),
        }
    }
}

/// The value after `key =`.
fn value(input: ParseStream<'_>, key: Ident, eq: Token![=]) -> Result<Arg> {
    if ends_argument(input) {
        // Point at `key =` rather than at the end of the whole macro call.
        return Err(Error::new(
            eq.span,
            format!("expected a value after `{key} =`: a string, an integer or a path"),
        ));
    }
    let fork = input.fork();
    if fork.parse::<LitStr>().is_ok() && ends_argument(&fork) {
        return Ok(Arg::Str(key, input.parse()?));
    }
    let fork = input.fork();
    if fork.parse::<LitInt>().is_ok() && ends_argument(&fork) {
        return Ok(Arg::Int(key, input.parse()?));
    }
    let fork = input.fork();
    if fork.call(Path::parse_mod_style).is_ok() && ends_argument(&fork) {
        return Ok(Arg::Path(key, input.call(Path::parse_mod_style)?));
    }
    Ok(Arg::KeyExpr(key, input.parse()?))
}

/// Every argument of one macro call, consumed by the macro as it understands them.
pub(crate) struct Args {
    items: Vec<Arg>,
    /// Where to point when a required argument is missing: the whole macro call.
    span: Span,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        let span = Span::call_site();
        let items = Punctuated::<Arg, Token![,]>::parse_terminated(input)?;
        Ok(Args {
            items: items.into_iter().collect(),
            span,
        })
    }
}

impl Args {
    pub(crate) fn span(&self) -> Span {
        self.span
    }

    /// The positional name, or `name = "…"`. A name written as anything but a string
    /// literal is an error, one message for every form (`counter!(NAME)`,
    /// `counter!(name)`, `counter!(&n)`, `counter!(n.as_str())`, `name = n`), ending
    /// with `hint`: a variable or an expression in the name's place, or a bare
    /// identifier first that is not one of the macros' keys.
    pub(crate) fn name(&mut self, hint: &str) -> Result<Option<LitStr>> {
        let not_literal = |arg: &Arg| {
            arg.value_error(format!(
                "the counter name must be a string literal (names are checked while the \
                 program compiles), not a variable, constant or expression{hint}"
            ))
        };
        let positional = self.take(|a| matches!(a, Arg::Name(_)))?;
        let keyed = self.take_key("name")?;
        match (positional, keyed) {
            (Some(_), Some(keyed)) => Err(keyed.value_error("the name is given twice".into())),
            (Some(Arg::Name(lit)), None) | (None, Some(Arg::Str(_, lit))) => Ok(Some(lit)),
            // `counter!(name)`, a variable called `name`, or `name = n`.
            (None, Some(other)) => Err(not_literal(&other)),
            (Some(_), None) | (None, None) => {
                let stray = self.items.iter().enumerate().find(|(at, arg)| match arg {
                    Arg::Expr(_) => true,
                    Arg::Flag(ident) => *at == 0 && !KEYS.iter().any(|k| ident == k),
                    _ => false,
                });
                match stray {
                    Some((_, arg)) => Err(not_literal(arg)),
                    None => Ok(None),
                }
            }
        }
    }

    /// The positional `[bounds…]`.
    pub(crate) fn bounds(&mut self) -> Result<Option<(Span, Vec<LitInt>)>> {
        match self.take(|a| matches!(a, Arg::Bounds(..)))? {
            Some(Arg::Bounds(span, list)) => Ok(Some((span, list))),
            _ => Ok(None),
        }
    }

    /// `key = "text"`.
    pub(crate) fn take_str(&mut self, key: &str) -> Result<Option<LitStr>> {
        match self.take_key(key)? {
            None => Ok(None),
            Some(Arg::Str(_, lit)) => Ok(Some(lit)),
            Some(other) => {
                Err(other.value_error(format!("`{key}` takes a string: `{key} = \"…\"`")))
            }
        }
    }

    /// `key = N`.
    pub(crate) fn take_int(&mut self, key: &str) -> Result<Option<LitInt>> {
        match self.take_key(key)? {
            None => Ok(None),
            Some(Arg::Int(_, lit)) => Ok(Some(lit)),
            Some(other) => {
                Err(other.value_error(format!("`{key}` takes an integer: `{key} = <integer>`")))
            }
        }
    }

    /// `crate = path`: where the generated code finds the `telemetry` crate, as
    /// `<path>::__private`; `::telemetry` when absent.
    pub(crate) fn krate(&mut self) -> Result<Private> {
        let path = match self.take_key("crate")? {
            None => return Ok(Private(None)),
            Some(Arg::Path(_, path)) => path.into_token_stream(),
            Some(other) => {
                let example = match &other {
                    Arg::Str(_, lit) => format!("`crate = {}`", lit.value()),
                    _ => "`crate = ::telemetry`".to_string(),
                };
                return Err(other.value_error(format!(
                    "`crate` takes a path to the telemetry crate, written without quotes: \
                     {example}"
                )));
            }
        };
        Ok(Private(Some(quote!(#path::__private))))
    }

    fn take_key(&mut self, key: &str) -> Result<Option<Arg>> {
        self.take(|a| a.key().is_some_and(|k| k == key))
    }

    /// Removes the one argument matching `pick`; a second match is an error.
    fn take(&mut self, pick: impl Fn(&Arg) -> bool) -> Result<Option<Arg>> {
        let mut found = None;
        let mut rest = Vec::with_capacity(self.items.len());
        for arg in self.items.drain(..) {
            if !pick(&arg) {
                rest.push(arg);
            } else if found.is_some() {
                let what = match &arg {
                    Arg::Name(_) => "the name is".to_string(),
                    Arg::Bounds(..) => "the bucket bounds are".to_string(),
                    Arg::Str(key, _)
                    | Arg::Int(key, _)
                    | Arg::Path(key, _)
                    | Arg::Flag(key)
                    | Arg::KeyExpr(key, _) => format!("`{key}` is"),
                    Arg::Expr(_) => "the expression is".to_string(),
                };
                return Err(Error::new(arg.span(), format!("{what} given twice")));
            } else {
                found = Some(arg);
            }
        }
        self.items = rest;
        Ok(found)
    }

    /// Fails on the first argument nobody took, naming what `usage` accepts.
    pub(crate) fn finish(self, usage: &str) -> Result<()> {
        let mut errors: Option<Error> = None;
        for arg in self.items {
            let what = match &arg {
                Arg::Name(_) => "unexpected string".to_string(),
                Arg::Bounds(..) => "unexpected list".to_string(),
                Arg::Str(key, _)
                | Arg::Int(key, _)
                | Arg::Path(key, _)
                | Arg::Flag(key)
                | Arg::KeyExpr(key, _) => format!("unknown argument `{key}`"),
                Arg::Expr(_) => "unexpected expression".to_string(),
            };
            let error = Error::new(arg.span(), format!("{what}; expected {usage}"));
            match &mut errors {
                Some(all) => all.combine(error),
                None => errors = Some(error),
            }
        }
        errors.map_or(Ok(()), Err)
    }
}

/// The span of a whole argument list, for errors about what is missing.
pub(crate) fn missing(span: Span, what: &str) -> Error {
    Error::new(span, what)
}
