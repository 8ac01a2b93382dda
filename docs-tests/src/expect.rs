//! Expected output, as a `console` block shows it: compared line by line, trailing
//! spaces ignored. Two wildcards keep what changes from run to run out of the
//! comparison: `[..]` inside a line stands for any text on that line, and a line
//! that is only `...` stands for any number of lines, none included.

/// The wildcard line.
pub const ANY_LINES: &str = "...";
/// The wildcard within a line.
pub const ANY_TEXT: &str = "[..]";

/// Whether the output `actual` is what `expected` shows.
pub fn matches(expected: &[String], actual: &str) -> bool {
    let actual: Vec<&str> = actual.lines().map(str::trim_end).collect();
    let expected: Vec<&str> = expected.iter().map(|l| l.trim_end()).collect();
    // reach[i][j]: expected[i..] matches actual[j..].
    let (e, a) = (expected.len(), actual.len());
    let mut reach = vec![vec![false; a + 1]; e + 1];
    reach[e][a] = true;
    for i in (0..e).rev() {
        for j in (0..=a).rev() {
            reach[i][j] = if expected[i] == ANY_LINES {
                reach[i + 1][j] || (j < a && reach[i][j + 1])
            } else {
                j < a && line_matches(expected[i], actual[j]) && reach[i + 1][j + 1]
            };
        }
    }
    reach[0][0]
}

/// Whether one line matches a pattern line with `[..]` wildcards.
pub fn line_matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split(ANY_TEXT);
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn lines_match_exactly_but_for_trailing_spaces() {
        assert!(matches(&lines("a\nb"), "a  \nb\n"));
        assert!(!matches(&lines("a\nb"), "a\nb\nc\n"));
        assert!(!matches(&lines("a\nb"), "a\n"));
        assert!(matches(&[], ""));
        assert!(!matches(&[], "x\n"));
    }

    #[test]
    fn an_ellipsis_line_matches_any_number_of_lines() {
        let pattern = lines("first\n...\nlast");
        assert!(matches(&pattern, "first\nlast\n"));
        assert!(matches(&pattern, "first\n1\n2\nlast\n"));
        assert!(!matches(&pattern, "first\n1\n"));
        assert!(matches(&lines("..."), ""));
        assert!(matches(&lines("...\nx\n..."), "a\nx\nb\n"));
    }

    #[test]
    fn a_wildcard_in_a_line_matches_any_text() {
        assert!(line_matches(
            "kv: [..] counters -> [..]",
            "kv: 42 counters -> docs/kv.json"
        ));
        assert!(line_matches("[..]", ""));
        assert!(line_matches("a[..]b[..]c", "abc"));
        assert!(!line_matches("a[..]b", "ac"));
        assert!(!line_matches("ab[..]b", "ab"));
        assert!(!line_matches("exact", "exactly"));
    }
}
