//! A stack counter's chains: each is a counter named by the stack counter's name and
//! the names of the `#[counted]` frames around the count, innermost first, one per
//! line: `kv/bug/corrupt-record\nkvlite/parse/parse-record\nkvlite/store/Store/get`.

/// What separates the parts of a chain's name.
pub const SEPARATOR: char = '\n';

/// The stack counter's name and the frames of a chain's name, innermost first.
pub fn split(chain: &str) -> (&str, std::str::Split<'_, char>) {
    let mut parts = chain.split(SEPARATOR);
    let owner = parts.next().unwrap_or("");
    (owner, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_is_the_stack_counter() {
        let (owner, frames) = split("kv/bug\nkv/parse\nkv/get");
        assert_eq!(owner, "kv/bug");
        assert_eq!(frames.collect::<Vec<_>>(), ["kv/parse", "kv/get"]);
        let (owner, mut frames) = split("kv/bug");
        assert_eq!((owner, frames.next()), ("kv/bug", None));
    }
}
