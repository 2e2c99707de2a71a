//! Ports of Go's `src/runtime/chan_test.go` (package `runtime_test`), by
//! behaviour: TestChan, TestNonblockRecvRace, TestNonblockSelectRace,
//! TestNonblockSelectRace2, TestSelfSelect, TestSelectStress,
//! TestSelectFairness, TestChanSendInterface, TestPseudoRandomSend,
//! TestMultiConsumer, TestShrinkStackDuringBlockedSend,
//! TestSelectDuplicateChannel and TestSelectStackAdjust.
//!
//! Not ported:
//!
//! - TestNoShrinkStackWhileParking: it races Go's garbage collector, which
//!   shrinks a goroutine's stack, against that goroutine parking on a
//!   channel. gosync has no collector and never moves or shrinks a stack.
//! - The benchmarks: `benches/chan.rs` measures the same shapes.
//!
//! What the GC-flavoured tests that are ported still check is said on each.
//!
//! Two gosync bugs were found by these ports, each with a minimal test
//! beside the port, and fixed (select now polls and queues in a random
//! permutation, as Go's pollorder): TestSelectFairness (`select_fairness`,
//! minimal: `ready_case_after_a_never_ready_one_wins_half_the_time`) and the
//! unbuffered half of TestPseudoRandomSend (`pseudo_random_send_unbuffered`,
//! minimal: `blocked_select_completes_either_case_of_one_channel`).
//!
//! Go's `defer runtime.GOMAXPROCS(...)` settings are left out: `GOMAXPROCS`
//! is process-wide here, and goroutines are OS threads in this version.
//! Where a Go test calls `t.Fatal` in a goroutine, the goroutine sends what
//! it saw back to the test, which asserts (a panic in a goroutine would end
//! the whole test process). Sleeps only encourage an interleaving: an
//! assertion made after one can catch a bug, never invent one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::Duration;

use gosync::chan::{Chan, RecvTimeoutError, TryRecvError, TrySendError};
use gosync::runtime::gosched;
use gosync::select;
use gosync::sync::WaitGroup;

use crate::{scaled, PATIENCE};

/// Receives what a goroutine reports, failing the test instead of hanging
/// if it never does.
#[track_caller]
pub(super) fn report<T>(ch: &Chan<T>) -> T {
    ch.recv_timeout(PATIENCE)
        .unwrap_or_else(|e| panic!("no report from a goroutine: {e}"))
}

/// Waits for `wg` without hanging the test: a helper goroutine waits and
/// closes a channel, which the test waits on for at most [`PATIENCE`].
#[track_caller]
pub(super) fn wait(wg: &Arc<WaitGroup>) {
    let done = Chan::<()>::new(0);
    let (wg, d) = (wg.clone(), done.clone());
    gosync::go(move || {
        wg.wait();
        d.close();
    });
    assert_eq!(
        done.recv_timeout(PATIENCE),
        Err(RecvTimeoutError::Closed),
        "the goroutines did not finish"
    );
}

#[test]
fn chan() {
    // Go: 200 capacities, 20 with -short.
    for cap in 0..scaled(20, 100) {
        receive_from_empty_chan_blocks(cap);
        send_to_full_chan_blocks(cap);
        receive_zero_from_closed_chan(cap);
        close_unblocks_receive(cap);
        values_arrive_in_fifo_order_uncorrupted(cap);
        len_and_cap(cap);
    }
}

fn receive_from_empty_chan_blocks(cap: usize) {
    let c = Chan::<i32>::new(cap);
    let recv1 = Arc::new(AtomicBool::new(false));
    let recv2 = Arc::new(AtomicBool::new(false));
    {
        let (c, recv1) = (c.clone(), recv1.clone());
        gosync::go(move || {
            let _ = c.recv();
            recv1.store(true, Ordering::SeqCst);
        });
    }
    {
        // Go's second form, `_, _ = <-c`, is the same `recv` here; receive
        // through a one-case select instead.
        let (c, recv2) = (c.clone(), recv2.clone());
        gosync::go(move || {
            select! { recv(&c) -> _v => {} }
            recv2.store(true, Ordering::SeqCst);
        });
    }
    sleep(Duration::from_millis(1));
    assert!(
        !recv1.load(Ordering::SeqCst) && !recv2.load(Ordering::SeqCst),
        "chan[{cap}]: receive from empty chan"
    );
    // Ensure that non-blocking receive does not block.
    select! {
        recv(&c) -> _v => panic!("chan[{cap}]: receive from empty chan"),
        default => {}
    }
    assert_eq!(
        c.try_recv(),
        Err(TryRecvError::Empty),
        "chan[{cap}]: receive from empty chan"
    );
    c.send(0);
    c.send(0);
}

fn send_to_full_chan_blocks(cap: usize) {
    let c = Chan::new(cap);
    for i in 0..cap {
        c.send(i);
    }
    let sent = Arc::new(AtomicBool::new(false));
    {
        let (c, sent) = (c.clone(), sent.clone());
        gosync::go(move || {
            c.send(0);
            sent.store(true, Ordering::SeqCst);
        });
    }
    sleep(Duration::from_millis(1));
    assert!(
        !sent.load(Ordering::SeqCst),
        "chan[{cap}]: send to full chan"
    );
    // Ensure that non-blocking send does not block.
    select! {
        send(&c, 0) => panic!("chan[{cap}]: send to full chan"),
        default => {}
    }
    assert_eq!(c.try_send(7), Err(TrySendError::Full(7)));
    let _ = c.recv();
}

fn receive_zero_from_closed_chan(cap: usize) {
    let c = Chan::new(cap);
    for i in 0..cap {
        c.send(i);
    }
    c.close();
    for i in 0..cap {
        assert_eq!(c.recv(), Some(i), "chan[{cap}]");
    }
    // Go's `v := <-c` gives 0 and `v, ok := <-c` gives 0, false; both are
    // `None` here, every time.
    assert_eq!(c.recv(), None, "chan[{cap}]");
    assert_eq!(c.recv(), None, "chan[{cap}]");
    assert_eq!(c.try_recv(), Err(TryRecvError::Closed), "chan[{cap}]");
}

fn close_unblocks_receive(cap: usize) {
    let c = Chan::<i32>::new(cap);
    let done = Chan::new(0);
    {
        let (c, done) = (c.clone(), done.clone());
        gosync::go(move || {
            let v = c.recv();
            done.send(v.is_none());
        });
    }
    sleep(Duration::from_millis(1));
    c.close();
    assert!(
        report(&done),
        "chan[{cap}]: received non zero from closed chan"
    );
}

fn values_arrive_in_fifo_order_uncorrupted(cap: usize) {
    // Send 100 integers, ensure that we receive them non-corrupted in FIFO
    // order.
    let c = Chan::new(cap);
    let tx = c.clone();
    gosync::go(move || {
        for i in 0..100 {
            tx.send(i);
        }
    });
    for i in 0..100 {
        assert_eq!(c.recv(), Some(i), "chan[{cap}]");
    }

    // Same, but using recv2 (Go's `v, ok := <-c`); here, a receive that
    // waits with a deadline.
    let tx = c.clone();
    gosync::go(move || {
        for i in 0..100 {
            tx.send(i);
        }
    });
    for i in 0..100 {
        assert_eq!(c.recv_timeout(PATIENCE), Ok(i), "chan[{cap}]");
    }

    // Send L integers in P goroutines, ensure that we receive what we send.
    const P: usize = 4;
    let l = scaled(250, 1000);
    for _ in 0..P {
        let tx = c.clone();
        gosync::go(move || {
            for i in 0..l {
                tx.send(i);
            }
        });
    }
    let done = Chan::new(0);
    for _ in 0..P {
        let (rx, done) = (c.clone(), done.clone());
        gosync::go(move || {
            let mut recv = vec![0; l];
            for _ in 0..l {
                let v = rx.recv().expect("nobody closes c");
                recv[v] += 1;
            }
            done.send(recv);
        });
    }
    let mut recv = vec![0; l];
    for _ in 0..P {
        for (v, n) in report(&done).into_iter().enumerate() {
            recv[v] += n;
        }
    }
    assert!(
        recv.iter().all(|&n| n == P),
        "chan[{cap}]: each value should arrive {P} times: {recv:?}"
    );
}

fn len_and_cap(cap: usize) {
    let c = Chan::new(cap);
    assert_eq!((c.len(), c.cap()), (0, cap), "chan[{cap}]: bad len/cap");
    for i in 0..cap {
        c.send(i);
    }
    assert_eq!((c.len(), c.cap()), (cap, cap), "chan[{cap}]: bad len/cap");
}

/// TestNonblockRecvRace: a non-blocking receive on a channel that holds a
/// value, racing with a close of it, always finds it ready. The port also
/// checks that the one value goes to exactly one of the two receivers.
#[test]
fn nonblock_recv_race() {
    // Go: 10,000, 100 with -short. Each iteration starts an OS thread.
    for _ in 0..scaled(100, 2_000) {
        let c = Chan::new(1);
        c.send(1);
        let saw = Chan::new(1);
        {
            let (c, saw) = (c.clone(), saw.clone());
            gosync::go(move || {
                let got = select! {
                    recv(&c) -> v => Ok(v),
                    default => Err("chan is not ready"),
                };
                saw.send(got);
            });
        }
        c.close();
        let main_got = c.recv();
        let got = report(&saw).expect("chan is not ready");
        let values: Vec<i32> = [got, main_got].into_iter().flatten().collect();
        assert_eq!(values, [1], "the value is received exactly once");
    }
}

/// TestNonblockSelectRace: from the moment the goroutine starts, at least
/// one of c1 and c2 is always ready, so its non-blocking select must
/// receive from one of them and never take the default. A select acts on
/// the state of its channels at one moment, not over a smeared window.
#[test]
fn nonblock_select_race() {
    // Go: 100,000, 1,000 with -short.
    let done = Chan::new(1);
    for _ in 0..scaled(300, 2_000) {
        let (c1, c2) = (Chan::new(1), Chan::new(1));
        c1.send(1);
        {
            let (c1, c2, done) = (c1.clone(), c2.clone(), done.clone());
            gosync::go(move || {
                let ready = select! {
                    recv(&c1) -> _v => true,
                    recv(&c2) -> _v => true,
                    default => false,
                };
                done.send(ready);
            });
        }
        c2.send(1);
        select! {
            recv(&c1) -> _v => {},
            default => {},
        }
        assert!(report(&done), "no chan is ready");
    }
}

/// TestNonblockSelectRace2: the same, with `close(c2)` making c2 ready.
#[test]
fn nonblock_select_race2() {
    let done = Chan::new(1);
    for _ in 0..scaled(300, 2_000) {
        let (c1, c2) = (Chan::new(1), Chan::<i32>::new(0));
        c1.send(1);
        {
            let (c1, c2, done) = (c1.clone(), c2.clone(), done.clone());
            gosync::go(move || {
                let ready = select! {
                    recv(&c1) -> _v => true,
                    recv(&c2) -> _v => true,
                    default => false,
                };
                done.send(ready);
            });
        }
        c2.close();
        select! {
            recv(&c1) -> _v => {},
            default => {},
        }
        assert!(report(&done), "no chan is ready");
    }
}

/// TestSelfSelect: a select that sends on and receives from the same
/// channel neither crashes nor deadlocks, and on an unbuffered channel
/// never receives its own value.
#[test]
fn self_select() {
    for cap in [0, 10] {
        let c = Chan::new(cap);
        let self_receives = Chan::new(2);
        let wg = Arc::new(WaitGroup::new());
        for p in 0..2 {
            let (c, self_receives) = (c.clone(), self_receives.clone());
            wg.go(move || {
                let mut n = 0;
                for i in 0..1000 {
                    // Both orders of the cases, as Go's test writes them.
                    let got = if p == 0 || i % 2 == 0 {
                        select! {
                            send(&c, p) => None,
                            recv(&c) -> v => v,
                        }
                    } else {
                        select! {
                            recv(&c) -> v => v,
                            send(&c, p) => None,
                        }
                    };
                    if cap == 0 && got == Some(p) {
                        n += 1;
                    }
                }
                self_receives.send(n);
            });
        }
        wait(&wg);
        assert_eq!(
            [report(&self_receives), report(&self_receives)],
            [0, 0],
            "self receive (cap {cap})"
        );
    }
}

/// TestSelectStress: four goroutines send N values on each of four
/// channels, four receive N from each, one sends N on each through a
/// single select, one receives N from each through a single select,
/// dropping a channel from its select (Go sets it to nil) once it has had
/// N. All of it interacts chaotically; it must neither deadlock nor lose
/// or duplicate a value, which the port checks by sending distinct values.
#[test]
fn select_stress() {
    // Go: 100,000, 10,000 with -short.
    let n = scaled(2_000, 10_000);
    let c = [Chan::new(0), Chan::new(0), Chan::new(2), Chan::new(3)];
    let received = Chan::<Vec<usize>>::new(5);
    let wg = Arc::new(WaitGroup::new());
    // Value v: channel k = v % 4, sender kind (v / 4) % 2, index v / 8.
    let value = |k: usize, by_select: usize, i: usize| (i * 2 + by_select) * 4 + k;
    for (k, ck) in c.iter().enumerate() {
        let tx = ck.clone();
        wg.go(move || {
            for i in 0..n {
                tx.send(value(k, 0, i));
            }
        });
        let (ck, received) = (ck.clone(), received.clone());
        wg.go(move || {
            let got = (0..n).map(|_| ck.recv().expect("open")).collect();
            received.send(got);
        });
    }
    {
        let c = c.clone();
        wg.go(move || {
            let mut n_sent = [0; 4];
            let mut c1 = c;
            for _ in 0..4 * n {
                let k = select! {
                    send(&c1[3], value(3, 1, n_sent[3])) => 3,
                    send(&c1[2], value(2, 1, n_sent[2])) => 2,
                    send(&c1[0], value(0, 1, n_sent[0])) => 0,
                    send(&c1[1], value(1, 1, n_sent[1])) => 1,
                };
                n_sent[k] += 1;
                if n_sent[k] == n {
                    c1[k] = Chan::nil();
                }
            }
        });
    }
    {
        let (c, received) = (c.clone(), received.clone());
        wg.go(move || {
            let mut n_recv = [0; 4];
            let mut c1 = c;
            let mut got = Vec::with_capacity(4 * n);
            for _ in 0..4 * n {
                let (k, v) = select! {
                    recv(&c1[0]) -> v => (0, v),
                    recv(&c1[1]) -> v => (1, v),
                    recv(&c1[2]) -> v => (2, v),
                    recv(&c1[3]) -> v => (3, v),
                };
                got.push(v.expect("open"));
                n_recv[k] += 1;
                if n_recv[k] == n {
                    c1[k] = Chan::nil();
                }
            }
            received.send(got);
        });
    }
    wait(&wg);
    let mut all: Vec<usize> = (0..5).flat_map(|_| report(&received)).collect();
    all.sort_unstable();
    let sent: Vec<usize> = (0..8 * n).collect();
    assert!(all == sent, "every value sent is received exactly once");
}

/// TestSelectFairness: a select over two always-ready channels (and two
/// never-ready ones) picks each ready one about half the time. The bound
/// is Go's: a count more than 10 standard deviations from the mean.
#[test]
fn select_fairness() {
    let trials = scaled(4_000, 10_000);
    let (c1, c2) = (Chan::new(trials + 1), Chan::new(trials + 1));
    for _ in 0..trials + 1 {
        c1.send(1u8);
        c2.send(2u8);
    }
    let (c3, c4) = (Chan::<u8>::new(0), Chan::<u8>::new(0));
    let out = Chan::new(0);
    let done = Chan::<u8>::new(0);
    let wg = Arc::new(WaitGroup::new());
    {
        let (out, done) = (out.clone(), done.clone());
        wg.go(move || loop {
            let b = select! {
                recv(&c3) -> b => b,
                recv(&c4) -> b => b,
                recv(&c1) -> b => b,
                recv(&c2) -> b => b,
            };
            let b = b.expect("never closed");
            select! {
                send(&out, b) => {},
                recv(&done) -> _v => return,
            }
        });
    }
    let (mut cnt1, mut cnt2) = (0, 0);
    for _ in 0..trials {
        match report(&out) {
            1 => cnt1 += 1,
            2 => cnt2 += 1,
            b => panic!("unexpected value {b} on channel"),
        }
    }
    let mean = trials as f64 * 0.5;
    let stddev = (trials as f64 * 0.5 * (1.0 - 0.5)).sqrt();
    assert!(
        (cnt1 as f64 - mean).abs() <= 10.0 * stddev,
        "unfair select: in {trials} trials, results were {cnt1}, {cnt2}"
    );
    done.close();
    wait(&wg);
}

/// The bug behind `select_fairness`, alone: a non-blocking select whose
/// first case is never ready and whose other two always are. Go permutes
/// the poll order; a random rotation starts at the never-ready case a third
/// of the time and then reaches `a` first, so `a` wins 2/3 of the selects.
#[test]
fn ready_case_after_a_never_ready_one_wins_half_the_time() {
    const TRIALS: usize = 3_000;
    let never = Chan::<u8>::new(0);
    let (a, b) = (Chan::new(1), Chan::new(1));
    let mut a_wins = 0;
    for _ in 0..TRIALS {
        a.try_send(()).ok();
        b.try_send(()).ok();
        a_wins += select! {
            recv(&never) -> _v => unreachable!("never is never ready"),
            recv(&a) -> _v => 1,
            recv(&b) -> _v => 0,
        };
    }
    // A fair coin: mean 1,500, standard deviation about 27; allow 10 of them.
    assert!(
        (1_226..=1_774).contains(&a_wins),
        "a won {a_wins} of {TRIALS}"
    );
}

/// TestChanSendInterface: non-blocking sends of pointers to a full
/// channel. The port adds what Rust can see: the values not sent are
/// dropped, not leaked.
#[test]
fn chan_send_interface() {
    struct Mt;
    let m = Arc::new(Mt);
    let c = Chan::new(1);
    c.send(m.clone());
    select! {
        send(&c, m.clone()) => panic!("sent on a full channel"),
        default => {}
    }
    select! {
        send(&c, m.clone()) => panic!("sent on a full channel"),
        send(&c, Arc::new(Mt)) => panic!("sent on a full channel"),
        default => {}
    }
    assert_eq!(Arc::strong_count(&m), 2, "ours and the one in the buffer");
}

/// TestPseudoRandomSend, with a buffered channel: a select between
/// sending 1 and sending 0 on the same channel picks each often (more than
/// a tenth of the time, as Go asks: failing that by chance is a 1-in-10^16
/// event).
#[test]
fn pseudo_random_send_buffered() {
    pseudo_random_send(100);
}

/// TestPseudoRandomSend, with an unbuffered channel: the receiver yields
/// before each receive, so the select usually blocks with both cases queued
/// on the channel, and the receiver that arrives must still find either.
#[test]
fn pseudo_random_send_unbuffered() {
    pseudo_random_send(0);
}

fn pseudo_random_send(cap: usize) {
    let n = 100;
    let c = Chan::new(cap);
    let done = Chan::new(0);
    {
        let (c, done) = (c.clone(), done.clone());
        gosync::go(move || {
            let mut l = vec![0; n];
            for x in &mut l {
                gosched();
                *x = c.recv().expect("open");
            }
            done.send(l);
        });
    }
    for _ in 0..n {
        select! {
            send(&c, 1) => {},
            send(&c, 0) => {},
        }
    }
    let l = report(&done);
    let n1 = l.iter().filter(|&&x| x == 1).count();
    let n0 = n - n1;
    assert!(
        n0 > n / 10 && n1 > n / 10,
        "want pseudorandom, got {n0} zeros and {n1} ones (chan cap {cap})"
    );
}

/// The bug behind `pseudo_random_send_unbuffered`, alone: a select that
/// blocks with two send cases on one unbuffered channel. The receiver
/// sleeps first so that the select is usually queued when it arrives; a
/// select that did not block only makes the test easier to pass.
#[test]
fn blocked_select_completes_either_case_of_one_channel() {
    const N: usize = 100;
    let c = Chan::new(0);
    let tx = c.clone();
    gosync::go(move || {
        for _ in 0..N {
            select! {
                send(&tx, 0) => {},
                send(&tx, 1) => {},
            }
        }
    });
    let mut ones = 0;
    for _ in 0..N {
        sleep(Duration::from_micros(200));
        ones += report(&c);
    }
    assert!(
        (N / 10..=N - N / 10).contains(&ones),
        "the second case won {ones} times in {N}"
    );
}

/// TestMultiConsumer: 23 workers range over a work queue, some yielding to
/// disturb its FIFO-ish order, and forward to a result queue; a feeder
/// closes the work queue, waits for the workers and closes the results.
/// Every value arrives exactly once: the port checks the count of each
/// value as well as Go's total count and sum.
#[test]
fn multi_consumer() {
    const NWORK: usize = 23;
    // Go: 271,828 values.
    let niter = scaled(20_000, 100_000);
    const PN: [usize; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];

    let q = Chan::new(NWORK * 3);
    let r = Chan::new(NWORK * 3);

    // workers
    let wg = Arc::new(WaitGroup::new());
    for w in 0..NWORK {
        let (q, r) = (q.clone(), r.clone());
        wg.go(move || {
            for v in &q {
                // mess with the fifo-ish nature of range
                if PN[w % PN.len()] == v {
                    gosched();
                }
                r.send(v);
            }
        });
    }

    // feeder & closer
    {
        let (q, r) = (q.clone(), r.clone());
        gosync::go(move || {
            for i in 0..niter {
                q.send(PN[i % PN.len()]);
            }
            q.close(); // no more work
            wg.wait(); // workers done
            r.close(); // ... so there can be no more results
        });
    }

    // consume & check (Go's `expect` is the feeder's running sum)
    let expect: usize = (0..niter).map(|i| PN[i % PN.len()]).sum();
    let (mut n, mut s) = (0, 0);
    let mut per_value = [0; 32];
    loop {
        match r.recv_timeout(PATIENCE) {
            Ok(v) => {
                n += 1;
                s += v;
                per_value[v] += 1;
            }
            Err(RecvTimeoutError::Closed) => break,
            Err(e) => panic!("results stopped coming: {e}"),
        }
    }
    assert_eq!(
        (n, s),
        (niter, expect),
        "expected sum {expect} (got {s}) from {niter} iter (saw {n})"
    );
    for (k, &v) in PN.iter().enumerate() {
        let sent = (0..niter).filter(|i| i % PN.len() == k).count();
        assert_eq!(per_value[v], sent, "value {v}");
    }
}

/// Uses about 1 KiB of stack per level, briefly, as Go's
/// `stackGrowthRecursive`.
fn stack_growth_recursive(i: usize) {
    let mut pad = [0u64; 128];
    if i != 0 && std::hint::black_box(&mut pad)[0] == 0 {
        stack_growth_recursive(i - 1);
    }
}

/// TestShrinkStackDuringBlockedSend: Go checks that a sender blocked on a
/// channel survives the collector shrinking its stack. gosync never moves a
/// stack; what carries over is a sender that uses a lot of stack between
/// sends, blocking each time, with every value arriving intact and in order.
#[test]
fn shrink_stack_during_blocked_send() {
    const N: i32 = 10;
    let c = Chan::new(0);
    let done = Chan::new(0);
    {
        let (c, done) = (c.clone(), done.clone());
        gosync::go(move || {
            for i in 0..N {
                c.send(i);
                // use lots of stack, briefly.
                stack_growth_recursive(20);
            }
            done.send(());
        });
    }
    for i in 0..N {
        assert_eq!(c.recv(), Some(i), "bad channel read");
        // Waste some time so the sender can finish using lots of stack and
        // block in the send.
        sleep(Duration::from_millis(1));
    }
    report(&done);
}

/// TestSelectDuplicateChannel: a goroutine can be queued on one channel
/// several times (a select with two cases on `c`). Waking it through
/// another channel must take all its entries out of `c`'s queue, so that a
/// later send on `c` wakes the goroutine queued behind it.
#[test]
fn select_duplicate_channel() {
    let (c, d, e) = (Chan::new(0), Chan::new(0), Chan::new(0));

    // goroutine A
    {
        let (c, d, e) = (c.clone(), d.clone(), e.clone());
        gosync::go(move || {
            let got = select! {
                recv(&c) -> v => ("c", v),
                recv(&c) -> v => ("c", v),
                recv(&d) -> v => ("d", v),
            };
            e.send(got);
        });
    }
    sleep(Duration::from_millis(1)); // make sure goroutine A gets queued first on c

    // goroutine B
    let b_got = Chan::new(1);
    {
        let (c, b_got) = (c.clone(), b_got.clone());
        gosync::go(move || b_got.send(c.recv()));
    }
    sleep(Duration::from_millis(1)); // make sure goroutine B gets queued on c before continuing

    d.send(7); // wake up A; it dequeues itself from c
    assert_eq!(report(&e), ("d", Some(7)), "A tells us it's done");
    // Wake up B. With a corrupted queue this would wake A, long gone.
    assert!(c.send_timeout(8, PATIENCE).is_ok(), "B was not woken");
    assert_eq!(report(&b_got), Some(8));
}

/// TestSelectStackAdjust: Go checks that a select's receive slots survive
/// the collector moving the stack they point into. What carries over: two
/// goroutines park in selects over `c` and `d` (one with each channel in
/// two cases, the other with nil channels in those cases), a close of `d`
/// wakes both through a `d` case, and nothing else they hold is touched.
#[test]
fn select_stack_adjust() {
    let (c, d) = (Chan::<i32>::new(0), Chan::<i32>::new(0));
    let (ready1, ready2) = (Chan::new(0), Chan::new(0));

    let f = |ready: Chan<&'static str>, dup: bool| {
        let (c, d) = (c.clone(), d.clone());
        gosync::go(move || {
            // Temporarily use about 10 KiB of stack.
            stack_growth_recursive(10);
            // We're ready to trigger GC and stack shrink.
            ready.send("ready");

            let mut val = 42;
            let cx = &mut val;
            let (c2, d2) = if dup {
                (c.clone(), d.clone())
            } else {
                (Chan::nil(), Chan::nil())
            };
            // Receive from d. cx won't be affected.
            let (case, received) = select! {
                recv(&c) -> v => ("c", v),
                recv(&c2) -> v => ("c2", v),
                recv(&d) -> v => ("d", v),
                recv(&d2) -> v => ("d2", v),
            };
            let outcome = if !matches!(case, "d" | "d2") || received.is_some() {
                "woken through the wrong case"
            } else if *cx != 42 {
                "val changed"
            } else {
                *cx = 43;
                if val == 43 {
                    "ok"
                } else {
                    "changing *cx failed to change val"
                }
            };
            ready.send(outcome);
        });
    };
    f(ready1.clone(), false);
    f(ready2.clone(), true);

    // Let the goroutines get into the select.
    assert_eq!(report(&ready1), "ready");
    assert_eq!(report(&ready2), "ready");
    sleep(Duration::from_millis(10));

    // Wake selects.
    d.close();
    assert_eq!(report(&ready1), "ok");
    assert_eq!(report(&ready2), "ok");
}
