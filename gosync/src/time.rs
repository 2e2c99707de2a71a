//! Go's `time` package, the part that concerns goroutines: sleeping, and
//! channels that deliver the time.
//!
//! | Go                          | gosync                                   |
//! |-----------------------------|------------------------------------------|
//! | `time.Sleep(d)`             | [`sleep(d)`](sleep)                      |
//! | `time.After(d)`             | [`after(d)`](after)                      |
//! | `time.Tick(d)`              | [`tick(d)`](tick)                        |
//! | `time.NewTimer(d)`          | [`Timer::new(d)`](Timer::new)            |
//! | `time.NewTicker(d)`         | [`Ticker::new(d)`](Ticker::new)          |
//! | `t.C`                       | [`t.c()`](Timer::c)                      |
//!
//! One timer service (a heap and a thread, inside the runtime) drives every
//! timer; none costs a thread. As in Go 1.23, after `stop` or `reset`
//! returns, no value from the old setting will be received.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chan::Chan;
use crate::rt::{clock, hb, timer};

/// Pauses the calling goroutine for at least `d` (Go's `time.Sleep`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// gosync::time::sleep(Duration::from_millis(1));
/// ```
pub fn sleep(d: Duration) {
    timer::sleep(d);
}

/// A channel that receives the current time once `d` has passed (Go's
/// `time.After`). Nothing else ever arrives on it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gosync::chan::Chan;
/// use gosync::{select, time};
///
/// let never = Chan::<u32>::new(0);
/// let timed_out = select! {
///     recv(&never) -> _v => false,
///     recv(&time::after(Duration::from_millis(1))) -> _t => true,
/// };
/// assert!(timed_out);
/// ```
pub fn after(d: Duration) -> Chan<Instant> {
    let c = Chan::new(1);
    // Nobody can stop this timer; the service forgets it once it fires, or
    // once nobody holds the channel any more.
    let weak = c.downgrade().expect("not nil");
    timer::start_detached(deadline(d), deliver(&c), Box::new(move || weak.is_alive()));
    c
}

/// A channel that receives the time every `d` (Go's `time.Tick`), for the
/// life of the program; a zero `d` gives the nil channel, as Go's.
/// Use a [`Ticker`] to be able to stop it.
pub fn tick(d: Duration) -> Chan<Instant> {
    if d.is_zero() {
        return Chan::nil();
    }
    let t = Ticker::new(d);
    let c = t.c().clone();
    // `tick` has no handle to stop it, as Go's.
    std::mem::forget(t);
    c
}

fn deadline(d: Duration) -> Instant {
    // A duration too long to represent is as good as forever: a century.
    let now = clock::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Delivers the current time on a channel: the common part of Timer and
/// Ticker. The channel has room for one value; a delivery that finds it
/// full is dropped, as Go drops ticks for slow receivers.
fn deliver(c: &Chan<Instant>) -> timer::Callback {
    // Weak: the timer must not keep its channel alive (see `after`).
    let tx = c.downgrade().expect("not nil");
    Arc::new(move |t| {
        if let Some(tx) = tx.upgrade() {
            let _ = tx.try_send(t);
        }
    })
}

/// A single event: its channel receives the time once, after the duration
/// (Go's `time.Timer`). Dropping the timer stops it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gosync::time::Timer;
///
/// let t = Timer::new(Duration::from_secs(3600));
/// assert!(t.stop(), "stopped before it fired");
/// assert!(!t.reset(Duration::from_millis(1)), "it was not active");
/// t.c().recv().unwrap();
/// ```
pub struct Timer {
    c: Chan<Instant>,
    id: timer::TimerId,
}

impl Timer {
    /// Starts a timer that fires once, after `d`.
    pub fn new(d: Duration) -> Timer {
        let c = Chan::new(1);
        let id = timer::start(deadline(d), None, deliver(&c));
        Timer { c, id }
    }

    /// The channel on which the time is delivered (Go's `t.C`).
    pub fn c(&self) -> &Chan<Instant> {
        &self.c
    }

    /// Stops the timer. Returns `true` if this call stopped it, `false` if
    /// it had already fired or been stopped. After `stop` returns, the
    /// channel yields nothing from this setting (Go 1.23).
    pub fn stop(&self) -> bool {
        timer::stop(self.id, || drain(&self.c))
    }

    /// Re-arms the timer to fire after `d`. Returns whether it had been
    /// active. A value of the old setting not yet received is discarded
    /// (Go 1.23). The reset happens before the delivery it schedules.
    pub fn reset(&self, d: Duration) -> bool {
        // The reset happens before the tick it schedules is received: merge
        // into the channel's clock, which that receive acquires.
        hb::release_merge(self.c.hb_key());
        timer::reset(self.id, deadline(d), None, || drain(&self.c))
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        timer::remove(self.id);
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("c", &self.c).finish()
    }
}

/// Delivers the time on its channel every period, dropping ticks a slow
/// receiver has not taken (Go's `time.Ticker`). Dropping it stops it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gosync::time::Ticker;
///
/// let t = Ticker::new(Duration::from_millis(1));
/// let (a, b) = (t.c().recv().unwrap(), t.c().recv().unwrap());
/// assert!(b > a);
/// t.stop();
/// ```
///
/// # Panics
///
/// `new` and `reset` panic with Go's messages on a zero period.
pub struct Ticker {
    c: Chan<Instant>,
    id: timer::TimerId,
}

impl Ticker {
    /// Starts a ticker with period `d`.
    ///
    /// # Panics
    ///
    /// "non-positive interval for NewTicker" if `d` is zero.
    pub fn new(d: Duration) -> Ticker {
        assert!(!d.is_zero(), "non-positive interval for NewTicker");
        let c = Chan::new(1);
        let id = timer::start(deadline(d), Some(d), deliver(&c));
        Ticker { c, id }
    }

    /// The channel on which ticks are delivered (Go's `t.C`).
    pub fn c(&self) -> &Chan<Instant> {
        &self.c
    }

    /// Stops the ticker; no tick is received after `stop` returns.
    pub fn stop(&self) {
        timer::stop(self.id, || drain(&self.c));
    }

    /// Stops the ticker and restarts it with period `d`.
    ///
    /// # Panics
    ///
    /// "non-positive interval for Ticker.Reset" if `d` is zero.
    pub fn reset(&self, d: Duration) {
        assert!(!d.is_zero(), "non-positive interval for Ticker.Reset");
        // The reset happens before the tick it schedules is received: merge
        // into the channel's clock, which that receive acquires.
        hb::release_merge(self.c.hb_key());
        timer::reset(self.id, deadline(d), Some(d), || drain(&self.c));
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        timer::remove(self.id);
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticker").field("c", &self.c).finish()
    }
}

/// Discards an undelivered value (called under the timer service's lock).
fn drain(c: &Chan<Instant>) {
    let _ = c.try_recv();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[cfg(feature = "race")]
    #[test]
    fn reset_releases_on_the_channel_its_tick_is_received_from() {
        use crate::rt::hb::{record, Event};
        let t = Timer::new(Duration::from_secs(3600));
        let key = t.c().hb_key() as usize;
        let (_, events) = record(|| t.reset(Duration::from_millis(1)));
        assert!(events.contains(&Event::ReleaseMerge(key)), "{events:?}");
        // The receive of that tick acquires the same channel.
        let (_, events) = record(|| t.c().recv());
        assert!(events.contains(&Event::Acquire(key)), "{events:?}");
    }

    /// Timers leave the service when they are done with: fired `after`s,
    /// dropped `Timer`s and `Ticker`s, and (Go's processFeed idiom, a select
    /// on `after(long)` in a loop) `after`s whose channel nobody holds.
    /// One test, because the service is shared and counts must not mix.
    #[test]
    fn timers_leave_the_service_when_done() {
        for _ in 0..100 {
            after(Duration::from_micros(10)).recv().unwrap();
        }
        drop(Timer::new(Duration::from_secs(3600)));
        drop(Ticker::new(Duration::from_secs(3600)));
        assert!(timer::count() < 50, "{} timers kept", timer::count());

        let c = Chan::new(1);
        for i in 0..10_000 {
            c.send(i);
            crate::select! {
                recv(&c) -> _v => {},
                recv(&after(Duration::from_secs(3600))) -> _t => unreachable!(),
            }
        }
        // Purges keep the table within about twice the live timers, far
        // below the 10,000 created.
        assert!(timer::count() < 1_000, "{} timers kept", timer::count());
    }
}
