//! What `#[counted]`'s expansion evaluates at compile time for a name it derives from
//! `module_path!()`: the name's length, then the counter's manifest record with the
//! name in it, from which the counter takes its name.
//!
//! Every `#[counted]` function without an explicit name pays for this in the compiler's
//! const evaluator, where each function call and each loop turn is costly, so it is
//! written for that: one loop over the module path per item, arrays moved whole, no
//! calls into `core` beyond `as_bytes`, no second UTF-8 check. The name is derived as
//! `telemetry_runtime::names::derived` derives it (`::` becomes `/`, `_` becomes `-`,
//! then `/` and the tail); the tests hold the two to the same bytes.

use telemetry_runtime::names::MAX_NAME_LEN;

/// The length of the name derived from `module_path` and `tail`. Fails compilation when
/// it exceeds the longest name a declaration may have.
pub const fn derived_name_len(module_path: &str, tail: &str) -> usize {
    let path = module_path.as_bytes();
    let end = path.len();
    let mut len = 0;
    let mut i = 0;
    while i < end {
        i += if path[i] == b':' && i + 1 < end && path[i + 1] == b':' {
            2
        } else {
            1
        };
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

/// The manifest record of a counter whose name is derived: `head` (magic, version and
/// kind), the record's length, `middle` (line, kind argument, origin), the name's
/// length, the name (`NAME` bytes, from [`derived_name_len`]), then `rest`, all encoded
/// by the macro (`REST` bytes). Byte for byte the record the runtime's layout defines.
///
/// Its fields are private and [`DerivedRecord::new`] is the only way to build one, so
/// `name` always holds UTF-8.
#[repr(C)]
pub struct DerivedRecord<const NAME: usize, const REST: usize> {
    head: [u8; 8],
    len: [u8; 4],
    middle: [u8; 12],
    name_len: [u8; 4],
    name: [u8; NAME],
    rest: [u8; REST],
}

impl<const NAME: usize, const REST: usize> DerivedRecord<NAME, REST> {
    /// The record named from `module_path` and `tail`. Fails compilation when `NAME` is
    /// not [`derived_name_len`] of them.
    pub const fn new(
        head: &[u8; 8],
        middle: &[u8; 12],
        module_path: &str,
        tail: &str,
        rest: &[u8; REST],
    ) -> Self {
        let mut name = [0u8; NAME];
        let path = module_path.as_bytes();
        let end = path.len();
        let mut i = 0;
        let mut at = 0;
        while i < end {
            if path[i] == b':' && i + 1 < end && path[i + 1] == b':' {
                name[at] = b'/';
                i += 2;
            } else {
                name[at] = if path[i] == b'_' { b'-' } else { path[i] };
                i += 1;
            }
            at += 1;
        }
        name[at] = b'/';
        at += 1;
        let tail = tail.as_bytes();
        let mut j = 0;
        while j < tail.len() {
            name[at] = tail[j];
            at += 1;
            j += 1;
        }
        assert!(at == NAME, "derived name length mismatch");
        DerivedRecord {
            head: *head,
            len: le(28 + NAME + REST),
            middle: *middle,
            name_len: le(NAME),
            name,
            rest: *rest,
        }
    }

    /// The counter's name.
    pub const fn name(&'static self) -> &'static str {
        // SAFETY: `new` filled `name` with the bytes of two `&str`s, one of them with
        // some ASCII bytes replaced by other ASCII bytes. UTF-8 sequences of several
        // bytes hold no ASCII byte, so the result is UTF-8 throughout.
        unsafe { core::str::from_utf8_unchecked(&self.name) }
    }

    /// The whole record, as the manifest section holds it.
    pub const fn bytes(&'static self) -> &'static [u8] {
        let start: *const Self = self;
        // SAFETY: a `repr(C)` struct of byte arrays has alignment 1 and no padding:
        // its `size_of` bytes are all initialized, and they live as long as `self`.
        unsafe { core::slice::from_raw_parts(start.cast::<u8>(), size_of::<Self>()) }
    }
}

/// `n` as the record's little-endian `u32`.
const fn le(n: usize) -> [u8; 4] {
    [n as u8, (n >> 8) as u8, (n >> 16) as u8, (n >> 24) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_runtime::__private::{RecordParts, as_str, assemble_record, assembled_len};
    use telemetry_runtime::names::{derived, derived_len};

    const PATH: &str = "my_tool::disk_cache::v2::ünïcode_mod";
    const TAIL: &str = "Entry/Display/load-all";
    const HEAD: [u8; 24] = *b"TTMR\x01\0\x02\0\0\0\0\0\x07\0\0\0\x09\0\0\0\0\0\0\0";
    const REST: &[u8; 9] = b"\x05\0\0\0rest!";

    const LEN: usize = derived_name_len(PATH, TAIL);
    static RECORD: DerivedRecord<LEN, 9> = DerivedRecord::new(
        b"TTMR\x01\0\x02\0",
        b"\x07\0\0\0\x09\0\0\0\0\0\0\0",
        PATH,
        TAIL,
        REST,
    );

    static NAME: [u8; derived_len(PATH, TAIL)] = derived(PATH, TAIL);
    const PARTS: RecordParts = RecordParts {
        head: &HEAD,
        name: as_str(&NAME),
        rest: REST,
    };
    static ASSEMBLED: [u8; assembled_len(&PARTS)] = assemble_record(&PARTS);

    #[test]
    fn the_name_is_the_runtimes_derived_name() {
        assert_eq!(LEN, derived_len(PATH, TAIL));
        assert_eq!(RECORD.name(), as_str(&NAME));
        assert_eq!(
            RECORD.name(),
            "my-tool/disk-cache/v2/ünïcode-mod/Entry/Display/load-all"
        );
    }

    #[test]
    fn the_record_is_the_runtimes_assembled_record() {
        assert_eq!(RECORD.bytes(), &ASSEMBLED[..]);
    }

    #[test]
    fn a_crate_root_function() {
        const L: usize = derived_name_len("kv", "main");
        static R: DerivedRecord<L, 0> = DerivedRecord::new(&[0; 8], &[0; 12], "kv", "main", &[]);
        assert_eq!(R.name(), "kv/main");
        assert_eq!(R.bytes().len(), 28 + "kv/main".len());
    }
}
