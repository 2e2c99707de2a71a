//! Goroutines: spawning, identity, and `GOMAXPROCS`.
//!
//! Goroutines run on the M:N scheduler ([`super::sched`]) as coroutines on
//! `GOMAXPROCS` worker threads. A goroutine never changes thread once it has
//! started, so thread-locals read inside one stay its own. (Under loom,
//! whose model threads cannot host coroutines, a goroutine is a thread.)

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use crossbeam_utils::CachePadded;

use super::hb;

/// Ids handed to goroutines; 1 is the main goroutine's, as in Go.
static NEXT_ID: AtomicU64 = AtomicU64::new(2);

/// Goroutines started and not yet finished, not counting main.
///
/// Sharded: a goroutine is counted in on the spawner's thread and out on
/// the thread that ran it, and one shared counter would bounce between
/// workers on every spawn. Each thread adds to its own shard (wrapping;
/// only the sum means anything).
static LIVE: [CachePadded<AtomicUsize>; SHARDS] =
    [const { CachePadded::new(AtomicUsize::new(0)) }; SHARDS];

const SHARDS: usize = 16;

thread_local! {
    /// This thread's shard of [`LIVE`].
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

fn live_shard() -> &'static AtomicUsize {
    &LIVE[SHARD.with(|s| *s)]
}

/// 0 until first read; then the number of processors goroutines run on.
static GOMAXPROCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's goroutine id; 0 until it is first asked for.
    static ID: Cell<u64> = const { Cell::new(0) };
}

/// The id of the running goroutine.
///
/// The process's main thread is goroutine 1. Any other thread that did not
/// start as a goroutine (a `#[test]`, a `std::thread`) gets a fresh id the
/// first time it asks, so that reports can name it.
pub(crate) fn id() -> u64 {
    #[cfg(not(loom))]
    if let Some(id) = super::sched::current_id() {
        return id;
    }
    ID.with(|id| {
        if id.get() == 0 {
            let fresh = if is_main_thread() {
                1
            } else {
                NEXT_ID.fetch_add(1, Ordering::Relaxed)
            };
            id.set(fresh);
        }
        id.get()
    })
}

/// Whether the calling thread is the process's main thread.
#[cfg(target_os = "linux")]
fn is_main_thread() -> bool {
    // SAFETY: gettid and getpid have no preconditions and cannot fail.
    unsafe { libc::gettid() == libc::getpid() }
}

/// Whether the calling thread is the process's main thread. Without a
/// system call to ask, std's name for it is the best evidence.
#[cfg(not(target_os = "linux"))]
fn is_main_thread() -> bool {
    thread::current().name() == Some("main")
}

/// Counts a goroutine as live for as long as it exists, even if it panics.
struct Live;

impl Live {
    fn enter() -> Live {
        live_shard().fetch_add(1, Ordering::Relaxed);
        Live
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        live_shard().fetch_sub(1, Ordering::Relaxed);
    }
}

/// Starts `f` as a new goroutine (`go f()`), near its spawner.
#[cfg(not(loom))]
pub(crate) fn go<F: FnOnce() + Send + 'static>(f: F) {
    go_placed(f, super::sched::Place::Near);
}

/// Starts `f` as a new goroutine spread over the workers (see
/// [`crate::go_spread`]).
#[cfg(not(loom))]
pub(crate) fn go_spread<F: FnOnce() + Send + 'static>(f: F) {
    go_placed(f, super::sched::Place::Spread);
}

#[cfg(not(loom))]
fn go_placed<F: FnOnce() + Send + 'static>(f: F, place: super::sched::Place) {
    let child = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    hb::fork(child);
    let live = Live::enter();
    super::sched::spawn(
        child,
        move || {
            let _live = live;
            hb::start(child);
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
                die(child, &*payload);
            }
        },
        place,
    );
}

/// Runs `f` as a goroutine and waits for it; its panic, if any, resumes here.
#[cfg(not(loom))]
pub(crate) fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let child = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    call_and_wait(child, f, |body| {
        super::sched::spawn(child, body, super::sched::Place::Near)
    })
}

/// Runs `f` on a new OS thread and parks the caller (goroutine or thread)
/// until it returns; its panic, if any, resumes here. For work that blocks
/// in the kernel, which would otherwise hold a scheduler worker.
#[cfg(not(loom))]
pub(crate) fn block_on_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let child = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    call_and_wait(child, f, |body| {
        thread::Builder::new()
            .name(format!("gosync blocking {child}"))
            .spawn(move || {
                ID.with(|id| id.set(child));
                body();
            })
            .expect("gosync: cannot start a thread: the OS refused");
    })
}

/// Starts `f` as `child` with `start`, waits for it to finish, and returns
/// its result or resumes its panic.
#[cfg(not(loom))]
fn call_and_wait<R: Send>(
    child: u64,
    f: impl FnOnce() -> R + Send,
    start: impl FnOnce(Box<dyn FnOnce() + Send + 'static>),
) -> R {
    use std::cell::UnsafeCell;
    use std::sync::atomic::AtomicBool;

    struct Slot<R> {
        result: UnsafeCell<Option<thread::Result<R>>>,
        done: AtomicBool,
    }
    // SAFETY: the child writes `result` before `done` (Release) and the
    // caller reads it only after seeing `done` (Acquire).
    unsafe impl<R: Send> Sync for Slot<R> {}

    hb::fork(child);
    let slot = Slot {
        result: UnsafeCell::new(None),
        done: AtomicBool::new(false),
    };
    let waiter = super::waiter::Waiter::current();
    let slot_ref = &slot;
    let body: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
        let live = Live::enter();
        hb::start(child);
        let r = panic::catch_unwind(AssertUnwindSafe(f));
        hb::exit(child);
        drop(live);
        // SAFETY: only the child writes the slot, before `done`.
        unsafe { *slot_ref.result.get() = Some(r) };
        slot_ref.done.store(true, Ordering::Release);
        // From here on `slot` may be gone; `waiter` is the child's own.
        waiter.unpark();
    });
    // SAFETY: the body borrows `f`'s captures and `slot` from this frame,
    // and this function does not return (nor unwind: nothing below panics)
    // until the body has set `done`, after which it touches neither.
    let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
    start(body);
    while !slot.done.load(Ordering::Acquire) {
        super::waiter::Waiter::park(None);
    }
    hb::join(child);
    // SAFETY: `done` was seen: the child wrote the slot and is done with it.
    let result = unsafe { (*slot.result.get()).take() }.expect("the child stored its result");
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// Starts `f` as a new goroutine (`go f()`): a thread, under loom.
#[cfg(loom)]
pub(crate) fn go<F: FnOnce() + Send + 'static>(f: F) {
    let child = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    hb::fork(child);
    let live = Live::enter();
    thread::Builder::new()
        .name(format!("goroutine {child}"))
        .spawn(move || {
            let _live = live;
            ID.with(|id| id.set(child));
            hb::start(child);
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
                die(child, &*payload);
            }
        })
        .expect("gosync: cannot start a goroutine: the OS refused a thread");
}

/// Starts `f` as a new goroutine: a thread, under loom, where there is no
/// placement to choose.
#[cfg(loom)]
pub(crate) fn go_spread<F: FnOnce() + Send + 'static>(f: F) {
    go(f);
}

/// Runs `f` as a goroutine and waits for it: a thread, under loom.
#[cfg(loom)]
pub(crate) fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let child = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    hb::fork(child);
    let result = thread::scope(|s| {
        thread::Builder::new()
            .name(format!("goroutine {child}"))
            .spawn_scoped(s, || {
                let _live = Live::enter();
                ID.with(|id| id.set(child));
                hb::start(child);
                let r = panic::catch_unwind(AssertUnwindSafe(f));
                hb::exit(child);
                r
            })
            .expect("gosync: cannot start a goroutine: the OS refused a thread")
            .join()
            .expect("the goroutine catches its own panic")
    });
    hb::join(child);
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// Ends the process because a goroutine panicked, as Go does. The panic
/// hook has already printed the message and location.
pub(crate) fn die(goroutine: u64, payload: &(dyn std::any::Any + Send)) -> ! {
    eprintln!(
        "panic: {}\n\ngoroutine {goroutine} [running]: a panic in a goroutine ends the program, as in Go",
        panic_message(payload)
    );
    std::process::exit(2)
}

/// The message of a panic payload (`panic!` carries `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Live goroutines, counting main.
pub(crate) fn num_goroutine() -> usize {
    LIVE.iter()
        .fold(0usize, |n, s| n.wrapping_add(s.load(Ordering::Relaxed)))
        + 1
}

/// Lets other goroutines run.
pub(crate) fn gosched() {
    #[cfg(not(loom))]
    if let Some(g) = super::sched::current() {
        return super::sched::yield_now(&g);
    }
    thread::yield_now();
}

/// The number of logical CPUs usable by this process.
pub(crate) fn num_cpu() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// The number of processors goroutines run on: `GOMAXPROCS` from the
/// environment if set to a positive number, else [`num_cpu`].
#[inline]
pub(crate) fn gomaxprocs() -> usize {
    match GOMAXPROCS.load(Ordering::Relaxed) {
        0 => init_gomaxprocs(),
        n => n,
    }
}

#[cold]
fn init_gomaxprocs() -> usize {
    let n = std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(num_cpu);
    // Whoever initialises first wins, so every reader sees one value.
    match GOMAXPROCS.compare_exchange(0, n, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => n,
        Err(set) => set,
    }
}

/// Sets the number of processors and returns the previous setting; 0 only
/// reads it, as Go's `runtime.GOMAXPROCS(0)`.
pub(crate) fn set_gomaxprocs(n: usize) -> usize {
    let prev = gomaxprocs();
    if n > 0 {
        GOMAXPROCS.store(n, Ordering::Relaxed);
    }
    prev
}
