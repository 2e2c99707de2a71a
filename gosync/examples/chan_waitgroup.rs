//! Build a `WaitGroup` from a mutex and a channel: a counter under the
//! mutex, and a channel that is closed when the counter reaches zero.
//!
//! The Go original:
//!
//! ```go
//! type WaitGroup struct {
//!     mu    sync.Mutex
//!     count int
//!     done  chan struct{} // closed when count drops to zero
//! }
//!
//! func (wg *WaitGroup) Add(delta int) {
//!     wg.mu.Lock()
//!     defer wg.mu.Unlock()
//!     old := wg.count
//!     wg.count += delta
//!     switch {
//!     case wg.count < 0:
//!         panic("sync: negative WaitGroup counter")
//!     case old == 0 && wg.count > 0:
//!         wg.done = make(chan struct{}) // a new round begins
//!     case old > 0 && wg.count == 0:
//!         close(wg.done) // wakes every Wait of this round
//!     }
//! }
//!
//! func (wg *WaitGroup) Done() { wg.Add(-1) }
//!
//! func (wg *WaitGroup) Wait() {
//!     wg.mu.Lock()
//!     count, done := wg.count, wg.done
//!     wg.mu.Unlock()
//!     if count == 0 {
//!         return
//!     }
//!     <-done
//! }
//! ```
//!
//! The mutex guards the counter; the channel does the waiting. Closing a
//! channel wakes *every* receiver at once, which is exactly what `Wait`
//! needs when many goroutines wait, and a receive on an already closed
//! channel returns at once, so a `Wait` that comes late does not hang.
//! `Wait` takes its copy of `done` under the lock and receives outside it:
//! waiting with the mutex held would block every `Done` and deadlock.
//!
//! Each round gets a fresh channel, so the group can be reused once the
//! counter is back to zero. Before the first `Add` the field holds Go's
//! zero value for a channel, `nil` — `Chan::nil()` here, which is also
//! `Chan`'s `Default` — and `Wait` never receives from it, since the count
//! is then zero. (A receive from a nil channel blocks forever.)
//!
//! The close is also the happens-before edge: every `Done` comes before the
//! close that the last one performs, which comes before each `Wait`'s
//! receive returns, so `Wait`'s caller sees everything the goroutines wrote.
//!
//! Run it: `cargo run -p gosync --example chan_waitgroup`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gosync::chan::Chan;
use gosync::sync::Mutex;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A WaitGroup from a Mutex-guarded counter and a channel closed at zero, reused over rounds.";

const ROUNDS: u64 = 5;
const GOROUTINES: u64 = 100;
const WAITERS: u64 = 3;

#[derive(Default)]
struct State {
    count: isize,
    /// Closed when `count` drops to zero; nil before the first `add`.
    done: Chan<()>,
}

/// A WaitGroup built from a mutex and a channel.
#[derive(Default)]
struct WaitGroup {
    mu: Mutex<State>,
}

impl WaitGroup {
    fn add(&self, delta: isize) {
        let mut s = self.mu.lock();
        let old = s.count;
        s.count += delta;
        if s.count < 0 {
            panic!("sync: negative WaitGroup counter");
        } else if old == 0 && s.count > 0 {
            s.done = Chan::new(0); // a new round begins
        } else if old > 0 && s.count == 0 {
            s.done.close(); // wakes every wait of this round
        }
    }

    fn done(&self) {
        self.add(-1);
    }

    fn wait(&self) {
        let done = {
            let s = self.mu.lock();
            if s.count == 0 {
                return;
            }
            s.done.clone()
        };
        assert!(done.recv().is_none(), "done is only ever closed");
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let wg = Arc::new(WaitGroup::default());
    wg.wait(); // zero: returns at once, without touching the nil channel

    // Relaxed: the channel's close orders these writes before `wait` returns.
    let work = Arc::new(AtomicU64::new(0));
    for round in 1..=ROUNDS {
        wg.add(GOROUTINES as isize);

        // Several goroutines wait on the same round; one close wakes all.
        let woken = Arc::new(AtomicU64::new(0));
        let waiters = gosync::sync::WaitGroup::new();
        for _ in 0..WAITERS {
            let (wg, work, woken) = (wg.clone(), work.clone(), woken.clone());
            waiters.go(move || {
                wg.wait();
                assert_eq!(work.load(Ordering::Relaxed), round * GOROUTINES);
                woken.fetch_add(1, Ordering::Relaxed);
            });
        }

        for _ in 0..GOROUTINES {
            let (wg, work) = (wg.clone(), work.clone());
            gosync::go(move || {
                work.fetch_add(1, Ordering::Relaxed);
                wg.done();
            });
        }
        wg.wait();
        assert_eq!(work.load(Ordering::Relaxed), round * GOROUTINES);
        waiters.wait();
        assert_eq!(woken.load(Ordering::Relaxed), WAITERS);
    }

    let total = work.load(Ordering::Relaxed);
    format!(
        "{ROUNDS} rounds of {GOROUTINES} done()s ({total} in all): each round one close woke \
         {} waiters, and each saw every done of its round",
        WAITERS + 1
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
