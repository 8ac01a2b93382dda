//! Declaring the program: what it is, which namespace it belongs to, and starting it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use telemetry_formats::mode::{DefaultMode, Mode, ModeSource};
use telemetry_formats::program::ProgramInfo;

use crate::counter::Counter;
use crate::stack::StackCounter;

/// A program about to start telemetry: `telemetry::program!()` builds it from the
/// calling crate's Cargo metadata; `telemetry::start!()` is `program!().start()`.
///
/// ```no_run
/// # use telemetry_formats::DefaultMode;
/// # use telemetry_runtime::Program;
/// # fn program() -> Program { Program::__new("acme-build", "1.2.0", &[]) }
/// let session = program()
///     .namespace("acme") // every acme tool shares one mode
///     .default_mode(DefaultMode::Off) // count nothing until the user says so
///     .start();
/// ```
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `start()`"]
pub struct Program {
    info: ProgramInfo,
    namespace: Cow<'static, str>,
    default_mode: DefaultMode,
    /// The counters of the panic hook, declared by `program!()`.
    crash: Option<(&'static Counter, &'static StackCounter)>,
    /// The collector's URL and public key, when the program uploads.
    upload: Option<(String, String)>,
    /// What starts uploads: the upload crate's, when the facade's `upload` feature is
    /// on; set by `program!()`.
    upload_hook: Option<UploadHook>,
}

/// What `start` calls when the program names a collector: with the effective mode,
/// the namespace directory, the URL and the key. Returns why nothing can be uploaded.
/// Not public API: the facade passes the upload crate's `on_start`.
#[doc(hidden)]
pub type UploadHook = fn(Mode, &Path, &str, &str) -> Result<(), String>;

impl Program {
    /// Describes the calling program. Not public API: use `telemetry::program!()`,
    /// which also passes the program's manifest record, so that the linker keeps it.
    #[doc(hidden)]
    pub fn __new(name: &str, version: &str, record: &'static [u8]) -> Program {
        std::hint::black_box(record);
        Program {
            info: ProgramInfo {
                name: name.to_string(),
                version: version.to_string(),
                toolchain: env!("TELEMETRY_TOOLCHAIN").to_string(),
                os: std::env::consts::OS.to_string(),
                arch: std::env::consts::ARCH.to_string(),
            },
            namespace: Cow::Borrowed(telemetry_formats::dirs::DEFAULT_NAMESPACE),
            default_mode: DefaultMode::Local,
            crash: None,
            upload: None,
            upload_hook: None,
        }
    }

    /// Uploads weekly reports to the collector at `url` (`https://…`; plain `http://`
    /// only to a loopback address), trusting only configs signed by `key`
    /// (`ed25519:<64 hex digits>`, printed by `telemetry config keygen`). Nothing is
    /// uploaded unless the user chose `on`, and nothing from before that day; the work
    /// happens in a detached child process at most once a day, so the program is never
    /// delayed. Needs the `upload` feature of `transparent-telemetry`.
    #[cfg(feature = "upload")]
    pub fn upload(mut self, url: impl Into<String>, key: impl Into<String>) -> Program {
        self.upload = Some((url.into(), key.into()));
        self
    }

    /// Sets what starts uploads. Not public API: used by `telemetry::program!()`.
    #[doc(hidden)]
    pub fn __upload_hook(mut self, hook: Option<UploadHook>) -> Program {
        self.upload_hook = hook;
        self
    }

    /// The collector and the hook, when both are set.
    pub(crate) fn upload_settings(&self) -> Option<(&str, &str, UploadHook)> {
        let (url, key) = self.upload.as_ref()?;
        Some((url, key, self.upload_hook?))
    }

    /// Sets the counters of the panic hook `start` installs. Not public API: used by
    /// `telemetry::program!()`, which declares them under the program's name.
    #[doc(hidden)]
    pub fn __crash_counters(
        mut self,
        (panics, stack): (&'static Counter, &'static StackCounter),
    ) -> Program {
        self.crash = Some((panics, stack));
        self
    }

    /// Programs of one namespace share a telemetry directory and one mode, so a user
    /// turns them all off at once. The default is `default`, shared by every program
    /// that does not choose; a suite of tools may pick its own name (1 to 64 of
    /// `[a-z0-9._-]`).
    pub fn namespace(mut self, namespace: impl Into<Cow<'static, str>>) -> Program {
        self.namespace = namespace.into();
        self
    }

    /// The mode of a fresh install, before the user chooses: `Local` (the default) or
    /// `Off`. Never `on`: only a person may turn uploading on.
    pub fn default_mode(mut self, mode: DefaultMode) -> Program {
        self.default_mode = mode;
        self
    }

    /// What the program reports itself as.
    pub fn info(&self) -> &ProgramInfo {
        &self.info
    }

    /// Reads the mode and, when it allows, opens this week's counter file, carrying
    /// into it whatever was counted before, and installs the panic hook that counts
    /// crashes. Never fails and never panics: problems leave counting in memory and
    /// are listed in the returned [`Session`]. Only the first call in a process does
    /// anything; later ones return its session.
    pub fn start(self) -> &'static Session {
        if let Some((panics, stack)) = self.crash {
            crate::crash::install(panics, stack);
        }
        crate::session::start(self)
    }

    pub(crate) fn namespace_name(&self) -> &str {
        &self.namespace
    }

    pub(crate) fn default(&self) -> DefaultMode {
        self.default_mode
    }
}

/// What `start` found and did.
#[derive(Clone, Debug)]
pub struct Session {
    pub(crate) program: ProgramInfo,
    pub(crate) mode: Mode,
    pub(crate) source: ModeSource,
    pub(crate) dir: Option<PathBuf>,
    pub(crate) file: Option<PathBuf>,
    pub(crate) problems: Vec<String>,
}

impl Session {
    /// The program.
    pub fn program(&self) -> &ProgramInfo {
        &self.program
    }

    /// The effective mode of this process.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Why the mode is what it is.
    pub fn mode_source(&self) -> &ModeSource {
        &self.source
    }

    /// The namespace's telemetry directory, if there is one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The counter file opened at start, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// What went wrong, if anything: a directory that could not be created, a file
    /// set aside as unreadable… Counting goes on in memory either way.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}
