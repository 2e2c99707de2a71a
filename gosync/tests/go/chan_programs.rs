//! Ports of the channel programs in Go's `test/chan/` directory, by
//! behaviour, one test per program:
//!
//! | Go program          | test            |
//! |---------------------|-----------------|
//! | `sieve1.go` (formerly `sieve.go`) | [`sieve1`] |
//! | `sieve2.go`         | [`sieve2::sieve2`] |
//! | `powser1.go`        | [`powser1::powser1`] |
//! | `select.go`         | [`select`]      |
//! | `select2.go`        | [`select2`]     |
//! | `select3.go`        | [`select3`]     |
//! | `select4.go`        | [`select4`]     |
//! | `select5.go`        | [`select5`]     |
//! | `select6.go`        | [`select6`]     |
//! | `select7.go`        | [`select7`]     |
//! | `select8.go`        | [`select8`]     |
//! | `doubleselect.go`   | [`doubleselect`] |
//! | `fifo.go`           | [`fifo`]        |
//! | `nonblock.go`       | [`nonblock`]    |
//! | `perm.go`           | [`perm`] (only the lines Go accepts) |
//! | `sendstmt.go`       | [`sendstmt`] (only `chanchan`) |
//! | `zerosize.go`       | [`zerosize`]    |
//! | `goroutines.go`     | [`goroutines`]  |
//!
//! Not ported:
//!
//! - `perm.go`'s `// ERROR` lines: Go's compiler must reject sending on a
//!   `<-chan`, receiving from or ranging over a `chan<-`, closing a
//!   `<-chan`, and converting between directions. gosync's types reject the
//!   same (a [`Receiver`] has no `send` or `close`, a [`Sender`] no `recv`
//!   or `iter`, neither turns back into a [`Chan`]), but a program that must
//!   not compile can only be checked by a `compile_fail` doctest, not by an
//!   integration test.
//! - `sendstmt.go`'s `sendprec` checks how Go parses `c <- false || true`;
//!   a Rust method argument has no such question.
//! - `powser2.go` is `powser1.go` with `interface{}` items in place of
//!   `rat`, which a typed Rust port does not distinguish.
//!
//! Go's programs end by returning from `main`, which ends every goroutine
//! still blocked on a channel. A test is not a process and goroutines are
//! OS threads in this version, so where a program leaves goroutines running
//! its port stops them: either by closing its channels (sieve1, where the
//! close reaches the test only after every goroutine of the chain has
//! closed its output, its last act), or, with [`Procs`], by a `quit`
//! channel that every blocking operation also watches, after which the test
//! waits for every goroutine to return. The exception is select3, whose
//! goroutines blocked on nil channels can never return; they stay parked
//! until the test process exits, as in Go.

use std::cell::Cell;
use std::fmt::Debug;
use std::process::Command;
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use gosync::chan::{Chan, Receiver, RecvTimeoutError, Sender, TryRecvError};
use gosync::runtime::gosched;
use gosync::select;
use gosync::sync::WaitGroup;

use super::chan::{report, wait};
use crate::{recover, scaled, PATIENCE};

/// The primes below 100, which sieve1, sieve2 and Go's `main`s check.
const PRIMES: [i32; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

/// Receives until `ch` is closed and drained, failing the test instead of
/// hanging if it stays open and empty for [`PATIENCE`].
#[track_caller]
fn drain<T>(ch: &Chan<T>) -> Vec<T> {
    let mut got = Vec::new();
    loop {
        match ch.recv_timeout(PATIENCE) {
            Ok(v) => got.push(v),
            Err(RecvTimeoutError::Closed) => return got,
            Err(RecvTimeoutError::Timeout) => panic!("the channel was never closed"),
        }
    }
}

/// The goroutines of one program, and the means to stop them all.
///
/// Each goroutine started with [`Procs::go`] does its blocking operations
/// through [`Procs::recv`] and [`Procs::send`], which also watch `quit` and
/// return `None` once it is closed; the goroutine then returns (with `?`).
/// [`Procs::stop`] closes `quit` and waits for all of them.
#[derive(Clone)]
struct Procs {
    quit: Chan<()>,
    wg: Arc<WaitGroup>,
}

impl Procs {
    fn new() -> Procs {
        Procs {
            quit: Chan::new(0),
            wg: Arc::new(WaitGroup::new()),
        }
    }

    /// `go f()`; `f` returns `None` when it stopped because of `quit`.
    fn go(&self, f: impl FnOnce(&Procs) -> Option<()> + Send + 'static) {
        let p = self.clone();
        self.wg.go(move || {
            let _ = f(&p);
        });
    }

    /// `<-ch`, or `None` once `quit` is closed (or `ch` is).
    fn recv<T>(&self, ch: &Chan<T>) -> Option<T> {
        select! {
            recv(ch) -> v => v,
            recv(&self.quit) -> _q => None,
        }
    }

    /// `ch <- v`, or `None` once `quit` is closed.
    fn send<T>(&self, ch: &Chan<T>, v: T) -> Option<()> {
        select! {
            send(ch, v) => Some(()),
            recv(&self.quit) -> _q => None,
        }
    }

    /// As [`Procs::send`], on a send-only view.
    fn send_via<T>(&self, ch: &Sender<T>, v: T) -> Option<()> {
        select! {
            send(ch, v) => Some(()),
            recv(&self.quit) -> _q => None,
        }
    }

    /// Stops every goroutine and waits until all have returned.
    fn stop(self) {
        self.quit.close();
        wait(&self.wg);
    }
}

// --- sieve1.go -------------------------------------------------------------

/// Sends the sequence 2, 3, 4, ... to channel `ch`. Go's generator never
/// ends; this one stops after `limit` and closes `ch`, so that the whole
/// chain drains and every goroutine returns.
fn generate(ch: Sender<i32>, limit: i32) {
    for i in 2..=limit {
        ch.send(i);
    }
    ch.close();
}

/// Copies the values from channel `input` to channel `out`, removing those
/// divisible by `prime`; closes `out` when `input` is closed.
fn filter(input: Receiver<i32>, out: Sender<i32>, prime: i32) {
    for i in &input {
        if i % prime != 0 {
            out.send(i);
        }
    }
    out.close();
}

/// The prime sieve: daisy-chains filter goroutines together.
fn sieve(primes: Sender<i32>, limit: i32) {
    let mut ch = Chan::new(0);
    let tx = ch.sender();
    gosync::go(move || generate(tx, limit));
    // Note that ch is different on each iteration.
    while let Some(prime) = ch.recv() {
        primes.send(prime);
        let ch1 = Chan::new(0);
        let (input, out) = (ch.receiver(), ch1.sender());
        gosync::go(move || filter(input, out, prime));
        ch = ch1;
    }
    primes.close();
}

/// sieve1.go: primes up to 100 from a linear chain of divisibility
/// filters, one goroutine each.
#[test]
fn sieve1() {
    let primes = Chan::new(0);
    let tx = primes.sender();
    gosync::go(move || sieve(tx, 100));
    assert_eq!(drain(&primes), PRIMES);
}

// --- sieve2.go -------------------------------------------------------------

mod sieve2 {
    //! An Eratosthenes-like sieve over odd candidates: a goroutine merges
    //! the streams of multiples of each prime found (kept in a heap by
    //! their next value) into one stream of composites, and a proxy
    //! goroutine with an unbounded buffer closes the feedback loop.

    use std::cmp::Ordering;
    use std::collections::{BinaryHeap, VecDeque};

    use gosync::chan::{Chan, Sender};
    use gosync::select;

    use super::{report, Procs, PRIMES};

    /// Returns a chan of odd numbers, starting from 5.
    fn odds(p: &Procs) -> Chan<i32> {
        let out = Chan::new(50);
        let o = out.clone();
        p.go(move |p| {
            let mut n = 5;
            loop {
                p.send(&o, n)?;
                n += 2;
            }
        });
        out
    }

    /// Returns a chan of odd multiples of the prime number `prime`,
    /// starting from `prime * prime`.
    fn multiples(p: &Procs, prime: i32) -> Chan<i32> {
        let out = Chan::new(10);
        let o = out.clone();
        p.go(move |p| {
            let mut n = prime * prime;
            loop {
                p.send(&o, n)?;
                n += 2 * prime;
            }
        });
        out
    }

    /// A stream and the value it will give next.
    struct PeekCh {
        head: i32,
        ch: Chan<i32>,
    }

    // A heap of PeekCh sorting by head values. `BinaryHeap` pops the
    // greatest, so the order is reversed to pop the least.
    impl Ord for PeekCh {
        fn cmp(&self, other: &PeekCh) -> Ordering {
            other.head.cmp(&self.head)
        }
    }

    impl PartialOrd for PeekCh {
        fn partial_cmp(&self, other: &PeekCh) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl PartialEq for PeekCh {
        fn eq(&self, other: &PeekCh) -> bool {
            self.head == other.head
        }
    }

    impl Eq for PeekCh {}

    /// Returns a channel to serve as a sending proxy to `out`: a goroutine
    /// receives values from it and stores them in an expanding buffer, so
    /// that sending to it never blocks for long. While the buffer is empty
    /// the goroutine's send case is on a nil channel, disabled.
    fn sendproxy(p: &Procs, out: Sender<i32>) -> Sender<i32> {
        let proxy = Chan::new(10);
        let input = proxy.receiver();
        p.go(move |p| {
            let mut buf = VecDeque::new();
            loop {
                let (c, e) = match buf.front() {
                    // buffer empty: disable output
                    None => (Chan::nil().sender(), 0),
                    Some(&e) => (out.clone(), e),
                };
                select! {
                    recv(&input) -> e => buf.push_back(e?),
                    send(&c, e) => {
                        buf.pop_front();
                    },
                    recv(&p.quit) -> _q => return None,
                }
            }
        });
        proxy.sender()
    }

    /// Returns a chan of primes.
    fn sieve(p: &Procs) -> Chan<i32> {
        // The output values.
        let out = Chan::new(10);
        out.send(2);
        out.send(3);

        // The channel of all composites to be eliminated in increasing order.
        let composites = Chan::new(50);

        // The feedback loop.
        let primes = Chan::new(10);
        primes.send(3);

        // Merge channels of multiples of `primes` into `composites`.
        {
            let (primes, composites) = (primes.clone(), composites.clone());
            p.go(move |p| {
                let mut h = BinaryHeap::new();
                let mut min = 15;
                loop {
                    let m = multiples(p, p.recv(&primes)?);
                    let head = p.recv(&m)?;
                    while min < head {
                        p.send(&composites, min)?;
                        let mut minchan: PeekCh = h.pop().expect("the multiples of 3 are in");
                        min = minchan.head;
                        minchan.head = p.recv(&minchan.ch)?;
                        h.push(minchan);
                    }
                    while min == head {
                        let mut minchan = h.pop().expect("the multiples of 3 are in");
                        min = minchan.head;
                        minchan.head = p.recv(&minchan.ch)?;
                        h.push(minchan);
                    }
                    p.send(&composites, head)?;
                    h.push(PeekCh {
                        head: p.recv(&m)?,
                        ch: m,
                    });
                }
            });
        }

        // Sieve out `composites` from `candidates`.
        {
            let (out, composites, primes) = (out.clone(), composites.clone(), primes.sender());
            p.go(move |p| {
                // In order to generate the nth prime we only need multiples
                // of primes <= sqrt(nth prime). Thus, the merging goroutine
                // will receive from `primes` much slower than this goroutine
                // will send to it, making the buffer accumulate and block
                // this goroutine from sending, causing a deadlock. The
                // solution is to use a proxy goroutine to do automatic
                // buffering.
                let primes = sendproxy(p, primes);

                let candidates = odds(p);
                let mut cand = p.recv(&candidates)?;

                loop {
                    let c = p.recv(&composites)?;
                    while cand < c {
                        p.send_via(&primes, cand)?;
                        p.send(&out, cand)?;
                        cand = p.recv(&candidates)?;
                    }
                    if cand == c {
                        cand = p.recv(&candidates)?;
                    }
                }
            });
        }

        out
    }

    /// sieve2.go: the first 25 primes, then every goroutine stops.
    #[test]
    fn sieve2() {
        let p = Procs::new();
        let primes = sieve(&p);
        let got: Vec<i32> = PRIMES.iter().map(|_| report(&primes)).collect();
        assert_eq!(got, PRIMES);
        p.stop();
    }
}

// --- powser1.go ------------------------------------------------------------

mod powser1 {
    //! Power series, after Doug McIlroy's "Squinting at Power Series": a
    //! power series is a channel along which flow rational coefficients, on
    //! demand; a denominator of zero marks the end. Every operation on
    //! series is a goroutine (or a tree of them, some short-lived), so the
    //! test starts about 200 goroutines and runs thousands of selects.
    //!
    //! Only the functions `main` uses are ported (`Recip`, `Binom`, `Subst`,
    //! `Mon`, `Monmul` and the printing helpers are not).

    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use gosync::chan::Chan;
    use gosync::select;
    use gosync::sync::Mutex;

    use super::Procs;
    use crate::PATIENCE;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    struct Rat {
        num: i64,
        den: i64,
    }

    /// Integer gcd; needed for rational arithmetic.
    fn gcd(u: i64, v: i64) -> i64 {
        if u < 0 {
            return gcd(-u, v);
        }
        if u == 0 {
            return v;
        }
        gcd(v % u, u)
    }

    /// Makes a rational from two ints.
    fn i2tor(u: i64, v: i64) -> Rat {
        let g = gcd(u, v);
        if v > 0 {
            Rat {
                num: u / g,
                den: v / g,
            }
        } else {
            Rat {
                num: -u / g,
                den: -v / g,
            }
        }
    }

    /// Makes a rational from one int.
    fn itor(u: i64) -> Rat {
        i2tor(u, 1)
    }

    const ZERO: Rat = Rat { num: 0, den: 1 };
    const ONE: Rat = Rat { num: 1, den: 1 };
    /// The end mark, `i2tor(1, 0)`.
    const FINIS: Rat = Rat { num: -1, den: 0 };

    impl Rat {
        /// The end test.
        fn end(self) -> bool {
            self.den == 0
        }

        fn add(self, v: Rat) -> Rat {
            let g = gcd(self.den, v.den);
            i2tor(
                self.num * (v.den / g) + v.num * (self.den / g),
                self.den * (v.den / g),
            )
        }

        fn mul(self, v: Rat) -> Rat {
            let g1 = gcd(self.num, v.den);
            let g2 = gcd(self.den, v.num);
            Rat {
                num: (self.num / g1) * (v.num / g2),
                den: (self.den / g2) * (v.den / g1),
            }
        }

        fn neg(self) -> Rat {
            i2tor(-self.num, self.den)
        }
    }

    /// A demand channel: a request on `req` is answered on `dat`.
    #[derive(Clone)]
    struct Dch {
        req: Chan<i64>,
        dat: Chan<Rat>,
    }

    /// A power series.
    type Ps = Dch;

    /// A pair of demand channels, which generations of `dosplit` swap.
    type Dch2 = Arc<Mutex<[Dch; 2]>>;

    fn mkdch() -> Dch {
        Dch {
            req: Chan::new(0),
            dat: Chan::new(0),
        }
    }

    fn mkdch2() -> Dch2 {
        Arc::new(Mutex::new([mkdch(), mkdch()]))
    }

    /// `d[i]`, as it is now.
    fn at(d: &Dch2, i: usize) -> Dch {
        d.lock()[i].clone()
    }

    /// Go's global `seqno`, the payload of every request (nobody reads it).
    static SEQNO: AtomicI64 = AtomicI64::new(0);

    fn seqno() -> i64 {
        SEQNO.fetch_add(1, Ordering::Relaxed) + 1
    }

    // split reads a single demand channel and replicates its output onto
    // two, which may be read at different rates. A process is created at
    // first demand for a rat and dies after the rat has been sent to both
    // outputs.
    //
    // When multiple generations of split exist, the newest will service
    // requests on one channel, which is always renamed to be out[0]; the
    // oldest will service requests on the other channel, out[1]. All
    // generations but the newest hold queued data that has already been
    // sent to out[0]. When data has finally been sent to out[1], a signal on
    // the release-wait channel tells the next newer generation to begin
    // servicing out[1].

    fn dosplit(p: &Procs, input: Dch, out: Dch2, wait: Chan<i32>) -> Option<()> {
        let mut both = false; // do not service both channels

        let (out0, out1) = (at(&out, 0), at(&out, 1));
        select! {
            recv(&out0.req) -> _r => {},
            recv(&wait) -> _w => {
                both = true;
                select! {
                    recv(&out0.req) -> _r => {},
                    recv(&out1.req) -> _r => out.lock().swap(0, 1),
                    recv(&p.quit) -> _q => return None,
                }
            },
            recv(&p.quit) -> _q => return None,
        }

        p.send(&input.req, seqno())?;
        let release = Chan::new(0);
        {
            let (input, out, release) = (input.clone(), out.clone(), release.clone());
            p.go(move |p| dosplit(p, input, out, release));
        }
        let dat = p.recv(&input.dat)?;
        p.send(&at(&out, 0).dat, dat)?;
        if !both {
            p.recv(&wait)?;
        }
        let out1 = at(&out, 1);
        p.recv(&out1.req)?;
        p.send(&out1.dat, dat)?;
        p.send(&release, 0)
    }

    fn split(p: &Procs, input: Dch, out: Dch2) -> Option<()> {
        let release = Chan::new(0);
        let r = release.clone();
        p.go(move |p| dosplit(p, input, out, r));
        p.send(&release, 0)
    }

    fn put(p: &Procs, dat: Rat, out: &Dch) -> Option<()> {
        p.recv(&out.req)?;
        p.send(&out.dat, dat)
    }

    fn get(p: &Procs, input: &Dch) -> Option<Rat> {
        p.send(&input.req, seqno())?;
        p.recv(&input.dat)
    }

    /// Gets one rat from each of 2 demand channels (Go's `getn`, which
    /// serves only n == 2, through `get2`), in whichever order they come.
    fn get2(p: &Procs, in0: &Dch, in1: &Dch) -> Option<[Rat; 2]> {
        let (mut req0, mut req1) = (in0.req.clone(), in1.req.clone());
        let (mut dat0, mut dat1) = (Chan::nil(), Chan::nil());
        let mut out = [ZERO; 2];
        for _ in 0..4 {
            select! {
                send(&req0, seqno()) => {
                    dat0 = in0.dat.clone();
                    req0 = Chan::nil();
                },
                send(&req1, seqno()) => {
                    dat1 = in1.dat.clone();
                    req1 = Chan::nil();
                },
                recv(&dat0) -> it => {
                    out[0] = it?;
                    dat0 = Chan::nil();
                },
                recv(&dat1) -> it => {
                    out[1] = it?;
                    dat1 = Chan::nil();
                },
                recv(&p.quit) -> _q => return None,
            }
        }
        Some(out)
    }

    fn copy(p: &Procs, input: &Dch, out: &Dch) -> Option<()> {
        loop {
            p.recv(&out.req)?;
            let v = get(p, input)?;
            p.send(&out.dat, v)?;
        }
    }

    fn repeat(p: &Procs, dat: Rat, out: &Dch) -> Option<()> {
        loop {
            put(p, dat, out)?;
        }
    }

    // Power-series constructors return channels on which power series
    // flow. They start an encapsulated generator that puts the terms of
    // the series on the channel.

    /// Makes a pair of power series identical to a given power series
    /// (Go's `Split`).
    fn split_ps(p: &Procs, u: Ps) -> Dch2 {
        let uu = mkdch2();
        let out = uu.clone();
        p.go(move |p| split(p, u, out));
        uu
    }

    /// Adds two power series.
    fn add(p: &Procs, u: Ps, v: Ps) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| loop {
            p.recv(&out.req)?;
            let uv = get2(p, &u, &v)?;
            match (uv[0].end(), uv[1].end()) {
                (false, false) => p.send(&out.dat, uv[0].add(uv[1]))?,
                (true, false) => {
                    p.send(&out.dat, uv[1])?;
                    copy(p, &v, &out)?;
                }
                (false, true) => {
                    p.send(&out.dat, uv[0])?;
                    copy(p, &u, &out)?;
                }
                (true, true) => p.send(&out.dat, FINIS)?,
            }
        });
        z
    }

    /// Multiplies a power series by a constant.
    fn cmul(p: &Procs, c: Rat, u: Ps) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| {
            loop {
                p.recv(&out.req)?;
                let u = get(p, &u)?;
                if u.end() {
                    break;
                }
                p.send(&out.dat, c.mul(u))?;
            }
            p.send(&out.dat, FINIS)
        });
        z
    }

    /// Subtracts.
    fn sub(p: &Procs, u: Ps, v: Ps) -> Ps {
        add(p, u, cmul(p, ONE.neg(), v))
    }

    fn rep(p: &Procs, c: Rat) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| repeat(p, c, &out));
        z
    }

    /// Multiplies. The algorithm is
    ///
    /// ```text
    /// let U = u + x*UU
    /// let V = v + x*VV
    /// then UV = u*v + x*(u*VV+v*UU) + x*x*UU*VV
    /// ```
    fn mul(p: &Procs, u: Ps, v: Ps) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| {
            p.recv(&out.req)?;
            let uv = get2(p, &u, &v)?;
            if uv[0].end() || uv[1].end() {
                return p.send(&out.dat, FINIS);
            }
            p.send(&out.dat, uv[0].mul(uv[1]))?;
            let uu = split_ps(p, u);
            let vv = split_ps(p, v);
            let w = add(p, cmul(p, uv[0], at(&vv, 0)), cmul(p, uv[1], at(&uu, 0)));
            p.recv(&out.req)?;
            let w0 = get(p, &w)?;
            p.send(&out.dat, w0)?;
            let rest = add(p, w, mul(p, at(&uu, 1), at(&vv, 1)));
            copy(p, &rest, &out)
        });
        z
    }

    /// Differentiates.
    fn diff(p: &Procs, u: Ps) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| {
            p.recv(&out.req)?;
            let first = get(p, &u)?;
            if !first.end() {
                for i in 1.. {
                    let u = get(p, &u)?;
                    if u.end() {
                        break;
                    }
                    p.send(&out.dat, itor(i).mul(u))?;
                    p.recv(&out.req)?;
                }
            }
            p.send(&out.dat, FINIS)
        });
        z
    }

    /// Integrates, with constant of integration `c`.
    fn integ(p: &Procs, c: Rat, u: Ps) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| {
            put(p, c, &out)?;
            for i in 1.. {
                p.recv(&out.req)?;
                let u = get(p, &u)?;
                p.send(&out.dat, i2tor(1, i).mul(u))?;
                if u.end() {
                    break;
                }
            }
            p.send(&out.dat, FINIS)
        });
        z
    }

    /// Exponential of a power series with constant term 0 (a nonzero
    /// constant term would make nonrational coefficients; it is simply
    /// ignored):
    ///
    /// ```text
    /// Z = exp(U)
    /// DZ = Z*DU
    /// integrate to get Z
    /// ```
    fn exp(p: &Procs, u: Ps) -> Option<Ps> {
        let zz = mkdch2();
        let integral = integ(p, ONE, mul(p, at(&zz, 0), diff(p, u)));
        split(p, integral, zz.clone())?;
        Some(at(&zz, 1))
    }

    /// Monomial substitution, U(c x^n): each Ui is multiplied by c^i and
    /// followed by n-1 zeros.
    fn mon_subst(p: &Procs, u: Ps, c0: Rat, n: usize) -> Ps {
        let z = mkdch();
        let out = z.clone();
        p.go(move |p| {
            let mut c = ONE;
            loop {
                p.recv(&out.req)?;
                let u = get(p, &u)?;
                p.send(&out.dat, u.mul(c))?;
                c = c.mul(c0);
                if u.end() {
                    return p.send(&out.dat, FINIS);
                }
                for _ in 1..n {
                    p.recv(&out.req)?;
                    p.send(&out.dat, ZERO)?;
                }
            }
        });
        z
    }

    /// `get` for the test's own thread, which fails instead of hanging.
    #[track_caller]
    fn get_now(u: &Ps) -> Rat {
        assert!(
            u.req.send_timeout(seqno(), PATIENCE).is_ok(),
            "the series never took the request"
        );
        u.dat
            .recv_timeout(PATIENCE)
            .expect("the series never answered")
    }

    #[track_caller]
    fn check(u: &Ps, c: Rat, count: usize, what: &str) {
        for _ in 0..count {
            assert_eq!(get_now(u), c, "{what}");
        }
    }

    const N: usize = 10;

    #[track_caller]
    fn checka(u: &Ps, a: &[Rat; N], what: &str) {
        for (i, &want) in a.iter().enumerate() {
            assert_eq!(get_now(u), want, "{what}: term {i}");
        }
    }

    /// powser1.go's test mode.
    #[test]
    fn powser1() {
        assert_eq!(i2tor(1, 0), FINIS);
        let p = Procs::new();
        let ones = rep(&p, ONE);
        let twos = rep(&p, itor(2));

        check(&ones, ONE, 5, "Ones");
        check(
            &add(&p, ones.clone(), ones.clone()),
            itor(2),
            0,
            "Add Ones Ones",
        ); // 1 1 1 1 1
        check(
            &add(&p, ones.clone(), twos.clone()),
            itor(3),
            0,
            "Add Ones Twos",
        ); // 3 3 3 3 3
        let mut a = [ZERO; N];
        let d = diff(&p, ones.clone());
        for (i, a) in a.iter_mut().enumerate() {
            *a = itor(i as i64 + 1);
        }
        checka(&d, &a, "Diff"); // 1 2 3 4 5
        let integral = integ(&p, ZERO, ones.clone());
        a[0] = ZERO; // integration constant
        for (i, a) in a.iter_mut().enumerate().skip(1) {
            *a = i2tor(1, i as i64);
        }
        checka(&integral, &a, "Integ"); // 0 1 1/2 1/3 1/4 1/5
        check(&cmul(&p, ONE.neg(), twos.clone()), itor(-2), 10, "CMul"); // -1 -1 -1 -1 -1
        check(
            &sub(&p, ones.clone(), twos.clone()),
            itor(-1),
            0,
            "Sub Ones Twos",
        ); // -1 -1 -1 -1 -1
        let m = mul(&p, ones.clone(), ones.clone());
        for (i, a) in a.iter_mut().enumerate() {
            *a = itor(i as i64 + 1);
        }
        checka(&m, &a, "Mul"); // 1 2 3 4 5
        let e = exp(&p, ones.clone()).expect("not stopped");
        let a = [
            itor(1),
            itor(1),
            i2tor(3, 2),
            i2tor(13, 6),
            i2tor(73, 24),
            i2tor(167, 40),
            i2tor(4051, 720),
            i2tor(37633, 5040),
            i2tor(43817, 4480),
            i2tor(4596553, 362880),
        ];
        checka(&e, &a, "Exp"); // 1 1 3/2 13/6 73/24
        let at = integ(&p, ZERO, mon_subst(&p, ones.clone(), ONE.neg(), 2));
        let mut a = [ZERO; N];
        let mut c = 1;
        for (i, a) in a.iter_mut().enumerate() {
            if i % 2 == 1 {
                *a = i2tor(c, i as i64);
                c *= -1;
            }
        }
        checka(&at, &a, "ATan"); // 0 -1 0 -1/3 0 -1/5
        p.stop();
    }
}

// --- select.go -------------------------------------------------------------

/// select.go: send values are evaluated for every case on entry, nil
/// cases included, and a chosen case's channel can be set to nil for the
/// next round.
#[test]
fn select() {
    let counter = Cell::new(0);
    let shift = Cell::new(0);
    let get_value = || {
        counter.set(counter.get() + 1);
        1u32 << shift.get()
    };
    let send = |mut a: Chan<u32>, mut b: Chan<u32>| {
        let mut i = 0;
        loop {
            select! {
                send(&a, get_value()) => {
                    i += 1;
                    a = Chan::nil();
                },
                send(&b, get_value()) => {
                    i += 1;
                    b = Chan::nil();
                },
                default => break,
            }
            shift.set(shift.get() + 1);
        }
        i
    };

    let (a, b) = (Chan::new(1), Chan::new(1));
    assert_eq!(send(a.clone(), b.clone()), 2, "Send returned");
    let (av, bv) = (a.recv().unwrap(), b.recv().unwrap());
    assert_eq!(av | bv, 3, "bad values {av} {bv}");
    assert_eq!(send(a.clone(), Chan::nil()), 1, "Send returned");
    assert_eq!(counter.get(), 10, "counter");
}

// --- select2.go ------------------------------------------------------------

/// Set, to the test's full name, in a child process started by a test.
const CHILD: &str = "GOSYNC_TEST_CHILD";

/// The anonymous resident memory of this process (heap and stacks, not
/// the pages of its code), in bytes; Linux only.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// select2.go: selects do not consume undue memory. Go runs 100,000
/// selects (a receive on `c` that a sender feeds, and one on a dummy
/// channel that is never ready), twice, and fails if the live heap after
/// the second run exceeds that after the first by more than 110 KB: a
/// select that left anything behind (a stale entry in the dummy channel's
/// queue, say) would grow it by far more.
///
/// Rust has no heap statistics, so the port measures the anonymous
/// resident memory of a child process that runs only this test, so that
/// no other test disturbs it. It runs fewer selects than Go (10,000 a run,
/// 4,000 in debug builds), still enough for a leak of 40 bytes a select
/// (the smallest queue entry) to exceed the bound. One sender goroutine
/// serves both runs.
#[test]
fn select2() {
    const TEST: &str = "go::chan_programs::select2";
    if std::env::var(CHILD).as_deref() != Ok(TEST) {
        if resident_bytes().is_none() {
            return; // no /proc/self/status: nothing to measure with
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        let out = Command::new(exe)
            .args(["--exact", TEST, "--test-threads=1", "--nocapture"])
            .env(CHILD, TEST)
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }

    // Selects per run; Go: 100,000.
    let n = scaled(4_000, 10_000);
    let (c, dummy) = (Chan::new(0), Chan::<i32>::new(0));
    let runs = Chan::new(0);
    {
        let (c, runs) = (c.clone(), runs.clone());
        gosync::go(move || {
            for () in &runs {
                for _ in 0..n {
                    c.send(1);
                }
            }
        });
    }
    let receiver = || {
        runs.send(());
        for _ in 0..n {
            select! {
                recv(&c) -> _v => {},
                recv(&dummy) -> _v => panic!("dummy"),
            }
        }
    };
    resident_bytes().expect("RssAnon in /proc/self/status"); // warm up the reading too
                                                             // warm up
    receiver();
    let before = resident_bytes().expect("read before");
    // second time shouldn't increase footprint by much
    receiver();
    let after = resident_bytes().expect("read after");
    runs.close();
    let grew = after.saturating_sub(before);
    assert!(
        grew <= 110_000,
        "too much memory for {n} selects: {grew} bytes"
    );
}

// --- select3.go ------------------------------------------------------------

/// Runs `f` in a goroutine; the returned channel reports what it returns,
/// when it does.
fn start<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Chan<R> {
    let done = Chan::new(1);
    let d = done.clone();
    gosync::go(move || d.send(f()));
    done
}

/// Runs `f` in a goroutine and returns what it returns, failing the test
/// if it blocks for [`PATIENCE`] instead (Go's `testBlock(never, f)`).
#[track_caller]
fn never_blocks<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    report(&start(f))
}

/// select3.go: the basic blocking and non-blocking behaviour of channel
/// operations and selects, on nil, closed, ready and unready channels.
///
/// Go's `testBlock(always, f)` runs `f` in a goroutine and calls it blocked
/// if it has not returned within 0.1 s. Here the goroutines that must block
/// all start, the test sleeps once, and then a goroutine that has returned
/// is a failure; one that has not is what was expected (a sleep can hide a
/// failure, never invent one). Those on channels that the test holds are
/// then released and must return; those on nil channels never can.
#[test]
fn select3() {
    const NIL_CASE: &str = "a nil channel's case was chosen";
    let nilch = Chan::<i32>::nil();
    let closedch = Chan::<i32>::new(0);
    closedch.close();

    let blocked_for_good = [
        // sending/receiving from a nil channel blocks
        start({
            let nilch = nilch.clone();
            move || nilch.send(7)
        }),
        start({
            let nilch = nilch.clone();
            move || {
                nilch.recv();
            }
        }),
        // empty selects always block
        start(|| select! {}),
        // selects with only nil channels always block
        start({
            let nilch = nilch.clone();
            move || select! { recv(&nilch) -> _v => {} }
        }),
        start({
            let nilch = nilch.clone();
            move || select! { send(&nilch, 7) => {} }
        }),
        start({
            let nilch = nilch.clone();
            move || {
                select! {
                    recv(&nilch) -> _v => {},
                    send(&nilch, 7) => {},
                }
            }
        }),
    ];
    // receiving from a non-ready channel always blocks
    let unready = Chan::<i32>::new(0);
    let unready_done = start({
        let ch = unready.clone();
        move || ch.recv()
    });
    // selects with non-ready non-nil channels always block
    let unready_in_select = Chan::<i32>::new(0);
    let unready_in_select_done = start({
        let ch = unready_in_select.clone();
        move || select! { recv(&ch) -> v => v }
    });
    // select should not get confused if it sees itself
    let self_select = Chan::<i32>::new(0);
    let self_select_done = start({
        let c = self_select.clone();
        move || {
            select! {
                send(&c, 1) => "sent",
                recv(&c) -> _v => "received from itself",
            }
        }
    });

    sleep(Duration::from_millis(100));
    for (i, done) in blocked_for_good.iter().enumerate() {
        assert_eq!(done.try_recv(), Err(TryRecvError::Empty), "nil case {i}");
    }
    assert_eq!(unready_done.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(unready_in_select_done.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(self_select_done.try_recv(), Err(TryRecvError::Empty));
    unready.send(1);
    unready_in_select.send(2);
    assert_eq!(self_select.recv(), Some(1));
    assert_eq!(report(&unready_done), Some(1));
    assert_eq!(report(&unready_in_select_done), Some(2));
    assert_eq!(report(&self_select_done), "sent");

    // sending/receiving from a nil channel inside a select is never
    // selected (and nothing panics)
    let got = recover(|| select! { send(&nilch, 7) => panic!("{NIL_CASE}"), default => {} });
    assert_eq!(got, None);
    let got = recover(|| select! { recv(&nilch) -> _v => panic!("{NIL_CASE}"), default => {} });
    assert_eq!(got, None);

    // sending to an async channel with free buffer space never blocks
    never_blocks(|| Chan::new(1).send(7));

    // receiving from a closed channel never blocks
    let got = never_blocks({
        let closedch = closedch.clone();
        move || {
            (0..10)
                .map(|_| (closedch.recv(), closedch.try_recv()))
                .collect::<Vec<_>>()
        }
    });
    assert_eq!(got, vec![(None, Err(TryRecvError::Closed)); 10]);

    // sending to a closed channel panics.
    assert_eq!(
        recover(|| closedch.send(7)).as_deref(),
        Some("send on closed channel")
    );

    // selects with default cases don't block
    never_blocks(|| select! { default => {} });
    let got = never_blocks({
        let nilch = nilch.clone();
        move || select! { recv(&nilch) -> _v => NIL_CASE, default => "default" }
    });
    assert_eq!(got, "default");
    let got = never_blocks({
        let nilch = nilch.clone();
        move || select! { send(&nilch, 7) => NIL_CASE, default => "default" }
    });
    assert_eq!(got, "default");

    // selects with ready channels don't block
    let got = never_blocks(|| {
        let ch = Chan::new(1);
        select! { send(&ch, 7) => "sent", default => "default" }
    });
    assert_eq!(got, "sent");
    let got = never_blocks(|| {
        let ch = Chan::new(1);
        ch.send(7);
        select! { recv(&ch) -> v => v, default => None }
    });
    assert_eq!(got, Some(7));

    // selects with closed channels behave like ordinary operations
    let got = never_blocks({
        let closedch = closedch.clone();
        move || select! { recv(&closedch) -> x => x }
    });
    assert_eq!(got, None);
    assert_eq!(
        recover(|| select! { send(&closedch, 7) => {} }).as_deref(),
        Some("send on closed channel")
    );
}

// --- select4.go ------------------------------------------------------------

/// select4.go: the receive case that is not chosen runs none of its code
/// (Go: does not evaluate the left-hand side it would assign to).
#[test]
fn select4() {
    struct X {
        a: i32,
    }
    let called = Cell::new(false);
    let f = || called.set(true);
    let mut x = X { a: 0 };
    let (c, c1) = (Chan::new(1), Chan::<i32>::new(0));
    c.send(42);
    select! {
        recv(&c1) -> _v => f(),
        recv(&c) -> v => x.a = v.expect("open"),
    }
    assert!(!called.get(), "called f");
    assert_eq!(x.a, 42);
}

// --- select5.go ------------------------------------------------------------

/// select5.go generates hundreds of single-goroutine selects, each doing
/// one real send or receive on a buffered channel, phrased in each way the
/// compiler might rewrite: with `default` before or after the real case,
/// with dummy cases on a channel that is never ready and on a nil channel,
/// in several assignment forms; it checks the value, that no other case
/// runs, and the order in which channel and value expressions are
/// evaluated. A macro's arms are fixed when the test compiles, so the port
/// writes out each distinct shape instead.
#[test]
fn select5() {
    let c = Chan::new(1);
    let nilch = Chan::<i32>::nil();
    let dummy = Chan::<i32>::new(0);
    let n = Cell::new(1);
    let next = || n.set(n.get() + 1);

    // Check the order of operations: successive calls to `fc` and `fv`
    // must have increasing `o`.
    let order = Cell::new(0);
    let checkorder = |o: i32| {
        assert!(o > order.get(), "invalid order {o} after {}", order.get());
        order.set(o);
    };
    let fc = |c: &Chan<i32>, o| {
        checkorder(o);
        c.clone()
    };
    let fv = |v: i32, o| {
        checkorder(o);
        v
    };

    // recv: send n, receive it one way or another, check that they match.
    c.send(n.get());
    assert_eq!(c.recv(), Some(n.get()));
    next();
    c.send(n.get());
    let x = select! { default => panic!("nonblock"), recv(&c) -> v => v };
    assert_eq!(x, Some(n.get()));
    next();
    c.send(n.get());
    let x = select! {
        recv(&c) -> v => v,
        send(&dummy, 1) => panic!("dummy send"),
        recv(&dummy) -> _v => panic!("dummy receive"),
        send(&nilch, 1) => panic!("nilch send"),
        recv(&nilch) -> _v => panic!("nilch recv"),
        default => panic!("nonblock"),
    };
    assert_eq!(x, Some(n.get()));
    next();
    c.send(n.get());
    let x = select! {
        recv(&nilch) -> _v => panic!("nilch recv"),
        recv(&dummy) -> _v => panic!("dummy receive"),
        recv(&c) -> v => v,
    };
    assert_eq!(x, Some(n.get()));
    next();

    // send: send n one way or another, receive it, check that they match.
    select! { send(&c, n.get()) => {}, default => panic!("nonblock") }
    assert_eq!(c.recv(), Some(n.get()));
    next();
    select! {
        default => panic!("nonblock"),
        send(&nilch, 1) => panic!("nilch send"),
        send(&c, n.get()) => {},
        recv(&dummy) -> _v => panic!("dummy receive"),
        send(&dummy, 1) => panic!("dummy send"),
    }
    assert_eq!(c.recv(), Some(n.get()));
    next();
    select! {
        send(&dummy, 1) => panic!("dummy send"),
        send(&c, n.get()) => {},
        recv(&nilch) -> _v => panic!("nilch recv"),
    }
    assert_eq!(c.recv(), Some(n.get()));
    next();

    // recvOrder: channel expressions are evaluated once each, in source
    // order, whether or not their case is chosen; values of send cases too.
    order.set(0);
    c.send(n.get());
    let x = select! {
        default => panic!("nonblock"),
        recv(&fc(&c, 1)) -> v => v,
        send(&fc(&dummy, 2), fv(1, 3)) => panic!("dummy send"),
        recv(&fc(&dummy, 4)) -> _v => panic!("dummy receive"),
        send(&fc(&nilch, 5), fv(1, 6)) => panic!("nilch send"),
        recv(&fc(&nilch, 7)) -> _v => panic!("nilch recv"),
    };
    assert_eq!(x, Some(n.get()));
    assert_eq!(order.get(), 7);
    next();

    // sendOrder
    order.set(0);
    select! {
        send(&fc(&c, 1), fv(n.get(), 2)) => {},
        send(&fc(&dummy, 3), fv(1, 4)) => panic!("dummy send"),
        recv(&fc(&dummy, 5)) -> _v => panic!("dummy receive"),
        send(&fc(&nilch, 6), fv(1, 7)) => panic!("nilch send"),
        recv(&fc(&nilch, 8)) -> _v => panic!("nilch recv"),
        default => panic!("nonblock"),
    }
    assert_eq!(order.get(), 8);
    assert_eq!(c.recv(), Some(n.get()));
    next();

    // nonblock: with nothing ready, default runs and no case does.
    let mut x = n.get();
    for shape in 0..3 {
        match shape {
            0 => select! {
                default => {},
                send(&dummy, 1) => panic!("dummy <- 1"),
                send(&nilch, 1) => panic!("nilch <- 1"),
                recv(&dummy) -> v => x = v.unwrap_or(-1),
                recv(&nilch) -> v => x = v.unwrap_or(-1),
            },
            1 => select! {
                recv(&nilch) -> _v => panic!("<-nilch"),
                recv(&dummy) -> _v => panic!("<-dummy"),
                default => {},
            },
            _ => select! {
                send(&nilch, 1) => panic!("nilch <- 1"),
                default => {},
            },
        }
    }
    assert_eq!(x, n.get());
}

// --- select6.go ------------------------------------------------------------

/// select6.go (Go issue 2075): a select that fails its case on c1 must
/// leave c1's queue intact when another goroutine waits on c1 too, so
/// that later receivers on c1 still wake.
#[test]
fn select6() {
    let (c1, c2, c3) = (Chan::new(0), Chan::new(0), Chan::new(0));
    let first = start({
        let c1 = c1.clone();
        move || c1.recv()
    });
    let second = start({
        let (c1, c2, c3) = (c1.clone(), c2.clone(), c3.clone());
        move || {
            let case = select! {
                recv(&c1) -> _v => "c1 (Go panics: dummy)",
                recv(&c2) -> _v => {
                    c3.send(true);
                    "c2"
                },
            };
            (case, c1.recv())
        }
    });
    gosync::go(move || c2.send(true));
    assert!(report(&c3));
    assert!(
        c1.send_timeout(true, PATIENCE).is_ok(),
        "a receiver was lost"
    );
    assert!(
        c1.send_timeout(true, PATIENCE).is_ok(),
        "a receiver was lost"
    );
    assert_eq!(report(&first), Some(true));
    assert_eq!(report(&second), ("c2", Some(true)));
}

// --- select7.go ------------------------------------------------------------

fn recv1(c: Receiver<i32>) {
    c.recv();
}

fn recv2(c: Receiver<i32>) {
    select! { recv(&c) -> _v => {} }
}

fn recv3(c: Receiver<i32>) {
    let c2 = Chan::<i32>::new(0);
    select! {
        recv(&c) -> _v => {},
        recv(&c2) -> _v => {},
    }
}

fn send1(recv: fn(Receiver<i32>)) {
    let c = Chan::new(0);
    let done = start({
        let c = c.receiver();
        move || recv(c)
    });
    gosched();
    c.send(1);
    report(&done);
}

fn send2(recv: fn(Receiver<i32>)) {
    let c = Chan::new(0);
    let done = start({
        let c = c.receiver();
        move || recv(c)
    });
    gosched();
    let tx = c.sender();
    select! { send(&tx, 1) => {} }
    report(&done);
}

fn send3(recv: fn(Receiver<i32>)) {
    let c = Chan::new(0);
    let done = start({
        let c = c.receiver();
        move || recv(c)
    });
    gosched();
    let c2 = Chan::new(0);
    select! {
        send(&c, 1) => {},
        send(&c2, 1) => panic!("nobody receives from c2"),
    }
    report(&done);
}

/// select7.go: selects that discard the value they receive, paired with
/// each way of sending.
#[test]
fn select7() {
    for recv in [recv1, recv2, recv3] {
        send1(recv);
        send2(recv);
        send3(recv);
    }
}

// --- select8.go ------------------------------------------------------------

/// select8.go: `break` out of a select, in 1-, 2- and 3-case selects (a
/// gccgo bug). Go's `break` leaves the select; Rust's leaves a loop, so
/// the port breaks out of a labelled block around each select. What it
/// checks is that arms are ordinary code in the caller's body, where
/// `break` to an outer label works, and where the code after the select is
/// skipped.
#[test]
fn select8() {
    let ch = Chan::new(0);
    let quit = Chan::<()>::new(0);
    let sender = start({
        let (ch, quit) = (ch.clone(), quit.clone());
        move || loop {
            select! {
                send(&ch, 5) => {},
                recv(&quit) -> _q => return,
            }
        }
    });

    let mut past_the_select = 0;
    for shape in 0..4 {
        'sel: {
            match shape {
                0 => select! {
                    recv(&ch) -> _v => break 'sel,
                },
                1 => select! {
                    default => break 'sel,
                },
                2 => select! {
                    recv(&ch) -> _v => break 'sel,
                    default => break 'sel,
                },
                _ => select! {
                    recv(&ch) -> _v => break 'sel,
                    send(&ch, 10) => panic!("unreachable"),
                    default => break 'sel,
                },
            }
        }
        past_the_select += 1;
    }
    assert_eq!(past_the_select, 4);
    quit.close();
    report(&sender);
}

// --- doubleselect.go -------------------------------------------------------

/// doubleselect.go: a select whose four cases send on four channels must
/// run exactly one of them each time. Four mux goroutines forward to one
/// channel, where the test sees each value; the port checks that every
/// value arrives exactly once (Go checks for duplicates).
#[test]
fn doubleselect() {
    // Go: 100,000.
    let iterations = scaled(5_000, 30_000);
    let cs: Vec<Chan<usize>> = (0..4).map(|_| Chan::new(0)).collect();
    let done = Chan::new(0);
    let cmux = Chan::new(0);

    // sender sends a counter to one of four different channels. If two
    // cases both end up running in the same iteration, the same value will
    // be sent to two different channels.
    {
        let [c1, c2, c3, c4] = [0, 1, 2, 3].map(|i| cs[i].sender());
        gosync::go(move || {
            for i in 0..iterations {
                select! {
                    send(&c1, i) => {},
                    send(&c2, i) => {},
                    send(&c3, i) => {},
                    send(&c4, i) => {},
                }
            }
            for c in [c1, c2, c3, c4] {
                c.close();
            }
        });
    }
    // mux receives the values from sender and forwards them onto another
    // channel.
    for c in &cs {
        let (out, input, done) = (cmux.sender(), c.receiver(), done.sender());
        gosync::go(move || {
            for v in &input {
                out.send(v);
            }
            done.send(true);
        });
    }
    {
        let (done, cmux) = (done.clone(), cmux.clone());
        gosync::go(move || {
            for _ in 0..4 {
                done.recv();
            }
            cmux.close();
        });
    }
    // recver gets a stream of values from the four muxes and checks for
    // duplicates.
    let mut seen = vec![false; iterations];
    for v in drain(&cmux) {
        assert!(!seen[v], "got duplicate value: {v}");
        seen[v] = true;
    }
    assert!(seen.iter().all(|&s| s), "a value was lost");
}

// --- fifo.go ---------------------------------------------------------------

const FIFO_N: i32 = 10;

fn asynch_fifo() {
    let ch = Chan::new(FIFO_N as usize);
    for i in 0..FIFO_N {
        ch.send(i);
    }
    for i in 0..FIFO_N {
        assert_eq!(ch.recv(), Some(i), "bad receive");
    }
}

fn chain(ch: Receiver<i32>, val: i32, input: Receiver<i32>, out: Sender<i32>, ok: Sender<bool>) {
    input.recv();
    ok.send(ch.recv() == Some(val));
    out.send(1);
}

/// Threads together a daisy chain to read the elements in sequence.
fn synch_fifo() {
    let ch = Chan::new(0);
    let ok = Chan::new(FIFO_N as usize);
    let mut input = Chan::new(0);
    let start = input.clone();
    for i in 0..FIFO_N {
        let out = Chan::new(0);
        let (ch, inp, o, ok) = (ch.receiver(), input.receiver(), out.sender(), ok.sender());
        gosync::go(move || chain(ch, i, inp, o, ok));
        input = out;
    }
    start.send(0);
    for i in 0..FIFO_N {
        ch.send(i);
    }
    assert_eq!(report(&input), 1);
    for i in 0..FIFO_N {
        assert!(
            report(&ok),
            "goroutine {i} of the chain got the wrong value"
        );
    }
}

/// fifo.go: buffered channels and unbuffered ones (receivers taking turns
/// in a chain) deliver in order.
#[test]
fn fifo() {
    asynch_fifo();
    synch_fifo();
}

// --- nonblock.go -----------------------------------------------------------

/// Go's retry loop, `for { select { case ...: break; default: sleep() } }`,
/// bounded by [`PATIENCE`] rather than by Go's 100 ms (10,000 tries of
/// 10 µs): a timing bound must not decide the verdict.
#[track_caller]
fn until_ready<R>(what: &str, mut attempt: impl FnMut() -> Option<R>) -> R {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(r) = attempt() {
            return r;
        }
        assert!(Instant::now() < deadline, "{what}: never ready");
        sleep(Duration::from_micros(10));
        gosched();
    }
}

/// One round of nonblock.go for one element type: a receiver goroutine
/// and then a sender goroutine, met by non-blocking operations retried
/// until they succeed.
fn nonblock_with<T>(buffer: usize, to_receiver: T, from_sender: T)
where
    T: Clone + PartialEq + Debug + Send + 'static,
{
    let c = Chan::<T>::new(buffer);
    let sync = Chan::new(0);

    select! {
        recv(&c) -> _v => panic!("blocked sender"),
        default => {},
    }

    {
        let (c, sync, want) = (c.clone(), sync.clone(), to_receiver.clone());
        gosync::go(move || sync.send(c.recv() == Some(want)));
    }
    until_ready("receiver", || {
        select! {
            send(&c, to_receiver.clone()) => Some(()),
            default => None,
        }
    });
    assert!(report(&sync), "receiver value, buffer={buffer}");

    {
        let (c, sync, v) = (c.clone(), sync.clone(), from_sender.clone());
        gosync::go(move || {
            c.send(v);
            sync.send(true);
        });
    }
    if buffer > 0 {
        report(&sync);
    }
    let got = until_ready("sender", || {
        select! {
            recv(&c) -> v => Some(v),
            default => None,
        }
    });
    assert_eq!(got, Some(from_sender), "sender value, buffer={buffer}");
    if buffer == 0 {
        report(&sync);
    }
}

/// nonblock.go: non-blocking sends and receives, on unbuffered and
/// buffered channels, with elements of several sizes and types.
#[test]
fn nonblock() {
    for buffer in 0..2 {
        nonblock_with::<i32>(buffer, 123, 234);
        nonblock_with::<i64>(buffer, 123456, 234567);
        nonblock_with(buffer, true, true);
        nonblock_with(buffer, "hello".to_string(), "hello again".to_string());
    }
}

// --- perm.go ---------------------------------------------------------------

/// perm.go's lines that Go accepts: a channel gives send-only and
/// receive-only views of itself, and each view does its own direction, in
/// plain operations and in select (the lines Go rejects are compile errors
/// here too; see the module's documentation).
#[test]
fn perm() {
    let c = Chan::<i32>::new(1);
    let cr: Receiver<i32> = c.receiver(); // cr = c: ok
    let cs: Sender<i32> = c.sender(); // cs = c: ok

    c.send(0); // ok
    assert_eq!(c.recv(), Some(0)); // ok

    cs.send(0); // ok
    assert_eq!(cr.recv(), Some(0)); // ok

    for _ in 0..2 {
        select! {
            send(&c, 0) => {},
            recv(&c) -> _x => {},
            recv(&cr) -> _x => {},
            send(&cs, 0) => {},
        }
    }

    cs.close(); // ok
    let rest: Vec<i32> = cr.iter().collect();
    assert!(rest.len() <= 1, "{rest:?}");
    assert_eq!(c.recv(), None);
}

// --- sendstmt.go -----------------------------------------------------------

/// sendstmt.go's `chanchan`: a send case whose channel comes from a receive
/// (Go's `case <-cc <- 2:`), evaluated on entry to the select.
#[test]
fn sendstmt() {
    let cc = Chan::new(1);
    let c = Chan::new(1);
    cc.send(c.clone());
    select! {
        send(&cc.recv().expect("cc holds c"), 2) => {},
        default => panic!("nonblock"),
    }
    assert_eq!(c.recv(), Some(2), "bad receive");
}

// --- zerosize.go -----------------------------------------------------------

/// zerosize.go: making channels of a zero-sized type should not panic. The
/// port also moves values through them, and makes a buffer far larger
/// than memory could hold of anything bigger.
#[test]
fn zerosize() {
    let _ = Chan::<[u8; 0]>::new(0);
    let _ = Chan::<[u8; 0]>::new(1);
    let _ = Chan::<()>::new(0);
    let _ = Chan::<()>::new(1);

    let c = Chan::<[u8; 0]>::new(1);
    c.send([]);
    assert_eq!((c.len(), c.recv()), (1, Some([])));

    let huge = Chan::<()>::new(usize::MAX);
    for _ in 0..3 {
        huge.send(());
    }
    assert_eq!((huge.len(), huge.cap()), (3, usize::MAX));
    huge.close();
    assert_eq!(huge.iter().count(), 3);
}

// --- goroutines.go ---------------------------------------------------------

/// goroutines.go: makes a lot of goroutines, threaded together by
/// unbuffered channels, passes a value from the rightmost to the leftmost,
/// and so tears them down. 10,000 goroutines, as Go's.
#[test]
fn goroutines() {
    let n = 10_000;
    let leftmost = Chan::new(0);
    let mut left = leftmost.clone();
    for _ in 0..n {
        let right = Chan::new(0);
        let (l, r) = (left.sender(), right.receiver());
        gosync::go(move || l.send(r.recv().expect("open")));
        left = right;
    }
    let right = left;
    gosync::go(move || right.send(1));
    assert_eq!(leftmost.recv_timeout(PATIENCE), Ok(1));
}
