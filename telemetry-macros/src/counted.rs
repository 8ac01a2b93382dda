//! `#[counted]`: counts the calls of a function.
//!
//! The function is re-emitted with its attributes and signature untouched, and one
//! statement in front of the statements of its body, inside the body's own braces:
//!
//! ```text
//! fn f(…) -> T {
//!     #![inner attributes of the body, if any]
//!     let __telemetry_frame = { use …::__private as …; static COUNTER = …; enter(&COUNTER) };
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

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::quote;
use syn::{Error, Lit, Result};

use crate::args::Args;
use crate::declare::counter_items;
use crate::emit::{P, block, private_path};
use crate::enclosing;
use crate::expires;
use crate::model::{CounterName, DeclParts, RecordKind};
use crate::name::{self, Accept, Name};
use crate::site::Site;

const USAGE: &str = "`#[counted]`, `#[counted(\"owner/name\")]` or \
                     `#[counted(name = \"…\", description = \"…\", expires = \"YYYY-MM-DD\")]`";

const NOT_A_FUNCTION: &str = "#[counted] goes on a function, an associated function or a method";

/// A function item, with or without a body, read from its tokens: the macro needs only
/// the doc comment, the `const` and `async` keywords, the name and the body, and
/// re-emits everything else exactly as written. (Parsing the signature with `syn`
/// cost more than the rest of the macro's own work.)
pub(crate) struct MaybeFn {
    /// Every token before the body: attributes, visibility, signature.
    head: Vec<TokenTree>,
    /// The text of each `#[doc = "…"]` attribute (doc comments), in order.
    docs: Vec<String>,
    constness: Option<Span>,
    asyncness: bool,
    ident: Ident,
    body: Body,
}

enum Body {
    /// The braces and everything in them, unparsed.
    Block(Group),
    Missing(Span),
}

impl MaybeFn {
    /// Reads `item`; an error when it is not a function.
    pub(crate) fn parse(item: TokenStream) -> Result<MaybeFn> {
        let mut head: Vec<TokenTree> = item.into_iter().collect();
        let Some(last) = head.pop() else {
            return Err(Error::new(Span::call_site(), NOT_A_FUNCTION));
        };
        let mut docs = Vec::new();
        let mut at = 0;
        // Outer attributes: `#` then `[…]`.
        while let [TokenTree::Punct(hash), TokenTree::Group(attr), ..] = &head[at..]
            && hash.as_char() == '#'
            && attr.delimiter() == Delimiter::Bracket
        {
            docs.extend(doc_text(attr));
            at += 2;
        }
        // Visibility, then qualifiers up to `fn`: nothing else may come before it.
        let mut constness = None;
        let mut asyncness = false;
        let mut first = true;
        let fn_at = loop {
            let Some(token) = head.get(at) else {
                return Err(Error::new(last.span(), NOT_A_FUNCTION));
            };
            let fits = match token {
                TokenTree::Ident(ident) => match ident.to_string().as_str() {
                    "fn" => break at,
                    "const" => {
                        constness = Some(ident.span());
                        true
                    }
                    "async" => {
                        asyncness = true;
                        true
                    }
                    "pub" | "unsafe" | "safe" | "extern" | "default" => true,
                    _ => false,
                },
                // `pub(crate)`, and the ABI of `extern "C"`.
                TokenTree::Group(group) => !first && group.delimiter() == Delimiter::Parenthesis,
                TokenTree::Literal(_) => !first,
                TokenTree::Punct(_) => false,
            };
            if !fits {
                return Err(Error::new(token.span(), NOT_A_FUNCTION));
            }
            first = false;
            at += 1;
        };
        let Some(TokenTree::Ident(ident)) = head.get(fn_at + 1) else {
            return Err(Error::new(head[fn_at].span(), NOT_A_FUNCTION));
        };
        let ident = ident.clone();
        let body = match last {
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => Body::Block(group),
            TokenTree::Punct(semi) if semi.as_char() == ';' => Body::Missing(semi.span()),
            other => return Err(Error::new(other.span(), "expected a function body")),
        };
        Ok(MaybeFn {
            head,
            docs,
            constness,
            asyncness,
            ident,
            body,
        })
    }
}

/// The text of a `doc = "…"` attribute.
fn doc_text(attr: &Group) -> Option<String> {
    let tokens: Vec<TokenTree> = attr.stream().into_iter().collect();
    match tokens.as_slice() {
        [
            TokenTree::Ident(doc),
            TokenTree::Punct(eq),
            TokenTree::Literal(text),
        ] if doc == "doc" && eq.as_char() == '=' => match Lit::new(text.clone()) {
            Lit::Str(text) => Some(text.value()),
            _ => None,
        },
        _ => None,
    }
}

/// Expands `#[counted(args)]` on `item`.
pub(crate) fn expand(mut args: Args, item: MaybeFn) -> Result<TokenStream> {
    let explicit = args.name("")?;
    let description = args.take_str("description")?.map(|d| d.value());
    let expires = expires::take(&mut args)?;
    let private = args.krate()?;
    args.finish(USAGE)?;

    if let Some(constness) = item.constness {
        return Err(Error::new(
            constness,
            "#[counted] cannot count a `const fn`: counting is a run-time effect. \
             Count at the call sites with `counter!` instead",
        ));
    }
    let block_of_body = match &item.body {
        Body::Block(block) => block,
        Body::Missing(semi) => {
            return Err(Error::new(
                *semi,
                "#[counted] needs a function body to count; put it on the method of each \
                 impl, or give this trait method a default body",
            ));
        }
    };

    let ident = &item.ident;
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
    let description = description.unwrap_or_else(|| doc_summary(&item.docs));
    let parts = DeclParts {
        name,
        kind: format!("{P}::Kind::Basic"),
        description,
        expires,
        site,
    };
    let counter = "__TELEMETRY_COUNTED";
    let items = counter_items(counter, &parts, &RecordKind::Basic, None);

    let prologue = if item.asyncness {
        // `<crate>::__private::Counter::inc({ …; &COUNTER });`
        let counted = block(&private, &format!("{items} &{counter}"));
        let path = private_path(&private);
        quote!(#path::Counter::inc(#counted);)
    } else {
        // `let __telemetry_frame = { …; enter(&COUNTER) };`
        let frame = Ident::new("__telemetry_frame", Span::mixed_site());
        let counted = block(&private, &format!("{items} {P}::enter(&{counter})"));
        quote!(let #frame = #counted;)
    };
    let mut expanded: TokenStream = item.head.into_iter().collect();
    expanded.extend([TokenTree::Group(splice(block_of_body, prologue))]);
    Ok(expanded)
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
    let stream = if attrs_end == 0 {
        // Whole streams joined, not token by token.
        let mut stream = prologue;
        stream.extend([block.stream()]);
        stream
    } else {
        let mut tokens = tokens.into_iter();
        let mut stream: TokenStream = tokens.by_ref().take(attrs_end).collect();
        stream.extend([prologue]);
        stream.extend(tokens);
        stream
    };
    let mut body = Group::new(Delimiter::Brace, stream);
    body.set_span(block.span());
    body
}

/// What the derived name has after the module path (which only the compiler knows,
/// and turns into the name's start): the owning type, when the method is found in an
/// impl or trait, and the function.
fn derived_tail(site: &Site, ident: &Ident) -> String {
    let function = telemetry_rules::name::dashed(&ident.to_string());
    match enclosing::owner(site, &ident.to_string()) {
        Some(owner) => format!("{owner}/{function}"),
        None => function,
    }
}

/// The first paragraph of the doc comment, lines joined by spaces.
fn doc_summary(docs: &[String]) -> String {
    let lines: Vec<&str> = docs
        .iter()
        .flat_map(|doc| doc.split('\n'))
        .map(str::trim)
        .collect();
    lines
        .iter()
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The item re-emitted unchanged next to the error, so one mistake gives one message.
pub(crate) fn fallback(item: TokenStream, error: Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#error #item)
}
