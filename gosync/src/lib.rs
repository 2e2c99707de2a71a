//! Go's shared-memory concurrency toolkit, with Go's semantics, for Rust.
//!
//! gosync brings Go's vocabulary — `go`, `sync.Mutex` with its starvation
//! mode, `RWMutex`, `WaitGroup`, `Once`, `Cond` — to Rust threads and
//! goroutines, with the guarantees of the Go memory model, and routes every
//! synchronisation through one runtime seam so that the same code can later
//! be race-checked and model-checked.
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
//! # Go → gosync
//!
//! | Go                        | gosync                                      |
//! |---------------------------|---------------------------------------------|
//! | `go f()`                  | [`go(f)`](go)                               |
//! | `func main` body          | [`run(f)`](run) (runs `f` as a goroutine)   |
//! | `runtime.Gosched()`       | [`runtime::gosched()`]                      |
//! | `runtime.NumGoroutine()`  | [`runtime::num_goroutine()`]                |
//! | `runtime.GOMAXPROCS(n)`   | [`runtime::set_gomaxprocs(n)`](runtime::set_gomaxprocs) |
//! | `sync.Mutex`              | [`sync::Mutex<T>`]                          |
//! | `sync.RWMutex`            | [`sync::RwMutex<T>`]                        |
//! | `sync.WaitGroup`          | [`sync::WaitGroup`]                         |
//! | `sync.Once`, `OnceValue`, `OnceFunc` | [`sync::Once`], [`sync::OnceValue`], [`sync::once_func`] |
//! | `sync.Cond`               | [`sync::Cond`]                              |
//!
//! # Goroutines
//!
//! In this release each goroutine runs on an OS thread of its own; the M:N
//! scheduler that makes them cost what Go's do arrives next, behind the same
//! API. A goroutine never changes OS thread once started, so thread-locals
//! are safe inside one. A panic in a goroutine ends the process, as in Go
//! (catch it inside the goroutine if it must not).
//!
//! # Features
//!
//! - `race`: primitives report their happens-before edges to the race
//!   detector.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

pub mod chan;
mod loom;
mod rt;
pub mod sync;
pub mod time;

/// Starts `f` as a new goroutine, as Go's `go f()`.
///
/// `go` never waits for `f`. A panic in `f` that `f` does not catch ends the
/// process with exit status 2, as in Go.
///
/// # Examples
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel();
/// gosync::go(move || tx.send("hello from a goroutine").unwrap());
/// assert_eq!(rx.recv().unwrap(), "hello from a goroutine");
/// ```
pub fn go<F: FnOnce() + Send + 'static>(f: F) {
    rt::goroutine::go(f);
}

/// Runs `f` as a goroutine, waits for it, and returns its result.
///
/// This is how a program's `main` (or a test) runs its body as a goroutine.
/// `f` may borrow from the caller, which is blocked until `f` returns.
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
/// started with [`go`], whose panic ends the process).
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
    /// Call it before starting goroutines.
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
