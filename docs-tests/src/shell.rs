//! The commands of a shell block, and the bash script that runs them.
//!
//! A block's commands are run by one `bash` process, in order, each line as written.
//! The script keeps every command on the line number it has in the doc (lines that are
//! not commands become blank), so that bash's own messages and the test's name the
//! doc's line. Around each command the script records which line runs, the command's
//! output and its exit status; the first command that fails ends the block.

use crate::markdown::{Block, Directive};

/// One command: one line, or several joined by a trailing `\`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellCommand {
    /// The doc line it starts on.
    pub line: usize,
    /// The doc line it ends on.
    pub end_line: usize,
    /// Its text as written, lines joined with `\n`, the trailing comment removed.
    pub text: String,
    /// Whether it ends with `&`: it runs in the background until it ends or the block
    /// does.
    pub background: bool,
    /// The output the doc shows after it (`console` blocks only).
    pub expected: Vec<String>,
    /// The exit status the doc shows (`[exit status N]`), 0 when it shows none.
    pub expected_status: i32,
    /// Whether its output and status are compared with the doc's (`console`), rather
    /// than its failure ending the block (`sh`).
    pub compare: bool,
    /// Whether it is a server that runs until stopped (the `server` directive).
    pub server: bool,
}

/// The line that gives a `console` command's expected exit status.
pub const EXIT_STATUS_PREFIX: &str = "[exit status ";

/// The commands of a `sh` or `console` block, or the first line the docs test cannot
/// run, with why.
pub fn commands(block: &Block) -> Result<Vec<ShellCommand>, (usize, String)> {
    let console = block.language() == "console";
    let mut commands: Vec<ShellCommand> = Vec::new();
    let mut continuing: Option<ShellCommand> = None;
    for (number, raw) in &block.lines {
        if let Some(mut command) = continuing.take() {
            let (code, more) = code_of(raw);
            command.text.push('\n');
            command.text.push_str(&code);
            command.end_line = *number;
            if more {
                continuing = Some(command);
            } else {
                commands.push(finish(command)?);
            }
            continue;
        }
        let line = if console {
            match raw.strip_prefix("$ ") {
                Some(command) => command,
                None => {
                    match commands.last_mut() {
                        Some(last) => last.expected.push(raw.trim_end().to_string()),
                        None if raw.trim().is_empty() => {}
                        None => {
                            return Err((
                                *number,
                                "a `console` block starts with a command after `$ `".to_string(),
                            ));
                        }
                    }
                    continue;
                }
            }
        } else {
            raw.as_str()
        };
        let (code, more) = code_of(line);
        if code.trim().is_empty() && !more {
            continue;
        }
        let command = ShellCommand {
            line: *number,
            end_line: *number,
            text: code,
            background: false,
            expected: Vec::new(),
            expected_status: 0,
            compare: console,
            server: false,
        };
        if more {
            continuing = Some(command);
        } else {
            commands.push(finish(command)?);
        }
    }
    if let Some(command) = continuing {
        return Err((
            command.line,
            "this command ends with `\\` but no line follows it".to_string(),
        ));
    }
    for command in &mut commands {
        while command.expected.last().is_some_and(|l| l.trim().is_empty()) {
            command.expected.pop();
        }
        if let Some(status) = command
            .expected
            .last()
            .and_then(|l| l.strip_prefix(EXIT_STATUS_PREFIX))
            .and_then(|l| l.strip_suffix(']'))
        {
            command.expected_status = status.trim().parse().map_err(|_| {
                (
                    command.end_line,
                    format!("`{EXIT_STATUS_PREFIX}N]` needs a number, not {status:?}"),
                )
            })?;
            command.expected.pop();
        }
    }
    if block.directive == Some(Directive::Server) {
        match commands.last_mut() {
            Some(last) if !last.background => last.server = true,
            _ => {
                return Err((
                    block.fence_line,
                    "the `server` directive is for a block whose last command runs in the \
                     foreground until it is stopped"
                        .to_string(),
                ));
            }
        }
    }
    Ok(commands)
}

/// Checks a whole command and notes whether it runs in the background.
fn finish(mut command: ShellCommand) -> Result<ShellCommand, (usize, String)> {
    let text = command.text.trim_end();
    let first = text.split_whitespace().next().unwrap_or_default();
    if matches!(
        first,
        "if" | "then"
            | "else"
            | "elif"
            | "fi"
            | "for"
            | "while"
            | "until"
            | "do"
            | "done"
            | "case"
            | "esac"
            | "function"
            | "select"
            | "{"
            | "}"
    ) || first.ends_with("()")
        || text.ends_with('|')
        || text.ends_with("&&")
        || text.ends_with("||")
        || has_heredoc(text)
    {
        return Err((
            command.line,
            "the docs test runs one command per line (continue a long one with `\\`): \
             no compound commands, heredocs or lines ending in `|`, `&&` or `||`; write \
             it on one line, or skip the block with a directive"
                .to_string(),
        ));
    }
    if text.ends_with('&') && !text.ends_with("&&") {
        command.background = true;
        command.text = text.trim_end_matches('&').trim_end().to_string();
    } else {
        command.text = text.to_string();
    }
    Ok(command)
}

/// Whether the command has a heredoc (`<<WORD`), outside quotes.
fn has_heredoc(text: &str) -> bool {
    let mut quote = None;
    let mut previous = ' ';
    for c in text.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '<') if previous == '<' => return true,
            _ => {}
        }
        previous = c;
    }
    false
}

/// The code of one line without its trailing comment, and whether it ends with a `\`
/// that continues it on the next line. A `#` starts a comment at the start of a word
/// outside quotes, as in the shell.
pub fn code_of(line: &str) -> (String, bool) {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous: Option<char> = None;
    let mut end = line.len();
    for (at, c) in line.char_indices() {
        if escaped {
            escaped = false;
            previous = Some(c);
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if previous.is_none_or(char::is_whitespace) => {
                end = at;
                break;
            }
            (None, _) => {}
        }
        previous = Some(c);
    }
    // As in the shell, only a `\` that is the very last character continues the line.
    if end == line.len()
        && let Some(code) = line.strip_suffix('\\')
        && !escaped_at_end(code)
    {
        return (code.trim_end().to_string() + " ", true);
    }
    (line[..end].trim_end().to_string(), false)
}

/// Whether `text` ends with an odd number of backslashes (its last one escaped the one
/// removed after it).
fn escaped_at_end(text: &str) -> bool {
    (text.len() - text.trim_end_matches('\\').len()) % 2 == 1
}

/// The names of the script's helper functions and of the files it writes, shared with
/// the code that reads them.
pub mod files {
    /// The line being run, rewritten before each command.
    pub const AT: &str = "at";
    /// `LINE STATUS` of the command that failed; its presence ends the block.
    pub const FAILED: &str = "failed";
    /// `LINE PID`, one line per command started in the background.
    pub const BACKGROUND: &str = "background";
    /// `LINE running|exited STATUS`, one line per background command, at the end.
    pub const BACKGROUND_END: &str = "background.end";
    /// The output of the command on line N is in `out.N`, its status in `status.N`.
    pub fn output(line: usize) -> String {
        format!("out.{line}")
    }
    /// See [`output`].
    pub fn status(line: usize) -> String {
        format!("status.{line}")
    }
}

/// The functions every script starts with. `$DOCS_TEST_OUT` is the directory the
/// files of [`files`] are written to.
pub const PRELUDE: &str = r#"set -o pipefail
shopt -s expand_aliases
__docs_at() { printf '%s\n' "$1" > "$DOCS_TEST_OUT/at"; }
__docs_status() { printf '%s\n' "$2" > "$DOCS_TEST_OUT/status.$1"; }
__docs_fail() { printf '%s %s\n' "$1" "$2" > "$DOCS_TEST_OUT/failed"; __docs_end; exit 0; }
__docs_bg() { printf '%s %s\n' "$1" "$2" >> "$DOCS_TEST_OUT/background"; }
__docs_alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
__docs_stop() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 1 100); do __docs_alive "$1" || break; sleep 0.05; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
__docs_end() {
    local line pid status
    [ -e "$DOCS_TEST_OUT/background" ] || return 0
    while read -r line pid; do
        if __docs_alive "$pid"; then
            __docs_stop "$pid"
            printf '%s running\n' "$line" >> "$DOCS_TEST_OUT/background.end"
        else
            wait "$pid" 2>/dev/null; status=$?
            printf '%s exited %s\n' "$line" "$status" >> "$DOCS_TEST_OUT/background.end"
        fi
    done < "$DOCS_TEST_OUT/background"
}
__docs_first_line() {
    for _ in $(seq 1 1200); do
        [ -s "$DOCS_TEST_OUT/out.$1" ] && return 0
        __docs_alive "$2" || return 0
        sleep 0.05
    done
}
"#;

/// The script of one or more blocks' commands: `source PRELUDE` on line 1, each
/// command on its own doc line, wrapped so that its output goes to `out.LINE`; the end
/// of the script after the last line. A command of a `sh` block that fails ends the
/// script; one of a `console` block has its status recorded. A server runs in the
/// background, and the script goes on once it printed a line.
pub fn script(prelude: &str, commands: &[ShellCommand]) -> String {
    let last_line = commands.iter().map(|c| c.end_line).max().unwrap_or(1);
    let mut lines = vec![String::new(); last_line.max(1)];
    lines[0] = format!("source {}", quoted(prelude));
    for command in commands {
        let line = command.line;
        let out = format!("\"$DOCS_TEST_OUT/{}\"", files::output(line));
        let body: Vec<&str> = command.text.split('\n').collect();
        let (open, close) = if command.background || command.server {
            // A server is ready once it printed a line (or it ended).
            let wait = if command.server {
                format!("; __docs_first_line {line} $!")
            } else {
                String::new()
            };
            (
                format!("__docs_at {line}; {{ "),
                format!(" & }} >{out} 2>&1; __docs_bg {line} $!{wait}"),
            )
        } else {
            let after = if command.compare {
                format!("; __docs_status {line} $?")
            } else {
                format!("|| __docs_fail {line} $?")
            };
            (
                format!("__docs_at {line}; {{ "),
                format!(" ; }} >{out} 2>&1 {after}"),
            )
        };
        for (offset, part) in body.iter().enumerate() {
            let mut text = String::new();
            if offset == 0 {
                text.push_str(&open);
            }
            text.push_str(part);
            if offset + 1 == body.len() {
                text.push_str(&close);
            } else {
                text.push_str(" \\");
            }
            lines[line - 1 + offset] = text;
        }
    }
    lines.push("__docs_end".to_string());
    let mut script = lines.join("\n");
    script.push('\n');
    script
}

/// `text` in single quotes for the shell.
pub fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(info: &str, first: usize, lines: &[&str]) -> Block {
        Block {
            info: info.into(),
            fence_line: first - 1,
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| (first + i, l.to_string()))
                .collect(),
            directive: None,
        }
    }

    #[test]
    fn comments_end_at_a_word_boundary_outside_quotes() {
        assert_eq!(code_of("kv demo   # a comment"), ("kv demo".into(), false));
        assert_eq!(
            code_of("echo 'a # b' \"c # d\" e#f ${#x}"),
            ("echo 'a # b' \"c # d\" e#f ${#x}".into(), false)
        );
        assert_eq!(code_of("echo \\# x"), ("echo \\# x".into(), false));
        assert_eq!(code_of("# only a comment"), (String::new(), false));
        assert_eq!(
            code_of("serve --config c.json \\"),
            ("serve --config c.json ".into(), true)
        );
        assert_eq!(code_of("serve \\"), ("serve ".into(), true));
        // A backslash before spaces escapes a space: no continuation, as in bash.
        assert_eq!(code_of("a \\   # not continued"), ("a \\".into(), false));
    }

    #[test]
    fn continued_lines_make_one_command_and_a_trailing_ampersand_runs_it_in_the_background() {
        let commands = commands(&block(
            "sh",
            10,
            &[
                "export A=1   # set",
                "",
                "serve --config c.json \\",
                "    --manifest m.json &     # http://127.0.0.1:8700",
                "a && b",
            ],
        ))
        .unwrap();
        let summary: Vec<(usize, usize, &str, bool)> = commands
            .iter()
            .map(|c| (c.line, c.end_line, c.text.as_str(), c.background))
            .collect();
        assert_eq!(
            summary,
            vec![
                (10, 10, "export A=1", false),
                (
                    12,
                    13,
                    "serve --config c.json \n    --manifest m.json",
                    true
                ),
                (14, 14, "a && b", false),
            ]
        );
    }

    #[test]
    fn console_blocks_have_prompts_expected_output_and_statuses() {
        let commands = commands(&block(
            "console",
            3,
            &[
                "$ telemetry manifest kv --check m.json",
                "m.json is stale: [..]",
                "...",
                "[exit status 1]",
                "$ echo \\",
                "  done",
                "done",
                "",
            ],
        ))
        .unwrap();
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[0].expected, vec!["m.json is stale: [..]", "..."]);
        assert_eq!(commands[0].expected_status, 1);
        assert_eq!((commands[1].line, commands[1].end_line), (7, 8));
        assert_eq!(commands[1].expected, vec!["done"]);
        assert_eq!(commands[1].expected_status, 0);
    }

    #[test]
    fn what_cannot_run_line_by_line_is_refused_with_its_line() {
        for (lines, bad) in [
            (&["ok", "for x in a b; do echo $x; done"][..], 2),
            (&["cat <<EOF"][..], 1),
            (&["a |", "b"][..], 1),
            (&["ok", "tail \\"][..], 2),
        ] {
            let error = commands(&block("sh", 1, lines)).unwrap_err();
            assert_eq!(error.0, bad, "{lines:?}: {error:?}");
        }
        assert_eq!(
            commands(&block("console", 1, &["output first"]))
                .unwrap_err()
                .0,
            1
        );
        assert_eq!(
            commands(&block("console", 1, &["$ x", "[exit status one]"]))
                .unwrap_err()
                .0,
            1
        );
    }

    #[test]
    fn the_script_keeps_each_command_on_its_doc_line() {
        let commands = commands(&block(
            "sh",
            3,
            &[
                "kv demo",
                "# comment",
                "serve \\",
                "  --x &",
                "telemetry on",
            ],
        ))
        .unwrap();
        let script = script("/p", &commands);
        let lines: Vec<&str> = script.lines().collect();
        assert_eq!(lines[0], "source '/p'");
        assert_eq!(lines[1], "");
        assert_eq!(
            lines[2],
            "__docs_at 3; { kv demo ; } >\"$DOCS_TEST_OUT/out.3\" 2>&1 || __docs_fail 3 $?"
        );
        assert_eq!(lines[3], "");
        assert_eq!(lines[4], "__docs_at 5; { serve  \\");
        assert_eq!(
            lines[5],
            "  --x & } >\"$DOCS_TEST_OUT/out.5\" 2>&1; __docs_bg 5 $!"
        );
        assert!(lines[6].starts_with("__docs_at 7; { telemetry on ;"));
        assert_eq!(lines[7], "__docs_end");
    }
}
