//! The timer service: one thread drives every timer, as Go's runtime drives
//! them from its timer heap. `time::after`, `Timer`, `Ticker`, and channel
//! timeouts cost a heap entry each, not a thread.
//!
//! A timer is an id in a table; the heap holds `(when, id, generation)`.
//! Stopping or resetting a timer bumps its generation, so heap entries of
//! earlier settings are skipped when they come up instead of being searched
//! for. Callbacks run on the service thread, under the service's lock: they
//! must be quick and must not block (a non-blocking channel send). Because
//! `stop` and `reset` take the same lock, they can undo a delivery that a
//! receiver has not yet taken, atomically with the stop.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::clock;
use super::waiter::Waiter;

/// What a timer does when it fires, with the time it fired (Go sends
/// `time.Now()`).
pub(crate) type Callback = Arc<dyn Fn(Instant) + Send + Sync>;

/// Whether anyone can still observe a detached timer (its channel lives).
pub(crate) type Alive = Box<dyn Fn() -> bool + Send + Sync>;

/// A timer registered with the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TimerId(u64);

struct Entry {
    generation: u64,
    when: Instant,
    /// Re-arm this far after each firing (a ticker); `None` fires once.
    period: Option<Duration>,
    callback: Callback,
    /// Whether the timer will fire (not stopped, not fired if one-shot).
    active: bool,
    /// Nobody holds an id for it (`time::after`): forget it once fired,
    /// or as soon as `alive` says nobody can observe it (Go 1.23 collects
    /// unreferenced timers at once).
    detached: Option<Alive>,
}

struct Service {
    heap: BinaryHeap<Reverse<(Instant, u64, u64)>>,
    timers: HashMap<u64, Entry>,
    next_id: u64,
    /// Purge dead detached timers when the table reaches this size.
    purge_at: usize,
    /// The service thread, once started.
    thread: Option<Waiter>,
}

fn service() -> &'static Mutex<Service> {
    static SERVICE: OnceLock<Mutex<Service>> = OnceLock::new();
    SERVICE.get_or_init(|| {
        Mutex::new(Service {
            heap: BinaryHeap::new(),
            timers: HashMap::new(),
            next_id: 0,
            purge_at: PURGE_MIN,
            thread: None,
        })
    })
}

fn lock() -> MutexGuard<'static, Service> {
    // Callbacks do not panic (they make non-blocking sends), so the state
    // is consistent even if a lock was poisoned.
    service().lock().unwrap_or_else(PoisonError::into_inner)
}

/// The table size below which dead detached timers are left to fire.
const PURGE_MIN: usize = 64;

impl Service {
    /// Drops detached timers nobody can observe, and their heap entries.
    /// Run when the table has doubled, so each insert pays O(1) amortized.
    fn purge(&mut self) {
        self.timers
            .retain(|_, e| e.detached.as_ref().is_none_or(|alive| alive()));
        let timers = &self.timers;
        self.heap
            .retain(|Reverse((_, id, _))| timers.contains_key(id));
        self.purge_at = PURGE_MIN.max(2 * self.timers.len());
    }

    /// Queues `id` at `when` and makes sure the service thread will see it.
    fn schedule(&mut self, id: u64, generation: u64, when: Instant) {
        let earliest = self.heap.peek().map(|Reverse((w, _, _))| *w);
        self.heap.push(Reverse((when, id, generation)));
        match &self.thread {
            None => self.thread = Some(spawn()),
            // The thread sleeps until the earliest deadline; wake it only
            // if this one is sooner.
            Some(t) if earliest.is_none_or(|e| when < e) => t.unpark(),
            Some(_) => {}
        }
    }
}

fn spawn() -> Waiter {
    let (tx, rx) = std::sync::mpsc::sync_channel(0);
    std::thread::Builder::new()
        .name("gosync-timers".into())
        .spawn(move || {
            tx.send(Waiter::current())
                .expect("the starter waits for us");
            run();
        })
        .expect("gosync: cannot start the timer thread");
    rx.recv().expect("the timer thread starts")
}

/// The service thread: fire what is due, sleep until the next deadline.
fn run() -> ! {
    loop {
        let next = {
            let mut s = lock();
            let now = clock::now();
            while let Some(&Reverse((when, id, generation))) = s.heap.peek() {
                if when > now {
                    break;
                }
                s.heap.pop();
                let Some(e) = s.timers.get_mut(&id) else {
                    continue;
                };
                if e.generation != generation || !e.active {
                    continue; // an earlier setting
                }
                (e.callback)(now);
                if e.detached.is_some() {
                    s.timers.remove(&id);
                    continue;
                }
                match e.period {
                    Some(p) => {
                        // Go's ticker drops ticks for slow receivers: the
                        // next one is a whole period after the later of
                        // the due time and now.
                        let mut next = when + p;
                        if next <= now {
                            next = now + p;
                        }
                        e.when = next;
                        s.heap.push(Reverse((next, id, generation)));
                    }
                    None => e.active = false,
                }
            }
            s.heap.peek().map(|Reverse((w, _, _))| *w)
        };
        Waiter::park(next);
    }
}

/// Starts a timer that calls `callback` at `when`, and then every `period`
/// if given.
pub(crate) fn start(when: Instant, period: Option<Duration>, callback: Callback) -> TimerId {
    insert(when, period, callback, None)
}

/// Starts a one-shot timer that nobody can stop; it is forgotten once it
/// has fired, or once `alive` returns false.
pub(crate) fn start_detached(when: Instant, callback: Callback, alive: Alive) {
    insert(when, None, callback, Some(alive));
}

fn insert(
    when: Instant,
    period: Option<Duration>,
    callback: Callback,
    detached: Option<Alive>,
) -> TimerId {
    let mut s = lock();
    if s.timers.len() >= s.purge_at {
        s.purge();
    }
    let id = s.next_id;
    s.next_id += 1;
    s.timers.insert(
        id,
        Entry {
            generation: 0,
            when,
            period,
            callback,
            active: true,
            detached,
        },
    );
    s.schedule(id, 0, when);
    TimerId(id)
}

/// Stops the timer; `undo` runs under the service's lock (no firing can
/// slip in between). Returns whether the timer was still going to fire.
pub(crate) fn stop(id: TimerId, undo: impl FnOnce()) -> bool {
    let mut s = lock();
    let e = s.timers.get_mut(&id.0).expect("a live timer");
    let was_active = e.active;
    e.active = false;
    e.generation += 1;
    undo();
    was_active
}

/// Re-arms the timer for `when` (and `period`); `undo` runs under the
/// service's lock first. Returns whether it was still going to fire.
pub(crate) fn reset(
    id: TimerId,
    when: Instant,
    period: Option<Duration>,
    undo: impl FnOnce(),
) -> bool {
    let mut s = lock();
    let e = s.timers.get_mut(&id.0).expect("a live timer");
    let was_active = e.active;
    e.active = true;
    e.generation += 1;
    e.when = when;
    e.period = period;
    let generation = e.generation;
    undo();
    s.schedule(id.0, generation, when);
    was_active
}

/// Forgets the timer (its owner is gone); it will not fire.
pub(crate) fn remove(id: TimerId) {
    lock().timers.remove(&id.0);
}

/// How many timers the service holds (for tests: nothing leaks).
#[cfg(all(test, not(loom)))]
pub(crate) fn count() -> usize {
    lock().timers.len()
}

/// Blocks the caller until `d` has passed.
pub(crate) fn sleep(d: Duration) {
    let Some(deadline) = clock::now().checked_add(d) else {
        loop {
            Waiter::park(None);
        }
    };
    while Waiter::park(Some(deadline)) {}
}
