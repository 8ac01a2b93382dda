//! Test data: a report of the example program, and a deterministic random source.

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
