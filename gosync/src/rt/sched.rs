//! The M:N scheduler: goroutines are stackful coroutines (corosensei) run
//! by `GOMAXPROCS` worker threads.
//!
//! - **Pinning.** A goroutine runs on the worker that first ran it, for its
//!   whole life, so thread-locals read inside it stay its own across every
//!   blocking operation (a goroutine that moved threads would see another
//!   thread's, which is how `may`'s coroutines are unsound). Goroutines not
//!   started yet have no stack and no thread; an idle worker may steal them.
//! - **Placement.** A new goroutine is queued on its spawner's worker
//!   ([`Place::Near`], what `go` does): goroutines that hand off to each
//!   other then share a worker, where a handoff is a user-space switch.
//!   [`Place::Spread`] (`go_spread`) queues it instead on the worker with
//!   the fewest live spread goroutines, an idle one first among equals, so
//!   that CPU-bound goroutines that block as soon as they start (a worker
//!   pool) still end up on every worker.
//! - **Queues.** Each worker has `ready` (its started goroutines that were
//!   woken, FIFO, filled by any thread), `fresh` (new goroutines, FIFO,
//!   stealable) and, as Go's `runnext`, a one-goroutine slot that a
//!   goroutine fills when it wakes another goroutine of the same worker: a
//!   ping-pong between two goroutines then never leaves the core.
//! - **Parking.** A goroutine parks by switching back to its worker
//!   ([`park`]); waking it ([`unpark`]) puts it on its worker's queue, and
//!   wakes that worker if it sleeps. A worker out of work spins a little
//!   looking for some (Go's spinning Ms) before it sleeps.
//! - **Blocking.** The scheduler cannot preempt: a goroutine that blocks in
//!   the kernel (file or socket I/O, `std::thread::sleep`, a `std` lock held
//!   by a thread) or spins without yielding holds its worker, and the other
//!   goroutines pinned to that worker wait. Run such work on a thread of its
//!   own (`std::thread::spawn` and a channel back, or
//!   [`crate::runtime::block_on_thread`]).

use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::VecDeque;
use std::mem::MaybeUninit;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use crossbeam_utils::CachePadded;

use super::{clock, stack, timer};

/// Why a goroutine switched back to its worker.
enum Suspend {
    /// It parks: run it again once unparked.
    Park,
    /// It yields (`gosched`): run it again after the others that are ready.
    Yield,
}

type Coro = Coroutine<(), Suspend, (), DefaultStack>;

/// Running, no wake-up pending.
const IDLE: u8 = 0;
/// A wake-up is pending: the next park returns at once.
const NOTIFIED: u8 = 1;
/// Parked (switching out, or switched out) and on no queue: whoever
/// unparks it queues it. It may be queued before it has finished switching
/// out: only its own worker runs it (pinning), and that worker is the one
/// switching it out, so it runs again only after the switch.
const PARKED: u8 = 3;

/// Words of a goroutine's closure that fit inline in its [`G`].
const BODY_WORDS: usize = 8;

/// A goroutine's body, in its [`G`]: the closure itself when it fits in
/// [`BODY_WORDS`] words, else a box holding it. With `G`s recycled (see
/// [`free_g`]), spawning a goroutine with a small closure allocates
/// nothing.
struct BodySlot {
    data: UnsafeCell<MaybeUninit<[usize; BODY_WORDS]>>,
    /// Takes the closure out of `data` and calls it; `None` when empty.
    call: Cell<Option<unsafe fn(*mut u8)>>,
}

/// Calls the closure `F` stored at `p`, moving it out.
///
/// # Safety
///
/// `p` holds an initialised `F`, which nobody uses afterwards.
unsafe fn call_inline<F: FnOnce()>(p: *mut u8) {
    // SAFETY: by the caller's contract.
    let f = unsafe { std::ptr::read(p.cast::<F>()) };
    f();
}

/// Calls the boxed closure `F` whose box is stored at `p`, moving it out.
///
/// # Safety
///
/// `p` holds an initialised `Box<F>`, which nobody uses afterwards.
unsafe fn call_boxed<F: FnOnce()>(p: *mut u8) {
    // SAFETY: by the caller's contract.
    let f = unsafe { std::ptr::read(p.cast::<Box<F>>()) };
    f();
}

impl BodySlot {
    const fn empty() -> BodySlot {
        BodySlot {
            data: UnsafeCell::new(MaybeUninit::uninit()),
            call: Cell::new(None),
        }
    }

    /// Stores `f`; the slot must be empty and not shared.
    fn set<F: FnOnce() + Send + 'static>(&mut self, f: F) {
        debug_assert!(self.call.get().is_none(), "a goroutine's body is set once");
        let data = self.data.get_mut().as_mut_ptr().cast::<u8>();
        let fits = std::mem::size_of::<F>() <= std::mem::size_of::<[usize; BODY_WORDS]>()
            && std::mem::align_of::<F>() <= std::mem::align_of::<usize>();
        if fits {
            // SAFETY: `data` is valid for writes of `F` (size and alignment
            // checked just above) and holds nothing (the slot is empty).
            unsafe { std::ptr::write(data.cast::<F>(), f) };
            self.call.set(Some(call_inline::<F>));
        } else {
            // SAFETY: a box is one word, which `data` has room for.
            unsafe { std::ptr::write(data.cast::<Box<F>>(), Box::new(f)) };
            self.call.set(Some(call_boxed::<F>));
        }
    }

    /// Takes the body out and runs it.
    ///
    /// # Safety
    ///
    /// Called by the goroutine itself, on its worker; nothing else touches
    /// the slot meanwhile.
    unsafe fn run(&self) {
        let call = self.call.take().expect("a goroutine's body runs once");
        // SAFETY: `call` matches what `set` stored in `data`, and taking it
        // out of `call` makes this the only use.
        unsafe { call(self.data.get().cast::<u8>()) };
    }
}

/// A goroutine.
pub(crate) struct G {
    id: u64,
    state: AtomicU8,
    /// The worker that runs it, from its first run on (`usize::MAX` before).
    worker: AtomicUsize,
    /// For a goroutine started with [`Place::Spread`], the worker whose
    /// [`Worker::spread`] counts it: where it was queued, then where it
    /// started; [`NOT_SPREAD`] for others. Written by the spawner before
    /// the goroutine is shared and by its worker when it starts (the run
    /// queue's lock orders the two); read by that worker.
    spread: AtomicUsize,
    /// The coroutine, touched only by the goroutine's worker thread.
    coro: UnsafeCell<Option<Coro>>,
    /// The coroutine's yielder, valid while the coroutine runs; touched only
    /// on the worker thread, inside the coroutine.
    yielder: Cell<*const Yielder<(), Suspend>>,
    /// The guard page below its stack, once it has one (worker thread only).
    guard: Cell<(usize, usize)>,
    /// The body, until the goroutine runs it.
    body: BodySlot,
}

// SAFETY: `body` is set before the goroutine is shared and run by the
// goroutine itself, once, on the worker that started it (and the closure
// is `Send`); `coro` and `yielder` are touched only on the worker thread
// the goroutine is pinned to; everything else is atomic.
unsafe impl Send for G {}
// SAFETY: as above.
unsafe impl Sync for G {}

impl G {
    fn empty() -> G {
        G {
            id: 0,
            state: AtomicU8::new(IDLE),
            worker: AtomicUsize::new(usize::MAX),
            spread: AtomicUsize::new(NOT_SPREAD),
            coro: UnsafeCell::new(None),
            yielder: Cell::new(std::ptr::null()),
            guard: Cell::new((0, 0)),
            body: BodySlot::empty(),
        }
    }
}

impl Drop for G {
    fn drop(&mut self) {
        // A goroutine blocked forever whose waker is gone (a receive on a
        // channel nobody else holds) is leaked, as in Go: unwinding its
        // stack here, on whatever thread dropped the last handle, would run
        // its destructors on the wrong thread. (A body never run is leaked
        // too; that happens only when the process ends.)
        if let Some(coro) = self.coro.get_mut().take() {
            if !coro.done() {
                std::mem::forget(coro);
            }
        }
    }
}

impl std::fmt::Debug for G {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "goroutine {}", self.id)
    }
}

/// A run queue: FIFO under a lock, with its length readable without it.
#[derive(Default)]
struct Queue {
    q: Mutex<VecDeque<Arc<G>>>,
    len: AtomicUsize,
}

impl Queue {
    fn push_back(&self, g: Arc<G>) {
        let mut q = self.q.lock().unwrap();
        q.push_back(g);
        self.len.store(q.len(), Ordering::Relaxed);
    }

    fn push_front(&self, g: Arc<G>) {
        let mut q = self.q.lock().unwrap();
        q.push_front(g);
        self.len.store(q.len(), Ordering::Relaxed);
    }

    fn extend(&self, gs: impl IntoIterator<Item = Arc<G>>) {
        let mut q = self.q.lock().unwrap();
        q.extend(gs);
        self.len.store(q.len(), Ordering::Relaxed);
    }

    fn pop_front(&self) -> Option<Arc<G>> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.q.lock().unwrap();
        let g = q.pop_front();
        self.len.store(q.len(), Ordering::Relaxed);
        g
    }

    /// A hint, exact once the pushes and pops one is ordered after are
    /// done (the queue's lock orders the rest).
    fn is_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }

    /// Takes the older half (rounded up).
    fn steal_half(&self) -> VecDeque<Arc<G>> {
        if self.is_empty() {
            return VecDeque::new();
        }
        let mut q = self.q.lock().unwrap();
        let take = q.len().div_ceil(2);
        if take == 0 {
            return VecDeque::new();
        }
        let got = q.drain(..take).collect();
        self.len.store(q.len(), Ordering::Relaxed);
        got
    }
}

/// [`G::spread`] of a goroutine not started with [`Place::Spread`].
const NOT_SPREAD: usize = usize::MAX;

/// Where [`spawn`] queues a new goroutine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// On the spawner's worker (the global queue from a plain thread), for
    /// goroutines that will hand off to their spawner or its neighbours.
    Near,
    /// On the worker with the fewest live spread goroutines, an idle one
    /// first among equals (see [`Sched::spread_target`]): for goroutines
    /// that will keep a worker busy.
    Spread,
}

struct Worker {
    ready: Queue,
    fresh: Queue,
    /// Live goroutines started with [`Place::Spread`] that are queued on
    /// this worker or pinned to it (see [`G::spread`]). Placement balances
    /// it; relaxed, as a hint.
    spread: AtomicUsize,
    /// Looking for work (spinning or asleep, or not started yet) rather
    /// than running goroutines. Written by the worker only, and only when
    /// it runs out of work or finds some; read by spawners as a placement
    /// hint.
    idle: AtomicBool,
    /// How many times this worker has switched to a goroutine. Written by
    /// the worker only; read by thieves, to tell a worker busy handing off
    /// between goroutines from one held by a long-running goroutine.
    ticks: AtomicU32,
    sleeping: AtomicBool,
    thread: OnceLock<Thread>,
    /// The worker thread's CPU-time clock, for thieves to tell a worker
    /// that runs one goroutine long from one that is not running at all.
    cpu_clock: OnceLock<CpuClock>,
}

struct Sched {
    workers: Box<[CachePadded<Worker>]>,
    /// New goroutines started from outside any worker.
    global: Mutex<VecDeque<Arc<G>>>,
    /// Workers spinning for work; new work wakes a sleeper only if none is.
    spinning: AtomicUsize,
    /// Where [`Sched::spread_target`] starts looking, advanced by each
    /// spread spawn, so that ties go round-robin.
    spread_cursor: AtomicUsize,
}

static SCHED: OnceLock<Sched> = OnceLock::new();

thread_local! {
    /// This thread's worker index, or `usize::MAX` on other threads.
    static WORKER: Cell<usize> = const { Cell::new(usize::MAX) };
    /// The goroutine running on this thread, if any.
    static CURRENT: Cell<Option<NonNull<G>>> = const { Cell::new(None) };
    /// Go's `runnext`: the goroutine to run next on this worker.
    static RUNNEXT: RefCell<Option<Arc<G>>> = const { RefCell::new(None) };
}

fn sched() -> &'static Sched {
    SCHED.get_or_init(|| {
        stack::install_overflow_handler();
        let n = super::goroutine::gomaxprocs();
        let s = Sched {
            workers: (0..n)
                .map(|_| {
                    CachePadded::new(Worker {
                        ready: Queue::default(),
                        fresh: Queue::default(),
                        spread: AtomicUsize::new(0),
                        idle: AtomicBool::new(true),
                        ticks: AtomicU32::new(0),
                        sleeping: AtomicBool::new(false),
                        thread: OnceLock::new(),
                        cpu_clock: OnceLock::new(),
                    })
                })
                .collect(),
            global: Mutex::new(VecDeque::new()),
            spinning: AtomicUsize::new(0),
            spread_cursor: AtomicUsize::new(0),
        };
        for i in 0..n {
            thread::Builder::new()
                .name(format!("gosync worker {i}"))
                .spawn(move || worker_main(i))
                .expect("gosync: cannot start a scheduler worker thread");
        }
        s
    })
}

/// The goroutine running on this thread, if any.
pub(crate) fn current() -> Option<Arc<G>> {
    let p = CURRENT.with(Cell::get)?.as_ptr().cast_const();
    // SAFETY: `CURRENT` is set only while the worker runs the goroutine,
    // and the worker holds a strong reference meanwhile.
    unsafe {
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}

/// The id of the goroutine running on this thread, if any.
/// Whether `g` is the goroutine running this code.
pub(crate) fn is_current(g: &Arc<G>) -> bool {
    CURRENT
        .with(Cell::get)
        .is_some_and(|p| std::ptr::eq(p.as_ptr().cast_const(), Arc::as_ptr(g)))
}

pub(crate) fn current_id() -> Option<u64> {
    let p = CURRENT.with(Cell::get)?;
    // SAFETY: as in `current`.
    Some(unsafe { p.as_ref() }.id)
}

/// Finished `G`s kept for reuse on this thread, at most [`FREE_LOCAL`].
const FREE_LOCAL: usize = 64;
/// `G`s move between a thread's list and the shared one in batches of this.
const FREE_BATCH: usize = 32;
/// Batches the shared list keeps at most; beyond, `G`s are freed.
const FREE_SHARED: usize = 64;

thread_local! {
    static FREE: RefCell<Vec<Arc<G>>> = const { RefCell::new(Vec::new()) };
}

/// Batches of finished `G`s shared between threads: the spawning worker
/// and the one that ran a goroutine are often not the same, and freeing
/// on one what the other allocated contends for the malloc arena's lock on
/// every spawn (Go keeps per-P and global free lists of `g`s the same way).
static FREE_SHARED_LIST: Mutex<Vec<Vec<Arc<G>>>> = Mutex::new(Vec::new());

/// A `G` for a new goroutine: a finished one if any, else a new one.
fn alloc_g() -> Arc<G> {
    FREE.with(|f| {
        let mut f = f.borrow_mut();
        if f.is_empty() {
            if let Some(batch) = FREE_SHARED_LIST.lock().unwrap().pop() {
                *f = batch;
            }
        }
        f.pop()
    })
    .unwrap_or_else(|| Arc::new(G::empty()))
}

/// Keeps a finished goroutine's `G` for reuse, unless something (a waker
/// that has not yet dropped its handle) still refers to it.
fn free_g(mut g: Arc<G>) {
    let Some(m) = Arc::get_mut(&mut g) else {
        return;
    };
    // Reset it as `G::empty` makes it (its coroutine is gone already, and
    // its body was run).
    m.id = 0;
    *m.state.get_mut() = IDLE;
    *m.worker.get_mut() = usize::MAX;
    *m.spread.get_mut() = NOT_SPREAD;
    m.yielder.set(std::ptr::null());
    m.guard.set((0, 0));
    debug_assert!(m.coro.get_mut().is_none() && m.body.call.get().is_none());
    FREE.with(|f| {
        let mut f = f.borrow_mut();
        f.push(g);
        if f.len() > FREE_LOCAL {
            let keep = f.len() - FREE_BATCH;
            let batch = f.split_off(keep);
            let mut shared = FREE_SHARED_LIST.lock().unwrap();
            if shared.len() < FREE_SHARED {
                shared.push(batch);
            }
        }
    });
}

/// Whether the calling goroutine's worker has other goroutines ready to
/// run. Spinning in a goroutine then only delays them (Go's `canSpin`
/// requires an empty local run queue); its partner may well be one of them.
pub(crate) fn others_ready() -> bool {
    let me = WORKER.with(Cell::get);
    if me == usize::MAX {
        return false;
    }
    if RUNNEXT.with(|r| r.borrow().is_some()) {
        return true;
    }
    let w = &sched().workers[me];
    !w.ready.is_empty() || !w.fresh.is_empty()
}

/// Starts `body` as goroutine `id`, queued as `place` says.
pub(crate) fn spawn<F: FnOnce() + Send + 'static>(id: u64, body: F, place: Place) {
    let mut g = alloc_g();
    let s = sched();
    let me = WORKER.with(Cell::get);
    let target = match place {
        Place::Near => me,
        Place::Spread => s.spread_target(),
    };
    {
        let m = Arc::get_mut(&mut g).expect("a free G is not shared");
        m.id = id;
        m.body.set(body);
        if place == Place::Spread {
            *m.spread.get_mut() = target;
            // Counted before it is queued, so the next spread spawn sees it.
            s.workers[target].spread.fetch_add(1, Ordering::Relaxed);
        }
    }
    if target == usize::MAX {
        s.global.lock().unwrap().push_back(g);
    } else {
        s.workers[target].fresh.push_back(g);
    }
    // Pairs with the fence in `look_for_work` before it sleeps: either the
    // worker sees the goroutine, or we see it sleeping and wake it.
    fence(Ordering::SeqCst);
    if target != me {
        let w = &s.workers[target];
        if w.sleeping.load(Ordering::Relaxed) {
            if let Some(t) = w.thread.get() {
                t.unpark();
            }
            return;
        }
        if w.idle.load(Ordering::Relaxed) {
            // Spinning: it finds the goroutine in its own queue.
            return;
        }
    }
    s.wake_idle();
}

/// Parks the running goroutine until [`unpark`] (or spuriously), or until
/// `deadline`: `Some(false)` once `deadline` has passed, `None` if the
/// caller is not a goroutine.
pub(crate) fn park_current(deadline: Option<Instant>) -> Option<bool> {
    let p = CURRENT.with(Cell::get)?;
    // SAFETY: while a goroutine runs (and it is running this), the worker
    // that resumed it holds a strong reference to it; the reference is not
    // used while the goroutine is switched out.
    let g = unsafe { p.as_ref() };
    Some(park(g, deadline))
}

/// Parks goroutine `g`, the caller; see [`park_current`].
fn park(g: &G, deadline: Option<Instant>) -> bool {
    let timer = match deadline {
        Some(d) => {
            // A pending wake-up returns at once, with no timer to set up.
            if g.state.load(Ordering::Relaxed) == NOTIFIED {
                g.state.swap(IDLE, Ordering::Acquire);
                return true;
            }
            if clock::now() >= d {
                return false;
            }
            // SAFETY: `g` is the running goroutine (see `park_current`),
            // alive; the new reference is the timer's own.
            let waker: Arc<G> = unsafe {
                let p: *const G = g;
                Arc::increment_strong_count(p);
                Arc::from_raw(p)
            };
            Some(timer::start(d, None, Arc::new(move |_| unpark(&waker))))
        }
        None => None,
    };
    // One CAS decides: parked (switch out), or a wake-up was pending.
    if g.state
        .compare_exchange(IDLE, PARKED, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        suspend(g, Suspend::Park);
    }
    // Woken (or the wake-up came first): consume it. Acquire: the waker's
    // writes before `unpark` are visible.
    g.state.swap(IDLE, Ordering::Acquire);
    if let Some(t) = timer {
        timer::remove(t);
    }
    true
}

/// Makes `g` runnable: its current or next [`park`] returns.
pub(crate) fn unpark(g: &Arc<G>) {
    // Release: our writes before the wake-up travel with it.
    if g.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
        // SAFETY: a parked goroutine owns one strong reference, the one its
        // worker held while running it and did not drop (`run`), and only
        // the unparker that moved it out of `PARKED` (us) takes it. The
        // goroutine may still be switching out, with its worker holding
        // that reference, but only that worker runs it (pinning), after
        // the switch, so the queued handle is not used before then.
        let parked = unsafe { Arc::from_raw(Arc::as_ptr(g)) };
        sched().ready(parked);
    }
}

/// Lets the other ready goroutines of this worker run.
pub(crate) fn yield_now(g: &Arc<G>) {
    suspend(g, Suspend::Yield);
}

/// Switches from goroutine `g` (running on this thread) to its worker.
fn suspend(g: &G, why: Suspend) {
    let y = g.yielder.get();
    debug_assert!(!y.is_null(), "suspend outside the goroutine");
    // SAFETY: `yielder` was set by the coroutine body and stays valid while
    // the coroutine runs, which it does: we are inside it.
    unsafe { (*y).suspend(why) };
}

impl Sched {
    /// Queues a woken goroutine on its worker: `runnext` if that worker is
    /// this thread, else its `ready` queue, waking the worker if it sleeps.
    fn ready(&self, g: Arc<G>) {
        let w = g.worker.load(Ordering::Relaxed);
        if WORKER.with(Cell::get) == w {
            let displaced = RUNNEXT.with(|r| r.borrow_mut().replace(g));
            if let Some(d) = displaced {
                self.workers[w].ready.push_back(d);
            }
            return;
        }
        let worker = &self.workers[w];
        worker.ready.push_back(g);
        // Pairs with the fence in `look_for_work` before it sleeps.
        fence(Ordering::SeqCst);
        if worker.sleeping.load(Ordering::Relaxed) {
            if let Some(t) = worker.thread.get() {
                t.unpark();
            }
        }
    }

    /// The worker a [`Place::Spread`] goroutine is queued on: the one with
    /// the fewest live spread goroutines ([`Worker::spread`]); among those,
    /// an idle one (looking for work, nothing queued); among those, the
    /// first from a cursor that each call advances (round-robin).
    ///
    /// The count comes first, not idleness: the goroutines of a pool
    /// usually block as soon as they start, so a worker that started some
    /// is soon idle again, and an idle-first rule would put the whole pool
    /// there, the very pile-up this placement exists to avoid. The count
    /// is of spread goroutines only: they are the ones the caller says will
    /// keep a worker busy; most others block far more than they run.
    fn spread_target(&self) -> usize {
        let n = self.workers.len();
        if n == 1 {
            return 0;
        }
        let start = self.spread_cursor.fetch_add(1, Ordering::Relaxed) % n;
        let key = |i: usize| {
            let w = &self.workers[i];
            let idle = w.idle.load(Ordering::Relaxed) && w.fresh.is_empty() && w.ready.is_empty();
            (w.spread.load(Ordering::Relaxed), !idle)
        };
        let mut best = (start, key(start));
        for k in 1..n {
            let i = (start + k) % n;
            let ki = key(i);
            if ki < best.1 {
                best = (i, ki);
            }
        }
        best.0
    }

    /// New stealable work exists: wake a sleeping worker unless one is
    /// already spinning (it will find the work).
    fn wake_idle(&self) {
        if self.spinning.load(Ordering::Relaxed) != 0 {
            return;
        }
        for w in self.workers.iter() {
            if w.sleeping.load(Ordering::Relaxed) {
                if let Some(t) = w.thread.get() {
                    t.unpark();
                }
                return;
            }
        }
    }

    /// The next goroutine for worker `me`: its own first, then new ones
    /// from anywhere; with `patient`, stolen ones too.
    fn find_work(&self, me: usize, patient: Option<&mut Watch>) -> Option<Arc<G>> {
        let w = &self.workers[me];
        // Go's `schedtick % 61`: now and then new goroutines go first, then
        // the ready queue, before `runnext`. Otherwise two goroutines
        // handing off to each other through `runnext`, or goroutines
        // spinning on `gosched` through the ready queue, would starve the
        // rest of the worker for good.
        if w.ticks.load(Ordering::Relaxed) % FAIR_EVERY == 0 {
            if let Some(g) = self.fresh(w).or_else(|| w.ready.pop_front()) {
                return Some(g);
            }
        }
        if let Some(g) = RUNNEXT.with(|r| r.borrow_mut().take()) {
            return Some(g);
        }
        if let Some(g) = self.queued(w) {
            return Some(g);
        }
        self.steal(me, patient?)
    }

    /// The next of `w`'s ready goroutines, else of the new ones.
    fn queued(&self, w: &Worker) -> Option<Arc<G>> {
        w.ready.pop_front().or_else(|| self.fresh(w))
    }

    /// The next of `w`'s new goroutines, else of the global queue.
    fn fresh(&self, w: &Worker) -> Option<Arc<G>> {
        if !stack::can_take() {
            // New goroutines wait for a stack (see `stack::try_take`).
            return None;
        }
        w.fresh
            .pop_front()
            .or_else(|| self.global.lock().unwrap().pop_front())
    }

    /// Takes up to half of another worker's new goroutines (never a started
    /// one: those are pinned), but only once the thief has been looking for
    /// work a while (tens of microseconds), as Go waits before stealing
    /// `runnext`, and only from a worker that one goroutine has held,
    /// running, for [`STEAL_AFTER`] and more without a switch while they
    /// waited ([`Watch::ripe`]).
    ///
    /// A steal decides for good where the stolen goroutines run: a started
    /// goroutine can never move to join its partner later, as Go's do when
    /// woken. Goroutines that start others and then block on them
    /// (handoffs, pipelines, a server and its clients) usually run them
    /// next on the same worker, where each switch costs nanoseconds, not a
    /// cross-thread wake-up; split over two workers, a sender and its
    /// receiver pay that wake-up on every message (`bounded1_mpsc` with one
    /// of four senders taken: 2-4x slower). So only work that keeps its
    /// worker busy is spread, after the delay; `go_spread` spreads at once.
    fn steal(&self, me: usize, watch: &mut Watch) -> Option<Arc<G>> {
        let n = self.workers.len();
        let start = super::rand::below(n);
        for k in 0..n {
            let victim = (start + k) % n;
            if victim == me || !watch.ripe(victim, &self.workers[victim]) {
                continue;
            }
            watch.forget(victim);
            let mut got = self.workers[victim].fresh.steal_half();
            let Some(first) = got.pop_front() else {
                continue;
            };
            if !got.is_empty() {
                self.workers[me].fresh.extend(got);
            }
            return Some(first);
        }
        None
    }

    /// Whether a worker other than `me` has new goroutines waiting.
    fn fresh_elsewhere(&self, me: usize) -> bool {
        (self.workers.iter().enumerate()).any(|(i, w)| i != me && !w.fresh.is_empty())
    }
}

/// Rounds of looking for work before a worker sleeps.
const SPIN_ROUNDS: u32 = 64;

/// Every this many switches, a worker takes from its queues before its
/// `runnext` (Go's 61: prime, so it does not fall into step with a
/// program's own period).
const FAIR_EVERY: u32 = 61;

/// How long new goroutines wait on a busy worker before an idle one takes
/// them.
const STEAL_AFTER: Duration = Duration::from_micros(100);

/// After [`STEAL_AFTER`] without a switch, how long a thief measures the
/// victim's CPU time before it steals.
const STEAL_PROBE: Duration = Duration::from_micros(20);

/// What an idle worker has seen of another while looking for work.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Window {
    /// Since when it has had new goroutines waiting and not switched.
    since: Instant,
    /// Its switch count then.
    ticks: u32,
    /// Once `since` is [`STEAL_AFTER`] old: when its CPU time was read,
    /// and what it was.
    probe: Option<(Instant, Duration)>,
}

/// What an idle worker has seen of each of the others while looking for
/// work (see [`Watch::ripe`]).
struct Watch {
    seen: Vec<Option<Window>>,
}

impl Watch {
    fn new(n: usize) -> Watch {
        Watch {
            seen: vec![None; n],
        }
    }

    /// Forgets what was seen: the worker starts looking again.
    fn start(&mut self) {
        self.seen.fill(None);
    }

    /// Forgets what was seen of `victim`.
    fn forget(&mut self, victim: usize) {
        self.seen[victim] = None;
    }

    /// Whether the new goroutines of worker `victim` (`w`) may be taken:
    /// some have waited there [`STEAL_AFTER`] while `w` did not switch
    /// goroutines once, and over the [`STEAL_PROBE`] after that its thread
    /// was on a CPU most of the time. So one goroutine holds it, running
    /// long (work that computes, or a spawner that keeps going).
    ///
    /// A worker that switches at all is starting or waking goroutines and
    /// will start these soon itself, next to the goroutines they talk to;
    /// every switch starts the window again. A worker that does not switch
    /// because its thread is not running (the OS gave its CPU to another
    /// thread, perhaps to this very thief, or the hypervisor took the
    /// virtual CPU away for a while) will start them as soon as it runs
    /// again, so the window starts again too: on the 2-CPU VM that was how
    /// most wrong steals happened.
    fn ripe(&mut self, victim: usize, w: &Worker) -> bool {
        let waiting = !w.fresh.is_empty();
        let ticks = w.ticks.load(Ordering::Relaxed);
        let cpu = || w.cpu_clock.get().and_then(CpuClock::read);
        self.ripe_at(victim, waiting, ticks, clock::now(), cpu)
    }

    /// [`Watch::ripe`] for what was read of `victim`: whether it has new
    /// goroutines `waiting`, its switch count `ticks`, at time `now`, and
    /// its thread's CPU time `cpu` if asked for (`None` where the OS cannot
    /// say: the CPU time then does not count).
    fn ripe_at(
        &mut self,
        victim: usize,
        waiting: bool,
        ticks: u32,
        now: Instant,
        cpu: impl FnOnce() -> Option<Duration>,
    ) -> bool {
        let seen = &mut self.seen[victim];
        let window = match *seen {
            _ if !waiting => {
                *seen = None;
                return false;
            }
            Some(window) if window.ticks == ticks => window,
            // First seen, or it switched since: the window starts again.
            _ => {
                *seen = Some(Window {
                    since: now,
                    ticks,
                    probe: None,
                });
                return false;
            }
        };
        if now.saturating_duration_since(window.since) < STEAL_AFTER {
            return false;
        }
        let Some((then, cpu_then)) = window.probe else {
            let Some(cpu_now) = cpu() else {
                return true;
            };
            *seen = Some(Window {
                probe: Some((now, cpu_now)),
                ..window
            });
            return false;
        };
        let wall = now.saturating_duration_since(then);
        if wall < STEAL_PROBE {
            return false;
        }
        let Some(cpu_now) = cpu() else {
            return true;
        };
        // Running at least three quarters of the time.
        if cpu_now.saturating_sub(cpu_then) * 4 >= wall * 3 {
            return true;
        }
        *seen = Some(Window {
            since: now,
            ticks,
            probe: None,
        });
        false
    }
}

/// A thread's CPU-time clock (Linux: `pthread_getcpuclockid`), readable
/// from any thread while that thread lives (worker threads never end).
#[derive(Clone, Copy, Debug)]
struct CpuClock {
    /// `None` if the OS gave no clock.
    #[cfg(target_os = "linux")]
    id: Option<libc::clockid_t>,
}

impl CpuClock {
    /// The calling thread's clock (one that reads `None` where there is
    /// none).
    fn of_this_thread() -> CpuClock {
        #[cfg(target_os = "linux")]
        {
            let mut id: libc::clockid_t = 0;
            // SAFETY: pthread_self is the live calling thread, and `id` is a
            // valid place for the answer.
            let ok = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) } == 0;
            CpuClock {
                id: ok.then_some(id),
            }
        }
        #[cfg(not(target_os = "linux"))]
        CpuClock {}
    }

    /// The CPU time the thread has used, if the OS can say.
    fn read(&self) -> Option<Duration> {
        #[cfg(target_os = "linux")]
        {
            let id = self.id?;
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: the clock id came from pthread_getcpuclockid for a
            // worker thread, and worker threads never end; `ts` is a valid
            // place for the answer.
            if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
                return None;
            }
            let secs = u64::try_from(ts.tv_sec).ok()?;
            let nanos = u32::try_from(ts.tv_nsec).ok()?;
            Some(Duration::new(secs, nanos))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

fn worker_main(me: usize) {
    WORKER.with(|w| w.set(me));
    stack::ensure_signal_stack();
    let s = sched();
    let worker = &s.workers[me];
    let _ = worker.thread.set(thread::current());
    let _ = worker.cpu_clock.set(CpuClock::of_this_thread());
    let mut watch = Watch::new(s.workers.len());
    // What `worker.idle` says (it starts idle), kept here so that running a
    // goroutine costs no store unless the flag changes.
    let mut idle = true;
    loop {
        let mut found = s.find_work(me, None);
        if found.is_none() {
            if !idle {
                idle = true;
                worker.idle.store(true, Ordering::Relaxed);
            }
            found = look_for_work(s, me, &mut watch);
        }
        if let Some(g) = found {
            if idle {
                idle = false;
                worker.idle.store(false, Ordering::Relaxed);
            }
            run(me, g);
        }
    }
}

/// What worker `me` does when it has nothing to run: spin a while looking
/// for work, then sleep until woken. Returns the work it found, or `None`
/// once woken (the caller looks again).
fn look_for_work(s: &Sched, me: usize, watch: &mut Watch) -> Option<Arc<G>> {
    let worker = &s.workers[me];
    watch.start();
    // Spin a little: new work often arrives within microseconds, and
    // sleeping and being woken costs a kernel round trip each way.
    s.spinning.fetch_add(1, Ordering::Relaxed);
    let mut found = None;
    let mut i = 0;
    while i < SPIN_ROUNDS {
        if i < SPIN_ROUNDS / 2 {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        } else {
            thread::yield_now();
        }
        let patient = i >= SPIN_ROUNDS / 2;
        found = s.find_work(me, patient.then_some(&mut *watch));
        if found.is_some() {
            break;
        }
        i += 1;
        if i == SPIN_ROUNDS && s.fresh_elsewhere(me) {
            // Another worker has goroutines it has not started: keep
            // looking (patiently) until it starts them or they ripen,
            // since nothing would wake this worker for them.
            i = SPIN_ROUNDS / 2;
        }
    }
    s.spinning.fetch_sub(1, Ordering::Relaxed);
    if found.is_some() {
        return found;
    }
    worker.sleeping.store(true, Ordering::Relaxed);
    // Pairs with the fence in `ready` and `spawn`: either they see us
    // sleeping and wake us, or we see their work now.
    fence(Ordering::SeqCst);
    if let Some(g) = s.find_work(me, Some(watch)) {
        worker.sleeping.store(false, Ordering::Relaxed);
        return Some(g);
    }
    thread::park();
    worker.sleeping.store(false, Ordering::Relaxed);
    None
}

/// Runs `g` on worker `me` until it parks, yields or finishes.
fn run(me: usize, g: Arc<G>) {
    // SAFETY: only this worker touches `coro` (pinning).
    if unsafe { (*g.coro.get()).is_none() } {
        let Some(st) = stack::try_take() else {
            // No stack to be had: it starts once another goroutine ends.
            sched().workers[me].fresh.push_front(g);
            return;
        };
        g.worker.store(me, Ordering::Relaxed);
        let placed = g.spread.load(Ordering::Relaxed);
        if placed != NOT_SPREAD && placed != me {
            // Taken by an idle worker from the one it was queued on.
            let workers = &sched().workers;
            workers[placed].spread.fetch_sub(1, Ordering::Relaxed);
            workers[me].spread.fetch_add(1, Ordering::Relaxed);
            g.spread.store(me, Ordering::Relaxed);
        }
        g.guard.set(stack::guard_of(&st));
        let gp: *const G = Arc::as_ptr(&g);
        let coro = Coroutine::with_stack(st, move |y, ()| {
            // SAFETY: `gp` stays valid: the worker holds `g` while the
            // coroutine runs.
            unsafe { (*gp).yielder.set(y) };
            // A panic must not unwind out of the coroutine: `go` and `run`
            // catch their own, and this catches anything else.
            // SAFETY: the goroutine runs its own body, once.
            let body = || unsafe { (*gp).body.run() };
            if let Err(p) = panic::catch_unwind(AssertUnwindSafe(body)) {
                // SAFETY: as above.
                let id = unsafe { (*gp).id };
                super::goroutine::die(id, &*p);
            }
        });
        // SAFETY: only this worker touches `coro` (pinning).
        unsafe { *g.coro.get() = Some(coro) };
    }
    // SAFETY: only this worker touches `coro` (pinning).
    let coro = unsafe { &mut *g.coro.get() };
    let c = coro.as_mut().expect("just made");
    let ticks = &sched().workers[me].ticks;
    ticks.store(
        ticks.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
    CURRENT.with(|cur| cur.set(NonNull::new(Arc::as_ptr(&g).cast_mut())));
    stack::entering(g.id, g.guard.get());
    let r = c.resume(());
    stack::entering(0, (0, 0));
    CURRENT.with(|cur| cur.set(None));
    match r {
        // Parked: `park` marked it so before switching out, and whoever
        // unparks it queues it (perhaps already). Our reference goes with
        // it: `unpark` queues this very reference rather than a new one (a
        // goroutine that is never unparked is leaked, as `G`'s drop
        // explains).
        CoroutineResult::Yield(Suspend::Park) => std::mem::forget(g),
        CoroutineResult::Yield(Suspend::Yield) => {
            sched().workers[me].ready.push_back(g);
        }
        CoroutineResult::Return(()) => {
            if g.spread.load(Ordering::Relaxed) != NOT_SPREAD {
                sched().workers[me].spread.fetch_sub(1, Ordering::Relaxed);
            }
            let done = coro.take().expect("a finished coroutine");
            stack::give_back(done.into_stack());
            free_g(g);
            if stack::exhausted() {
                // Workers may be waiting for a stack to start new goroutines.
                sched().wake_idle();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);

    /// For `ripe_at`: no CPU clock to read.
    fn no_clock() -> Option<Duration> {
        None
    }

    /// For `ripe_at`: the victim's thread has used `cpu`.
    fn used(cpu: Duration) -> impl FnOnce() -> Option<Duration> {
        move || Some(cpu)
    }

    #[test]
    fn new_goroutines_ripen_only_on_a_worker_that_does_not_switch() {
        let t0 = clock::now();
        let after = STEAL_AFTER;
        // No CPU clock: ripe once the window has passed without a switch.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(1, true, 7, t0, no_clock));
        assert!(!w.ripe_at(1, true, 7, t0 + after - US, no_clock));
        assert!(w.ripe_at(1, true, 7, t0 + after, no_clock));
        // A single switch starts the window again, however slow the worker.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(1, true, 7, t0, no_clock));
        assert!(!w.ripe_at(1, true, 8, t0 + after, no_clock));
        assert!(!w.ripe_at(1, true, 8, t0 + 2 * after - US, no_clock));
        assert!(w.ripe_at(1, true, 8, t0 + 2 * after, no_clock));
        // Nothing waiting: never ripe, and the window is forgotten.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(1, true, 7, t0, no_clock));
        assert!(!w.ripe_at(1, false, 7, t0 + after, no_clock));
        assert!(!w.ripe_at(1, true, 7, t0 + after + US, no_clock));
        assert!(w.ripe_at(1, true, 7, t0 + 2 * after + US, no_clock));
        // Each victim has its own window.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(0, true, 1, t0, no_clock));
        assert!(!w.ripe_at(1, true, 1, t0 + after, no_clock));
        assert!(w.ripe_at(0, true, 1, t0 + after, no_clock));
        assert!(!w.ripe_at(1, true, 1, t0 + 2 * after - US, no_clock));
    }

    #[test]
    fn new_goroutines_ripen_only_on_a_worker_that_is_running() {
        let t0 = clock::now();
        let (after, probe) = (STEAL_AFTER, STEAL_PROBE);
        let cpu0 = Duration::from_millis(5);
        // Running all along: its CPU time keeps up with the clock.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(1, true, 7, t0, used(cpu0)));
        assert!(!w.ripe_at(1, true, 7, t0 + after, used(cpu0)));
        assert!(!w.ripe_at(1, true, 7, t0 + after + probe / 2, used(cpu0)));
        assert!(w.ripe_at(1, true, 7, t0 + after + probe, used(cpu0 + probe)));
        // Three quarters of the time is enough. Less is not: the worker was
        // not running, and the whole window starts again.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(1, true, 7, t0, used(cpu0)));
        assert!(!w.ripe_at(1, true, 7, t0 + after, used(cpu0)));
        let short = probe * 3 / 4 - Duration::from_nanos(1);
        let t1 = t0 + after + probe;
        assert!(!w.ripe_at(1, true, 7, t1, used(cpu0 + short)));
        assert!(!w.ripe_at(1, true, 7, t1 + after - US, used(cpu0)));
        assert!(!w.ripe_at(1, true, 7, t1 + after, used(cpu0)));
        let enough = probe * 3 / 4;
        assert!(w.ripe_at(1, true, 7, t1 + after + probe, used(cpu0 + enough)));
        // A switch during the probe starts the window again.
        let mut w = Watch::new(2);
        assert!(!w.ripe_at(1, true, 7, t0, used(cpu0)));
        assert!(!w.ripe_at(1, true, 7, t0 + after, used(cpu0)));
        assert!(!w.ripe_at(1, true, 8, t0 + after + probe, used(cpu0 + probe)));
        assert!(!w.ripe_at(1, true, 8, t0 + 2 * after + probe - US, used(cpu0)));
    }

    #[test]
    fn a_thread_cpu_clock_counts_its_cpu_time() {
        let c = CpuClock::of_this_thread();
        let Some(before) = c.read() else {
            #[cfg(target_os = "linux")]
            panic!("Linux has thread CPU clocks");
            #[cfg(not(target_os = "linux"))]
            return;
        };
        // Burn some CPU: the clock must move on.
        let mut x = 1u64;
        for i in 0..2_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
        let after = c.read().expect("it read once");
        assert!(after > before, "{before:?} -> {after:?}");
    }
}
