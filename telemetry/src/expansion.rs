//! What `#[counted]`'s expansion evaluates at compile time for a name it derives from
//! `module_path!()`: the counter's manifest record with the name in it, and the counter
//! named by it.
//!
//! Every `#[counted]` function without an explicit name pays for this in the compiler's
//! const evaluator, where each function call and each loop turn is costly, so it is
//! written for that. The record's `static` has a size the macro knows, with room for
//! the longest name, so no constant has to be evaluated for its type (an array length
//! computed from the module path cost more than all the rest of the record); one loop
//! over the module path writes the name, reading it by slice patterns, without index
//! arithmetic; arrays are moved whole; the few calls into `core` are the cheapest. The
//! counter is built by one call too. The name is derived by the rule of
//! `telemetry_rules::derived` (`::` becomes `/`, `_` becomes `-`, then `/` and the
//! tail); the tests hold the two to the same bytes.

use telemetry_rules::MAX_NAME_LEN;
use telemetry_rules::record::LEN_AT;
use telemetry_runtime::__private::{Counter, Decl, Kind, Origin};

/// The length of the name derived from `module_path` and `tail`. Fails compilation when
/// it exceeds the longest name a declaration may have.
pub(crate) const fn derived_name_len(module_path: &str, tail: &str) -> usize {
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

/// The manifest record of a counter whose name is derived: `fixed`, everything the
/// macro encoded (the header, whose length field is filled in here, and every field
/// before the name), then the name, a `u32` length and its bytes. Byte for byte the
/// record the runtime's layout defines, followed by zero bytes up to the longest name,
/// which readers skip like the padding a linker leaves between records.
///
/// Its fields are private and [`DerivedRecord::new`] is the only way to build one, so
/// `name` always holds UTF-8.
#[repr(C)]
pub struct DerivedRecord<const FIXED: usize> {
    fixed: [u8; FIXED],
    name_len: [u8; 4],
    name: [u8; MAX_NAME_LEN],
}

impl<const FIXED: usize> DerivedRecord<FIXED> {
    /// The record named from `module_path` and `tail`. Fails compilation when the name
    /// is longer than a declaration's may be.
    pub const fn new(fixed: &[u8; FIXED], module_path: &str, tail: &str) -> Self {
        // The name is at most the module path, `/` and the tail: only when that bound
        // is too long may the name be, and the exact length fails compilation if so.
        if module_path.len() + tail.len() >= MAX_NAME_LEN {
            derived_name_len(module_path, tail);
        }
        let mut name = [0u8; MAX_NAME_LEN];
        let mut at = 0;
        let mut rest = module_path.as_bytes();
        while let [byte, more @ ..] = rest {
            rest = more;
            name[at] = match *byte {
                b':' => match rest {
                    [b':', more @ ..] => {
                        rest = more;
                        b'/'
                    }
                    _ => b':',
                },
                b'_' => b'-',
                other => other,
            };
            at += 1;
        }
        name[at] = b'/';
        at += 1;
        let mut rest = tail.as_bytes();
        while let [byte, more @ ..] = rest {
            rest = more;
            name[at] = *byte;
            at += 1;
        }
        let mut fixed = *fixed;
        let total = FIXED + 4 + at;
        fixed[LEN_AT] = total as u8;
        fixed[LEN_AT + 1] = (total >> 8) as u8;
        fixed[LEN_AT + 2] = (total >> 16) as u8;
        fixed[LEN_AT + 3] = (total >> 24) as u8;
        DerivedRecord {
            fixed,
            // A name is shorter than 256 bytes (see `_NAME_LEN_IN_ONE_BYTE`).
            name_len: [at as u8, 0, 0, 0],
            name,
        }
    }

    /// The counter of a `#[counted]` function, named by this record: a basic counter
    /// whose name is derived, for its registry `static`. One call with the `Decl`'s
    /// other fields as arguments costs the compiler less per declaration than a `Decl`
    /// literal in each one.
    pub const fn counter(
        &'static self,
        description: &'static str,
        file: &'static str,
        line: u32,
        module_path: &'static str,
    ) -> Counter {
        Counter::__new(Decl {
            name: self.name(),
            kind: Kind::Basic,
            description,
            file,
            line,
            module_path,
            origin: Origin::Derived,
            record: self.bytes(),
        })
    }

    /// The counter's name.
    pub const fn name(&'static self) -> &'static str {
        let len = self.name_len[0] as usize;
        // SAFETY: `new` wrote `len` bytes at the start of `name`, the bytes of two
        // `&str`s, one of them with some ASCII bytes replaced by other ASCII bytes.
        // UTF-8 sequences of several bytes hold no ASCII byte, so they are UTF-8
        // throughout; `len` is at most `name.len()`.
        unsafe {
            core::str::from_utf8_unchecked(&*core::ptr::slice_from_raw_parts(
                self.name.as_ptr(),
                len,
            ))
        }
    }

    /// The whole record, as the manifest section holds it (without the room left).
    pub const fn bytes(&'static self) -> &'static [u8] {
        let len = FIXED + 4 + self.name_len[0] as usize;
        let start: *const Self = self;
        // SAFETY: a `repr(C)` struct of byte arrays has alignment 1 and no padding:
        // its `size_of` bytes are all initialized and live as long as `self`, and `len`
        // is at most `size_of::<Self>()`.
        unsafe { &*core::ptr::slice_from_raw_parts(start.cast::<u8>(), len) }
    }
}

/// The accessors read a name's length from its first byte alone.
const _NAME_LEN_IN_ONE_BYTE: () = assert!(MAX_NAME_LEN < 256);
/// A const panic cannot format its message: `derived_name_len`'s names the limit.
const _LIMIT_IN_THE_MESSAGE: () = assert!(MAX_NAME_LEN == 200);

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_rules::derived;

    const PATH: &str = "my_tool::disk_cache::v2::ünïcode_mod";
    const TAIL: &str = "Entry/Display/load-all";
    /// A header (its length field 0) and five empty strings and an empty list.
    const FIXED: [u8; 48] = *b"TTMR\x02\0\0\0\0\0\0\0\x07\0\0\0\x09\0\0\0\0\0\0\0\
        \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

    static RECORD: DerivedRecord<48> = DerivedRecord::new(&FIXED, PATH, TAIL);

    /// The name as the rule derives it.
    const NAME: &str = "my-tool/disk-cache/v2/ünïcode-mod/Entry/Display/load-all";

    #[test]
    fn the_name_is_the_rules_derived_name() {
        assert_eq!(RECORD.name(), derived::name(PATH, TAIL));
        assert_eq!(RECORD.name(), NAME);
        assert_eq!(derived_name_len(PATH, TAIL), RECORD.name().len());
    }

    #[test]
    fn the_record_is_the_fixed_part_then_the_name_with_the_length_filled_in() {
        // The layout of `telemetry_formats::manifest::record`: the macro's bytes with
        // the record's total length at `LEN_AT`, then the name as a `u32` length and
        // its bytes.
        let mut expected = FIXED.to_vec();
        let total = (FIXED.len() + 4 + NAME.len()) as u32;
        expected[LEN_AT..LEN_AT + 4].copy_from_slice(&total.to_le_bytes());
        expected.extend_from_slice(&(NAME.len() as u32).to_le_bytes());
        expected.extend_from_slice(NAME.as_bytes());
        assert_eq!(RECORD.bytes(), &expected[..]);
        let record = telemetry_formats::manifest::record::decode_all(RECORD.bytes()).unwrap();
        let telemetry_formats::manifest::Record::Counter(counter) = &record[0] else {
            panic!("{record:?}");
        };
        assert_eq!(counter.name, RECORD.name());
    }

    #[test]
    fn a_crate_root_function() {
        static R: DerivedRecord<48> = DerivedRecord::new(&FIXED, "kv", "main");
        assert_eq!(R.name(), "kv/main");
        assert_eq!(R.bytes().len(), 48 + 4 + "kv/main".len());
        // The room left for a longer name is zero bytes.
        assert_eq!(size_of::<DerivedRecord<48>>(), 48 + 4 + MAX_NAME_LEN);
    }

    #[test]
    fn the_longest_name_fits_even_from_a_longer_module_path() {
        // 70 segments `a`: 208 bytes of module path, 139 of name; with the tail, 200.
        const LONG: &str = "a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a::a";
        const TAIL_60: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
        static R: DerivedRecord<48> = DerivedRecord::new(&FIXED, LONG, TAIL_60);
        assert_eq!(R.name().len(), MAX_NAME_LEN);
        assert_eq!(R.name(), derived::name(LONG, TAIL_60));
    }
}
