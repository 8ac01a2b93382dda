//! The little of Rust's lexical grammar `enclosing` needs to walk a source file: words
//! (identifiers, keywords, numbers) with their line and column, punctuation, and
//! delimited groups; comments, whitespace and every kind of literal are skipped.
//!
//! It stands in for a full lexer because a full one (proc-macro2's, unoptimized in a
//! build dependency as Cargo builds them) cost a few milliseconds for an ordinary
//! file, paid again for every file holding a counted method. Like the compiler, it
//! skips a byte-order mark and a `#!` first line, and lexes nested block comments, raw
//! strings with any number of `#`, byte and C strings, raw identifiers, and tells
//! character literals from lifetimes. Input it cannot lex (an unterminated string,
//! unbalanced delimiters) yields nothing, and the file's methods then go unnamed.

/// A token tree.
pub(crate) enum Tree<'a> {
    /// An identifier, keyword or number; `r#name` keeps its `r#`.
    Word(Word<'a>),
    /// A punctuation character; `->` and `=>` are one, `-` and `=`.
    Punct(char),
    /// `(…)`, `[…]` or `{…}`.
    Group(Group<'a>),
    /// A literal or a lifetime, which `enclosing` never looks into.
    Other,
}

pub(crate) struct Word<'a> {
    pub text: &'a str,
    /// Byte offset in the file.
    pub start: usize,
    /// 1-based.
    pub line: usize,
    /// Byte offset of the line's start, from which the column is counted.
    line_start: usize,
}

impl Word<'_> {
    /// 0-based, in characters, as proc-macro2 counts.
    pub(crate) fn column(&self, source: &str) -> usize {
        source[self.line_start..self.start].chars().count()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delimiter {
    Parenthesis,
    Bracket,
    Brace,
}

pub(crate) struct Group<'a> {
    pub delimiter: Delimiter,
    pub trees: Vec<Tree<'a>>,
    /// Byte offset of the opening delimiter.
    pub start: usize,
}

/// The token trees of `source`, or `None` if it does not lex.
pub(crate) fn lex(source: &str) -> Option<Vec<Tree<'_>>> {
    let mut lexer = Lexer {
        source,
        bytes: source.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
    };
    if source.starts_with('\u{feff}') {
        // Gone before the compiler counts columns.
        lexer.at = '\u{feff}'.len_utf8();
        lexer.line_start = lexer.at;
    }
    if source[lexer.at..].starts_with("#!") && !source[lexer.at + 2..].trim_start().starts_with('[')
    {
        lexer.at = source.find('\n').unwrap_or(source.len());
    }
    let mut stack: Vec<Group<'_>> = Vec::new();
    let mut top: Vec<Tree<'_>> = Vec::new();
    while let Some(token) = lexer.next()? {
        let tree = match token {
            Token::Open(delimiter, start) => {
                stack.push(Group {
                    delimiter,
                    trees: Vec::new(),
                    start,
                });
                continue;
            }
            Token::Close(delimiter) => {
                Tree::Group(stack.pop().filter(|g| g.delimiter == delimiter)?)
            }
            Token::Tree(tree) => tree,
        };
        stack
            .last_mut()
            .map_or(&mut top, |g| &mut g.trees)
            .push(tree);
    }
    stack.is_empty().then_some(top)
}

enum Token<'a> {
    Open(Delimiter, usize),
    Close(Delimiter),
    Tree(Tree<'a>),
}

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.at + ahead).copied().unwrap_or(0)
    }

    /// Moves past one byte, counting lines.
    fn bump(&mut self) {
        if self.bytes[self.at] == b'\n' {
            self.line += 1;
            self.line_start = self.at + 1;
        }
        self.at += 1;
    }

    /// Moves past `n` bytes none of which is a newline.
    fn skip(&mut self, n: usize) {
        self.at += n;
    }

    /// The next token; `Ok(None)` at the end; `None` when the input does not lex.
    #[allow(clippy::option_option)]
    fn next(&mut self) -> Option<Option<Token<'a>>> {
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Some(None);
            };
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => self.bump(),
                _ if !byte.is_ascii()
                    && self.source[self.at..].starts_with(char::is_whitespace) =>
                {
                    let ch = self.source[self.at..].chars().next().unwrap_or(' ');
                    self.skip(ch.len_utf8());
                }
                b'/' if self.peek(1) == b'/' => {
                    while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
                        self.at += 1;
                    }
                }
                b'/' if self.peek(1) == b'*' => self.block_comment()?,
                _ => return self.token().map(Some),
            }
        }
    }

    fn block_comment(&mut self) -> Option<()> {
        self.skip(2);
        let mut depth = 1;
        while depth > 0 {
            match (self.bytes.get(self.at)?, self.peek(1)) {
                (b'/', b'*') => {
                    depth += 1;
                    self.skip(2);
                }
                (b'*', b'/') => {
                    depth -= 1;
                    self.skip(2);
                }
                _ => self.bump(),
            }
        }
        Some(())
    }

    fn token(&mut self) -> Option<Token<'a>> {
        let start = self.at;
        let byte = self.bytes[start];
        let delimiter = |b| match b {
            b'(' | b')' => Some(Delimiter::Parenthesis),
            b'[' | b']' => Some(Delimiter::Bracket),
            b'{' | b'}' => Some(Delimiter::Brace),
            _ => None,
        };
        if let Some(d) = delimiter(byte) {
            self.skip(1);
            return Some(match byte {
                b'(' | b'[' | b'{' => Token::Open(d, start),
                _ => Token::Close(d),
            });
        }
        let tree = match byte {
            b'"' => {
                self.skip(1);
                self.quoted(b'"')?;
                Tree::Other
            }
            b'\'' => self.quote_or_lifetime()?,
            // Literal prefixes: r"…", r#"…"#, b"…", b'…', br"…", c"…", cr"…".
            b'r' | b'b' | b'c' if self.literal_prefix() => {
                self.prefixed_literal()?;
                Tree::Other
            }
            b'0'..=b'9' => {
                self.number();
                Tree::Other
            }
            _ if is_word_start(byte) => Tree::Word(self.word()),
            b'-' | b'=' if self.peek(1) == b'>' => {
                self.skip(2);
                Tree::Punct(byte as char)
            }
            _ if byte.is_ascii() => {
                self.skip(1);
                Tree::Punct(byte as char)
            }
            _ => return None,
        };
        Some(Token::Tree(tree))
    }

    /// Whether the `r`, `b` or `c` here starts a literal rather than a word.
    fn literal_prefix(&self) -> bool {
        let raw_string = |from: usize| {
            let mut i = from;
            while self.peek(i) == b'#' {
                i += 1;
            }
            self.peek(i) == b'"'
        };
        match (self.peek(0), self.peek(1)) {
            (b'b' | b'c', b'"') | (b'b', b'\'') => true,
            (b'r', b'"') => true,
            // `r#"…"#` is a string, `r#name` a raw identifier.
            (b'r', b'#') => raw_string(1),
            (b'b' | b'c', b'r') => raw_string(2),
            _ => false,
        }
    }

    fn prefixed_literal(&mut self) -> Option<()> {
        if self.peek(0) != b'r' {
            self.skip(1); // b or c
        }
        match self.peek(0) {
            b'"' => {
                self.skip(1);
                self.quoted(b'"')
            }
            b'\'' => {
                self.skip(1);
                self.quoted(b'\'')
            }
            _ => {
                self.skip(1); // r
                let mut hashes = 0;
                while self.peek(0) == b'#' {
                    hashes += 1;
                    self.skip(1);
                }
                self.skip(1); // "
                loop {
                    if *self.bytes.get(self.at)? == b'"'
                        && (1..=hashes).all(|i| self.peek(i) == b'#')
                    {
                        self.skip(1 + hashes);
                        self.suffix();
                        return Some(());
                    }
                    self.bump();
                }
            }
        }
    }

    /// The rest of a literal quoted by `close`, after the opening quote, with escapes.
    fn quoted(&mut self, close: u8) -> Option<()> {
        loop {
            match *self.bytes.get(self.at)? {
                b'\\' => {
                    self.skip(1);
                    self.bytes.get(self.at)?;
                    self.bump();
                }
                b if b == close => {
                    self.skip(1);
                    self.suffix();
                    return Some(());
                }
                _ => self.bump(),
            }
        }
    }

    /// `'x'` or `'\n'` (a character), or `'a` (a lifetime or label).
    fn quote_or_lifetime(&mut self) -> Option<Tree<'a>> {
        self.skip(1);
        if self.peek(0) == b'\\' {
            self.quoted(b'\'')?;
            return Some(Tree::Other);
        }
        let ch = self.source[self.at..].chars().next()?;
        if self.peek(ch.len_utf8()) == b'\'' {
            self.skip(ch.len_utf8() + 1);
            self.suffix();
            return Some(Tree::Other);
        }
        if !is_word_start(self.peek(0)) {
            return None;
        }
        self.word();
        Some(Tree::Other)
    }

    fn number(&mut self) {
        loop {
            match self.peek(0) {
                b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    // An exponent's sign: `1e-3`, `2E+8` (not `0x1e-3`, which is rare
                    // enough, and harmless here).
                    let exponent = matches!(self.peek(0), b'e' | b'E')
                        && matches!(self.peek(1), b'+' | b'-')
                        && self.peek(2).is_ascii_digit();
                    self.skip(if exponent { 2 } else { 1 });
                }
                // A fraction, not a range (`1..2`) or a method call (`1.max(2)`).
                b'.' if self.peek(1).is_ascii_digit() => self.skip(1),
                _ => return,
            }
        }
    }

    /// A literal's suffix (`"…"suffix`, `'x'u8`), if any.
    fn suffix(&mut self) {
        if is_word_start(self.peek(0)) {
            self.word();
        }
    }

    fn word(&mut self) -> Word<'a> {
        let start = self.at;
        if self.peek(0) == b'r' && self.peek(1) == b'#' {
            self.skip(2);
        }
        while self.at < self.bytes.len() {
            let byte = self.bytes[self.at];
            if byte.is_ascii_alphanumeric() || byte == b'_' {
                self.skip(1);
            } else if !byte.is_ascii() {
                let ch = self.source[self.at..].chars().next().unwrap_or(' ');
                if ch.is_whitespace() {
                    break;
                }
                self.skip(ch.len_utf8());
            } else {
                break;
            }
        }
        Word {
            text: &self.source[start..self.at],
            start,
            line: self.line,
            line_start: self.line_start,
        }
    }
}

fn is_word_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || !byte.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word of `source`, groups included, with line and column.
    fn words(source: &str) -> Vec<(String, usize, usize)> {
        fn walk(source: &str, trees: &[Tree<'_>], out: &mut Vec<(String, usize, usize)>) {
            for tree in trees {
                match tree {
                    Tree::Word(w) => out.push((w.text.to_string(), w.line, w.column(source))),
                    Tree::Group(g) => walk(source, &g.trees, out),
                    Tree::Punct(_) | Tree::Other => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(source, &lex(source).expect("lexes"), &mut out);
        out
    }

    fn w(text: &str, line: usize, column: usize) -> (String, usize, usize) {
        (text.to_string(), line, column)
    }

    #[test]
    fn literals_and_comments_hide_what_they_hold() {
        let source = r###"a "{ b" r#"c "} d"# br##"e"# }"## b"{" b'}' c"f" cr#"}"#
/* g /* nested { */ h */ i // j {
'k' '\'' '\u{7b}' 'é' 'l x'm"###;
        // `'l` and `'m` are lifetimes.
        assert_eq!(words(source), [w("a", 1, 0), w("i", 2, 25), w("x", 3, 25)]);
    }

    #[test]
    fn words_keep_raw_identifiers_and_count_columns_in_characters() {
        let source = "\u{feff}r#type ünï_code\n\tfn x_1 1.5e-3f32 0x1F.max";
        assert_eq!(
            words(source),
            [
                w("r#type", 1, 0),
                w("ünï_code", 1, 7),
                w("fn", 2, 1),
                w("x_1", 2, 4),
                w("max", 2, 23),
            ]
        );
    }

    #[test]
    fn a_shebang_line_is_skipped_but_an_inner_attribute_is_not() {
        assert_eq!(words("#!/usr/bin/env run\nfn"), [w("fn", 2, 0)]);
        assert_eq!(words("#![allow(x)]"), [w("allow", 1, 3), w("x", 1, 9)]);
    }

    #[test]
    fn arrows_are_one_punct() {
        let trees = lex("a -> b => c > d").unwrap();
        let puncts: Vec<char> = trees
            .iter()
            .filter_map(|t| match t {
                Tree::Punct(p) => Some(*p),
                _ => None,
            })
            .collect();
        assert_eq!(puncts, ['-', '=', '>']);
    }

    #[test]
    fn what_does_not_lex_yields_nothing() {
        for source in ["\"open", "r#\"open\"", "/* open", "(]", "{", ")", "'"] {
            assert!(lex(source).is_none(), "{source:?}");
        }
    }
}
