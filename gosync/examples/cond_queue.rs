//! A bounded queue built on `sync.Cond`: producers wait while it is full,
//! consumers while it is empty, and `close` wakes everyone to finish.
//!
//! The Go original:
//!
//! ```go
//! type Queue struct {
//!     mu       sync.Mutex
//!     notEmpty *sync.Cond // sync.NewCond(&q.mu)
//!     notFull  *sync.Cond // sync.NewCond(&q.mu)
//!     items    []int
//!     cap      int
//!     closed   bool
//! }
//!
//! func (q *Queue) Put(x int) {
//!     q.mu.Lock()
//!     defer q.mu.Unlock()
//!     for len(q.items) == q.cap {
//!         q.notFull.Wait()
//!     }
//!     q.items = append(q.items, x)
//!     q.notEmpty.Signal()
//! }
//!
//! func (q *Queue) Get() (int, bool) {
//!     q.mu.Lock()
//!     defer q.mu.Unlock()
//!     for len(q.items) == 0 && !q.closed {
//!         q.notEmpty.Wait()
//!     }
//!     if len(q.items) == 0 {
//!         return 0, false // closed and drained
//!     }
//!     x := q.items[0]
//!     q.items = q.items[1:]
//!     q.notFull.Signal()
//!     return x, true
//! }
//!
//! func (q *Queue) Close() {
//!     q.mu.Lock()
//!     q.closed = true
//!     q.mu.Unlock()
//!     q.notEmpty.Broadcast()
//! }
//! ```
//!
//! `Wait` always sits in a loop that re-checks the condition: by the time
//! a woken goroutine has the mutex again, another may have taken the item.
//! `Signal` wakes one waiter, enough when one item arrived; `Close` must
//! `Broadcast`, since every waiting consumer has to see it.
//!
//! Go's `Cond` holds a pointer to its mutex; here `wait` takes the guard of
//! the mutex and hands it back re-locked, so waiting without the lock held
//! does not compile.
//!
//! Run it: `cargo run -p gosync --example cond_queue`

use std::collections::VecDeque;
use std::sync::Arc;

use gosync::sync::{Cond, Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A bounded queue on Cond: wait in a loop, signal one waiter per item, broadcast on close.";

const CAPACITY: usize = 4;
const PRODUCERS: u64 = 3;
const CONSUMERS: u64 = 4;
const ITEMS_PER_PRODUCER: u64 = 200;

/// What the mutex protects.
struct State {
    items: VecDeque<u64>,
    closed: bool,
}

/// A bounded FIFO queue that is safe to use concurrently.
struct Queue {
    mu: Mutex<State>,
    /// Signalled when an item is added, broadcast on close.
    not_empty: Cond,
    /// Signalled when an item is taken.
    not_full: Cond,
    cap: usize,
}

impl Queue {
    fn new(cap: usize) -> Queue {
        Queue {
            mu: Mutex::new(State {
                items: VecDeque::with_capacity(cap),
                closed: false,
            }),
            not_empty: Cond::new(),
            not_full: Cond::new(),
            cap,
        }
    }

    fn put(&self, x: u64) {
        let mut s = self.mu.lock();
        while s.items.len() == self.cap {
            s = self.not_full.wait(s);
        }
        assert!(!s.closed, "put on closed queue");
        s.items.push_back(x);
        self.not_empty.signal();
    }

    /// The next item, or `None` once the queue is closed and drained.
    fn get(&self) -> Option<u64> {
        let mut s = self.mu.lock();
        while s.items.is_empty() && !s.closed {
            s = self.not_empty.wait(s);
        }
        let x = s.items.pop_front()?;
        self.not_full.signal();
        Some(x)
    }

    fn close(&self) {
        self.mu.lock().closed = true;
        self.not_empty.broadcast();
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let q = Arc::new(Queue::new(CAPACITY));

    // Each consumer adds up what it takes and counts it.
    let totals = Arc::new(Mutex::new((0u64, 0u64)));
    let consumers = WaitGroup::new();
    for _ in 0..CONSUMERS {
        let (q, totals) = (q.clone(), totals.clone());
        consumers.go(move || {
            let (mut sum, mut n) = (0, 0);
            while let Some(x) = q.get() {
                sum += x;
                n += 1;
            }
            let mut t = totals.lock();
            t.0 += sum;
            t.1 += n;
        });
    }

    // Producer p puts p*1000 + 1 ..= p*1000 + ITEMS_PER_PRODUCER.
    let producers = WaitGroup::new();
    for p in 0..PRODUCERS {
        let q = q.clone();
        producers.go(move || {
            for i in 1..=ITEMS_PER_PRODUCER {
                q.put(p * 1000 + i);
            }
        });
    }

    producers.wait();
    q.close();
    consumers.wait();

    let want_n = PRODUCERS * ITEMS_PER_PRODUCER;
    let want_sum: u64 = (0..PRODUCERS)
        .flat_map(|p| (1..=ITEMS_PER_PRODUCER).map(move |i| p * 1000 + i))
        .sum();
    let (sum, n) = *totals.lock();
    assert_eq!(
        (sum, n),
        (want_sum, want_n),
        "every item taken exactly once"
    );
    format!(
        "{PRODUCERS} producers x {ITEMS_PER_PRODUCER} items through capacity {CAPACITY}; \
         {CONSUMERS} consumers took all {n} (sum {sum}), then close stopped them"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
