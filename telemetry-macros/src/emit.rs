//! Generated code, written as text and handed to the compiler in one piece.
//!
//! Inside the compiler, every token a proc macro makes one at a time (as `quote!`
//! does) is a call across the proc-macro bridge; for the hundred-odd tokens a counter
//! declaration needs, that was the largest part of the macros' own run time. Text is
//! lexed by the compiler in one call. Its tokens get the call-site span, as `quote!`'s
//! do. What must keep a span of its own is joined as tokens: a `crate = …` path
//! (which may be a macro's `$crate`, which text cannot spell), bound at the start of
//! each generated block by [`block`] (the default path is text too), and `#[counted]`'s
//! frame, whose name is `mixed_site`.

use proc_macro2::{Delimiter, Group, TokenStream};

use crate::model::{DEFAULT_PRIVATE, Private};

/// The alias every generated path starts with: `<crate>::__private`, bound by
/// [`block`].
pub(crate) const P: &str = "__telemetry_private";

/// `text` as a Rust string literal.
pub(crate) fn str_lit(text: &str) -> String {
    // `Debug` writes exactly the escapes a Rust string literal accepts.
    format!("{text:?}")
}

/// `bytes` as a Rust byte-string literal. Records are mostly small integers: a zero is
/// `\0` (`\x00` before a digit), and no byte goes through the formatting machinery,
/// which the unoptimized build of a proc macro makes costly per byte.
pub(crate) fn bytes_lit(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2 + 3);
    out.extend_from_slice(b"b\"");
    for (at, &byte) in bytes.iter().enumerate() {
        match byte {
            // `\0` then a digit reads as an octal escape to people (and to a lint).
            0 if !bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                out.extend_from_slice(b"\\0");
            }
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
            b' '..=b'~' => out.push(byte),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ]),
        }
    }
    out.push(b'"');
    // Only ASCII was pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// The tokens of `code`, which the macros wrote themselves and which always lex.
pub(crate) fn tokens(code: &str) -> TokenStream {
    let failed = |e: &dyn std::fmt::Display| -> ! {
        panic!("telemetry generated code that does not lex ({e}): {code}")
    };
    if proc_macro::is_available() {
        // Straight to the compiler's lexer: proc-macro2's `parse` first lexes the text
        // once more with its own (unoptimized) lexer, only to validate it.
        match code.parse::<proc_macro::TokenStream>() {
            Ok(tokens) => tokens.into(),
            Err(e) => failed(&e),
        }
    } else {
        code.parse().unwrap_or_else(|e| failed(&e))
    }
}

/// `<crate>::__private` itself, for the few paths outside a generated block.
pub(crate) fn private_path(private: &Private) -> TokenStream {
    match &private.0 {
        Some(path) => path.clone(),
        None => tokens(DEFAULT_PRIVATE),
    }
}

/// `{ use <crate>::__private as __telemetry_private; code }`: all of it lexed at once
/// unless the path was given as tokens.
pub(crate) fn block(private: &Private, code: &str) -> Group {
    let body = match private.use_item() {
        Some(mut body) => {
            body.extend([tokens(code)]);
            body
        }
        None => tokens(&format!("use {DEFAULT_PRIVATE} as {P}; {code}")),
    };
    Group::new(Delimiter::Brace, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_keep_every_byte_and_char() {
        let text = "a \"quoted\" \\ back\tslash\n\u{0}é\u{200b}";
        let lit: syn::LitStr = syn::parse_str(&str_lit(text)).unwrap();
        assert_eq!(lit.value(), text);
        let mut bytes: Vec<u8> = (0..=255).collect();
        bytes.extend_from_slice(&[0, b'1', b'2', 0, 0, b'7', 0]);
        assert_eq!(bytes_lit(&[0, b'1', 0, 0]), r#"b"\x001\0\0""#);
        let lit: syn::LitByteStr = syn::parse_str(&bytes_lit(&bytes)).unwrap();
        assert_eq!(lit.value(), bytes);
    }
}
