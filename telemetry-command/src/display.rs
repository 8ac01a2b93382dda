//! How names, dates and sizes read on a terminal.
//!
//! Everything shown comes from files another program wrote, so control characters
//! are escaped rather than sent to the terminal. A stack-counter chain name,
//! `prefix\nframe\nframe…` on disk, is shown as `prefix <- frame <- frame…`.

use telemetry_formats::date;
use telemetry_formats::file::Header;

/// What separates the frames of a stack-counter chain when shown.
pub const CHAIN_SEPARATOR: &str = " <- ";

/// `text` with every control character escaped (`\t`, `\u{1b}`, …), so that nothing read
/// from a file reaches a terminal raw and each item stays on one line.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A counter name for a terminal: chain frames joined by [`CHAIN_SEPARATOR`],
/// anything else unprintable escaped.
pub fn counter_name(name: &str) -> String {
    name.split('\n')
        .map(escaped)
        .collect::<Vec<_>>()
        .join(CHAIN_SEPARATOR)
}

/// `YYYY-MM-DD` of a Unix time in seconds.
pub fn day(unix_secs: u64) -> String {
    date::format(date::day_of(unix_secs))
}

/// `begin..end` of a file's week, the end day not included.
pub fn week(header: &Header) -> String {
    format!("{}..{}", day(header.begin), day(header.end))
}

/// `kv 0.1.0, toolchain 1.95.0, linux x86_64, week 2026-11-19..2026-11-26`.
pub fn header(header: &Header) -> String {
    let field = |key| escaped(header.get(key));
    format!(
        "{} {}, toolchain {}, {} {}, week {}",
        field("program"),
        field("version"),
        field("toolchain"),
        field("os"),
        field("arch"),
        week(header)
    )
}

/// A number and its noun, singular for exactly one: `count(1, "report", "reports")`
/// is `1 report`, `count(0, …)` is `0 reports`.
pub fn count<N>(n: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// A byte count with its unit: `1 byte`, `16384 bytes`, `1.2 MiB (1258291 bytes)`.
pub fn bytes(n: u64) -> String {
    match n {
        1 => "1 byte".to_string(),
        0..1_048_576 => format!("{n} bytes"),
        _ => format!("{:.1} MiB ({n} bytes)", n as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_show_frames_joined_by_arrows() {
        assert_eq!(
            counter_name("kv/bug\nkv/parse\nkv/get"),
            "kv/bug <- kv/parse <- kv/get"
        );
        assert_eq!(counter_name("plain/name"), "plain/name");
    }

    #[test]
    fn control_characters_are_escaped_not_printed() {
        assert_eq!(escaped("a\tb\u{1b}[31m"), "a\\tb\\u{1b}[31m");
        assert_eq!(counter_name("a\r\nb"), "a\\r <- b");
    }

    #[test]
    fn one_is_singular_and_every_other_number_plural() {
        assert_eq!(count(1, "program", "programs"), "1 program");
        assert_eq!(count(0, "program", "programs"), "0 programs");
        assert_eq!(count(2usize, "entry", "entries"), "2 entries");
        assert_eq!(count(1u64, "file", "files"), "1 file");
    }

    #[test]
    fn sizes_carry_their_unit() {
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(16_384), "16384 bytes");
        assert_eq!(bytes(3 << 20), "3.0 MiB (3145728 bytes)");
    }
}
