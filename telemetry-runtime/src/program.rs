//! Declaring the program: what it is, which namespace it belongs to, and starting it.

use std::borrow::Cow;
use std::path::Path;

use telemetry_formats::mode::{DefaultMode, Defaults, Mode};
use telemetry_formats::program::ProgramInfo;

use crate::counter::Counter;
use crate::prompt::Prompt;
use crate::session::Session;
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
    /// The distributor's default mode, from the build environment.
    distributor_mode: Option<DefaultMode>,
    /// True when the distributor built the program with `TELEMETRY_DEFAULT_PROMPT=never`.
    distributor_no_prompt: bool,
    /// The prompt, when the program asks.
    prompt: Option<Prompt>,
    /// What the prompt's "more" says would be sent: the upload crate's, with the
    /// `upload` feature; set by `program!()`.
    facts: Option<PromptFacts>,
}

/// What the prompt's "more" answer shows of what would be sent: given the namespace
/// directory and this week's non-zero counts, a few lines of text, read from files
/// only (no network). Not public API: the facade passes the upload crate's.
#[doc(hidden)]
pub type PromptFacts = fn(&Path, &[(&str, u64)]) -> String;

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
            distributor_mode: None,
            distributor_no_prompt: false,
            prompt: None,
            facts: None,
        }
    }

    /// Sets the distributor's build settings, `TELEMETRY_DEFAULT_MODE` and
    /// `TELEMETRY_DEFAULT_PROMPT` as `option_env!` saw them. Not public API: used by
    /// `telemetry::program!()`, which refuses any other value at compile time; should
    /// one still get here, it fails closed (`off`, and no prompt).
    #[doc(hidden)]
    pub fn __distributor(mut self, mode: Option<&str>, prompt: Option<&str>) -> Program {
        let mode = mode.filter(|m| !m.is_empty());
        let prompt = prompt.filter(|p| !p.is_empty());
        self.distributor_mode = mode.map(|m| m.parse().unwrap_or(DefaultMode::Off));
        self.distributor_no_prompt =
            prompt.is_some() || mode.is_some_and(|m| m.parse::<DefaultMode>().is_err());
        self
    }

    /// Sets what the prompt's "more" shows of what would be sent. Not public API:
    /// used by `telemetry::program!()`.
    #[doc(hidden)]
    pub fn __prompt_facts(mut self, facts: Option<PromptFacts>) -> Program {
        self.facts = facts;
        self
    }

    /// Asks the person at the terminal, once it is due, whether the program may upload
    /// its weekly counts: `prompt` comes from `telemetry::prompt!("reason")`, with the
    /// author's reason (what the maintainers want to learn). The rules of where, when
    /// and what are the library's (`docs/CONSENT.md`): never in CI, under an override,
    /// a policy or a distributor's setting, or once the user has answered; after a
    /// grace period, for a sample of installations, a few times at most, days apart.
    /// Only a program that names a collector ([`upload`](Program::upload)) asks.
    pub fn prompt(mut self, prompt: Prompt) -> Program {
        self.prompt = Some(prompt);
        self
    }

    /// The defaults that decide the mode when the user has chosen none: the
    /// distributor's, then the program's.
    pub fn defaults(&self) -> Defaults {
        Defaults {
            distributor: self.distributor_mode,
            program: self.default_mode,
        }
    }

    /// True when the distributor built the program with `TELEMETRY_DEFAULT_PROMPT=never`
    /// or a default mode of its own: the program never asks.
    pub fn distributor_setting(&self) -> bool {
        self.distributor_no_prompt || self.distributor_mode.is_some()
    }

    pub(crate) fn prompt_settings(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    pub(crate) fn facts(&self) -> Option<PromptFacts> {
        self.facts
    }

    /// The collector's URL, when the program names one.
    pub(crate) fn collector(&self) -> Option<&(String, String)> {
        self.upload.as_ref()
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
}
