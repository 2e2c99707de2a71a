//! `ChannelCounter`: a counter goroutine behind methods, stopped by
//! `close(quit)`.
//!
//! The Go original:
//!
//! ```go
//! type ChannelCounter struct {
//!     inc  chan int
//!     get  chan int
//!     quit chan struct{}
//! }
//!
//! func NewChannelCounter() *ChannelCounter {
//!     c := &ChannelCounter{
//!         inc:  make(chan int),
//!         get:  make(chan int),
//!         quit: make(chan struct{}),
//!     }
//!     go c.run()
//!     return c
//! }
//!
//! func (c *ChannelCounter) run() {
//!     count := 0
//!     for {
//!         select {
//!         case n := <-c.inc:
//!             count += n
//!         case c.get <- count:
//!         case <-c.quit:
//!             return
//!         }
//!     }
//! }
//!
//! func (c *ChannelCounter) Add(n int) { c.inc <- n }
//! func (c *ChannelCounter) Value() int { return <-c.get }
//! func (c *ChannelCounter) Stop()      { close(c.quit) }
//! ```
//!
//! The goroutine offers its current count on `get` as a *send* case of its
//! `select`: a caller of `Value` simply receives, and whichever case is
//! ready first runs. `Stop` closes `quit` rather than sending on it: a
//! receive from a closed channel is always ready, so a close reaches every
//! goroutine listening, however many, and never blocks the closer.
//!
//! Go's program lets the stopped goroutine vanish; the port waits for it on
//! a `WaitGroup`, so the tour proves that `close(quit)` really ended it.
//!
//! Run it: `cargo run -p gosync --example channel_counter`

use std::sync::Arc;

use gosync::chan::Chan;
use gosync::select;
use gosync::sync::WaitGroup;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "ChannelCounter: a goroutine serves Add and Value through select, and close(quit) stops it.";

const GOROUTINES: i64 = 50;
const ADDS: i64 = 20;

/// A counter whose state lives in its own goroutine.
struct ChannelCounter {
    inc: Chan<i64>,
    get: Chan<i64>,
    quit: Chan<()>,
    /// Done when the goroutine has returned (the port's addition).
    running: WaitGroup,
}

impl ChannelCounter {
    fn new() -> Arc<ChannelCounter> {
        let c = Arc::new(ChannelCounter {
            inc: Chan::new(0),
            get: Chan::new(0),
            quit: Chan::new(0),
            running: WaitGroup::new(),
        });
        let me = c.clone();
        c.running.go(move || me.run());
        c
    }

    fn run(&self) {
        let mut count = 0;
        loop {
            select! {
                recv(&self.inc) -> n => count += n.expect("inc is never closed"),
                send(&self.get, count) => {},
                recv(&self.quit) -> _ => return,
            }
        }
    }

    fn add(&self, n: i64) {
        self.inc.send(n);
    }

    fn value(&self) -> i64 {
        self.get.recv().expect("get is never closed")
    }

    fn stop(&self) {
        self.quit.close();
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let c = ChannelCounter::new();

    // Goroutine g adds 1, 2, ..., ADDS and reads the value as it goes.
    let wg = WaitGroup::new();
    for _ in 0..GOROUTINES {
        let c = c.clone();
        wg.go(move || {
            let mut seen = 0;
            for n in 1..=ADDS {
                c.add(n);
                let v = c.value();
                assert!(v >= seen, "the count only grows: {v} after {seen}");
                seen = v;
            }
        });
    }
    wg.wait();

    let total = c.value();
    c.stop();
    c.running.wait(); // returns only because close(quit) ended run()

    let want = GOROUTINES * ADDS * (ADDS + 1) / 2;
    assert_eq!(total, want, "every Add counted once");
    format!(
        "{GOROUTINES} goroutines x Add(1..={ADDS}) = {total}; \
         close(quit) stopped the counter goroutine"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
