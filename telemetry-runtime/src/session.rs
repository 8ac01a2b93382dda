//! The process's telemetry state: the mode, the open counter file, and moving to the
//! next week's file.
//!
//! `start` decides the mode once. When files are allowed it opens this week's file and
//! publishes it in [`ACTIVE`]; counters resolve their slots against it from then on.
//! Every counter already in use is re-pointed: its slot is cleared (its next increment
//! resolves again, into the file) and what it counted in memory is added to the file.
//!
//! Weeks end without a timer thread, and without touching memory on the hot path: an
//! increment that carries a counter's value across a multiple of [`CHECK_EVERY`], or
//! that finds it below [`CHECK_BELOW`] (the atomic add's result tells both for free),
//! compares the clock with the deadline (the end of the week, or the time to retry a
//! file that could not be opened). So a busy counter looks once in 1,024 increments and
//! a rarely used one at every increment: a process moves to the new week's file at the
//! first increment after the boundary of any counter used fewer than 64 times that
//! week, or within 1,024 increments of any counter. Past it, one thread opens the next file and re-points the counters; counts
//! made meanwhile through a stale pointer land in the old week's file, which stays
//! mapped. In `off` mode there is no deadline and the clock is never read.
//!
//! A file found inconsistent while in use (a chain leading outside it) is handled the
//! same way: the name that hit it counts in memory, and the next look at the clock
//! renames the file aside and opens a fresh one, into which memory counts are carried.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::counter::Counter;
use crate::date::{self, DAY};
use crate::dirs;
use crate::file::{self, CellError, Header, MappedFile};
use crate::mode::{self, Env};
use crate::program::{Program, ProgramInfo, Session};
use crate::registry;
use crate::week;

/// A counter crossing a multiple of this value makes its incrementer look at the clock.
pub const CHECK_EVERY: u64 = 1024;
/// A counter below this value makes its incrementer look at the clock every time.
pub const CHECK_BELOW: u64 = 64;
/// First delay before retrying a file that could not be opened; it doubles up to
/// [`MAX_RETRY_SECS`].
const FIRST_RETRY_SECS: u64 = 60;
const MAX_RETRY_SECS: u64 = 3600;

/// The counter file in use, with the end of its week.
pub(crate) struct Active {
    pub(crate) file: MappedFile,
    end_secs: u64,
}

/// The file counters resolve against; null when none is open. Each `Active` is leaked:
/// counters may hold cells inside its mapping for the rest of the process.
static ACTIVE: AtomicPtr<Active> = AtomicPtr::new(std::ptr::null_mut());
/// When the tick must look again, in Unix seconds; `u64::MAX` when never.
static DEADLINE: AtomicU64 = AtomicU64::new(u64::MAX);
/// Seconds added to the system clock; only tests move it.
static CLOCK_OFFSET: AtomicI64 = AtomicI64::new(0);
static SESSION: OnceLock<Session> = OnceLock::new();
/// Set when a lookup found the active file inconsistent: the next look at the clock
/// sets it aside and opens a fresh one.
static ACTIVE_IS_BAD: AtomicBool = AtomicBool::new(false);
/// What a re-open needs, and the retry delay. Locked by the one thread re-opening.
static REOPEN: Mutex<Option<Reopen>> = Mutex::new(None);

struct Reopen {
    program: ProgramInfo,
    local: PathBuf,
    retry_secs: u64,
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
    if deadline == u64::MAX || now() < deadline {
        return;
    }
    // One thread re-opens; the others carry on counting.
    let Ok(mut reopen) = REOPEN.try_lock() else {
        return;
    };
    if DEADLINE.load(Ordering::Relaxed) != deadline {
        return;
    }
    if let Some(state) = reopen.as_mut() {
        let _ = open_week(state);
    }
}

pub(crate) fn start(program: Program) -> &'static Session {
    SESSION.get_or_init(|| start_once(&program, &Env::from_process()))
}

/// Does all `start` does, with `env` instead of the process environment and without
/// remembering the session: for benchmarks of start-up. Not public API.
#[doc(hidden)]
pub fn start_uncached(program: &Program, env: &Env) -> Session {
    start_once(program, env)
}

/// Does the work of `start` in a `local` namespace under `env.dir`, without publishing
/// the file to counters (so it can be unmapped again): for benchmarks that start many
/// times in one process. Not public API.
#[doc(hidden)]
pub fn start_unpublished(program: &Program, env: &Env) -> Result<PathBuf, String> {
    let dir = dirs::root(env).ok_or("no directory")?;
    let dir = dirs::namespace_dir(&dir, program.namespace_name());
    let (mode, _) = mode::effective(env, Some(&dir), program.default());
    if !mode.writes_files() {
        return Err(format!("mode {mode}"));
    }
    let (file, _, _) = open_file(program.info(), &dir.join(dirs::LOCAL), now(), true)?;
    // What `activate` does besides publishing: walk every counter for counts to carry.
    repoint_all();
    Ok(file.path().to_path_buf())
}

fn start_once(program: &Program, env: &Env) -> Session {
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
    let (mode, source) = mode::effective(env, dir.as_deref(), program.default());
    let mut session = Session {
        program: program.info().clone(),
        mode,
        source,
        dir: dir.clone(),
        file: None,
        problems,
    };
    let Some(dir) = dir.filter(|_| mode.writes_files()) else {
        return session;
    };
    let mut state = Reopen {
        program: program.info().clone(),
        local: dir.join(dirs::LOCAL),
        retry_secs: FIRST_RETRY_SECS,
    };
    match open_week(&mut state) {
        Ok(opened) => {
            session.file = Some(opened.path);
            session.problems.extend(opened.set_aside);
        }
        Err(problem) => session.problems.push(problem),
    }
    *REOPEN.lock().unwrap_or_else(|p| p.into_inner()) = Some(state);
    session
}

struct OpenedWeek {
    path: PathBuf,
    set_aside: Option<String>,
}

/// Opens the file of the week containing `now()` and makes it the active one. On
/// failure, counting stays in memory and a retry is scheduled.
fn open_week(state: &mut Reopen) -> Result<OpenedWeek, String> {
    if ACTIVE_IS_BAD.swap(false, Ordering::AcqRel)
        && let Some(bad) = active()
    {
        // Other processes may still use it; they find it inconsistent themselves.
        let _ = file::rename_aside(bad.file.path());
    }
    let now = now();
    let result = open_file(&state.program, &state.local, now, false);
    match result {
        Ok((file, end_secs, set_aside)) => {
            state.retry_secs = FIRST_RETRY_SECS;
            let path = file.path().to_path_buf();
            activate(Active { file, end_secs });
            Ok(OpenedWeek { path, set_aside })
        }
        Err(problem) => {
            DEADLINE.store(now + state.retry_secs, Ordering::Relaxed);
            state.retry_secs = (state.retry_secs * 2).min(MAX_RETRY_SECS);
            Err(problem)
        }
    }
}

type Opened = (MappedFile, u64, Option<String>);

fn open_file(
    program: &ProgramInfo,
    local: &Path,
    now: u64,
    private: bool,
) -> Result<Opened, String> {
    let shown = local.display();
    file::create_private_dir(local)
        .map_err(|e| format!("cannot create {shown}: {e}; counting in memory"))?;
    let weekday = week::installation_weekday(local)
        .map_err(|e| format!("cannot use the weekday file in {shown}: {e}; counting in memory"))?;
    let (begin, end) = week::window(date::day_of(now), weekday);
    let header = Header {
        meta: program.meta(),
        begin: begin * DAY,
        end: end * DAY,
    };
    let name = file::file_name(program, begin);
    let opened = file::open_or_create(local, &name, &header, &registry::file_names, private)
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
/// no file or the file cannot hold it.
pub(crate) fn file_cell(name: &str) -> Option<&'static AtomicU64> {
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

fn file_cell_in(active: &'static Active, name: &str) -> Option<&'static AtomicU64> {
    match active.file.cell(name) {
        Ok(cell) => Some(cell),
        Err(CellError::Full | CellError::Unsupported | CellError::Io) => {
            crate::health::FILE_FULL.add_in_memory(1);
            None
        }
        Err(CellError::Corrupt) => {
            crate::health::FILE_CORRUPT.add_in_memory(1);
            if !ACTIVE_IS_BAD.swap(true, Ordering::AcqRel) {
                DEADLINE.store(0, Ordering::Relaxed);
            }
            None
        }
    }
}
