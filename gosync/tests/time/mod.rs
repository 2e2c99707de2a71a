//! `gosync::time` (Go's time.After, Tick, Sleep, Timer, Ticker, with Go
//! 1.23's Stop/Reset guarantee). Verdicts rest on lower bounds and counts:
//! a timer never fires early, a stopped timer delivers nothing. How late a
//! timer fires is the machine's business, never a verdict.

use std::time::{Duration, Instant};

use gosync::chan::{Chan, TryRecvError};
use gosync::select;
use gosync::sync::WaitGroup;
use gosync::time::{self, Ticker, Timer};

use crate::{recover, PATIENCE};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn sleep_and_after_never_end_early() {
    let start = Instant::now();
    time::sleep(5 * MS);
    assert!(start.elapsed() >= 5 * MS);
    let start = Instant::now();
    let t = time::after(5 * MS)
        .recv_timeout(PATIENCE)
        .expect("after delivers");
    assert!(
        t >= start + 5 * MS,
        "delivered instant is the due time or later"
    );
    assert!(start.elapsed() >= 5 * MS);
}

#[test]
fn after_delivers_exactly_once() {
    let c = time::after(MS);
    c.recv_timeout(PATIENCE).unwrap();
    time::sleep(3 * MS);
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn select_times_out_with_after() {
    let never = Chan::<u8>::new(0);
    let r = select! {
        recv(&never) -> _v => "value",
        recv(&time::after(2 * MS)) -> _t => "timeout",
    };
    assert_eq!(r, "timeout");
}

#[test]
fn stop_before_firing_returns_true_and_delivers_nothing() {
    let t = Timer::new(HOUR);
    assert!(t.stop());
    assert!(!t.stop(), "a second stop finds it stopped");
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn stop_after_firing_returns_false_and_discards_the_value() {
    let t = Timer::new(MS);
    // Wait until it has fired without taking the value: the channel fills.
    while t.c().is_empty() {
        time::sleep(MS);
    }
    assert!(!t.stop(), "it had fired");
    // Go 1.23: no value of the old setting is received after Stop.
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn reset_rearms_and_reports_whether_it_was_active() {
    let t = Timer::new(HOUR);
    assert!(t.reset(HOUR), "it was active");
    assert!(t.stop());
    let start = Instant::now();
    assert!(!t.reset(2 * MS), "stopped timers are inactive");
    t.c().recv_timeout(PATIENCE).unwrap();
    assert!(start.elapsed() >= 2 * MS);
}

#[test]
fn reset_discards_an_untaken_value() {
    let t = Timer::new(MS);
    while t.c().is_empty() {
        time::sleep(MS);
    }
    assert!(!t.reset(HOUR));
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn ticker_ticks_in_order_and_stops() {
    let start = Instant::now();
    let t = Ticker::new(MS);
    let mut last = start;
    for _ in 0..5 {
        let tick = t.c().recv_timeout(PATIENCE).unwrap();
        assert!(tick >= start + MS, "never early");
        assert!(tick > last);
        last = tick;
    }
    t.stop();
    assert_eq!(t.c().try_recv(), Err(TryRecvError::Empty));
    time::sleep(3 * MS);
    assert_eq!(
        t.c().try_recv(),
        Err(TryRecvError::Empty),
        "no tick after stop"
    );
}

#[test]
fn slow_receivers_lose_ticks_rather_than_queue_them() {
    let t = Ticker::new(MS);
    while t.c().is_empty() {
        time::sleep(MS);
    }
    time::sleep(10 * MS);
    // The channel holds one tick; later ones were dropped, as in Go.
    assert_eq!(t.c().len(), 1);
}

#[test]
fn ticker_reset_changes_the_period() {
    let t = Ticker::new(HOUR);
    let start = Instant::now();
    t.reset(MS);
    t.c().recv_timeout(PATIENCE).unwrap();
    t.c().recv_timeout(PATIENCE).unwrap();
    assert!(start.elapsed() >= MS);
}

#[test]
fn zero_periods_panic_with_go_messages() {
    assert_eq!(
        recover(|| drop(Ticker::new(Duration::ZERO))).as_deref(),
        Some("non-positive interval for NewTicker")
    );
    let t = Ticker::new(HOUR);
    assert_eq!(
        recover(|| t.reset(Duration::ZERO)).as_deref(),
        Some("non-positive interval for Ticker.Reset")
    );
    assert!(time::tick(Duration::ZERO).is_nil(), "Go's Tick(0) is nil");
}

/// Many goroutines with timers at once: one service thread serves them all.
#[test]
fn many_timers_at_once() {
    let wg = WaitGroup::new();
    let fired = Chan::new(200);
    for i in 0..200u64 {
        let fired = fired.clone();
        wg.go(move || {
            let t = Timer::new(Duration::from_micros(i * 10));
            t.c().recv_timeout(PATIENCE).unwrap();
            fired.send(i);
        });
    }
    wg.wait();
    assert_eq!(fired.len(), 200);
}
