//! **Transparent telemetry for Rust programs**: counters declared at compile time,
//! counted locally in a few nanoseconds, and known in full before the program runs.
//!
//! A program counts events in named counters. Every counter is declared by a macro,
//! which places it in a static registry, so the complete list of names a binary can
//! ever count is fixed when it is built: [`registry()`] lists it, reviewers audit it,
//! and nothing outside it can ever be counted.
//!
//! ```
//! // Count the calls of a function: named `mytool/cache/lookup` from its crate,
//! // module and name (here the doc test's own), or by an explicit name.
//! #[telemetry::counted]
//! fn lookup(key: &str) -> Option<usize> {
//!     (key.len() > 3).then_some(key.len())
//! }
//!
//! // Count anything, anywhere.
//! fn on_hit() {
//!     telemetry::counter!("mytool/cache:hit").inc();
//! }
//!
//! // Buckets chosen at run time, declared at compile time.
//! fn on_request(ms: u64, editor: &str) {
//!     telemetry::histogram!("mytool/latency-ms", [10, 50, 100, 500]).record(ms);
//!     telemetry::counter!("mytool/editor:{vscode,vim,other}").inc(editor);
//! }
//!
//! lookup("abcd");
//! on_hit();
//! on_request(42, "emacs"); // counted as mytool/editor:other
//! assert_eq!(telemetry::counter!("mytool/cache:hit").get(), 1);
//! assert!(telemetry::registry().iter().any(|c| c.name() == "mytool/latency-ms:<50"));
//! ```
//!
//! # Counter names
//!
//! Names follow Go's telemetry conventions: a `/`-separated hierarchy rooted at the
//! owner (`mytool/cache`), words joined by `-`, and at most one `:` separating a chart
//! from its bucket (`mytool/cache:hit`); histogram buckets are named by their upper
//! bound (`mytool/latency-ms:<50`). The macros check every name while the program
//! compiles and point at the string when it is empty, holds whitespace or an
//! unprintable character, has more than one `:` or an empty `/` segment, a malformed
//! label list, or is longer than 200 bytes.
//!
//! # Cost
//!
//! The first use of a counter finds the cell it counts into; every later increment is
//! one relaxed atomic add through a pointer the counter caches: no lock, allocation,
//! hashing or system call. `docs/BENCHMARKS.md` has the measured figures.
//!
//! # Registration
//!
//! Each declaration is one `static` in a `linkme` distributed slice, so the registry
//! exists without any code running before `main`. A library's counters are in the
//! registry when the binary links the library; a crate that the binary depends on but
//! never uses is not linked at all, and neither are its counters (`use that_crate as _;`
//! links it).
//!
//! # A renamed or re-exported dependency
//!
//! The macros' expansions name this crate as `::telemetry`. Where it has another path,
//! because the dependency is renamed in `Cargo.toml` or a library re-exports it to its
//! users, pass that path as `crate = path` (a path, not a string) to every macro, as
//! with serde's or linkme's attribute of that name:
//!
//! ```
//! mod re {
//!     pub(crate) use telemetry as tele;
//! }
//!
//! #[re::tele::counted(crate = crate::re::tele)]
//! fn lookup() {}
//!
//! // A library re-exporting telemetry can wrap a macro, passing `$crate`:
//! macro_rules! my_counter {
//!     ($name:literal) => {
//!         $crate::re::tele::counter!($name, crate = $crate::re::tele)
//!     };
//! }
//!
//! fn main() {
//!     lookup();
//!     my_counter!("mytool/cache:hit").inc();
//!     re::tele::histogram!("mytool/size", [10], crate = crate::re::tele).record(3);
//!     re::tele::stack_counter!("mytool/bug", depth = 2, crate = crate::re::tele).inc();
//!     assert_eq!(telemetry::counter!("mytool/cache:hit").get(), 1);
//! }
//! ```
//!
//! The counters are the same wherever the path leads: one registry per version of
//! this crate in the program.
//!
//! # Expiry
//!
//! Every declaring macro takes `expires = "YYYY-MM-DD"`, the last day (UTC) the
//! counter is uploaded. The macro checks that it is a real date while the program
//! compiles, and writes it into the counter's manifest record; `telemetry config init`
//! copies it into the upload config, and after that day no client uploads the counter.
//! The program itself is unchanged by the date: the counter **still counts locally**
//! after it, and stays in the registry and the local reports; only its upload stops.
//!
//! ```
//! #[telemetry::counted(expires = "2027-06-30")]
//! fn import() {}
//!
//! import();
//! telemetry::counter!("mytool/editor:{vscode,vim}", expires = "2027-06-30").inc("vim");
//! let in_manifest = telemetry::manifest();
//! let editor = in_manifest.counters.iter().find(|c| c.name == "mytool/editor:vim");
//! assert_eq!(editor.unwrap().expires.as_deref(), Some("2027-06-30"));
//! ```

#![warn(clippy::unwrap_used)]

mod expansion;

/// Declares a counter and evaluates to `&'static Counter`.
///
/// ```
/// telemetry::counter!("mytool/cache:hit").inc();
/// telemetry::counter!("mytool/bytes-read", description = "Bytes read from disk").add(512);
/// ```
///
/// A bucket list in braces declares a **label set** instead, one counter per label, and
/// evaluates to `&'static LabelSet`. Every label set has the label `other` (added when
/// the list lacks it) and counts any label outside the list there:
///
/// ```
/// let editors = telemetry::counter!("mytool/editor:{vscode,vim}");
/// editors.inc("vim");
/// editors.inc("notepad"); // counted as mytool/editor:other
/// assert_eq!(editors.with("other").get(), 1);
/// ```
///
/// The same name may be declared at several places; they share one counter.
///
/// `expires = "YYYY-MM-DD"` is the last day the counter, or every counter of the label
/// set, is uploaded (see [the crate docs](crate#expiry)):
/// `counter!("mytool/cache:hit", expires = "2027-06-30")`.
///
/// `crate = path` names this crate where it is not `::telemetry` (see [the crate
/// docs](crate#a-renamed-or-re-exported-dependency)):
/// `counter!("mytool/cache:hit", crate = ::my_lib::telemetry)`.
#[doc(inline)]
pub use telemetry_macros::counter;

/// Declares a histogram and evaluates to `&'static Histogram`.
///
/// The bounds are integer literals in increasing order; each is the upper bound of a
/// bucket, named `<name>:<bound`, and an overflow bucket `<name>:>=<last>` follows. An
/// optional `unit` is appended to each bound.
///
/// ```
/// let latency = telemetry::histogram!("mytool/latency", [10, 50, 100], unit = "ms");
/// latency.record(7); // mytool/latency:<10ms
/// latency.record(10); // mytool/latency:<50ms
/// latency.record(900); // mytool/latency:>=100ms
/// assert_eq!(latency.bucket_for(10).name(), "mytool/latency:<50ms");
/// ```
///
/// `expires = "YYYY-MM-DD"` is the last day its buckets are uploaded (see [the crate
/// docs](crate#expiry)): `histogram!("mytool/latency", [10, 50], expires = "2027-06-30")`.
///
/// `crate = path` names this crate where it is not `::telemetry` (see [the crate
/// docs](crate#a-renamed-or-re-exported-dependency)):
/// `histogram!("mytool/latency", [10, 50], crate = ::my_lib::telemetry)`.
#[doc(inline)]
pub use telemetry_macros::histogram;

/// Declares a stack counter and evaluates to `&'static StackCounter`.
///
/// Each `inc()` counts the chain of enclosing [`#[counted]`](counted) functions on the
/// current thread, innermost first and at most `depth` (1 to 32) of them; every distinct
/// chain is a counter of its own, named from the stack counter's name and the frames'
/// counter names, one per line. Only registry names ever appear: no addresses, paths or
/// argument data.
///
/// ```
/// #[telemetry::counted("mytool/parse")]
/// fn parse(input: &[u8]) -> Option<u8> {
///     let first = input.first().copied();
///     if first.is_none() {
///         telemetry::stack_counter!("mytool/bug/unexpected-eof", depth = 8).inc();
///     }
///     first
/// }
///
/// parse(&[]);
/// let stack = telemetry::stack_counter!("mytool/bug/unexpected-eof", depth = 8);
/// let chains: Vec<&str> = stack.chains().map(|c| c.name()).collect();
/// assert_eq!(chains, ["mytool/bug/unexpected-eof\nmytool/parse"]);
/// ```
///
/// `expires = "YYYY-MM-DD"` is the last day its chains are uploaded (see [the crate
/// docs](crate#expiry)): `stack_counter!("mytool/bug", depth = 8, expires = "2027-06-30")`.
///
/// `crate = path` names this crate where it is not `::telemetry` (see [the crate
/// docs](crate#a-renamed-or-re-exported-dependency)):
/// `stack_counter!("mytool/bug", depth = 8, crate = ::my_lib::telemetry)`.
#[doc(inline)]
pub use telemetry_macros::stack_counter;

/// Counts the calls of a function.
///
/// ```
/// /// Looks a key up in the cache.
/// #[telemetry::counted]
/// fn lookup(key: &str) -> bool {
///     key.is_empty()
/// }
///
/// #[telemetry::counted("mytool/flush", description = "Cache flushes")]
/// fn flush() {}
/// ```
///
/// # The derived name
///
/// Without a name the counter is named after the crate, the module path and the
/// function, joined by `/`, with `_` turned into `-`: `lookup` in module `cache` of
/// crate `my_tool` is `my-tool/cache/lookup`. For an associated function or method the
/// type comes before the function, and for a trait impl the trait after the type:
/// `my-tool/cache/Store/get`, `my-tool/cache/Store/Display/fmt`; a trait's default
/// method is `my-tool/cache/Codec/encode`. Two places thus never share a derived name
/// by accident. (The type is found by reading the method's source file; for a method
/// written by another macro it cannot be, and should two derived names then meet,
/// [`Registry::check`] reports both sites.) An explicit name may be shared on purpose.
///
/// The description is the first paragraph of the doc comment, or
/// `description = "…"`.
///
/// `expires = "YYYY-MM-DD"` is the last day the counter is uploaded (see [the crate
/// docs](crate#expiry)): `#[counted(expires = "2027-06-30")]`, with a name or not.
///
/// `crate = path` names this crate where it is not `::telemetry` (see [the crate
/// docs](crate#a-renamed-or-re-exported-dependency)):
/// `#[counted(crate = ::my_lib::telemetry)]`, with a name or not.
///
/// # What is counted, and when
///
/// Every call is counted when the body starts, whether it then returns normally, early,
/// by `?`, or panics. The attribute works on free functions, associated functions and
/// methods of inherent and trait impls, trait default methods, generic functions (one
/// counter for every instantiation), `unsafe fn`, `extern "C" fn`, functions returning
/// `impl Trait`, and `#[track_caller]` functions (the caller location stays the
/// caller's: the body is not moved into a closure). An **`async fn` is counted when its
/// future is first polled**, not when it is called, and is not a frame of stack
/// counters. A `const fn` and a trait method without a body are compile errors.
#[doc(inline)]
pub use telemetry_macros::counted;

pub use telemetry_formats::manifest::Manifest;
pub use telemetry_formats::{DefaultMode, Defaults, Mode, ModeSource, ProgramInfo};
pub use telemetry_rules::{FALLBACK_LABEL, MAX_DEPTH};
pub use telemetry_runtime::{
    Conflict, ConflictError, Counter, Histogram, Kind, LabelSet, MAX_CHAINS, ModeChoice, ModeError,
    OVERFLOW_FRAME, Program, Prompt, PromptOutcome, Registry, Session, StackCounter, Suppressed,
    counter_file, manifest, registry, session,
};

pub mod command;

/// Describes the calling program, from its crate's Cargo metadata, and evaluates to a
/// [`Program`] to configure and [`start`](Program::start).
///
/// ```no_run
/// let session = telemetry::program!()
///     .namespace("acme") // every acme tool shares one mode and directory
///     .default_mode(telemetry::DefaultMode::Off) // nothing on disk until the user opts in
///     .start();
/// ```
///
/// It also declares the counters of the panic hook `start` installs,
/// `<program>/crash/panic` and `<program>/crash/panic-stack`, at the line of the call.
///
/// # Distributors
///
/// A distributor building the program from source (a Debian or Homebrew package, say)
/// sets, in the build environment, `TELEMETRY_DEFAULT_MODE=off` or `local` (never `on`:
/// the build fails) to choose the mode of a fresh install, and
/// `TELEMETRY_DEFAULT_PROMPT=never` to keep the program from asking its users. The
/// macro reads both while the program compiles, and changing either rebuilds it. The
/// user's own choice still wins over the distributor's default (`docs/CONSENT.md`).
///
/// `crate = path` names this crate where it is not `::telemetry` (see [the crate
/// docs](crate#a-renamed-or-re-exported-dependency)): `program!(crate = ::my_lib::telemetry)`.
#[doc(inline)]
pub use telemetry_macros::program;

/// Starts telemetry for the calling program: `program!().start()`.
///
/// Call it first thing in `main`. It reads the mode (see [`Mode`]) and, when the mode
/// allows, opens this week's counter file, shared by every process of this build, and
/// carries into it whatever was counted before. It also installs a panic hook that
/// counts every panic in `<program>/crash/panic`, and the chain of `#[counted]`
/// functions around it in the stack counter `<program>/crash/panic-stack` (registry
/// names only: never the panic's message or location), then calls the hook that was
/// set before. A hook set later replaces it, as `std::panic::set_hook` does; one that
/// wants both calls what `std::panic::take_hook` returns. It never fails, blocks on the network,
/// or panics: problems leave counting in memory and are listed by
/// [`Session::problems`]. In `off` mode it creates and modifies nothing.
///
/// ```no_run
/// // First thing in `main`:
/// let session = telemetry::start!();
/// for problem in session.problems() {
///     eprintln!("telemetry: {problem}"); // or ignore: counting goes on in memory
/// }
/// ```
///
/// `crate = path` names this crate where it is not `::telemetry`, as for [`program!`].
#[doc(inline)]
pub use telemetry_macros::start;

/// The prompt a program may show its users, with the author's reason (what the
/// maintainers want to learn), for [`Program::prompt`]. Evaluates to a [`Prompt`],
/// whose methods tune when it asks.
///
/// ```no_run
/// # #[cfg(feature = "upload")]
/// # fn main() {
/// telemetry::program!()
///     .upload("https://telemetry.example.org", "ed25519:7b00…")
///     .prompt(telemetry::prompt!("to learn which commands people use").grace_days(14))
///     .start();
/// # }
/// # #[cfg(not(feature = "upload"))]
/// # fn main() {}
/// ```
///
/// The library writes the question from facts and applies every rule of where and
/// when it may ask (`docs/CONSENT.md`). The macro declares the prompt's own counters
/// at the line of the call: `<program>/prompt/asked`,
/// `<program>/prompt/answer:{yes,no,not-now,more}` and
/// `<program>/prompt/accepted-after:{1,2,3}`. Like every counter they leave the
/// machine only in weeks after the user chose `on`, so they tell after how many
/// askings people accept, and never anything of those who decline.
#[doc(inline)]
pub use telemetry_macros::prompt;

/// Not public API: the paths generated code uses. May change in any release.
#[doc(hidden)]
pub mod __private {
    // Exactly what the macros' expansions name (`telemetry-macros`' `emit`, `declare`,
    // `record`, `counted` and `program`), and nothing else: the runtime's own hidden
    // API (`Decl`, the record encoders) stays the runtime's.
    pub use crate::expansion::DerivedRecord;
    pub use telemetry_runtime::__private::{
        ChainTable, Counter, Histogram, Kind, LabelSet, Program, Prompt, REGISTRY, StackCounter,
        enter, module_path, program_record,
    };
    use telemetry_runtime::__private::{PromptFacts, UploadHook};

    /// What starts uploads: the upload crate's when the `upload` feature is on.
    pub fn upload_hook() -> Option<UploadHook> {
        #[cfg(feature = "upload")]
        {
            Some(telemetry_upload::on_start)
        }
        #[cfg(not(feature = "upload"))]
        {
            None
        }
    }

    /// What the prompt's "more" shows of what would be sent: read from the upload
    /// crate's cached config when the `upload` feature is on.
    pub fn prompt_facts() -> Option<PromptFacts> {
        #[cfg(feature = "upload")]
        {
            Some(crate::command::upload_facts)
        }
        #[cfg(not(feature = "upload"))]
        {
            None
        }
    }
}
