//! Ports of Go's own tests of package sync (`src/sync/*_test.go` in the Go
//! tree), of its channel programs (`src/runtime/chan_test.go`,
//! `test/chan/*.go`), of package context (`src/context/*_test.go`) and of
//! golang.org/x/sync (`errgroup`, `semaphore`, `singleflight`), one module
//! per Go file, written to be read side by side with the originals.
//!
//! The shim below stands in for what those tests take from the Go language
//! and its `testing` package:
//!
//! - [`go!`]: `go func() { ... }()`, cloning the handles it names into the
//!   goroutine as a Go closure captures its variables.
//! - [`Chan`]: `make(chan T, n)`, on gosync's own channels (a blocking
//!   `std` channel would hold a goroutine's scheduler worker), with a
//!   receive that fails the test after [`PATIENCE`] instead of hanging.
//! - [`allocs_per_run`]: `testing.AllocsPerRun`, counting the allocations of
//!   the calling thread through a counting global allocator.
//!
//! Where a Go test calls `t.Error` from a goroutine, the port sends what the
//! goroutine saw back to the test, which asserts: a panic in a goroutine
//! ends the whole process, as in Go.

use gosync::chan::{Chan as GoChan, RecvTimeoutError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::PATIENCE;

/// `go func() { body }()`: runs `body` in a new goroutine, after cloning
/// each named handle into it.
///
/// ```ignore
/// go!(m, done, {
///     *m.lock() += 1;
///     done.send(());
/// });
/// ```
macro_rules! go {
    (@clone $v:ident, $($rest:tt)*) => {{
        let $v = $v.clone();
        go!(@clone $($rest)*)
    }};
    (@clone $body:block) => {
        ::gosync::go(move || $body)
    };
    ($($args:tt)*) => {
        go!(@clone $($args)*)
    };
}

// Declared after `go!`, so that its textual scope covers them.
mod chan;
mod chan_programs;
mod cond;
mod context;
mod errgroup;
mod map;
mod mutex;
mod once;
mod oncefunc;
mod pool;
mod rwmutex;
mod semaphore;
mod singleflight;
mod waitgroup;

/// A Go channel of `T` for the ports: `make(chan T, cap)`.
pub struct Chan<T> {
    ch: GoChan<T>,
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Self {
        Chan {
            ch: self.ch.clone(),
        }
    }
}

/// `make(chan T, cap)`; `cap == 0` is unbuffered: a send waits for a receive.
pub fn make<T>(cap: usize) -> Chan<T> {
    Chan {
        ch: GoChan::new(cap),
    }
}

impl<T> Chan<T> {
    /// `c <- v`.
    pub fn send(&self, v: T) {
        self.ch.send(v);
    }

    /// `<-c`, failing the test after [`PATIENCE`] instead of hanging: in
    /// these tests a receive that never completes is a deadlock.
    #[track_caller]
    pub fn recv(&self) -> T {
        match self.ch.recv_timeout(PATIENCE) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => {
                panic!("deadlock: nothing was sent on the channel in {PATIENCE:?}")
            }
            Err(RecvTimeoutError::Closed) => unreachable!("these channels are never closed"),
        }
    }

    /// `select { case v := <-c: ...; default: }`.
    pub fn try_recv(&self) -> Option<T> {
        self.ch.try_recv().ok()
    }
}

/// The system allocator, counting each thread's allocations so that a test
/// can count its own while other tests run in parallel.
struct CountingAlloc;

thread_local! {
    /// Allocations made by this thread. Const-initialised and without a
    /// destructor, so the allocator may touch it at any point of a thread's
    /// life.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_allocation() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; counting allocates nothing.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded; `ptr` came from this allocator, which is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded; `ptr` came from this allocator, which is `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Go's `testing.AllocsPerRun`: calls `f` once to warm up, then `runs`
/// times, and returns the average number of allocations per call made by
/// the calling thread.
pub fn allocs_per_run(runs: u64, mut f: impl FnMut()) -> f64 {
    f();
    let before = ALLOCATIONS.with(Cell::get);
    for _ in 0..runs {
        f();
    }
    let after = ALLOCATIONS.with(Cell::get);
    (after - before) as f64 / runs as f64
}
