//! The `impl` or `trait` around a method, found by reading its source file.
//!
//! An attribute on a method sees the method alone, not the type it belongs to, yet two
//! types in one module often have methods of one name (`new`, `get`). To name such
//! counters apart, the macro reads the file the method is in (the compiler tells where)
//! and looks for the `impl` or `trait` item holding a method of that name at that line
//! and column. The type's name then joins the counter name:
//! `impl Store { fn get }` gives `…/Store/get`, `impl Display for Store { fn fmt }` gives
//! `…/Store/Display/fmt`, a default method of `trait Codec` gives `…/Codec/encode`.
//!
//! When the method cannot be found there (it was written by another macro), the name
//! has no type part; should it then collide with another derived name, the registry
//! reports the conflict with both locations.
//!
//! The file is lexed, not parsed: a walk over its token trees finds each `impl` and
//! `trait` item and the `fn`s directly in it, and only an impl's header is parsed, to
//! name its type as before. Parsing whole files with `syn` (unoptimized, as build
//! dependencies are) cost 20 to 40 ms for a file of a few hundred lines, once per file
//! with a counted method: more than all the rest of the macro for a file's few
//! counted functions. Like `syn`'s, the walk sees every item of the file, in modules
//! and function bodies, and none inside macro invocations or attributes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use proc_macro2::{Delimiter, Group, Ident, Spacing, TokenStream, TokenTree};
use syn::{ItemImpl, Type};

use crate::site::Site;

/// A method inside an `impl` or `trait`, and the name of its owner.
struct Method {
    name: String,
    line: usize,
    /// 0-based, as proc-macro2 counts.
    column: usize,
    owner: String,
}

/// The methods of one file, by line: a file with thousands of counted methods is
/// looked up thousands of times.
type Methods = HashMap<usize, Vec<Method>>;

/// The methods of each file read, by path and length.
type Files = HashMap<(PathBuf, u64), Rc<Methods>>;

thread_local! {
    /// Methods of every file read so far, by path and length: a compilation reads
    /// each file once however many counted methods it holds.
    static FILES: RefCell<Files> = RefCell::new(HashMap::new());
}

/// The owner (`Type`, `Type/Trait` or `Trait`) of the method `name` declared at `site`.
pub(crate) fn owner(site: &Site, name: &str) -> Option<String> {
    let path = site.path.clone()?;
    let methods = methods_in(path)?;
    let matching: Vec<&Method> = methods
        .get(&(site.line as usize))?
        .iter()
        .filter(|m| m.name == name)
        .collect();
    let found = match matching.as_slice() {
        [one] => *one,
        many => *many.iter().find(|m| m.column + 1 == site.column as usize)?,
    };
    Some(found.owner.clone())
}

fn methods_in(path: PathBuf) -> Option<Rc<Methods>> {
    let len = std::fs::metadata(&path).ok()?.len();
    let key = (path, len);
    if let Some(known) = FILES.with(|files| files.borrow().get(&key).cloned()) {
        return Some(known);
    }
    let mut text = std::fs::read_to_string(&key.0).ok()?;
    // What the compiler skips and the lexer would not: a byte-order mark, a `#!` line.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        text = rest.to_string();
    }
    if text.starts_with("#!") && !text[2..].trim_start().starts_with('[') {
        let end = text.find('\n').unwrap_or(text.len());
        text.replace_range(..end, "");
    }
    // Inside the compiler, tokens lexed from a string carry no position; proc-macro2's
    // own lexer gives them, so it lexes this file, and the compiler's is restored at once.
    proc_macro2::fallback::force();
    let lexed = text.parse::<TokenStream>();
    let methods = lexed.map(|tokens| {
        let mut by_line = Methods::new();
        scan(tokens, true, &mut |method| {
            by_line.entry(method.line).or_default().push(method);
        });
        by_line
    });
    proc_macro2::fallback::unforce();
    let methods = Rc::new(methods.ok()?);
    FILES.with(|files| files.borrow_mut().insert(key, Rc::clone(&methods)));
    Some(methods)
}

/// Finds the methods of every `impl` and `trait` in `tokens`, and in every group
/// within them. `items` tells whether `tokens` is a place for items (a file, a module
/// or a block), where an `impl` keyword starts an impl rather than an `impl Trait`
/// type.
fn scan(tokens: TokenStream, items: bool, found: &mut dyn FnMut(Method)) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            TokenTree::Ident(ident)
                if items && (ident == "impl" || ident == "trait") && item_start(&tokens, at) =>
            {
                let owner = body_at(&tokens, at).map(|body| {
                    let owner = if ident == "impl" {
                        impl_owner(&tokens, at, body)
                    } else {
                        trait_owner(&tokens, at)
                    };
                    (owner, body)
                });
                if let Some((owner, body)) = owner {
                    let TokenTree::Group(group) = &tokens[body] else {
                        unreachable!("body_at finds a group");
                    };
                    if let Some(owner) = owner {
                        methods_of(group, &owner, found);
                    }
                    // Items may hide in the header too, in a `{ … }` const argument.
                    for token in &tokens[at + 1..body] {
                        if let TokenTree::Group(inner) = token {
                            scan(inner.stream(), inner.delimiter() == Delimiter::Brace, found);
                        }
                    }
                    scan(group.stream(), true, found);
                    at = body + 1;
                    continue;
                }
            }
            // A macro invocation (`name!(…)`, `macro_rules! name {…}`): opaque.
            TokenTree::Punct(bang) if bang.as_char() == '!' && macro_before(&tokens, at) => {
                at += match tokens.get(at + 1) {
                    Some(TokenTree::Ident(_)) => 3,
                    _ => 2,
                };
                continue;
            }
            // An attribute: no items inside.
            TokenTree::Punct(hash) if hash.as_char() == '#' => {
                at += match tokens.get(at + 1) {
                    Some(TokenTree::Punct(bang)) if bang.as_char() == '!' => 3,
                    _ => 2,
                };
                continue;
            }
            TokenTree::Group(group) => {
                scan(group.stream(), group.delimiter() == Delimiter::Brace, found);
            }
            _ => {}
        }
        at += 1;
    }
}

/// Whether the keyword at `at` begins an item: first in its group, or after the end of
/// a statement or item, an attribute, or what may stand before `impl` and `trait`.
fn item_start(tokens: &[TokenTree], at: usize) -> bool {
    let Some(before) = at.checked_sub(1).map(|i| &tokens[i]) else {
        return true;
    };
    match before {
        TokenTree::Punct(p) => p.as_char() == ';',
        TokenTree::Group(g) => match g.delimiter() {
            // After `pub(crate)` or an attribute's `[…]`, or a block or item body.
            Delimiter::Parenthesis | Delimiter::Bracket | Delimiter::Brace => true,
            Delimiter::None => false,
        },
        TokenTree::Ident(i) => {
            i == "pub" || i == "unsafe" || i == "default" || i == "auto" || i == "safe"
        }
        TokenTree::Literal(_) => false,
    }
}

/// The index of the item's body: the first `{…}` after `at` outside angle brackets
/// (an impl header's `Foo<{ N }>` is not its body); none when a `;` comes first.
fn body_at(tokens: &[TokenTree], at: usize) -> Option<usize> {
    let mut angles = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(at + 1) {
        match token {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && angles == 0 => {
                return Some(i);
            }
            TokenTree::Punct(p) => match p.as_char() {
                '<' => angles += 1,
                // `->` is one token to the compiler, two puncts here.
                '>' if !arrow(tokens, i) => angles = angles.saturating_sub(1),
                ';' if angles == 0 => return None,
                _ => {}
            },
            _ => {}
        }
    }
    None
}

fn arrow(tokens: &[TokenTree], at: usize) -> bool {
    matches!(
        at.checked_sub(1).map(|i| &tokens[i]),
        Some(TokenTree::Punct(p)) if p.as_char() == '-' && p.spacing() == Spacing::Joint
    )
}

/// Whether the `!` at `at` follows a macro's name, not an operator's operand.
fn macro_before(tokens: &[TokenTree], at: usize) -> bool {
    let Some(TokenTree::Ident(name)) = at.checked_sub(1).map(|i| &tokens[i]) else {
        return false;
    };
    let is_keyword = [
        "if", "while", "match", "return", "break", "in", "else", "let", "yield",
    ]
    .iter()
    .any(|keyword| name == keyword);
    let group_or_name_next = matches!(
        tokens.get(at + 1),
        Some(TokenTree::Group(_)) | Some(TokenTree::Ident(_))
    );
    !is_keyword && group_or_name_next
}

/// The owner of the methods of the impl at `at` (its header runs up to `body`), by
/// parsing the header alone: `Type`, or `Type/Trait` for a trait impl. None for a
/// self type without a name (a tuple, a function pointer…).
fn impl_owner(tokens: &[TokenTree], at: usize, body: usize) -> Option<String> {
    let mut header: TokenStream = tokens[at..body].iter().cloned().collect();
    header.extend([TokenTree::Group(Group::new(
        Delimiter::Brace,
        TokenStream::new(),
    ))]);
    let item: ItemImpl = syn::parse2(header).ok()?;
    let ty = type_label(&item.self_ty)?;
    Some(match &item.trait_ {
        Some((path, _)) => match path.segments.last() {
            Some(segment) => format!("{ty}/{}", segment.ident),
            None => ty,
        },
        None => ty,
    })
}

/// The name of the trait at `at`.
fn trait_owner(tokens: &[TokenTree], at: usize) -> Option<String> {
    match tokens.get(at + 1) {
        Some(TokenTree::Ident(name)) => Some(name.to_string()),
        _ => None,
    }
}

/// Every `fn name` directly in the body `group` of an impl or trait.
fn methods_of(group: &Group, owner: &str, found: &mut dyn FnMut(Method)) {
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    for pair in tokens.windows(2) {
        if let [TokenTree::Ident(keyword), TokenTree::Ident(name)] = pair
            && keyword == "fn"
        {
            found(method(name, owner));
        }
    }
}

fn method(name: &Ident, owner: &str) -> Method {
    let start = name.span().start();
    Method {
        name: name.to_string(),
        line: start.line,
        column: start.column,
        owner: owner.to_string(),
    }
}

/// A name for the self type of an impl: its last path segment without generics, behind
/// any reference or pointer.
fn type_label(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => type_label(&r.elem),
        Type::Ptr(p) => type_label(&p.elem),
        Type::Paren(p) => type_label(&p.elem),
        Type::Group(g) => type_label(&g.elem),
        Type::Slice(s) => type_label(&s.elem).map(|t| format!("{t}-slice")),
        Type::Array(a) => type_label(&a.elem).map(|t| format!("{t}-array")),
        Type::TraitObject(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(t) => {
                t.path.segments.last().map(|s| format!("dyn-{}", s.ident))
            }
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(line, name, owner)` of every method the walk finds in `source`.
    fn methods(source: &str) -> Vec<(usize, String, String)> {
        let mut found = Vec::new();
        scan(source.parse().unwrap(), true, &mut |m| {
            found.push((m.line, m.name, m.owner));
        });
        found.sort();
        found
    }

    fn m(line: usize, name: &str, owner: &str) -> (usize, String, String) {
        (line, name.to_string(), owner.to_string())
    }

    #[test]
    fn finds_methods_of_impls_and_traits_wherever_they_are() {
        let source = r#"
            impl Store { fn get(&self) {} pub(crate) async unsafe fn put() {} }
            impl<T: Fn() -> u8> fmt::Display for &'a mut Wrapper<T> where T: Into<u8> {
                fn fmt(&self) {}
            }
            #[cfg(test)] unsafe impl<const N: usize> Send for [Cell; N] {}
            pub trait Codec: Sized { fn encode(&self) -> u8 { 0 } fn tag(&self) -> u8; }
            mod inner { impl Outer { fn new() -> Self { impl Hidden { fn deep() {} } Outer } } }
            impl (u8, u8) { fn unnamed() {} }
            impl Array<{ 1 + 1 }> { fn sized() {} }
        "#;
        assert_eq!(
            methods(source),
            [
                m(2, "get", "Store"),
                m(2, "put", "Store"),
                m(4, "fmt", "Wrapper/Display"),
                m(7, "encode", "Codec"),
                m(7, "tag", "Codec"),
                m(8, "deep", "Hidden"),
                m(8, "new", "Outer"),
                m(10, "sized", "Array"),
            ]
        );
    }

    #[test]
    fn impl_trait_types_function_pointers_and_macros_are_not_impls() {
        let source = r#"
            fn iter() -> impl Iterator<Item = u8> { fn helper() {} [1].into_iter() }
            fn take(f: impl Fn(), g: (impl Copy, u8)) {}
            impl Table { const F: fn() -> u8 = zero; type G = fn(u8); fn real() {} }
            macro_rules! make { () => { impl Made { fn made() {} } } }
            quote! { impl Quoted { fn quoted() {} } }
            #[doc = "impl InDoc { fn doc() {} }"]
            struct S;
            fn body() { if !ready { impl InIf { fn in_if() {} } } }
        "#;
        assert_eq!(
            methods(source),
            [m(4, "real", "Table"), m(9, "in_if", "InIf")]
        );
    }
}
