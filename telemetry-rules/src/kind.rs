//! The kinds of counter, and how a declaration's kind is written for people.

use std::fmt;

/// What a declaration declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A plain counter: `counter!("name")`, `#[counted]`.
    Basic,
    /// A stack counter: `stack_counter!("name", depth = N)`.
    Stack,
    /// One bucket of a histogram: `histogram!("name", [bounds…])`.
    Bucket,
    /// One label of a label set: `counter!("chart:{a,b}")`.
    Label,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 4] = [Kind::Basic, Kind::Stack, Kind::Bucket, Kind::Label];

    /// Its name in manifests and tables: `basic`, `stack`, `bucket` or `label`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Basic => "basic",
            Kind::Stack => "stack",
            Kind::Bucket => "bucket",
            Kind::Label => "label",
        }
    }

    /// The kind of a name as [`as_str`](Kind::as_str) writes it.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Its code in manifest records (see [`record`](crate::record)).
    pub const fn code(self) -> u16 {
        match self {
            Kind::Basic => 0,
            Kind::Stack => 1,
            Kind::Bucket => 2,
            Kind::Label => 3,
        }
    }

    /// The kind of a record code, if it is a counter's.
    pub const fn from_code(code: u16) -> Option<Kind> {
        match code {
            0 => Some(Kind::Basic),
            1 => Some(Kind::Stack),
            2 => Some(Kind::Bucket),
            3 => Some(Kind::Label),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declaration's kind with what makes two declarations of one name compatible (they
/// are when their shapes print the same), as people read it: `basic`, `stack, depth 8`,
/// `histogram bucket of [10ms, 50ms]`, `label of {vim,other}`. `L` is the labels' type.
#[derive(Clone, Copy, Debug)]
pub enum Shape<'a, L> {
    /// A plain counter.
    Basic,
    /// A stack counter recording `depth` frames.
    Stack {
        /// Its depth.
        depth: usize,
    },
    /// A bucket of the histogram with these bounds and unit.
    Bucket {
        /// Every bound, increasing.
        bounds: &'a [u64],
        /// Appended to each bound.
        unit: &'a str,
    },
    /// A label of the set with these labels.
    Label {
        /// Every label, the fallback included.
        labels: &'a [L],
    },
}

impl<L: AsRef<str>> fmt::Display for Shape<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Basic => f.write_str("basic"),
            Shape::Stack { depth } => write!(f, "stack, depth {depth}"),
            Shape::Bucket { bounds, unit } => {
                f.write_str("histogram bucket of [")?;
                for (i, bound) in bounds.iter().enumerate() {
                    let comma = if i > 0 { ", " } else { "" };
                    write!(f, "{comma}{bound}{unit}")?;
                }
                f.write_str("]")
            }
            Shape::Label { labels } => {
                f.write_str("label of {")?;
                for (i, label) in labels.iter().enumerate() {
                    let comma = if i > 0 { "," } else { "" };
                    write!(f, "{comma}{}", label.as_ref())?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.as_str()), Some(kind));
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(Kind::from_name("histogram"), None);
        assert_eq!(Kind::from_code(16), None, "the program record's code");
    }

    #[test]
    fn shapes_read_as_in_a_manifest() {
        let none: &[&str] = &[];
        assert_eq!(Shape::Label { labels: none }.to_string(), "label of {}");
        let basic: Shape<'_, &str> = Shape::Basic;
        assert_eq!(basic.to_string(), "basic");
        let stack: Shape<'_, &str> = Shape::Stack { depth: 8 };
        assert_eq!(stack.to_string(), "stack, depth 8");
        let bucket: Shape<'_, &str> = Shape::Bucket {
            bounds: &[10, 50],
            unit: "ms",
        };
        assert_eq!(bucket.to_string(), "histogram bucket of [10ms, 50ms]");
        let labels = ["vim".to_string(), "other".to_string()];
        assert_eq!(
            Shape::Label { labels: &labels }.to_string(),
            "label of {vim,other}"
        );
    }
}
