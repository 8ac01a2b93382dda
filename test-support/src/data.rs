//! Test data: a report and a counter file of the example program, and a deterministic
//! random source.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use telemetry_formats::date::DAY;
use telemetry_formats::file::format::{Layout, buckets_for, encode_new, place};
use telemetry_formats::file::{self, Header};
use telemetry_formats::report::{FORMAT, ProgramReport, Report};

/// A report of `kv` 0.1.0 (toolchain 1.95.0, linux x86_64) for `week`, sampled at `x`,
/// naming the config version `config`, holding `counters` and the chains `stacks`.
pub fn kv_report(
    week: &str,
    x: f64,
    config: &str,
    counters: &[(&str, u64)],
    stacks: &[(&str, u64)],
) -> Report {
    let owned = |pairs: &[(&str, u64)]| pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    Report {
        format: FORMAT,
        week: week.into(),
        last_week: String::new(),
        x,
        config: config.into(),
        programs: vec![ProgramReport {
            program: "kv".into(),
            version: "0.1.0".into(),
            toolchain: "1.95.0".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            counters: owned(counters),
            stacks: owned(stacks),
        }],
    }
}

/// Writes into `local` a counter file of kv 0.1.0 (toolchain 1.95.0, linux x86_64)
/// for the week of days `begin..begin + 7`, holding `counts`, through the format's own
/// encoder, checks that it reads back, and returns its path.
pub fn kv_counter_file(local: &Path, begin: u64, counts: &[(&str, u64)]) -> PathBuf {
    let header = Header {
        meta: [
            ("program", "kv"),
            ("version", "0.1.0"),
            ("toolchain", "1.95.0"),
            ("os", "linux"),
            ("arch", "x86_64"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec(),
        begin: begin * DAY,
        end: (begin + 7) * DAY,
    };
    let names: Vec<&str> = counts.iter().map(|(n, _)| *n).collect();
    let mut bytes = encode_new(&header, &names).expect("a counter file");
    // A record starts with its count; encode_new placed them in order from the start.
    let meta_len: usize = header.meta.iter().map(|(k, v)| k.len() + v.len() + 3).sum();
    let mut limit = Layout::new(meta_len, buckets_for(names.len())).records_start;
    for (name, value) in counts {
        let (start, end) = place(limit, name.len()).expect("room for the record");
        let start = start as usize;
        bytes[start..start + 8].copy_from_slice(&value.to_ne_bytes());
        limit = end;
    }
    let path = local.join(file::file_name(&header));
    std::fs::write(&path, bytes).expect("written");
    let read: BTreeMap<String, u64> = file::read(&path)
        .expect("it reads back")
        .counters
        .into_iter()
        .collect();
    let wanted: BTreeMap<String, u64> = counts.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    assert_eq!(read, wanted);
    path
}

/// A small deterministic random source (xorshift), so that a failing random case
/// reproduces from its seed. Not for secrets.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A number in (0, 1).
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}
