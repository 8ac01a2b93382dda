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
//! The file is lexed (by `lex`), not parsed: a walk over its token trees finds each
//! `impl` and `trait` item and the `fn`s directly in it, and only an impl's header is
//! parsed, to name its type as before. Parsing whole files with `syn` (unoptimized, as
//! build dependencies are) cost 20 to 40 ms for a file of a few hundred lines, once per
//! file with a counted method: more than all the rest of the macro for a file's few
//! counted functions. Like `syn`'s, the walk sees every item of the file, in modules
//! and function bodies, and none inside macro invocations or attributes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use syn::{ItemImpl, Type};

use crate::lex::{self, Delimiter, Group, Tree, Word};
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
    let text = std::fs::read_to_string(&key.0).ok()?;
    let trees = lex::lex(&text)?;
    let mut by_line = Methods::new();
    // Impl headers are parsed by syn with proc-macro2's own lexer: outside the
    // compiler's, which is restored at once.
    proc_macro2::fallback::force();
    scan(&text, &trees, true, &mut |method| {
        by_line.entry(method.line).or_default().push(method);
    });
    proc_macro2::fallback::unforce();
    let methods = Rc::new(by_line);
    FILES.with(|files| files.borrow_mut().insert(key, Rc::clone(&methods)));
    Some(methods)
}

/// Finds the methods of every `impl` and `trait` in `trees`, and in every group
/// within them. `items` tells whether `trees` is a place for items (a file, a module
/// or a block), where an `impl` keyword starts an impl rather than an `impl Trait`
/// type.
fn scan(source: &str, trees: &[Tree<'_>], items: bool, found: &mut dyn FnMut(Method)) {
    let mut at = 0;
    while at < trees.len() {
        match &trees[at] {
            Tree::Word(word)
                if items && matches!(word.text, "impl" | "trait") && item_start(trees, at) =>
            {
                if let Some(body) = body_at(trees, at) {
                    let Tree::Group(group) = &trees[body] else {
                        unreachable!("body_at finds a group");
                    };
                    let owner = if word.text == "impl" {
                        impl_owner(source, word, group)
                    } else {
                        trait_owner(trees, at)
                    };
                    if let Some(owner) = owner {
                        methods_of(source, group, &owner, found);
                    }
                    // Items may hide in the header too, in a `{ … }` const argument.
                    for tree in &trees[at + 1..body] {
                        if let Tree::Group(inner) = tree {
                            scan(
                                source,
                                &inner.trees,
                                inner.delimiter == Delimiter::Brace,
                                found,
                            );
                        }
                    }
                    scan(source, &group.trees, true, found);
                    at = body + 1;
                    continue;
                }
            }
            // A macro invocation (`name!(…)`, `macro_rules! name {…}`): opaque.
            Tree::Punct('!') if macro_before(trees, at) => {
                at += match trees.get(at + 1) {
                    Some(Tree::Word(_)) => 3,
                    _ => 2,
                };
                continue;
            }
            // An attribute: no items inside.
            Tree::Punct('#') => {
                at += match trees.get(at + 1) {
                    Some(Tree::Punct('!')) => 3,
                    _ => 2,
                };
                continue;
            }
            Tree::Group(group) => {
                scan(
                    source,
                    &group.trees,
                    group.delimiter == Delimiter::Brace,
                    found,
                );
            }
            _ => {}
        }
        at += 1;
    }
}

/// Whether the keyword at `at` begins an item: first in its group, or after the end of
/// a statement or item, an attribute, or what may stand before `impl` and `trait`.
fn item_start(trees: &[Tree<'_>], at: usize) -> bool {
    let Some(before) = at.checked_sub(1).map(|i| &trees[i]) else {
        return true;
    };
    match before {
        Tree::Punct(p) => *p == ';',
        // After `pub(crate)` or an attribute's `[…]`, or a block or item body.
        Tree::Group(_) => true,
        Tree::Word(w) => matches!(w.text, "pub" | "unsafe" | "default" | "auto" | "safe"),
        Tree::Other => false,
    }
}

/// The index of the item's body: the first `{…}` after `at` outside angle brackets
/// (an impl header's `Foo<{ N }>` is not its body); none when a `;` comes first.
fn body_at(trees: &[Tree<'_>], at: usize) -> Option<usize> {
    let mut angles = 0usize;
    for (i, tree) in trees.iter().enumerate().skip(at + 1) {
        match tree {
            Tree::Group(g) if g.delimiter == Delimiter::Brace && angles == 0 => return Some(i),
            Tree::Punct('<') => angles += 1,
            // (`->` is lexed as one `-`.)
            Tree::Punct('>') => angles = angles.saturating_sub(1),
            Tree::Punct(';') if angles == 0 => return None,
            _ => {}
        }
    }
    None
}

/// Whether the `!` at `at` follows a macro's name, not an operator's operand.
fn macro_before(trees: &[Tree<'_>], at: usize) -> bool {
    let Some(Tree::Word(name)) = at.checked_sub(1).map(|i| &trees[i]) else {
        return false;
    };
    let is_keyword = matches!(
        name.text,
        "if" | "while" | "match" | "return" | "break" | "in" | "else" | "let" | "yield"
    );
    let group_or_name_next = matches!(trees.get(at + 1), Some(Tree::Group(_) | Tree::Word(_)));
    !is_keyword && group_or_name_next
}

/// The owner of the methods of the impl whose keyword is `keyword` and body `body`, by
/// parsing the header alone: `Type`, or `Type/Trait` for a trait impl. None for a
/// self type without a name (a tuple, a function pointer…).
fn impl_owner(source: &str, keyword: &Word<'_>, body: &Group<'_>) -> Option<String> {
    let header = format!("{} {{}}", &source[keyword.start..body.start]);
    let item: ItemImpl = syn::parse_str(&header).ok()?;
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
fn trait_owner(trees: &[Tree<'_>], at: usize) -> Option<String> {
    match trees.get(at + 1) {
        Some(Tree::Word(name)) => Some(name.text.to_string()),
        _ => None,
    }
}

/// Every `fn name` directly in the body `group` of an impl or trait.
fn methods_of(source: &str, group: &Group<'_>, owner: &str, found: &mut dyn FnMut(Method)) {
    for pair in group.trees.windows(2) {
        if let [Tree::Word(keyword), Tree::Word(name)] = pair
            && keyword.text == "fn"
        {
            found(Method {
                name: name.text.to_string(),
                line: name.line,
                column: name.column(source),
                owner: owner.to_string(),
            });
        }
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
        scan(source, &lex::lex(source).unwrap(), true, &mut |m| {
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
