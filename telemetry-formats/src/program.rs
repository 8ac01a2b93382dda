//! The identity of one build of a program: all a counter file or a report ever says
//! about where its counts come from.

/// What identifies one build of a program in file names and reports. Nothing else
/// about the machine or the user is ever recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The package name of the program (`CARGO_PKG_NAME`).
    pub name: String,
    /// Its version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// The Rust toolchain it was built with: `1.95.0`, or `devel` for a pre-release.
    pub toolchain: String,
    /// The target operating system (`linux`, `macos`, `windows`, …).
    pub os: String,
    /// The target architecture (`x86_64`, `aarch64`, …).
    pub arch: String,
}

impl ProgramInfo {
    /// The metadata lines of a counter file, in format order.
    pub fn meta(&self) -> Vec<(String, String)> {
        [
            ("program", &self.name),
            ("version", &self.version),
            ("toolchain", &self.toolchain),
            ("os", &self.os),
            ("arch", &self.arch),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }
}
