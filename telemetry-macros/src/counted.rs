//! `#[counted]`: counts the calls of a function.
//!
//! The function is re-emitted with its attributes and signature untouched, and one
//! statement in front of the statements of its body, inside the body's own braces:
//!
//! ```text
//! fn f(…) -> T {
//!     #![inner attributes of the body, if any]
//!     let __telemetry_frame = { static COUNTER = …; enter(&COUNTER) };
//!     original statements
//! }
//! ```
//!
//! `enter` adds one to the counter and pushes the function on the thread's shadow
//! stack; the guard pops it when the function returns, by `return`, `?` or a panic.
//! Being the body's first local, it drops after every other one. The body's tokens are
//! spliced as they are, not parsed: wrapping them in a block of their own would make
//! that block the function's value and trip the user's `unused_braces` lint, and the
//! compiler parses them anyway. The frame's name is `mixed_site`, out of the body's
//! reach, and the counter's items sit in the initializer's own block, so items of the
//! body cannot clash with them.
//! Nothing wraps the body in a closure, so `#[track_caller]`, `unsafe`, `extern "C"`,
//! generics and `impl Trait` behave exactly as without the attribute. An `async fn`
//! counts when its future is first polled and pushes no frame, since a frame held
//! across `.await` would follow the task to other threads.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Error, Expr, Lit, Meta, Result, Signature, Token, Visibility};

use crate::args::Args;
use crate::declare::{CounterName, DeclParts, counter_items};
use crate::enclosing;
use crate::name::{self, Accept, Name};
use crate::record::RecordKind;
use crate::site::Site;

const USAGE: &str =
    "`#[counted]`, `#[counted(\"owner/name\")]` or `#[counted(name = \"…\", description = \"…\")]`";

/// A function item, with or without a body.
pub(crate) struct MaybeFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: Body,
}

enum Body {
    /// The braces and everything in them, unparsed.
    Block(Group),
    Missing(Token![;]),
}

impl Parse for MaybeFn {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body = if input.peek(Token![;]) {
            Body::Missing(input.parse()?)
        } else if input.peek(syn::token::Brace) {
            match input.parse()? {
                TokenTree::Group(group) => Body::Block(group),
                _ => unreachable!("a brace token starts a group"),
            }
        } else {
            return Err(input.error("expected a function body"));
        };
        Ok(MaybeFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for MaybeFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        match &self.body {
            Body::Block(block) => block.to_tokens(tokens),
            Body::Missing(semi) => semi.to_tokens(tokens),
        }
    }
}

/// Expands `#[counted(args)]` on `item`.
pub(crate) fn expand(mut args: Args, item: MaybeFn) -> Result<TokenStream> {
    let explicit = args.name()?;
    let description = args.take_str("description")?.map(|d| d.value());
    let private = args.krate()?;
    args.finish(USAGE)?;

    if let Some(constness) = &item.sig.constness {
        return Err(Error::new_spanned(
            constness,
            "#[counted] cannot count a `const fn`: counting is a run-time effect. \
             Count at the call sites with `counter!` instead",
        ));
    }
    let block = match &item.body {
        Body::Block(block) => block,
        Body::Missing(semi) => {
            return Err(Error::new_spanned(
                semi,
                "#[counted] needs a function body to count; put it on the method of each \
                 impl, or give this trait method a default body",
            ));
        }
    };

    let ident = &item.sig.ident;
    let site = Site::of(ident.span());
    let name = match &explicit {
        Some(lit) => match name::parse(lit, Accept::Plain)? {
            Name::Plain(name) => CounterName::Literal(name),
            Name::Labels { .. } => {
                return Err(Error::new(lit.span(), "#[counted] takes a plain name"));
            }
        },
        None => CounterName::Derived {
            tail: derived_tail(&site, ident),
        },
    };
    let description = description.unwrap_or_else(|| doc_summary(&item.attrs));
    let parts = DeclParts {
        private: private.clone(),
        name,
        kind: quote!(#private::Kind::Basic),
        description,
        site,
    };
    let counter = format_ident!("__TELEMETRY_COUNTED");
    let item_static = counter_items(
        &counter,
        &parts,
        &RecordKind::Basic,
        |decl| quote!(#private::Counter::__new(#decl)),
    );

    let span = Span::mixed_site();
    let prologue = if item.sig.asyncness.is_some() {
        quote_spanned! {span=>
            #private::Counter::inc({
                #item_static
                &#counter
            });
        }
    } else {
        let frame = format_ident!("__telemetry_frame", span = span);
        quote_spanned! {span=>
            let #frame = {
                #item_static
                #private::enter(&#counter)
            };
        }
    };
    let MaybeFn {
        attrs, vis, sig, ..
    } = &item;
    let body = splice(block, prologue);
    Ok(quote! {
        #(#attrs)*
        #vis #sig #body
    })
}

/// The body `block` with `prologue` in front of its statements, after its inner
/// attributes (which must stay first), in the same braces with the same span.
fn splice(block: &Group, prologue: TokenStream) -> Group {
    let tokens: Vec<TokenTree> = block.stream().into_iter().collect();
    let mut attrs_end = 0;
    while let [
        TokenTree::Punct(hash),
        TokenTree::Punct(bang),
        TokenTree::Group(list),
        ..,
    ] = &tokens[attrs_end..]
        && hash.as_char() == '#'
        && bang.as_char() == '!'
        && list.delimiter() == Delimiter::Bracket
    {
        attrs_end += 3;
    }
    let mut tokens = tokens.into_iter();
    let mut stream: TokenStream = tokens.by_ref().take(attrs_end).collect();
    stream.extend(prologue);
    stream.extend(tokens);
    let mut body = Group::new(Delimiter::Brace, stream);
    body.set_span(block.span());
    body
}

/// What the derived name has after the module path (which only the compiler knows,
/// and turns into the name's start): the owning type, when the method is found in an
/// impl or trait, and the function.
fn derived_tail(site: &Site, ident: &syn::Ident) -> String {
    let function = name::dashed(&ident.to_string());
    match enclosing::owner(site, &ident.to_string()) {
        Some(owner) => format!("{owner}/{function}"),
        None => function,
    }
}

/// The first paragraph of the doc comment, lines joined by spaces.
fn doc_summary(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        let Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        if !nv.path.is_ident("doc") {
            continue;
        }
        if let Expr::Lit(lit) = &nv.value
            && let Lit::Str(text) = &lit.lit
        {
            lines.extend(text.value().split('\n').map(|l| l.trim().to_string()));
        }
    }
    lines
        .iter()
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The item re-emitted unchanged next to the error, so one mistake gives one message.
pub(crate) fn fallback(item: TokenStream, error: Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#error #item)
}
