//! Names derived by `#[counted]`, computed at compile time.
//!
//! A function-level `#[counted]` cannot see its module, so the macro emits
//! `module_path!()` and these `const fn`s turn it into a counter name while the program
//! compiles: `::` becomes `/` and `_` becomes `-` (Go's convention of `-` between
//! words), then the function part chosen by the macro follows. `my_tool::cache` and
//! `lookup` give `my-tool/cache/lookup`.

/// The longest counter name a declaration may have, in bytes (histogram bucket and
/// label suffixes included). Chain names of stack counters are longer by construction.
pub const MAX_NAME_LEN: usize = 200;

/// The length of the name derived from `module_path` and `tail`. Fails compilation when
/// it would exceed [`MAX_NAME_LEN`].
pub const fn derived_len(module_path: &str, tail: &str) -> usize {
    let bytes = module_path.as_bytes();
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        i += if is_separator(bytes, i) { 2 } else { 1 };
        len += 1;
    }
    let len = len + 1 + tail.len();
    if len > MAX_NAME_LEN {
        panic!(
            "the counter name derived by #[counted] is longer than 200 bytes; give it an explicit name"
        );
    }
    len
}

/// The bytes of the name derived from `module_path` and `tail`; `N` is
/// [`derived_len`] of the same arguments.
pub const fn derived<const N: usize>(module_path: &str, tail: &str) -> [u8; N] {
    let bytes = module_path.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    let mut o = 0;
    while i < bytes.len() {
        if is_separator(bytes, i) {
            out[o] = b'/';
            i += 2;
        } else {
            out[o] = if bytes[i] == b'_' { b'-' } else { bytes[i] };
            i += 1;
        }
        o += 1;
    }
    out[o] = b'/';
    o += 1;
    let tail = tail.as_bytes();
    let mut j = 0;
    while j < tail.len() {
        out[o] = tail[j];
        o += 1;
        j += 1;
    }
    out
}

/// `bytes` as text, for a `const`. Fails compilation if they are not UTF-8 (they always
/// are: they come from a module path and an identifier).
pub const fn as_str(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("derived counter name is not UTF-8"),
    }
}

const fn is_separator(bytes: &[u8], i: usize) -> bool {
    i + 1 < bytes.len() && bytes[i] == b':' && bytes[i + 1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    const MP: &str = "my_tool::disk_cache::v2";
    const LEN: usize = derived_len(MP, "Entry/load-all");
    static NAME: [u8; LEN] = derived::<LEN>(MP, "Entry/load-all");

    #[test]
    fn module_separators_become_slashes_and_underscores_dashes() {
        assert_eq!(as_str(&NAME), "my-tool/disk-cache/v2/Entry/load-all");
    }

    #[test]
    fn a_crate_root_function_is_crate_slash_function() {
        const L: usize = derived_len("kv", "main");
        static N: [u8; L] = derived::<L>("kv", "main");
        assert_eq!(as_str(&N), "kv/main");
    }
}
