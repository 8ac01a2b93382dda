//! Upload bodies padded to a size class, so that a body's length does not single out
//! its sender (`docs/UPLOAD.md`, "The body is padded to a size class").
//!
//! The body is the report's JSON followed by ASCII spaces up to the smallest class that
//! holds it: 1 KiB; then powers of two up to 64 KiB; then multiples of 32 KiB. Spaces
//! after a JSON document are whitespace every JSON reader skips, so the padded bytes
//! read as the same report; and the padding depends on the report alone, so the same
//! report is always the same bytes.

/// The smallest class.
pub const MIN_CLASS: usize = 1024;
/// The largest class that is a power of two; above it classes step by
/// [`LARGE_STEP`].
pub const MAX_POWER_CLASS: usize = 64 * 1024;
/// The step between classes above [`MAX_POWER_CLASS`].
pub const LARGE_STEP: usize = 32 * 1024;

/// The length of a body holding `len` bytes of JSON.
pub fn size_class(len: usize) -> usize {
    if len <= MAX_POWER_CLASS {
        len.max(MIN_CLASS).next_power_of_two()
    } else {
        len.div_ceil(LARGE_STEP).saturating_mul(LARGE_STEP)
    }
}

/// `json` followed by spaces up to its size class.
pub fn pad(mut json: Vec<u8>) -> Vec<u8> {
    let class = size_class(json.len());
    json.resize(class, b' ');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_1_kib_powers_of_two_to_64_kib_then_steps_of_32_kib() {
        for (len, class) in [
            (0, 1024),
            (1, 1024),
            (1024, 1024),
            (1025, 2048),
            (3000, 4096),
            (4096, 4096),
            (40_000, 65_536),
            (65_536, 65_536),
            (65_537, 98_304),
            (98_304, 98_304),
            (98_305, 131_072),
            (200_000, 229_376),
        ] {
            assert_eq!(size_class(len), class, "{len}");
        }
    }

    #[test]
    fn padding_is_spaces_after_the_document_and_reads_as_the_same_json() {
        let json = b"{\"a\": 1.5}\n".to_vec();
        let padded = pad(json.clone());
        assert_eq!(padded.len(), 1024);
        assert_eq!(&padded[..json.len()], &json[..]);
        assert!(padded[json.len()..].iter().all(|&b| b == b' '));
        let read: serde_json::Value = serde_json::from_slice(&padded).unwrap();
        assert_eq!(read, serde_json::json!({"a": 1.5}));
        assert_eq!(
            pad(padded.clone()),
            padded,
            "a padded body is its own class"
        );
    }
}
