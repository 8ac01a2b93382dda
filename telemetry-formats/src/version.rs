//! The one way every versioned JSON format is first looked at: its version field is
//! read before anything else, so a reader can say "a newer format" about a document it
//! cannot read, instead of a confusing complaint about a field it does not know.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};

/// The number in the top-level field `field` of the JSON object `bytes`, `None` when
/// the object has no such field (or it is `null`). Everything else in the object is
/// skipped unread. An error when `bytes` is not one JSON object, or the field is not
/// a whole number.
pub(crate) fn version(bytes: &[u8], field: &'static str) -> Result<Option<u64>, serde_json::Error> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let found = Probe(field).deserialize(&mut json)?;
    json.end()?;
    Ok(found)
}

/// Reads the field its name says from a JSON object.
struct Probe(&'static str);

impl<'de> DeserializeSeed<'de> for Probe {
    type Value = Option<u64>;

    fn deserialize<D: serde::Deserializer<'de>>(self, json: D) -> Result<Option<u64>, D::Error> {
        json.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Probe {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object with a `{}` number", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<u64>, A::Error> {
        let mut found: Option<Option<u64>> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key != self.0 {
                map.next_value::<IgnoredAny>()?;
            } else if found.is_some() {
                return Err(A::Error::duplicate_field(self.0));
            } else {
                found = Some(map.next_value()?);
            }
        }
        Ok(found.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_alone() {
        let doc = br#"{"x": [1, {"format": 9}], "format": 2, "more": "text"}"#;
        assert_eq!(version(doc, "format").unwrap(), Some(2));
        assert_eq!(version(br#"{"other": 1}"#, "format").unwrap(), None);
        assert_eq!(version(br#"{"format": null}"#, "format").unwrap(), None);
        assert_eq!(
            version(br#"{"manifest_format": 1}"#, "manifest_format").unwrap(),
            Some(1)
        );
    }

    #[test]
    fn what_is_not_an_object_with_a_number_there_is_an_error() {
        for bad in [
            &b"[1]"[..],
            b"not json",
            br#"{"format": "1"}"#,
            br#"{"format": -1}"#,
            br#"{"format": 1, "format": 1}"#,
            br#"{"format": 1} trailing"#,
        ] {
            assert!(
                version(bad, "format").is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
