//! Expansions checked as tokens, outside the compiler.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use crate::args::Args;
use crate::site::Site;
use crate::{counted, declare};

/// Every identifier in `tokens`, groups included.
fn idents(tokens: TokenStream, out: &mut Vec<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => idents(group.stream(), out),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

fn args(tokens: TokenStream) -> Args {
    syn::parse2(tokens).expect("arguments parse")
}

/// Every macro form, expanded with the arguments `extra` added.
fn expansions(extra: TokenStream) -> Vec<TokenStream> {
    let item = |tokens: TokenStream| counted::MaybeFn::parse(tokens).expect("a function");
    let site = Site::default;
    vec![
        declare::counter(args(quote!("t/a" #extra)), site()).unwrap(),
        declare::counter(args(quote!("t/b:{x,y}" #extra)), site()).unwrap(),
        declare::histogram(args(quote!("t/c", [1, 2], unit = "ms" #extra)), site()).unwrap(),
        declare::stack_counter(args(quote!("t/d", depth = 4 #extra)), site()).unwrap(),
        counted::expand(
            args(quote!("t/e" #extra)),
            item(quote!(
                fn e() {}
            )),
        )
        .unwrap(),
        counted::expand(
            args(extra.clone().into_iter().skip(1).collect()),
            item(quote!(
                fn derived() -> u8 {
                    1
                }
            )),
        )
        .unwrap(),
        counted::expand(
            args(quote!(description = "x" #extra)),
            item(quote!(
                async fn later() {}
            )),
        )
        .unwrap(),
    ]
}

#[test]
fn the_crate_path_replaces_every_mention_of_telemetry() {
    for expansion in expansions(quote!(, crate = crate::re::tele)) {
        let mut names = Vec::new();
        idents(expansion.clone(), &mut names);
        assert!(
            !names.iter().any(|n| n == "telemetry"),
            "`telemetry` named in {expansion}"
        );
        assert!(names.iter().any(|n| n == "tele"), "{expansion}");
    }
}

#[test]
fn without_a_crate_path_the_expansion_names_telemetry() {
    for expansion in expansions(TokenStream::new()) {
        let mut names = Vec::new();
        idents(expansion.clone(), &mut names);
        assert!(names.iter().any(|n| n == "telemetry"), "{expansion}");
        assert!(!names.iter().any(|n| n == "tele"), "{expansion}");
    }
}

#[test]
fn the_crate_path_is_a_path_given_once() {
    let error = |tokens: TokenStream| {
        declare::counter(args(tokens), Site::default())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error(quote!("t/a", crate = "my::tele")),
        "`crate` takes a path to the telemetry crate, written without quotes: `crate = my::tele`"
    );
    assert_eq!(
        error(quote!("t/a", crate = ::a, crate = ::b)),
        "`crate` is given twice"
    );
}

/// The attributes the macros write name the sections the readers look in, each once.
#[test]
fn record_sections_are_the_rules_sections() {
    use telemetry_rules::record::{SECTION_ELF, SECTION_MACHO, SECTION_PE};
    let attrs = crate::record::section_attrs();
    let (segment, section) = SECTION_MACHO;
    for name in [SECTION_ELF, &format!("{segment},{section}"), SECTION_PE] {
        let attr = format!("link_section = \"{name}\"");
        assert_eq!(attrs.matches(&attr).count(), 1, "{attr} in {attrs}");
    }
    let tokens: TokenStream = attrs.parse().expect("attributes lex");
    assert_eq!(tokens.into_iter().count(), 8, "four `#[…]` attributes");
}
