//! The process's telemetry state: the mode, the open counter file, and the worker
//! thread that moves to the next week's file.
//!
//! `start` decides the mode once. When files are allowed it opens this week's file and
//! publishes it in [`ACTIVE`]; counters resolve their slots against it from then on.
//! Every counter already in use is re-pointed: its slot is cleared (its next increment
//! resolves again, into the file) and what it counted in memory is added to the file.
//!
//! **Increments never do file I/O.** Everything that touches the disk after `start` is
//! done by one background thread, the *worker*, which sleeps until the week ends (or
//! until a file that could not be opened is due for a retry), at most an hour at a
//! time. An increment does one relaxed add, and only checks the clock when the add
//! carried the counter's value across a multiple of [`CHECK_EVERY`] or found it below
//! [`CHECK_BELOW`] (the add's result tells both for free); past the deadline it wakes
//! the worker, which covers clocks that jump and machines that slept. A name that
//! needs the file grown, or mapped again after another process grew it, counts in
//! memory meanwhile; the worker does the growth and re-points the counters, carrying
//! the counts over. At exit, counts still waiting for such growth are written out by
//! an exit handler (bounded; nothing when nothing waits).
//!
//! When it starts, and then hourly, the worker turns the counter files of weeks that
//! ended (an hour ago or more) into reports (`telemetry_formats::report`).
//!
//! The worker re-reads the mode before it creates or opens anything, and once an hour
//! in any case: after `telemetry off`, a running program stops writing to files within
//! the hour and never creates one again. It also notices when its file was moved or
//! deleted (`telemetry clean`) and opens a fresh one, if the mode still allows.
//!
//! A file found inconsistent while in use (a chain leading outside it) is handled the
//! same way: the name that hit it counts in memory, and the worker renames the file
//! aside (only if it is still the file found bad) and opens a fresh one, into which
//! memory counts are carried.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use crate::counter::Counter;
use crate::date::{self, DAY};
use crate::dirs;
use crate::file::{self, CellError, Header, MappedFile};
use crate::mode::{self, Decision, Defaults, Env};
use crate::program::{Program, ProgramInfo, Session};
use crate::registry;
use crate::report;
use crate::safe_fs::{self, Filesystem};
use crate::week;

/// A counter crossing a multiple of this value makes its incrementer look at the clock.
pub const CHECK_EVERY: u64 = 1024;
/// A counter below this value makes its incrementer look at the clock every time.
pub const CHECK_BELOW: u64 = 64;
/// First delay before retrying a file that could not be opened; it doubles up to
/// [`MAX_RETRY_SECS`].
const FIRST_RETRY_SECS: u64 = 60;
const MAX_RETRY_SECS: u64 = 3600;
/// The worker looks at the mode and at its file at least this often.
const CHECK_INTERVAL_SECS: u64 = 3600;
/// A week is reported this long after it ended.
const REPORT_GRACE_SECS: u64 = 3600;

/// The counter file in use, with the end of its week.
pub(crate) struct Active {
    pub(crate) file: MappedFile,
    end_secs: u64,
}

/// The file counters resolve against; null when none is open. Each `Active` is leaked:
/// counters may hold cells inside its mapping for the rest of the process.
static ACTIVE: AtomicPtr<Active> = AtomicPtr::new(std::ptr::null_mut());
/// When the worker must act, in Unix seconds; `u64::MAX` when never.
static DEADLINE: AtomicU64 = AtomicU64::new(u64::MAX);
/// Seconds added to the system clock; only tests move it.
static CLOCK_OFFSET: AtomicI64 = AtomicI64::new(0);
static SESSION: OnceLock<Session> = OnceLock::new();
/// What increments asked the worker to do ([`WANT_SET_ASIDE`], …).
static WANTED: AtomicU8 = AtomicU8::new(0);
/// Set once some count waits in memory for the worker: the exit handler then has
/// work to do.
static WAITING: AtomicBool = AtomicBool::new(false);
/// The worker thread, to wake it.
static WORKER: OnceLock<Thread> = OnceLock::new();
/// What opening a week needs, and the retry delay. Locked by whoever opens.
static STATE: Mutex<Option<Reopen>> = Mutex::new(None);

/// The active file is inconsistent: set it aside and open a fresh one.
const WANT_SET_ASIDE: u8 = 1;
/// Another process grew the active file: map it again.
const WANT_REMAP: u8 = 2;
/// A new name needs the active file grown.
const WANT_GROWTH: u8 = 4;

struct Reopen {
    program: ProgramInfo,
    env: Env,
    default: Defaults,
    /// `<root>/<namespace>`.
    dir: PathBuf,
    retry_secs: u64,
    /// When the worker last looked at the mode and its file.
    checked_secs: u64,
    /// The week whose old files were last cleaned up.
    cleaned_week: u64,
    /// When finished weeks were last turned into reports (0: not yet).
    reported_secs: u64,
}

/// The open file, if any.
#[inline]
pub(crate) fn active() -> Option<&'static Active> {
    // SAFETY: `ACTIVE` only holds null or pointers from `Box::leak`, never freed.
    unsafe { ACTIVE.load(Ordering::Acquire).as_ref() }
}

/// Identifies the active file; changes whenever another file becomes active.
#[inline]
pub(crate) fn active_id() -> usize {
    ACTIVE.load(Ordering::Acquire) as usize
}

/// The session of `start`, if it ran.
pub fn session() -> Option<&'static Session> {
    SESSION.get()
}

/// The counter file increments go to now: the file `start` opened, or a later week's.
/// `None` before `start`, in `off` mode, or while no file can be opened.
pub fn counter_file() -> Option<&'static Path> {
    active().map(|active| active.file.path())
}

/// The current time as the runtime sees it, in Unix seconds.
pub(crate) fn now() -> u64 {
    date::now_secs().saturating_add_signed(CLOCK_OFFSET.load(Ordering::Relaxed))
}

/// Moves the runtime's clock by `secs` (tests of week boundaries only).
#[doc(hidden)]
pub fn set_clock_offset(secs: i64) {
    CLOCK_OFFSET.store(secs, Ordering::Relaxed);
}

/// Holds the worker's lock on another thread for `hold`, as a worker busy growing the
/// file would, and returns once it is held (tests of what exit does meanwhile only).
#[doc(hidden)]
pub fn hold_worker_lock(hold: Duration) {
    let (held, is_held) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _guard = STATE.lock().unwrap_or_else(|p| p.into_inner());
        let _ = held.send(());
        std::thread::sleep(hold);
    });
    let _ = is_held.recv();
}

/// Called with a counter's value before an add of `n`: looks at the clock when the
/// value is small or the add crossed a multiple of [`CHECK_EVERY`]. No memory access.
#[inline]
pub(crate) fn tick(before: u64, n: u64) {
    if before < CHECK_BELOW || before / CHECK_EVERY != before.wrapping_add(n) / CHECK_EVERY {
        look_at_clock();
    }
}

#[cold]
#[inline(never)]
fn look_at_clock() {
    let deadline = DEADLINE.load(Ordering::Relaxed);
    if deadline != u64::MAX && now() >= deadline {
        wake_worker();
    }
}

/// Wakes the worker: no I/O, at most one system call.
fn wake_worker() {
    if let Some(worker) = WORKER.get() {
        worker.unpark();
    }
}

/// Asks the worker for `what`, counting in memory meanwhile.
fn want(what: u8) {
    WAITING.store(true, Ordering::Relaxed);
    if WANTED.fetch_or(what, Ordering::AcqRel) & what == 0 {
        wake_worker();
    }
}

pub(crate) fn start(program: Program) -> &'static Session {
    SESSION.get_or_init(|| {
        let (mut session, decision) = start_once(&program, &Env::from_process());
        // In the upload child this runs the upload and ends the process.
        if let (Some((url, key, hook)), Some(dir)) = (program.upload_settings(), &session.dir)
            && let Err(problem) = hook(session.mode, dir, url, key)
        {
            session.problems.push(problem);
        }
        if session.mode.writes_files() && session.dir.is_some() {
            spawn_worker();
        }
        if let Some(prompt) = program.prompt_settings() {
            crate::prompt::count_acceptance(
                prompt,
                &decision,
                session.dir.as_deref(),
                date::day_of(now()),
            );
            session.prompt =
                crate::prompt::run(prompt, &prompt_start(&program, &session, &decision));
        }
        session
    })
}

/// What the prompt needs of a start.
fn prompt_start<'a>(
    program: &'a Program,
    session: &'a Session,
    decision: &'a Decision,
) -> crate::prompt::Start<'a> {
    crate::prompt::Start {
        program: &program.info().name,
        namespace: program.namespace_name(),
        dir: session.dir.as_deref(),
        decision,
        collector: program.collector().map(|(url, _)| url.as_str()),
        distributor: program.distributor_setting(),
        facts: program.facts(),
        today: date::day_of(now()),
    }
}

/// Does all `start` does, with `env` instead of the process environment and without
/// remembering the session or starting the worker: for benchmarks of start-up. Not
/// public API.
#[doc(hidden)]
pub fn start_uncached(program: &Program, env: &Env) -> Session {
    start_once(program, env).0
}

/// Does the work of `start` in a `local` namespace under `env.dir`, without publishing
/// the file to counters (so it can be unmapped again): for benchmarks that start many
/// times in one process. Not public API.
#[doc(hidden)]
pub fn start_unpublished(program: &Program, env: &Env) -> Result<PathBuf, String> {
    start_unpublished_decided(program, env).map(|(file, _, _)| file)
}

/// [`start_unpublished`], then the prompt's checks as `start` makes them, with the
/// terminal taken as interactive and in the foreground, up to asking (it never asks):
/// for the benchmark of what a prompt that is not due adds to a start. Not public API.
#[doc(hidden)]
pub fn start_unpublished_prompted(
    program: &Program,
    env: &Env,
) -> Result<(PathBuf, crate::prompt::PromptOutcome), String> {
    let (file, dir, decision) = start_unpublished_decided(program, env)?;
    let outcome = prompt_checks(program, &dir, &decision).ok_or("no prompt")?;
    Ok((file, outcome))
}

/// The prompt's checks alone, as `start` makes them once the mode is decided, with the
/// terminal taken as interactive and in the foreground, up to asking (it never asks);
/// `None` when the program has no prompt. For the benchmark of what a prompt that is
/// not due costs. Not public API.
#[doc(hidden)]
pub fn prompt_checks(
    program: &Program,
    dir: &Path,
    decision: &Decision,
) -> Option<crate::prompt::PromptOutcome> {
    let prompt = program.prompt_settings()?;
    let start = crate::prompt::Start {
        program: &program.info().name,
        namespace: program.namespace_name(),
        dir: Some(dir),
        decision,
        collector: program.collector().map(|(url, _)| url.as_str()),
        distributor: program.distributor_setting(),
        facts: program.facts(),
        today: date::day_of(now()),
    };
    // What finding the terminal costs, then a terminal (a benchmark has none).
    std::hint::black_box(crate::prompt::Terminal::of_process());
    let terminal = crate::prompt::Terminal {
        interactive: true,
        foreground: true,
    };
    Some(match crate::prompt::check(prompt, &start, &terminal) {
        Ok(_) => crate::prompt::PromptOutcome::NotDue(telemetry_formats::prompt::When::Ask),
        Err(outcome) => outcome,
    })
}

fn start_unpublished_decided(
    program: &Program,
    env: &Env,
) -> Result<(PathBuf, PathBuf, Decision), String> {
    let dir = dirs::root(env).ok_or("no directory")?;
    let dir = dirs::namespace_dir(&dir, program.namespace_name());
    let decision = mode::decide_at(env, Some(&dir), program.defaults());
    if !decision.mode.writes_files() {
        return Err(format!("mode {}", decision.mode));
    }
    let (file, _, _) = open_file(program.info(), &dir, now(), true)?;
    // What `activate` does besides publishing: walk every counter for counts to carry.
    repoint_all();
    Ok((file.path().to_path_buf(), dir, decision))
}

/// The session's mode, from the decision, without opening any file.
fn start_once_without_file(program: &Program, env: &Env) -> (Session, Decision) {
    let mut problems = Vec::new();
    let namespace = program.namespace_name();
    let dir = if dirs::valid_namespace(namespace) {
        dirs::root(env).map(|root| dirs::namespace_dir(&root, namespace))
    } else {
        problems.push(format!(
            "namespace {namespace:?} is not 1 to 64 of [a-z0-9._-]; telemetry is off"
        ));
        None
    };
    let decision = mode::decide_at(env, dir.as_deref(), program.defaults());
    let session = Session {
        program: program.info().clone(),
        namespace: namespace.to_string(),
        defaults: program.defaults(),
        collector: program.collector().cloned(),
        mode: decision.mode,
        source: decision.source.clone(),
        dir,
        file: None,
        problems,
        prompt: crate::prompt::PromptOutcome::NotConfigured,
    };
    (session, decision)
}

fn start_once(program: &Program, env: &Env) -> (Session, Decision) {
    let (mut session, decision) = start_once_without_file(program, env);
    let Some(dir) = session.dir.clone().filter(|_| session.mode.writes_files()) else {
        return (session, decision);
    };
    let mut state = Reopen {
        program: program.info().clone(),
        env: env.clone(),
        default: program.defaults(),
        dir,
        retry_secs: FIRST_RETRY_SECS,
        checked_secs: now(),
        cleaned_week: 0,
        reported_secs: 0,
    };
    // The mode was just read: open without reading it again.
    match open_week(&mut state, false) {
        Ok(opened) => {
            session.file = opened.path;
            session.problems.extend(opened.set_aside);
        }
        Err(problem) => session.problems.push(problem),
    }
    *STATE.lock().unwrap_or_else(|p| p.into_inner()) = Some(state);
    (session, decision)
}

fn spawn_worker() {
    let spawned = std::thread::Builder::new()
        .name("telemetry".into())
        .stack_size(256 << 10)
        .spawn(|| {
            // Nothing the worker does may take the program down with it.
            let _ = std::panic::catch_unwind(worker_main);
        });
    if let Ok(handle) = spawned {
        let _ = WORKER.set(handle.thread().clone());
        register_exit_handler();
    }
}

fn worker_main() {
    loop {
        work(false);
        let deadline = DEADLINE.load(Ordering::Relaxed);
        let sleep = deadline.saturating_sub(now()).clamp(1, CHECK_INTERVAL_SECS);
        std::thread::park_timeout(Duration::from_secs(sleep));
    }
}

/// How long the exit handler waits for the worker to finish what it is doing (growing
/// the file, say) before it gives up on the counts still waiting in memory. Only a
/// process that exits while its worker is busy waits at all.
const EXIT_WAIT: Duration = Duration::from_millis(500);

/// Does what is due: what increments asked for, the week's end or a retry, the hourly
/// look at the mode and the file, old files' cleanup. `at_exit` does only what
/// increments asked for, and waits for the lock at most [`EXIT_WAIT`] (the worker may
/// hold it, or this very thread, if it exits from inside the worker).
fn work(at_exit: bool) {
    let started = std::time::Instant::now();
    let mut guard = loop {
        match STATE.try_lock() {
            Ok(guard) => break guard,
            Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if at_exit => {
                if started.elapsed() >= EXIT_WAIT {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                break STATE.lock().unwrap_or_else(|p| p.into_inner());
            }
        }
    };
    let Some(state) = guard.as_mut() else {
        return;
    };
    let wanted = WANTED.swap(0, Ordering::AcqRel);
    let mut reopen = false;
    let mut repoint = false;
    if let Some(active) = active() {
        if wanted & WANT_SET_ASIDE != 0 {
            reopen = true;
            let _ = safe_fs::set_aside(active.file.path(), active.file.id());
        } else {
            if wanted & WANT_REMAP != 0 {
                match active.file.catch_up() {
                    Ok(()) => repoint = true,
                    Err(CellError::Corrupt) => {
                        reopen = true;
                        let _ = safe_fs::set_aside(active.file.path(), active.file.id());
                    }
                    Err(_) => {}
                }
            }
            if wanted & WANT_GROWTH != 0 {
                // On failure the file is marked full: the names count in memory.
                let _ = active.file.grow_as_asked();
                repoint = true;
            }
        }
    }
    if !at_exit {
        let now = now();
        let due = now >= DEADLINE.load(Ordering::Relaxed);
        let hourly = now >= state.checked_secs.saturating_add(CHECK_INTERVAL_SECS);
        let moved = active().is_some_and(|a| !a.file.still_in_place());
        if reopen || due || hourly || moved {
            state.checked_secs = now;
            if open_week(state, true).is_ok() {
                repoint = false;
            }
        }
        if active().is_some() && (state.reported_secs == 0 || due || hourly) {
            state.reported_secs = now;
            let local = state.dir.join(dirs::LOCAL);
            // Weeks that ended an hour ago or more: every process of the week has moved
            // on to its next file by then.
            report::make_due(&local, now.saturating_sub(REPORT_GRACE_SECS), "");
            let week = date::day_of(now) / 7;
            if state.cleaned_week != week {
                state.cleaned_week = week;
                crate::cleanup::local_dir(&local, now);
            }
        }
    }
    if repoint {
        repoint_all();
    }
}

/// Writes out counts that wait in memory for the worker, at exit.
fn register_exit_handler() {
    #[cfg(unix)]
    {
        extern "C" fn at_exit() {
            if WAITING.load(Ordering::Relaxed) {
                let _ = std::panic::catch_unwind(settle);
            }
        }
        // SAFETY: registers a plain function with no arguments; it catches any panic
        // and touches only statics, which live until the process ends.
        unsafe {
            libc::atexit(at_exit);
        }
    }
}

/// Does at once, on this thread, what increments asked the worker to do, then moves
/// counts waiting in memory into the file: at exit, and from the panic hook.
pub(crate) fn settle() {
    if WANTED.load(Ordering::Acquire) != 0 || WAITING.load(Ordering::Relaxed) {
        // Also when nothing is asked any more: the worker may have taken the request
        // and be growing the file right now, and the waiting counts need that space.
        work(true);
        repoint_all();
    }
}

struct OpenedWeek {
    /// The file now active, or `None` when the mode no longer allows files.
    path: Option<PathBuf>,
    set_aside: Option<String>,
}

/// Makes the file of the week containing `now()` the active one, unless it already is.
/// With `reread`, reads the mode again first: when it no longer allows files, nothing
/// is created and counting moves to memory. On failure, counting stays in memory and a
/// retry is scheduled.
fn open_week(state: &mut Reopen, reread: bool) -> Result<OpenedWeek, String> {
    let now = now();
    if reread {
        let (mode, source) = mode::effective(&state.env, Some(&state.dir), state.default);
        if !mode.writes_files() {
            deactivate();
            DEADLINE.store(now + CHECK_INTERVAL_SECS, Ordering::Relaxed);
            return Err(format!(
                "telemetry is now {mode} ({source}); counting in memory"
            ));
        }
    }
    if let Some(current) = active()
        && now < current.end_secs
        && current.file.still_in_place()
    {
        DEADLINE.store(current.end_secs, Ordering::Relaxed);
        return Ok(OpenedWeek {
            path: Some(current.file.path().to_path_buf()),
            set_aside: None,
        });
    }
    match open_file(&state.program, &state.dir, now, false) {
        Ok((file, end_secs, set_aside)) => {
            state.retry_secs = FIRST_RETRY_SECS;
            let path = file.path().to_path_buf();
            activate(Active { file, end_secs });
            Ok(OpenedWeek {
                path: Some(path),
                set_aside,
            })
        }
        Err(problem) => {
            // Counting goes on in memory, not into a file that is gone or finished.
            if active().is_some_and(|a| now >= a.end_secs || !a.file.still_in_place()) {
                deactivate();
            }
            DEADLINE.store(now + state.retry_secs, Ordering::Relaxed);
            state.retry_secs = (state.retry_secs * 2).min(MAX_RETRY_SECS);
            Err(problem)
        }
    }
}

type Opened = (MappedFile, u64, Option<String>);

/// Opens or creates the week's file under the namespace directory `dir`, after making
/// sure every directory on the way is this user's alone and not on a network
/// filesystem.
fn open_file(program: &ProgramInfo, dir: &Path, now: u64, private: bool) -> Result<Opened, String> {
    let local = dir.join(dirs::LOCAL);
    let shown = local.display();
    if let Filesystem::Remote(kind) = safe_fs::filesystem(&local) {
        return Err(format!(
            "{shown} is on a {kind} filesystem, which several machines may share and \
             where shared memory maps are not coherent; counting in memory"
        ));
    }
    let ensured = match dir.parent() {
        Some(root) => safe_fs::ensure_dir(root, true),
        None => Ok(()),
    }
    .and_then(|()| safe_fs::ensure_dir(dir, false))
    .and_then(|()| safe_fs::ensure_dir(&local, false));
    ensured.map_err(|e| format!("cannot use {shown}: {e}; counting in memory"))?;
    let weekday = week::installation_weekday(&local)
        .map_err(|e| format!("cannot use the weekday file in {shown}: {e}; counting in memory"))?;
    let (begin, end) = week::window(date::day_of(now), weekday);
    let header = Header {
        meta: program.meta(),
        begin: begin * DAY,
        end: end * DAY,
    };
    let name = file::file_name(&header);
    let opened = file::open_or_create(&local, &name, &header, &registry::file_names, private)
        .map_err(|e| {
            format!(
                "cannot open {}: {e}; counting in memory",
                local.join(&name).display()
            )
        })?;
    let set_aside = opened.set_aside.map(|(path, why)| {
        format!(
            "set aside {} because it is unreadable: {why}",
            path.display()
        )
    });
    Ok((opened.file, end * DAY, set_aside))
}

/// Publishes `active` and moves every counter in use onto it.
fn activate(active: Active) {
    let end = active.end_secs;
    let leaked: &'static Active = Box::leak(Box::new(active));
    let previous = ACTIVE.swap(std::ptr::from_ref(leaked).cast_mut(), Ordering::AcqRel);
    // SAFETY: as in `active()`: null or a leaked, never freed `Active`.
    if let Some(previous) = unsafe { previous.as_ref() } {
        previous.file.close();
    }
    DEADLINE.store(end, Ordering::Relaxed);
    repoint_all();
}

/// Stops counting into files: counters move to their in-memory cells.
fn deactivate() {
    let previous = ACTIVE.swap(std::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: as in `active()`: null or a leaked, never freed `Active`.
    if let Some(previous) = unsafe { previous.as_ref() } {
        previous.file.close();
        repoint_all();
    }
}

/// Clears the slot of every counter in use, then moves what each counted in memory
/// into the cell its next use resolves to. Slots are all cleared before any count is
/// moved, so an increment racing with this lands in memory only if it read its slot
/// before the clearing and added after the move: a window of nanoseconds at start or
/// at a week's end.
fn repoint_all() {
    registry::for_each_counter(&mut |counter: &'static Counter| {
        counter.clear_slot();
    });
    registry::for_each_counter(&mut |counter: &'static Counter| {
        counter.flush_local();
    });
}

/// The cell in the active file for `name`, or `None` (count in memory) when there is
/// no file or the file cannot hold it now. Never does I/O: what needs it is asked of
/// the worker.
pub(crate) fn file_cell(name: &str) -> Option<&'static std::sync::atomic::AtomicU64> {
    // A file superseded during the lookup takes no new names: look in its successor.
    let mut active = active()?;
    for _ in 0..3 {
        let found = file_cell_in(active, name);
        match self::active() {
            Some(now) if !std::ptr::eq(now, active) => active = now,
            _ => return found,
        }
    }
    file_cell_in(active, name)
}

fn file_cell_in(
    active: &'static Active,
    name: &str,
) -> Option<&'static std::sync::atomic::AtomicU64> {
    match active.file.cell(name) {
        Ok(cell) => Some(cell),
        Err(CellError::NeedsGrowth) => {
            want(WANT_GROWTH);
            None
        }
        Err(CellError::NeedsRemap) => {
            want(WANT_REMAP);
            None
        }
        Err(CellError::Full | CellError::Unsupported | CellError::Io) => {
            crate::health::FILE_FULL.add_in_memory(1);
            None
        }
        Err(CellError::Corrupt) => {
            crate::health::FILE_CORRUPT.add_in_memory(1);
            want(WANT_SET_ASIDE);
            None
        }
    }
}
