//! What the docs test reads from a Markdown file: its fenced code blocks (with their
//! info string, their lines and the `docs-test` directive written before them) and
//! the inline code spans of its prose, each with the line it is on.

/// A fenced code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The info string: `sh`, `console`, `rust,no_run`, … (empty for none).
    pub info: String,
    /// The line of the opening fence (1-based).
    pub fence_line: usize,
    /// Every line between the fences, with its line number, the fence's indentation
    /// removed.
    pub lines: Vec<(usize, String)>,
    /// The `<!-- docs-test: … -->` directive just before the block, if any.
    pub directive: Option<Directive>,
}

impl Block {
    /// The first word of the info string, the language (`rust` for `rust,no_run`).
    pub fn language(&self) -> &str {
        self.info
            .split([',', ' ', '{'])
            .next()
            .unwrap_or_default()
            .trim()
    }

    /// Whether the docs test runs the block as commands: `sh`, `bash`, `shell` (every
    /// line is a command) and `console` (lines after a `$ ` prompt are).
    pub fn is_shell(&self) -> bool {
        matches!(self.language(), "sh" | "bash" | "shell" | "console")
    }
}

/// What a doc author tells the docs test about the next block, in an HTML comment
/// (invisible when the Markdown is rendered) on the line before it or a few blank
/// lines above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `<!-- docs-test: skip: REASON -->`: the block is not run. A reason is required.
    Skip(String),
    /// `<!-- docs-test: server -->`: the block's last command runs until it is
    /// stopped (a server): the test starts it in the background, waits for its first
    /// line of output, checks that it is still running and stops it.
    Server,
    /// `<!-- docs-test: continues -->`: the block goes on from the shell block before
    /// it, in the same scratch directory and shell (variables, aliases and files
    /// carry over), as a reader following the page does.
    Continues,
}

/// The syntax of directives, for error messages.
pub const DIRECTIVES: &str = "`<!-- docs-test: skip: REASON -->`, `<!-- docs-test: server -->` \
     or `<!-- docs-test: continues -->`";

/// An inline code span: `` `telemetry show --json` ``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The line the span starts on (1-based).
    pub line: usize,
    /// Its text, a line break inside it read as a space.
    pub text: String,
}

/// A Markdown file, as the docs test sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Doc {
    /// Its fenced code blocks, in order.
    pub blocks: Vec<Block>,
    /// Its inline code spans outside code blocks, in order.
    pub spans: Vec<Span>,
    /// Mistakes in directives: (line, message).
    pub problems: Vec<(usize, String)>,
}

/// Reads a Markdown text.
pub fn parse(text: &str) -> Doc {
    let mut doc = Doc::default();
    // The fence being read: (its character, its length, its indentation, the block).
    let mut open: Option<(char, usize, usize, Block)> = None;
    let mut directive: Option<(usize, Directive)> = None;
    let mut paragraph: Vec<(usize, &str)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some((fence_char, fence_len, indent, block)) = &mut open {
            if closes(line, *fence_char, *fence_len) {
                if let Some((_, _, _, block)) = open.take() {
                    doc.blocks.push(block);
                }
            } else {
                block
                    .lines
                    .push((number, unindent(line, *indent).to_string()));
            }
            continue;
        }
        if let Some((fence_char, fence_len, indent, info)) = opens(line) {
            spans_of(&paragraph, &mut doc.spans);
            paragraph.clear();
            let block = Block {
                info: info.to_string(),
                fence_line: number,
                lines: Vec::new(),
                directive: directive.take().map(|(_, d)| d),
            };
            open = Some((fence_char, fence_len, indent, block));
            continue;
        }
        let trimmed = line.trim();
        if let Some(body) = trimmed
            .strip_prefix("<!--")
            .and_then(|rest| rest.trim_start().strip_prefix("docs-test:"))
        {
            match parse_directive(body) {
                Ok(found) => {
                    if let Some((earlier, _)) = directive.replace((number, found)) {
                        doc.problems.push((
                            earlier,
                            "this docs-test directive is followed by another one, not by a code block"
                                .to_string(),
                        ));
                    }
                }
                Err(message) => doc.problems.push((number, message)),
            }
            continue;
        }
        if trimmed.is_empty() {
            spans_of(&paragraph, &mut doc.spans);
            paragraph.clear();
            continue;
        }
        if let Some((at, _)) = directive.take() {
            doc.problems.push((
                at,
                "a docs-test directive must come just before the code block it is about"
                    .to_string(),
            ));
        }
        paragraph.push((number, line));
    }
    spans_of(&paragraph, &mut doc.spans);
    if let Some((_, _, _, block)) = open {
        doc.problems.push((
            block.fence_line,
            "this code block is never closed".to_string(),
        ));
    }
    if let Some((at, _)) = directive {
        doc.problems.push((
            at,
            "a docs-test directive at the end of the file, with no code block after it".to_string(),
        ));
    }
    doc
}

/// `(fence character, fence length, indentation, info string)` when `line` opens a
/// fenced code block.
fn opens(line: &str) -> Option<(char, usize, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let fence_char = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let fence_len = rest.len() - rest.trim_start_matches(fence_char).len();
    if fence_len < 3 {
        return None;
    }
    let info = rest[fence_len..].trim();
    // A backtick fence's info string holds no backtick (that is an inline span).
    if fence_char == '`' && info.contains('`') {
        return None;
    }
    Some((fence_char, fence_len, indent, info))
}

/// Whether `line` closes a block opened with `fence_len` × `fence_char`.
fn closes(line: &str, fence_char: char, fence_len: usize) -> bool {
    let rest = line.trim();
    let run = rest.len() - rest.trim_start_matches(fence_char).len();
    run >= fence_len && rest[run..].trim().is_empty()
}

/// `line` without up to `indent` leading spaces.
fn unindent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

/// Reads the text after `docs-test:` up to `-->`.
fn parse_directive(body: &str) -> Result<Directive, String> {
    let Some(body) = body.trim_end().strip_suffix("-->") else {
        return Err(format!("a docs-test directive is one line: {DIRECTIVES}"));
    };
    let body = body.trim();
    match body {
        "server" => return Ok(Directive::Server),
        "continues" => return Ok(Directive::Continues),
        _ => {}
    }
    if let Some(reason) = body.strip_prefix("skip") {
        let reason = reason.trim_start_matches([':', ' ']).trim();
        if reason.is_empty() {
            return Err(format!(
                "`docs-test: skip` needs a reason, for the next reader: {DIRECTIVES}"
            ));
        }
        return Ok(Directive::Skip(reason.to_string()));
    }
    Err(format!(
        "unknown docs-test directive {body:?}; the directives are {DIRECTIVES}"
    ))
}

/// Adds the inline code spans of one paragraph (consecutive non-blank lines) to
/// `spans`. A span may continue on the next line; a run of backticks is closed by the
/// next run of the same length, as CommonMark says.
fn spans_of(paragraph: &[(usize, &str)], spans: &mut Vec<Span>) {
    if paragraph.is_empty() {
        return;
    }
    // The paragraph as one text, and where each of its lines starts in it.
    let mut text = String::new();
    let mut starts = Vec::new();
    for (number, line) in paragraph {
        starts.push((text.len(), *number));
        text.push_str(line);
        text.push('\n');
    }
    let line_at = |offset: usize| {
        starts
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .map_or(0, |(_, number)| *number)
    };
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'`' || (at > 0 && bytes[at - 1] == b'\\') {
            at += 1;
            continue;
        }
        let run = bytes[at..].iter().take_while(|&&b| b == b'`').count();
        let body_start = at + run;
        let Some(close) = find_run(bytes, body_start, run) else {
            at = body_start;
            continue;
        };
        let body = text[body_start..close].replace('\n', " ");
        let body = match body.strip_prefix(' ').and_then(|b| b.strip_suffix(' ')) {
            Some(inner) if !inner.trim().is_empty() => inner.to_string(),
            _ => body,
        };
        spans.push(Span {
            line: line_at(at),
            text: body,
        });
        at = close + run;
    }
}

/// The offset of the next run of exactly `run` backticks at or after `from`.
fn find_run(bytes: &[u8], from: usize, run: usize) -> Option<usize> {
    let mut at = from;
    while at < bytes.len() {
        if bytes[at] == b'`' {
            let len = bytes[at..].iter().take_while(|&&b| b == b'`').count();
            if len == run {
                return Some(at);
            }
            at += len;
        } else {
            at += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_carry_their_info_lines_and_directive() {
        let doc = parse(
            "# Title\n\nRun `kv demo`:\n\n<!-- docs-test: skip: it runs forever -->\n```sh\ncargo run\n  indented\n```\n\n   ~~~~console\n   $ telemetry\n   ~~~~\n",
        );
        assert_eq!(doc.problems, vec![]);
        assert_eq!(
            doc.blocks,
            vec![
                Block {
                    info: "sh".into(),
                    fence_line: 6,
                    lines: vec![(7, "cargo run".into()), (8, "  indented".into())],
                    directive: Some(Directive::Skip("it runs forever".into())),
                },
                Block {
                    info: "console".into(),
                    fence_line: 11,
                    lines: vec![(12, "$ telemetry".into())],
                    directive: None,
                },
            ]
        );
        assert_eq!(
            doc.spans,
            vec![Span {
                line: 3,
                text: "kv demo".into()
            }]
        );
    }

    #[test]
    fn a_span_may_cross_a_line_break_and_use_double_backticks() {
        let doc = parse(
            "See `cargo build --release -p kv && strip\ntarget/release/kv` and `` a`b `` or ``` `x` ```.\n",
        );
        let texts: Vec<(usize, &str)> = doc
            .spans
            .iter()
            .map(|s| (s.line, s.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            vec![
                (1, "cargo build --release -p kv && strip target/release/kv"),
                (2, "a`b"),
                (2, "`x`"),
            ]
        );
    }

    #[test]
    fn spans_inside_code_blocks_are_not_spans() {
        let doc = parse("```text\n`not a span`\n```\n");
        assert!(doc.spans.is_empty());
        assert_eq!(doc.blocks[0].lines, vec![(2, "`not a span`".into())]);
    }

    #[test]
    fn the_language_is_the_first_word_of_the_info_string() {
        for (info, language, shell) in [
            ("rust,no_run", "rust", false),
            ("sh", "sh", true),
            ("console", "console", true),
            ("bash title", "bash", true),
            ("", "", false),
        ] {
            let block = Block {
                info: info.into(),
                fence_line: 1,
                lines: vec![],
                directive: None,
            };
            assert_eq!((block.language(), block.is_shell()), (language, shell));
        }
    }

    #[test]
    fn directive_mistakes_are_reported_with_their_line() {
        let doc = parse(
            "<!-- docs-test: skip -->\n```sh\nx\n```\n<!-- docs-test: sikp: x -->\n```sh\nx\n```\n<!-- docs-test: server -->\ntext\n```sh\nx\n```\n<!-- docs-test: server -->\n",
        );
        let lines: Vec<usize> = doc.problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![1, 5, 9, 14], "{:?}", doc.problems);
        assert!(doc.problems[0].1.contains("needs a reason"));
        assert!(
            doc.problems[1]
                .1
                .contains("unknown docs-test directive \"sikp: x\"")
        );
        assert!(doc.problems[2].1.contains("just before the code block"));
        assert!(doc.problems[3].1.contains("end of the file"));
        assert!(doc.blocks.iter().all(|b| b.directive.is_none()));
    }

    #[test]
    fn an_unclosed_block_is_a_problem() {
        let doc = parse("```sh\nkv demo\n");
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(doc.problems[0].0, 1);
    }
}
