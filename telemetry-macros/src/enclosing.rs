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

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use syn::visit::Visit;
use syn::{ImplItem, ItemImpl, ItemTrait, TraitItem, Type};

use crate::site::Site;

/// A method inside an `impl` or `trait`, and the name of its owner.
struct Method {
    name: String,
    line: usize,
    /// 0-based, as proc-macro2 counts.
    column: usize,
    owner: String,
}

/// The methods of each file read, by path and length.
type Files = HashMap<(PathBuf, u64), Rc<Vec<Method>>>;

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
        .iter()
        .filter(|m| m.name == name && m.line == site.line as usize)
        .collect();
    let found = match matching.as_slice() {
        [one] => *one,
        many => *many.iter().find(|m| m.column + 1 == site.column as usize)?,
    };
    Some(found.owner.clone())
}

fn methods_in(path: PathBuf) -> Option<Rc<Vec<Method>>> {
    let len = std::fs::metadata(&path).ok()?.len();
    let key = (path, len);
    if let Some(known) = FILES.with(|files| files.borrow().get(&key).cloned()) {
        return Some(known);
    }
    let text = std::fs::read_to_string(&key.0).ok()?;
    // Inside the compiler, tokens parsed from a string carry no position; proc-macro2's
    // own lexer does, so it parses this file, and the compiler's is restored at once.
    proc_macro2::fallback::force();
    let parsed = syn::parse_file(&text);
    let methods = parsed.map(|file| {
        let mut collect = Collect::default();
        collect.visit_file(&file);
        collect.methods
    });
    proc_macro2::fallback::unforce();
    let methods = Rc::new(methods.ok()?);
    FILES.with(|files| files.borrow_mut().insert(key, Rc::clone(&methods)));
    Some(methods)
}

#[derive(Default)]
struct Collect {
    methods: Vec<Method>,
}

impl Collect {
    fn add(&mut self, ident: &syn::Ident, owner: &str) {
        let start = ident.span().start();
        self.methods.push(Method {
            name: ident.to_string(),
            line: start.line,
            column: start.column,
            owner: owner.to_string(),
        });
    }
}

impl<'ast> Visit<'ast> for Collect {
    fn visit_item_impl(&mut self, item: &'ast ItemImpl) {
        if let Some(ty) = type_label(&item.self_ty) {
            let owner = match &item.trait_ {
                Some((path, _)) => match path.segments.last() {
                    Some(segment) => format!("{ty}/{}", segment.ident),
                    None => ty,
                },
                None => ty,
            };
            for impl_item in &item.items {
                if let ImplItem::Fn(method) = impl_item {
                    self.add(&method.sig.ident, &owner);
                }
            }
        }
        syn::visit::visit_item_impl(self, item);
    }

    fn visit_item_trait(&mut self, item: &'ast ItemTrait) {
        let owner = item.ident.to_string();
        for trait_item in &item.items {
            if let TraitItem::Fn(method) = trait_item {
                self.add(&method.sig.ident, &owner);
            }
        }
        syn::visit::visit_item_trait(self, item);
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
