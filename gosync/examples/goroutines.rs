//! 100,000 goroutines: cheap enough to start one per task, as in Go.
//!
//! The Go original:
//!
//! ```go
//! var (
//!     wg    sync.WaitGroup
//!     mu    sync.Mutex
//!     count int
//! )
//! for i := 0; i < 100_000; i++ {
//!     wg.Add(1)
//!     go func() {
//!         defer wg.Done()
//!         mu.Lock()
//!         count++
//!         mu.Unlock()
//!     }()
//! }
//! wg.Wait()
//! fmt.Println(count, runtime.GOMAXPROCS(0)) // 100000 and the CPU count
//! ```
//!
//! A goroutine is a stackful coroutine, not an OS thread: `GOMAXPROCS`
//! worker threads run them all (M:N), switching between them in user space.
//! Its stack (256 KiB by default, `GOSYNC_STACK_SIZE` to change it) gets
//! memory from the OS only as it is touched and is reused from a pool when
//! the goroutine ends, so 100,000 short goroutines cost little more than
//! their closures, where 100,000 OS threads would each take a kernel task,
//! megabytes of reserved stack and a system call to start. Each goroutine
//! here also notes the OS thread it ran on: never more than `GOMAXPROCS`.
//!
//! Run it: `cargo run -p gosync --example goroutines`

use std::collections::HashSet;
use std::sync::Arc;
use std::thread::{self, ThreadId};

use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "100,000 goroutines count through a WaitGroup, run by GOMAXPROCS worker threads (M:N).";

const GOROUTINES: u64 = 100_000;

/// What the goroutines share: the count, and the threads that ran them.
#[derive(Default)]
struct Tally {
    count: u64,
    threads: HashSet<ThreadId>,
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let wg = Arc::new(WaitGroup::new());
    for _ in 0..GOROUTINES {
        wg.add(1);
        let (tally, wg) = (tally.clone(), wg.clone());
        gosync::go(move || {
            let mut t = tally.lock();
            t.count += 1;
            t.threads.insert(thread::current().id());
            drop(t);
            wg.done();
        });
    }
    wg.wait();

    let procs = gosync::runtime::gomaxprocs();
    let t = tally.lock();
    assert_eq!(t.count, GOROUTINES, "every goroutine counted once");
    // Not printed: how many workers ran some goroutine depends on the run.
    assert!(
        t.threads.len() <= procs,
        "{} threads ran goroutines, more than GOMAXPROCS = {procs}",
        t.threads.len()
    );
    format!(
        "{GOROUTINES} goroutines, count = {}, run on GOMAXPROCS = {procs} worker threads",
        t.count
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
