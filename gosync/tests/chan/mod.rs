//! Channel semantics (Go's spec and src/runtime/chan_test.go's TestChan,
//! by behaviour) and exactly-once delivery under stress. The `select!`
//! ports arrive with the macro.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gosync::chan::{Chan, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use gosync::sync::WaitGroup;

use crate::{recover, scaled};

#[test]
fn buffered_is_fifo_and_reports_full() {
    let ch = Chan::new(3);
    assert_eq!((ch.len(), ch.cap()), (0, 3));
    for i in 0..3 {
        ch.try_send(i).unwrap();
    }
    assert_eq!(ch.len(), 3);
    assert_eq!(ch.try_send(9), Err(TrySendError::Full(9)));
    assert_eq!(
        [ch.recv(), ch.recv(), ch.recv()],
        [Some(0), Some(1), Some(2)]
    );
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn unbuffered_send_needs_a_receiver() {
    let ch = Chan::<u8>::new(0);
    assert_eq!(ch.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(
        ch.send_timeout(2, Duration::from_millis(5)),
        Err(SendTimeoutError::Timeout(2))
    );
    assert_eq!(
        ch.recv_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    // With a receiver waiting, the send completes and hands over the value.
    let (tx, done) = (ch.clone(), Chan::new(1));
    let d = done.clone();
    gosync::go(move || d.send(tx.recv()));
    ch.send(7);
    assert_eq!(done.recv(), Some(Some(7)));
}

/// TestChan's "send completes only after the receive" for unbuffered
/// channels: the receiver's write before receiving is visible to the
/// sender after its send returns.
#[test]
fn unbuffered_receive_happens_before_send_completes() {
    for _ in 0..scaled(100, 1000) {
        let ch = Chan::new(0);
        let flag = Arc::new(AtomicBool::new(false));
        let (rx, f) = (ch.clone(), flag.clone());
        gosync::go(move || {
            f.store(true, Ordering::Relaxed);
            rx.recv();
        });
        ch.send(());
        assert!(
            flag.load(Ordering::Relaxed),
            "send returned before the receive"
        );
    }
}

#[test]
fn close_drains_then_reports_closed() {
    let ch = Chan::new(2);
    ch.send("a");
    ch.send("b");
    ch.close();
    assert_eq!(ch.recv(), Some("a"));
    assert_eq!(ch.try_recv(), Ok("b"));
    assert_eq!(ch.recv(), None);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(
        ch.recv_timeout(Duration::from_secs(60)),
        Err(RecvTimeoutError::Closed)
    );
    assert_eq!(ch.try_send("c"), Err(TrySendError::Closed("c")));
    assert_eq!(
        ch.send_timeout("d", Duration::from_secs(60)),
        Err(SendTimeoutError::Closed("d"))
    );
}

#[test]
fn misuse_panics_with_go_messages() {
    let ch = Chan::new(1);
    ch.close();
    assert_eq!(
        recover(|| ch.send(1)).as_deref(),
        Some("send on closed channel")
    );
    assert_eq!(
        recover(|| ch.close()).as_deref(),
        Some("close of closed channel")
    );
    assert_eq!(
        recover(|| Chan::<u8>::nil().close()).as_deref(),
        Some("close of nil channel")
    );
}

#[test]
fn close_wakes_blocked_receivers_and_senders() {
    let ch = Chan::<u32>::new(0);
    let wg = WaitGroup::new();
    let results = Chan::new(8);
    for _ in 0..3 {
        let (ch, results) = (ch.clone(), results.clone());
        wg.go(move || results.send(ch.recv()));
    }
    // A blocked sender panics; run it on a plain thread to observe that.
    let tx = ch.clone();
    #[allow(clippy::disallowed_methods)] // the panic must not end the process
    let sender = std::thread::spawn(move || tx.send(1));
    // The sender's value goes to one receiver, or the close beats it.
    ch.close();
    wg.wait();
    let got: Vec<_> = (0..3).map(|_| results.recv().unwrap()).collect();
    let delivered = got.iter().filter(|v| v.is_some()).count();
    match sender.join() {
        Ok(()) => assert_eq!(delivered, 1, "the sent value reached exactly one receiver"),
        Err(p) => {
            assert_eq!(crate::panic_message(&*p), Some("send on closed channel"));
            assert_eq!(delivered, 0);
        }
    }
}

#[test]
fn nil_channel_never_proceeds() {
    let ch = Chan::<u8>::nil();
    assert!(ch.is_nil());
    assert_eq!(ch.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        ch.send_timeout(1, Duration::from_millis(2)),
        Err(SendTimeoutError::Timeout(1))
    );
    assert_eq!(
        ch.recv_timeout(Duration::from_millis(2)),
        Err(RecvTimeoutError::Timeout)
    );
    assert_eq!((ch.len(), ch.cap()), (0, 0));
    assert_eq!(format!("{ch:?}"), "Chan(nil)");
}

#[test]
fn views_and_iteration() {
    let ch = Chan::new(4);
    let (tx, rx) = (ch.sender(), ch.receiver());
    gosync::go(move || {
        for i in 0..10 {
            tx.send(i);
        }
        tx.close();
    });
    let mut sum = 0;
    for v in &rx {
        sum += v;
    }
    assert_eq!(sum, 45);
    assert_eq!(rx.recv(), None);
}

#[test]
fn timeouts_return_the_value_when_it_arrives() {
    let ch = Chan::new(0);
    let tx = ch.clone();
    gosync::go(move || tx.send(5));
    assert_eq!(ch.recv_timeout(crate::PATIENCE), Ok(5));
    let rx = ch.clone();
    let got = Chan::new(1);
    let g = got.clone();
    gosync::go(move || g.send(rx.recv()));
    assert_eq!(ch.send_timeout(6, crate::PATIENCE), Ok(()));
    assert_eq!(got.recv(), Some(Some(6)));
}

/// Many producers and consumers, with timeouts and non-blocking attempts
/// mixed in and a close at the end: every value is delivered exactly once.
fn exactly_once(cap: usize) {
    let producers = 4;
    let per = scaled(2_000, 20_000) as u64;
    let ch = Chan::new(cap);
    let out = Chan::new(0);
    let senders = WaitGroup::new();
    for p in 0..producers {
        let ch = ch.clone();
        senders.go(move || {
            for i in 0..per {
                let v = p * per + i;
                match i % 3 {
                    0 => ch.send(v),
                    1 => {
                        if let Err(e) = ch.try_send(v) {
                            ch.send(e.into_inner());
                        }
                    }
                    _ => {
                        if let Err(e) = ch.send_timeout(v, Duration::from_micros(50)) {
                            ch.send(e.into_inner());
                        }
                    }
                }
            }
        });
    }
    let receivers = WaitGroup::new();
    for r in 0..3 {
        let (ch, out) = (ch.clone(), out.clone());
        receivers.go(move || {
            let mut got = Vec::new();
            loop {
                let v = match r {
                    0 => ch.recv(),
                    1 => match ch.try_recv() {
                        Ok(v) => Some(v),
                        Err(TryRecvError::Empty) => ch.recv(),
                        Err(TryRecvError::Closed) => None,
                    },
                    _ => match ch.recv_timeout(Duration::from_micros(50)) {
                        Ok(v) => Some(v),
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Closed) => None,
                    },
                };
                match v {
                    Some(v) => got.push(v),
                    None => break,
                }
            }
            out.send(got);
        });
    }
    senders.wait();
    ch.close();
    let mut seen = HashSet::new();
    for _ in 0..3 {
        for v in out.recv().unwrap() {
            assert!(seen.insert(v), "{v} delivered twice");
        }
    }
    receivers.wait();
    assert_eq!(seen.len() as u64, producers * per, "values lost");
}

#[test]
fn exactly_once_unbuffered() {
    exactly_once(0);
}

#[test]
fn exactly_once_capacity_1() {
    exactly_once(1);
}

#[test]
fn exactly_once_buffered() {
    exactly_once(64);
}

/// Buffered channels take values without a lock, and blocked operations
/// are served from the buffer in queue order. Through all of that a
/// channel stays FIFO: each receiver, which takes values one at a time,
/// sees every sender's values in the order they were sent. Senders mix
/// blocking, non-blocking and timed sends; receivers select over the
/// channel and a `stop` channel, which is closed while they wait.
fn fifo_per_sender(cap: usize) {
    let senders = 3;
    let per = scaled(3_000, 30_000) as u64;
    let ch = Chan::new(cap);
    let stop = Chan::<()>::new(0);
    let out = Chan::new(senders as usize);
    let sending = WaitGroup::new();
    for s in 0..senders {
        let ch = ch.clone();
        sending.go(move || {
            for i in 0..per {
                let v = (s, i);
                match i % 3 {
                    0 => ch.send(v),
                    1 => {
                        if let Err(e) = ch.try_send(v) {
                            ch.send(e.into_inner());
                        }
                    }
                    _ => {
                        if let Err(e) = ch.send_timeout(v, Duration::from_micros(20)) {
                            ch.send(e.into_inner());
                        }
                    }
                }
            }
        });
    }
    let receiving = WaitGroup::new();
    for _ in 0..2 {
        let (ch, stop, out) = (ch.clone(), stop.clone(), out.clone());
        receiving.go(move || {
            let mut last = vec![None::<u64>; senders as usize];
            let mut count = 0u64;
            loop {
                gosync::select! {
                    recv(&ch) -> v => {
                        let (s, i) = v.expect("ch is never closed");
                        let prev = last[s as usize].replace(i);
                        assert!(prev < Some(i), "sender {s}: {i} after {prev:?}");
                        count += 1;
                    },
                    recv(&stop) -> _ => break,
                }
            }
            // Whatever is still buffered after `stop` is left for the check.
            out.send(count);
        });
    }
    sending.wait();
    // Let the receivers empty the channel, then stop them mid-wait.
    while !ch.is_empty() {
        gosync::runtime::gosched();
    }
    stop.close();
    receiving.wait();
    let taken: u64 = (0..2).map(|_| out.recv().unwrap()).sum();
    let mut left = 0;
    while ch.try_recv().is_ok() {
        left += 1;
    }
    assert_eq!(taken + left, senders * per, "values lost or duplicated");
}

#[test]
fn fifo_per_sender_capacity_1() {
    fifo_per_sender(1);
}

#[test]
fn fifo_per_sender_buffered() {
    fifo_per_sender(8);
}

mod select_macro {
    //! `select!` (Go's spec for select, and src/runtime/chan_test.go's
    //! TestSelectFairness, TestSelectDuplicateChannel, TestSelectStress by
    //! behaviour).

    use std::cell::RefCell;
    use std::collections::HashSet;

    use gosync::chan::Chan;
    use gosync::select;
    use gosync::sync::WaitGroup;

    use crate::{recover, scaled};

    #[test]
    fn operands_are_evaluated_once_in_source_order() {
        let log = RefCell::new(Vec::new());
        let (a, b) = (Chan::new(1), Chan::<i32>::new(1));
        let pick = |name: &'static str, ch| {
            log.borrow_mut().push(name);
            ch
        };
        let got = select! {
            send(pick("a", &a), { log.borrow_mut().push("value"); 1 }) => "sent",
            recv(pick("b", &b)) -> _v => "received",
        };
        assert_eq!(got, "sent");
        assert_eq!(*log.borrow(), ["a", "value", "b"]);
        assert_eq!(a.try_recv(), Ok(1));
    }

    #[test]
    fn default_runs_when_nothing_is_ready_and_values_come_back() {
        let full = Chan::new(1);
        full.send(0);
        let empty = Chan::<i32>::new(0);
        let r = select! {
            send(&full, 1) => 1,
            recv(&empty) -> _v => 2,
            default => 3,
        };
        assert_eq!(r, 3);
        assert_eq!(full.len(), 1, "the unsent value was not sent");
    }

    #[test]
    fn nil_cases_are_never_chosen() {
        let nil = Chan::<i32>::nil();
        let ready = Chan::new(1);
        ready.send(5);
        for _ in 0..100 {
            let r = select! {
                recv(&nil) -> _v => unreachable!("nil receive chosen"),
                send(&nil, 1) => unreachable!("nil send chosen"),
                recv(&ready) -> v => { ready.send(5); v }
            };
            assert_eq!(r, Some(5));
        }
        let r = select! {
            recv(&nil) -> _v => 1,
            default => 2
        };
        assert_eq!(r, 2);
    }

    #[test]
    fn closed_receive_is_ready_with_none() {
        let c = Chan::<i32>::new(0);
        c.close();
        let r = select! { recv(&c) -> v => v };
        assert_eq!(r, None);
    }

    #[test]
    fn chosen_send_on_closed_channel_panics() {
        let c = Chan::new(1);
        c.close();
        let msg = recover(|| {
            select! {
                send(&c, 1) => {},
            }
        });
        assert_eq!(msg.as_deref(), Some("send on closed channel"));
    }

    /// TestSelectFairness by counts: with two always-ready cases, each wins
    /// about half the time.
    #[test]
    fn ready_cases_win_uniformly() {
        let (a, b) = (Chan::new(1), Chan::new(1));
        let mut wins = [0u32; 2];
        for _ in 0..10_000 {
            a.try_send(()).ok();
            b.try_send(()).ok();
            let i = select! {
                recv(&a) -> _v => 0,
                recv(&b) -> _v => 1,
            };
            wins[i] += 1;
        }
        // 10,000 fair flips outside 4,000..=6,000 is a >20-sigma event.
        assert!(wins.iter().all(|w| (4_000..=6_000).contains(w)), "{wins:?}");
    }

    /// TestSelectDuplicateChannel: one channel in several cases of one
    /// select, with another goroutine on the other end.
    #[test]
    fn duplicate_channel_in_cases() {
        let c = Chan::new(0);
        let tx = c.clone();
        gosync::go(move || {
            for i in 0..100 {
                tx.send(i);
            }
            tx.close();
        });
        let rx = c.receiver();
        let (mut sum, mut count) = (0, 0);
        loop {
            let v = select! {
                recv(&c) -> v => v,
                recv(&c) -> v => v,
                recv(&rx) -> v => v,
            };
            match v {
                Some(v) => {
                    sum += v;
                    count += 1;
                }
                None => break,
            }
        }
        assert_eq!((count, sum), (100, 4950), "every value exactly once");
    }

    /// TestSelectStress in spirit: producers send through selects over two
    /// channels, consumers receive through selects, a close ends them, and
    /// every value arrives exactly once.
    #[test]
    fn exactly_once_through_select() {
        let per = scaled(1_000, 10_000) as u64;
        let (a, b) = (Chan::new(0), Chan::new(3));
        let producers = WaitGroup::new();
        for p in 0..3u64 {
            let (a, b) = (a.clone(), b.clone());
            producers.go(move || {
                for i in 0..per {
                    let v = p * per + i;
                    select! {
                        send(&a, v) => {},
                        send(&b, v) => {},
                    }
                }
            });
        }
        let out = Chan::new(0);
        let consumers = WaitGroup::new();
        for _ in 0..2 {
            let (a, b, out) = (a.clone(), b.clone(), out.clone());
            consumers.go(move || {
                let (mut got, mut open) = (Vec::new(), [true, true]);
                while open[0] || open[1] {
                    let (i, v) = select! {
                        recv(if open[0] { &a } else { &NIL }) -> v => (0, v),
                        recv(if open[1] { &b } else { &NIL }) -> v => (1, v),
                    };
                    match v {
                        Some(v) => got.push(v),
                        None => open[i] = false,
                    }
                }
                out.send(got);
            });
        }
        producers.wait();
        a.close();
        b.close();
        let mut seen = HashSet::new();
        for _ in 0..2 {
            for v in out.recv().unwrap() {
                assert!(seen.insert(v), "{v} delivered twice");
            }
        }
        consumers.wait();
        assert_eq!(seen.len() as u64, 3 * per, "values lost");
    }

    static NIL: Chan<u64> = Chan::nil();
}
