//! The little JSON that `show --json` writes: strings, with every character that
//! JSON requires escaped (RFC 8259, section 7).

/// `text` as a JSON string literal, quotes included.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // The rest of the C0 controls must be escaped; DEL and the C1 controls
            // may be, and are, so the output is safe on a terminal too. U+2028 and
            // U+2029 are escaped for JavaScript parsers that predate ES2019.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_controls_are_escaped() {
        assert_eq!(string("plain"), r#""plain""#);
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(string("x\ny\tz\r"), r#""x\ny\tz\r""#);
        assert_eq!(string("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
        assert_eq!(string("\u{8}\u{c}"), r#""\b\f""#);
    }

    #[test]
    fn other_characters_pass_through_as_utf8() {
        assert_eq!(string("é ✓ <5ms"), "\"é ✓ <5ms\"");
        assert_eq!(string("\u{2028}"), r#""\u2028""#);
    }
}
