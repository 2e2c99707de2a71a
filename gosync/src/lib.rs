//! Go's shared-memory concurrency toolkit, with Go's semantics, for Rust.
//!
//! gosync brings Go's vocabulary — `go`, `sync.Mutex` with its starvation
//! mode, `RWMutex`, `WaitGroup`, `Once`, `Cond`, `Pool`, `Map`,
//! `sync/atomic`, channels and `select`, `context`, and x/sync's
//! `errgroup`, `semaphore` and `singleflight` — to Rust, with the
//! guarantees of the Go memory model. Its goroutines are
//! green threads, as Go's are, and its primitives work from plain threads
//! too. Every synchronisation goes through one runtime seam so that the same
//! code can later be race-checked and model-checked.
//!
//! # A tour
//!
//! Start goroutines with [`go`], wait for them with a
//! [`WaitGroup`](sync::WaitGroup), protect shared state with a
//! [`Mutex`](sync::Mutex):
//!
//! ```
//! use std::sync::Arc;
//! use gosync::sync::{Mutex, WaitGroup};
//!
//! let hits = Arc::new(Mutex::new(0));
//! let wg = WaitGroup::new();
//! for _ in 0..100 {
//!     let hits = hits.clone();
//!     wg.go(move || *hits.lock() += 1);
//! }
//! wg.wait();
//! assert_eq!(*hits.lock(), 100);
//! ```
//!
//! Readers share an [`RwMutex`](sync::RwMutex); a waiting writer goes first:
//!
//! ```
//! let cache = gosync::sync::RwMutex::new(vec!["a"]);
//! cache.lock().push("b");
//! assert_eq!(cache.rlock().len(), 2);
//! ```
//!
//! One-time initialisation with [`Once`](sync::Once) or
//! [`OnceValue`](sync::OnceValue):
//!
//! ```
//! use gosync::sync::OnceValue;
//! static DB: OnceValue<String> = OnceValue::new(|| "connected".into());
//! assert_eq!(DB.get(), "connected");
//! ```
//!
//! Wait for a condition with a [`Cond`](sync::Cond):
//!
//! ```
//! use std::sync::Arc;
//! use gosync::sync::{Cond, Mutex};
//!
//! let q = Arc::new((Mutex::new(Vec::new()), Cond::new()));
//! let p = q.clone();
//! gosync::go(move || {
//!     p.0.lock().push(1);
//!     p.1.signal();
//! });
//! let mut items = q.0.lock();
//! while items.is_empty() {
//!     items = q.1.wait(items);
//! }
//! assert_eq!(items.pop(), Some(1));
//! ```
//!
//! Count without a lock with [`atomic`], and stop work with a [`context`]
//! whose `done()` channel closes when it is cancelled:
//!
//! ```
//! use gosync::{atomic::Int64, context, select};
//!
//! let hits = Int64::new(0);
//! assert_eq!(hits.add(1), 1); // Go's Add returns the new value
//!
//! let (ctx, cancel) = context::with_cancel(&context::background());
//! cancel();
//! select! { recv(&ctx.done()) -> _ => {} }
//! assert_eq!(ctx.err(), Some(context::Error::Canceled));
//! ```
//!
//! # Go → gosync
//!
//! | Go                        | gosync                                      |
//! |---------------------------|---------------------------------------------|
//! | `go f()`                  | [`go(f)`](go)                               |
//! | `go f()`, `f` CPU-bound   | [`go_spread(f)`](go_spread) (starts on the least busy worker) |
//! | `func main` body          | [`run(f)`](run) (runs `f` as a goroutine)   |
//! | `runtime.Gosched()`       | [`runtime::gosched()`]                      |
//! | `runtime.NumGoroutine()`  | [`runtime::num_goroutine()`]                |
//! | `runtime.GOMAXPROCS(n)`   | [`runtime::set_gomaxprocs(n)`](runtime::set_gomaxprocs) |
//! | `sync.Mutex`              | [`sync::Mutex<T>`]                          |
//! | `sync.RWMutex`            | [`sync::RwMutex<T>`]                        |
//! | `sync.WaitGroup`          | [`sync::WaitGroup`]                         |
//! | `sync.Once`, `OnceValue`, `OnceFunc` | [`sync::Once`], [`sync::OnceValue`], [`sync::once_func`] |
//! | `sync.Cond`               | [`sync::Cond`]                              |
//! | `sync.Pool`               | [`sync::Pool<T>`]                           |
//! | `sync.Map`                | [`sync::Map<K, V>`]                         |
//! | `atomic.Int64`, `atomic.Bool`, … | [`atomic::Int64`], [`atomic::Bool`], … |
//! | `atomic.Pointer[T]`, `atomic.Value` | [`atomic::Pointer<T>`], [`atomic::Value<T>`] |
//! | `make(chan T, n)`, `select` | [`chan::Chan<T>`], [`select!`]           |
//! | `time.After`, `time.NewTimer` | [`time::after`], [`time::Timer`]        |
//! | `context.Context`         | [`context::Context`]                        |
//! | `errgroup.Group`          | [`errgroup::Group<E>`]                      |
//! | `semaphore.Weighted`      | [`semaphore::Weighted`]                     |
//! | `singleflight.Group`      | [`singleflight::Group<K, V>`]               |
//!
//! # Goroutines
//!
//! [`go`] and [`run`] start goroutines, and a goroutine is a green thread,
//! as in Go: a stackful coroutine that an M:N scheduler runs on
//! `GOMAXPROCS` worker threads ([`runtime::gomaxprocs`]: the `GOMAXPROCS`
//! environment variable, else the number of CPUs). When a goroutine blocks
//! on a gosync primitive (a lock, a `WaitGroup`, a `Cond`, a channel, a
//! timer) its worker switches to another goroutine in user space, and
//! waking it puts it back on a run queue; no kernel call is needed unless
//! the worker was asleep. A hundred thousand goroutines are cheap.
//!
//! - **Where a goroutine runs.** A new goroutine waits in a run queue until
//!   a worker starts it; an idle worker may take not-yet-started goroutines
//!   from a busy one. Once started, a goroutine is pinned: it runs on that
//!   worker's OS thread until it returns. So a thread-local read inside a
//!   goroutine stays valid across every blocking operation (it never sees
//!   another thread's), though it is the worker's, shared with the other
//!   goroutines pinned there, not the goroutine's own. An idle worker takes
//!   new goroutines only from a worker held by long-running ones; a worker
//!   busy handing off between goroutines starts its new ones itself, next
//!   to the goroutines they talk to. The cost of never moving: goroutines
//!   that block as soon as they start (a pool of workers waiting for jobs)
//!   all start on their spawner's worker and stay there, even when their
//!   jobs later keep it busy (Go would move them; gosync cannot, for the
//!   thread-locals' sake). Start such goroutines with [`go_spread`]
//!   instead: it queues each on the worker with the fewest goroutines
//!   started by `go_spread`, an idle one first among equals, so a pool of
//!   `GOMAXPROCS` (or more) of them uses every worker. Keep [`go`] for
//!   goroutines that mostly hand off to others: spread, every handoff
//!   would cross workers (a wake-up of microseconds, not a switch of
//!   nanoseconds).
//! - **Blocking system calls.** The scheduler does not preempt. A goroutine
//!   that blocks in the kernel (file or socket I/O, `std::thread::sleep`, a
//!   `std` lock or channel, waiting for a child process) or spins without
//!   yielding holds its worker, and the goroutines pinned to that worker
//!   wait with it. Run such work through [`runtime::block_on_thread`],
//!   which runs it on an OS thread of its own and parks only the calling
//!   goroutine, or on a plain `std::thread` that reports back over a
//!   channel. Sleep with [`time::sleep`], and call [`runtime::gosched`] in
//!   a long loop that never blocks.
//! - **Stacks.** Each goroutine has a fixed-size stack, 256 KiB by default,
//!   with a guard page below it; set `GOSYNC_STACK_SIZE` (bytes, or with a
//!   `k` or `m` suffix: `GOSYNC_STACK_SIZE=2m`) or call
//!   [`runtime::set_stack_size`] for goroutines that recurse deeply or keep
//!   large values on the stack. The OS backs a stack's memory only as it is
//!   touched, and finished goroutines' stacks are reused. A goroutine that
//!   overflows its stack aborts the process with
//!   `goroutine N has overflowed its stack`.
//! - **How many at once.** Each stack is two memory mappings, and Linux
//!   caps a process's mappings (`vm.max_map_count`, 65530 by default), so
//!   about 30,000 goroutines can have a stack at a time. Goroutines started
//!   beyond that wait to run until others finish; a program that needs
//!   more goroutines blocked at once must raise `vm.max_map_count`.
//! - **Panics.** A panic that a goroutine started with [`go`] does not
//!   catch prints Go's `panic: ...` and `goroutine N [running]` and ends the
//!   process with exit status 2, as in Go; [`run`] resumes the panic in its
//!   caller instead.
//! - **Outside goroutines.** The primitives also work from plain threads
//!   (`fn main`, a `#[test]`, a `std::thread`), where blocking parks the
//!   thread. [`run`] is how `main` or a test gets a goroutine of its own.
//!   (Built with `--cfg loom`, for gosync's own model-checked tests, every
//!   goroutine is an OS thread.)
//!
//! ```
//! use gosync::sync::WaitGroup;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//!
//! let n = gosync::run(|| {
//!     let count = Arc::new(AtomicU64::new(0));
//!     let wg = WaitGroup::new();
//!     for _ in 0..10_000 {
//!         let count = count.clone();
//!         wg.go(move || {
//!             count.fetch_add(1, Ordering::Relaxed);
//!         });
//!     }
//!     wg.wait();
//!     count.load(Ordering::Relaxed)
//! });
//! assert_eq!(n, 10_000);
//! ```
//!
//! # Features
//!
//! - `race`: primitives report their happens-before edges to the race
//!   detector.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

pub mod atomic;
pub mod chan;
pub mod context;
pub mod errgroup;
mod loom;
mod rt;
pub mod semaphore;
pub mod singleflight;
pub mod sync;
pub mod time;

/// Starts `f` as a new goroutine, as Go's `go f()`.
///
/// `go` never waits for `f`: it queues the new goroutine and returns. A
/// scheduler worker starts it (perhaps another worker than the caller's,
/// if that one is busy) and runs it on its thread until it returns,
/// switching to other goroutines whenever it blocks on a gosync primitive.
/// Goroutines that will keep a worker busy start better with
/// [`go_spread`], which queues them on the least busy worker. See
/// [Goroutines](crate#goroutines) for blocking system calls, thread-locals
/// and stack sizes.
///
/// # Examples
///
/// ```
/// use gosync::chan::Chan;
///
/// let ch = Chan::new(0);
/// let tx = ch.clone();
/// gosync::go(move || tx.send("hello from a goroutine"));
/// assert_eq!(ch.recv(), Some("hello from a goroutine"));
/// ```
///
/// # Panics
///
/// `go` itself does not panic. A panic in `f` that `f` does not catch ends
/// the process with exit status 2, as in Go; a stack overflow in `f` aborts
/// it.
///
/// # Differences from Go
///
/// - A goroutine never moves to another OS thread once it has started
///   (Go's do), which is what keeps thread-locals sound.
/// - There is no preemption and no hand-off on system calls: a goroutine
///   that blocks in the kernel or spins keeps its worker busy. Use
///   [`runtime::block_on_thread`] for such work.
/// - Stacks do not grow: each has a fixed size (256 KiB unless set with
///   `GOSYNC_STACK_SIZE` or [`runtime::set_stack_size`]), and overflowing
///   it aborts.
/// - Only about 30,000 goroutines can have a stack at once under Linux's
///   default `vm.max_map_count`; the rest wait to start.
pub fn go<F: FnOnce() + Send + 'static>(f: F) {
    rt::goroutine::go(f);
}

/// Starts `f` as a new goroutine on the least busy worker, not the
/// caller's: for goroutines that will keep a worker busy, such as a pool of
/// CPU-bound workers that wait for jobs.
///
/// [`go`] queues a new goroutine on its spawner's worker, which suits
/// goroutines that talk to their spawner or to each other: between
/// goroutines of one worker a handoff is a switch in user space, between
/// workers a wake-up of another thread. Since a goroutine never moves once
/// started, the goroutines of a pool that block as soon as they start
/// would then all stay on one worker and share one CPU, however much work
/// their jobs bring. `go_spread` queues `f` on the worker with the fewest
/// live goroutines started by `go_spread`; among those, on an idle one;
/// among those, round-robin. So `k` × `GOMAXPROCS` calls in a row, with no
/// other spread goroutines alive, put `k` on each worker, and a pool uses
/// every CPU.
///
/// Use it for goroutines that compute for long stretches (tens of
/// microseconds or more) between blocking operations. Goroutines that
/// mostly hand off (a producer feeding its spawner, a pipeline of cheap
/// stages) run faster with [`go`]: spread, each handoff crosses workers.
/// To wait for spread goroutines, start them with
/// [`WaitGroup::go_spread`](sync::WaitGroup::go_spread), as
/// [`WaitGroup::go`](sync::WaitGroup::go) does for [`go`].
///
/// The name says what the call does, where the goroutine starts, rather
/// than what it is for: it promises no priority and no thread of its own,
/// only a placement.
///
/// # Examples
///
/// A pool of CPU-bound workers, one per worker thread, fed by one
/// goroutine:
///
/// ```
/// use gosync::chan::Chan;
///
/// let sum = gosync::run(|| {
///     let (jobs, results) = (Chan::new(0), Chan::new(0));
///     for _ in 0..gosync::runtime::gomaxprocs() {
///         let (jobs, results) = (jobs.receiver(), results.sender());
///         gosync::go_spread(move || {
///             for n in &jobs {
///                 // Stands for a job that keeps a CPU busy.
///                 results.send((0..n).fold(0u64, |s, _| s + n));
///             }
///         });
///     }
///     let jobs = jobs.sender();
///     gosync::go(move || {
///         for n in 1..=20u64 {
///             jobs.send(n);
///         }
///         jobs.close();
///     });
///     (0..20).map(|_| results.recv().unwrap()).sum::<u64>()
/// });
/// assert_eq!(sum, (1..=20u64).map(|n| n * n).sum());
/// ```
///
/// # Panics
///
/// As [`go`]: `go_spread` itself does not panic, and a panic that `f`
/// does not catch ends the process with exit status 2.
///
/// # Differences from Go
///
/// Go has no such call, nor needs one: its scheduler moves a woken
/// goroutine to an idle processor. A gosync goroutine never moves once
/// started (for thread-locals' sake, see [Goroutines](crate#goroutines)),
/// so the place it starts on is chosen up front. The placement is where
/// `f` is queued, not a promise: if that worker stays busy, an idle one
/// may take `f` before it starts, as with [`go`]; once started, it stays.
/// Everything else is as [`go`].
pub fn go_spread<F: FnOnce() + Send + 'static>(f: F) {
    rt::goroutine::go_spread(f);
}

/// Runs `f` as a goroutine, waits for it, and returns its result.
///
/// This is how a program's `main` (or a test) runs its body as a goroutine,
/// so that its blocking operations switch goroutines in user space instead
/// of parking an OS thread. `f` may borrow from the caller, which waits
/// until `f` returns: a thread parks, a goroutine parks as a goroutine and
/// frees its worker. `f` runs on a goroutine's stack (256 KiB by default,
/// see [`runtime::set_stack_size`]), not the caller's, which matters for a
/// deeply recursive `main`.
///
/// # Examples
///
/// ```
/// let words = vec!["go", "sync"];
/// let n = gosync::run(|| words.iter().map(|w| w.len()).sum::<usize>());
/// assert_eq!(n, 6);
/// ```
///
/// # Panics
///
/// If `f` panics, the panic resumes in the caller (unlike a goroutine
/// started with [`go`], whose panic ends the process). A stack overflow in
/// `f` aborts the process.
pub fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rt::goroutine::run(f)
}

/// Go's `runtime` package: goroutine and processor bookkeeping.
pub mod runtime {
    use crate::rt::goroutine;

    /// Yields the processor, letting other goroutines run (Go's
    /// `runtime.Gosched`).
    pub fn gosched() {
        goroutine::gosched();
    }

    /// The number of goroutines that exist now, counting the main one.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gosync::runtime::num_goroutine() >= 1);
    /// ```
    pub fn num_goroutine() -> usize {
        goroutine::num_goroutine()
    }

    /// The number of processors that run goroutines (Go's `GOMAXPROCS`):
    /// the `GOMAXPROCS` environment variable if set, else [`num_cpu`].
    pub fn gomaxprocs() -> usize {
        goroutine::gomaxprocs()
    }

    /// Sets `GOMAXPROCS` and returns the previous value; `0` only reads it.
    /// Call it before starting goroutines: the scheduler starts its worker
    /// threads with the first goroutine, and their number is fixed then.
    pub fn set_gomaxprocs(n: usize) -> usize {
        goroutine::set_gomaxprocs(n)
    }

    /// The number of logical CPUs this process may use.
    pub fn num_cpu() -> usize {
        goroutine::num_cpu()
    }

    /// The running goroutine's id: 1 for the main goroutine, as in Go; a
    /// thread that is not a goroutine gets a fresh id on first use. (Go
    /// keeps its ids private; reports and tests need them.)
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::runtime::goid;
    ///
    /// assert_eq!(goid(), 1); // a program's main thread
    /// let other = gosync::run(goid);
    /// assert!(other > 1);
    /// ```
    pub fn goid() -> u64 {
        goroutine::id()
    }

    /// Runs `f` on an OS thread of its own and returns its result, parking
    /// the calling goroutine (not its worker) meanwhile; `f`'s panic resumes
    /// in the caller. Use it for work that blocks in the kernel (file or
    /// socket I/O, `std::thread::sleep`, waiting on a `std` lock or an
    /// external process): a goroutine that blocks there holds its worker
    /// thread, and the goroutines pinned to that worker wait with it.
    ///
    /// # Examples
    ///
    /// ```
    /// let text = gosync::run(|| {
    ///     gosync::runtime::block_on_thread(|| std::fs::read_to_string("Cargo.toml"))
    /// });
    /// assert!(text.unwrap().contains("gosync"));
    /// ```
    #[cfg(not(loom))]
    pub fn block_on_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
        goroutine::block_on_thread(f)
    }

    /// The stack size of goroutines started from now on, in bytes, and
    /// sets it when `bytes` is nonzero (at least 16 KiB is used). The
    /// default is 256 KiB, or `GOSYNC_STACK_SIZE` from the environment (a
    /// number of bytes, with an optional `k` or `m` suffix). A goroutine
    /// that overflows its stack hits a guard page and the process aborts
    /// with a message naming the goroutine.
    #[cfg(not(loom))]
    pub fn set_stack_size(bytes: usize) -> usize {
        if bytes == 0 {
            crate::rt::stack_size()
        } else {
            crate::rt::set_stack_size(bytes)
        }
    }
}
