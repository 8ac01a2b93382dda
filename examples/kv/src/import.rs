//! The import file format: one `key=value` per line.
//!
//! Blank lines and lines starting with `#` are skipped; spaces around the key and the
//! value are ignored; the value is everything after the first `=`, so it may hold `=`.

/// A line of an import file that is not `key=value`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadLine {
    /// The line number, from 1.
    pub(crate) line: usize,
    /// What is wrong with it.
    pub(crate) problem: &'static str,
}

/// Every pair of `text`, in order; the first bad line fails the whole file, so a bad
/// file imports nothing.
pub(crate) fn parse(text: &str) -> Result<Vec<(&str, &str)>, BadLine> {
    let mut pairs = Vec::new();
    for (at, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |problem| BadLine {
            line: at + 1,
            problem,
        };
        let (key, value) = line.split_once('=').ok_or(bad("expected key=value"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(bad("the key is empty"));
        }
        pairs.push((key, value.trim()));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_read_in_order_skipping_blank_lines_and_comments() {
        let text = "# colours\n\ndelta = 4\r\nepsilon=5=five\n  # indented comment\n";
        assert_eq!(parse(text), Ok(vec![("delta", "4"), ("epsilon", "5=five")]));
    }

    #[test]
    fn the_first_bad_line_is_reported_by_number() {
        let missing = BadLine {
            line: 2,
            problem: "expected key=value",
        };
        assert_eq!(parse("a=1\nnonsense\n=3"), Err(missing));
        let empty = BadLine {
            line: 1,
            problem: "the key is empty",
        };
        assert_eq!(parse(" =3"), Err(empty));
    }
}
