//! Port of `src/context/context_test.go` and `src/context/x_test.go`.
//!
//! Ports: `TestBackground`, `TestTODO`, `TestWithCancel`,
//! `TestParentFinishesChild`, `TestChildFinishesFirst` (their linkage checks,
//! which read unexported fields, are unit tests in `src/context.rs`, as is
//! `TestCancelRemoves`), `TestDeadline`, `TestTimeout`,
//! `TestCanceledTimeout`, `TestValues`, `TestAllocs`,
//! `TestSimultaneousCancels`, `TestInterlockedCancels`, `TestLayersCancel`,
//! `TestLayersTimeout`, `TestWithCancelCanceledParent`,
//! `TestWithCancelSimultaneouslyCanceledParent`,
//! `TestDeadlineExceededSupportsTimeout`, `TestCause`, `TestCauseRace`,
//! `TestWithoutCancel`, `TestAfterFuncCalledAfterCancel`,
//! `TestAfterFuncCalledAfterTimeout`, `TestAfterFuncCalledImmediately`,
//! `TestAfterFuncNotCalledAfterStop`, `TestAfterFuncCalledAsynchronously`.
//!
//! Not ported, because they cannot be expressed: `TestWithValueChecksKey`
//! (keys are types, always comparable), `TestInvalidDerivedFail` (there is
//! no nil context), `TestCustomContextGoroutines`,
//! `TestCustomContextPropagation`, `TestCustomContextCause` and
//! `afterfunc_test.go` (a `Context` is a type, not an interface one can
//! implement). Where Go wraps a context in `otherContext` (a type of its
//! own, to take the slow propagation path), the ports wrap it in a
//! `with_value`, the one derivation here that is not cancellable itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gosync::chan::{Chan, TryRecvError};
use gosync::context::{
    self, after_func, background, cause, todo, with_cancel, with_cancel_cause, with_deadline,
    with_timeout, with_timeout_cause, with_value, without_cancel, CancelFunc, Context, Error,
};
use gosync::sync::WaitGroup;
use gosync::{select, time};

use super::allocs_per_run;
use crate::PATIENCE;

const SHORT: Duration = Duration::from_millis(1);
const VERY_LONG: Duration = Duration::from_secs(1000 * 3600);

/// Go's `otherContext{c}`: a wrapper that is not a cancellable context.
struct Other;

fn other(c: &Context) -> Context {
    with_value(c, Other)
}

/// Whether `<-c.Done()` would proceed now (`select` with `default`).
fn is_done(c: &Context) -> bool {
    match c.done().try_recv() {
        Err(TryRecvError::Closed) => true,
        Err(TryRecvError::Empty) => false,
        Ok(()) => unreachable!("nothing is ever sent on done"),
    }
}

/// Waits for `c` to be done, failing the test after [`PATIENCE`].
#[track_caller]
fn wait_done(c: &Context, name: &str) {
    select! {
        recv(&c.done()) -> v => assert_eq!(v, None, "{name}: done is closed, not sent on"),
        recv(&time::after(PATIENCE)) -> _ => panic!("{name}: context not done after {PATIENCE:?}"),
    }
}

#[test]
fn test_background() {
    let c = background();
    assert!(!is_done(&c), "<-c.Done() should block");
    assert!(c.done().is_nil());
    assert_eq!(format!("{c:?}"), "context.Background");
}

#[test]
fn test_todo() {
    let c = todo();
    assert!(!is_done(&c), "<-c.Done() should block");
    assert!(c.done().is_nil());
    assert_eq!(format!("{c:?}"), "context.TODO");
}

#[test]
fn test_with_cancel() {
    let (c1, cancel) = with_cancel(&background());
    assert_eq!(format!("{c1:?}"), "context.Background.WithCancel");

    let o = other(&c1);
    let (c2, _cancel2) = with_cancel(&o);
    let contexts = [c1, o, c2];
    for (i, c) in contexts.iter().enumerate() {
        assert!(!c.done().is_nil(), "c[{i}].Done() == nil want non-nil");
        assert_eq!(c.err(), None, "c[{i}].Err()");
        assert!(!is_done(c), "<-c[{i}].Done() should block");
    }

    cancel(); // Should propagate synchronously.
    for (i, c) in contexts.iter().enumerate() {
        assert!(is_done(c), "<-c[{i}].Done() blocked, but shouldn't have");
        assert_eq!(c.err(), Some(Error::Canceled), "c[{i}].Err()");
    }
}

#[test]
fn test_parent_finishes_child() {
    // Context tree:
    // parent -> cancel_child
    // parent -> value_child -> timer_child
    let (parent, cancel) = with_cancel(&background());
    let (cancel_child, _stop) = with_cancel(&parent);
    let value_child = with_value(&parent, "value");
    let (timer_child, _stop2) = with_timeout(&value_child, VERY_LONG);

    for (c, name) in [
        (&parent, "parent"),
        (&cancel_child, "cancel_child"),
        (&timer_child, "timer_child"),
        (&value_child, "value_child"),
    ] {
        assert!(!is_done(c), "<-{name}.Done() should block");
    }

    cancel();

    // parent and children should all be finished.
    for (c, name) in [
        (&parent, "parent"),
        (&cancel_child, "cancel_child"),
        (&value_child, "value_child"),
        (&timer_child, "timer_child"),
    ] {
        assert!(is_done(c), "<-{name}.Done() blocked, but shouldn't have");
        assert_eq!(c.err(), Some(Error::Canceled), "{name}.Err()");
    }

    // A child of a cancelled parent is cancelled from the start.
    let precanceled_child = with_value(&parent, "value");
    assert!(is_done(&precanceled_child));
    assert_eq!(precanceled_child.err(), Some(Error::Canceled));
    let (precanceled_child, _c) = with_cancel(&parent);
    assert!(is_done(&precanceled_child));
    assert_eq!(precanceled_child.err(), Some(Error::Canceled));
}

#[test]
fn test_child_finishes_first() {
    let (cancelable, _stop) = with_cancel(&background());
    for parent in [background(), cancelable] {
        let (child, cancel) = with_cancel(&parent);
        assert!(!is_done(&parent), "<-parent.Done() should block");
        assert!(!is_done(&child), "<-child.Done() should block");

        cancel();

        // child should be finished.
        assert!(
            is_done(&child),
            "<-child.Done() blocked, but shouldn't have"
        );
        assert_eq!(child.err(), Some(Error::Canceled));

        // parent should not be finished.
        assert!(!is_done(&parent), "<-parent.Done() should block");
        assert_eq!(parent.err(), None);
    }
}

/// Go's `testDeadline`: `c` becomes done with `DeadlineExceeded`.
#[track_caller]
fn test_deadline_of(c: &Context, name: &str) {
    wait_done(c, name);
    assert_eq!(c.err(), Some(Error::DeadlineExceeded), "{name}: c.Err()");
}

#[test]
fn test_deadline() {
    let (c, _) = with_deadline(&background(), Instant::now() + SHORT);
    let s = format!("{c:?}");
    assert!(
        s.starts_with("context.Background.WithDeadline("),
        "c.String() = {s:?}"
    );
    test_deadline_of(&c, "WithDeadline");

    let (c, _) = with_deadline(&background(), Instant::now() + SHORT);
    let o = other(&c);
    test_deadline_of(&o, "WithDeadline+otherContext");

    let (c, _) = with_deadline(&background(), Instant::now() + SHORT);
    let o = other(&c);
    let (c, _) = with_deadline(&o, Instant::now() + VERY_LONG);
    test_deadline_of(&c, "WithDeadline+otherContext+WithDeadline");

    let (c, _) = with_deadline(&background(), Instant::now() - SHORT);
    test_deadline_of(&c, "WithDeadline+inthepast");

    let (c, _) = with_deadline(&background(), Instant::now());
    test_deadline_of(&c, "WithDeadline+now");
}

#[test]
fn test_timeout() {
    let (c, _) = with_timeout(&background(), SHORT);
    let s = format!("{c:?}");
    assert!(
        s.starts_with("context.Background.WithDeadline("),
        "c.String() = {s:?}"
    );
    test_deadline_of(&c, "WithTimeout");

    let (c, _) = with_timeout(&background(), SHORT);
    let o = other(&c);
    test_deadline_of(&o, "WithTimeout+otherContext");

    let (c, _) = with_timeout(&background(), SHORT);
    let o = other(&c);
    let (c, _) = with_timeout(&o, VERY_LONG);
    test_deadline_of(&c, "WithTimeout+otherContext+WithTimeout");
}

/// Not in Go's suite: the deadline reported is the earlier of the child's
/// and the parent's, and the later one never fires first.
#[test]
fn deadline_is_the_earlier_of_child_and_parent() {
    let soon = Instant::now() + Duration::from_secs(60);
    let later = soon + Duration::from_secs(60);
    let (parent, _c) = with_deadline(&background(), soon);
    let (child, _c2) = with_deadline(&parent, later);
    assert_eq!(child.deadline(), Some(soon));
    let (child, _c3) = with_deadline(&parent, soon - Duration::from_secs(30));
    assert_eq!(child.deadline(), Some(soon - Duration::from_secs(30)));
    assert_eq!(other(&child).deadline(), child.deadline());
    assert_eq!(without_cancel(&child).deadline(), None);
    assert_eq!(background().deadline(), None);
    // A child of a parent that expires first expires with it.
    let (parent, _c) = with_timeout(&background(), SHORT);
    let (child, _c2) = with_timeout(&parent, VERY_LONG);
    test_deadline_of(&child, "child of a short parent");
    assert!(Instant::now() >= parent.deadline().unwrap());
}

#[test]
fn test_canceled_timeout() {
    let (c, _) = with_timeout(&background(), Duration::from_secs(1));
    let o = other(&c);
    let (c, cancel) = with_timeout(&o, VERY_LONG);
    cancel(); // Should propagate synchronously.
    assert!(is_done(&c), "<-c.Done() blocked, but shouldn't have");
    assert_eq!(c.err(), Some(Error::Canceled));
}

// Go keys values by (type, value): k1 = key1(1), k2 = key2(1), k3 = key2(3).
// Here the type is the key, so each key is a type of its own; the value
// wraps an optional string (Go's `nil` value shadows a key too).
struct K1(Option<&'static str>);
struct K2(Option<&'static str>);
struct K3(Option<&'static str>);

#[test]
fn test_values() {
    fn check(c: &Context, nm: &str, v1: &str, v2: &str, v3: &str) {
        let get = |v: Option<Option<&'static str>>| v.flatten().unwrap_or("");
        assert_eq!(get(c.value::<K1>().map(|v| v.0)), v1, "{nm}.Value(k1)");
        assert_eq!(get(c.value::<K2>().map(|v| v.0)), v2, "{nm}.Value(k2)");
        assert_eq!(get(c.value::<K3>().map(|v| v.0)), v3, "{nm}.Value(k3)");
    }

    let c0 = background();
    check(&c0, "c0", "", "", "");

    let c1 = with_value(&background(), K1(Some("c1k1")));
    check(&c1, "c1", "c1k1", "", "");
    let s = format!("{c1:?}");
    assert!(
        s.starts_with("context.Background.WithValue(type ") && s.ends_with("K1)"),
        "c.String() = {s:?}"
    );

    let c2 = with_value(&c1, K2(Some("c2k2")));
    check(&c2, "c2", "c1k1", "c2k2", "");

    let c3 = with_value(&c2, K3(Some("c3k3")));
    check(&c3, "c2", "c1k1", "c2k2", "c3k3");

    let c4 = with_value(&c3, K1(None));
    check(&c4, "c4", "", "c2k2", "c3k3");

    let o0 = other(&background());
    check(&o0, "o0", "", "", "");

    let o1 = other(&with_value(&background(), K1(Some("c1k1"))));
    check(&o1, "o1", "c1k1", "", "");

    let o2 = with_value(&o1, K2(Some("o2k2")));
    check(&o2, "o2", "c1k1", "o2k2", "");

    let o3 = other(&c4);
    check(&o3, "o3", "", "c2k2", "c3k3");

    let o4 = with_value(&o3, K3(None));
    check(&o4, "o4", "", "c2k2", "");
}

/// `TestAllocs`, with Go's limits: this port allocates no more than Go's
/// context does (counted on this thread; the timer service's and the
/// goroutine's allocations are elsewhere, as Go's are not per call).
#[test]
fn test_allocs() {
    let bg = background();
    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>, f64);
    let cases: [Case; 4] = [
        (
            "Background()",
            Box::new(|| {
                std::hint::black_box(background());
            }),
            0.0,
        ),
        (
            "WithValue(bg, k1, nil)",
            Box::new(|| {
                let c = with_value(&bg, K1(None));
                std::hint::black_box(c.value::<K1>());
            }),
            3.0,
        ),
        (
            "WithCancel(bg)",
            Box::new(|| {
                let (c, cancel) = with_cancel(&bg);
                cancel();
                c.done().recv();
            }),
            // Go: 5. Here: the context, its cancel state, its channel, the
            // cancel function, and the cause `Canceled` as a shared error.
            // `Chan::new` allocates its channel in one piece.
            5.0,
        ),
        (
            "WithTimeout(bg, 5*time.Millisecond)",
            Box::new(|| {
                let (c, cancel) = with_timeout(&bg, Duration::from_millis(5));
                cancel();
                c.done().recv();
            }),
            8.0,
        ),
    ];
    for (desc, f, limit) in cases {
        let n = allocs_per_run(100, f);
        assert!(n <= limit, "{desc} allocs = {n} want {limit}");
    }
}

#[test]
fn test_simultaneous_cancels() {
    let (root, cancel) = with_cancel(&background());
    let mut all: Vec<(Context, CancelFunc)> = vec![(root.clone(), cancel)];
    let mut queue = vec![root];
    // Create a tree of contexts, breadth first.
    let mut next = 0;
    while next < queue.len() && all.len() < 100 {
        let parent = queue[next].clone();
        next += 1;
        for _ in 0..4 {
            let (ctx, cancel) = with_cancel(&parent);
            all.push((ctx.clone(), cancel));
            queue.push(ctx);
        }
    }
    // Start all the cancels, in an order of the scheduler's choosing.
    let wg = Arc::new(WaitGroup::new());
    for (_, cancel) in &all {
        let cancel = cancel.clone();
        wg.go(move || cancel());
    }
    // Wait on all the contexts.
    for (ctx, _) in &all {
        wait_done(ctx, "ctx");
    }
    // Wait for all the cancel functions to return.
    let done = Chan::<()>::new(0);
    {
        let (wg, done) = (wg.clone(), done.clone());
        gosync::go(move || {
            wg.wait();
            done.close();
        });
    }
    assert_eq!(
        done.recv_timeout(PATIENCE),
        Err(gosync::chan::RecvTimeoutError::Closed),
        "timed out waiting for cancel functions"
    );
}

#[test]
fn test_interlocked_cancels() {
    let (parent, cancel_parent) = with_cancel(&background());
    let (child, cancel_child) = with_cancel(&parent);
    {
        let parent = parent.clone();
        gosync::go(move || {
            parent.done().recv();
            cancel_child();
        });
    }
    cancel_parent();
    wait_done(&child, "child");
}

/// A small xorshift generator, seeded from the clock (Go's tests seed
/// `math/rand` with the time); failures print the seed.
struct Rand(u64);

impl Rand {
    fn seeded() -> (Rand, u64) {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        (Rand(seed), seed)
    }

    fn intn(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn test_layers(test_timeout: bool) {
    // Go gives each value layer a key of its own; here keys are types, so
    // layers pick one of three, and each must find the last value of its
    // type (shadowing the earlier ones, as Go's equal keys would).
    struct L0(usize);
    struct L1(usize);
    struct L2(usize);
    const MIN_LAYERS: usize = 30;

    let (mut r, seed) = Rand::seeded();
    let mut last = [None; 3];
    let mut vals = 0;
    let mut cancels: Vec<CancelFunc> = Vec::new();
    let mut num_timers = 0;
    let mut ctx = background();
    let mut i = 0;
    while i < MIN_LAYERS || num_timers == 0 || cancels.is_empty() || vals == 0 {
        match r.intn(3) {
            0 => {
                vals += 1;
                let key = r.intn(3);
                last[key] = Some(vals);
                ctx = match key {
                    0 => with_value(&ctx, L0(vals)),
                    1 => with_value(&ctx, L1(vals)),
                    _ => with_value(&ctx, L2(vals)),
                };
            }
            1 => {
                let (c, cancel) = with_cancel(&ctx);
                ctx = c;
                cancels.push(cancel);
            }
            _ => {
                let d = if test_timeout { SHORT } else { VERY_LONG };
                let (c, cancel) = with_timeout(&ctx, d);
                ctx = c;
                cancels.push(cancel);
                num_timers += 1;
            }
        }
        i += 1;
    }
    let check_values = |when: &str| {
        let got = [
            ctx.value::<L0>().map(|v| v.0),
            ctx.value::<L1>().map(|v| v.0),
            ctx.value::<L2>().map(|v| v.0),
        ];
        assert_eq!(got, last, "seed={seed}: {when}: ctx.Value");
    };
    if !test_timeout {
        assert!(
            !is_done(&ctx),
            "seed={seed}: ctx should not be canceled yet"
        );
    }
    let s = format!("{ctx:?}");
    assert!(
        s.starts_with("context.Background."),
        "seed={seed}: ctx.String() = {s:?}"
    );
    check_values("before cancel");
    if test_timeout {
        wait_done(&ctx, "layers");
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded), "seed={seed}");
        check_values("after timeout");
    } else {
        let cancel = &cancels[r.intn(cancels.len())];
        cancel();
        assert!(is_done(&ctx), "seed={seed}: ctx should be canceled");
        check_values("after cancel");
    }
}

#[test]
fn test_layers_cancel() {
    test_layers(false);
}

#[test]
fn test_layers_timeout() {
    test_layers(true);
}

#[derive(Debug)]
struct Because;

impl std::fmt::Display for Because {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Because!")
    }
}

impl std::error::Error for Because {}

type Cause = Arc<dyn std::error::Error + Send + Sync>;

#[test]
fn test_with_cancel_canceled_parent() {
    let (parent, pcancel) = with_cancel_cause(&background());
    let because: Cause = Arc::new(Because);
    pcancel(Some(because.clone()));

    let (c, _) = with_cancel(&parent);
    assert!(is_done(&c), "child not done immediately upon construction");
    assert_eq!(c.err(), Some(Error::Canceled), "child not canceled");
    assert!(
        Arc::ptr_eq(&cause(&c).unwrap(), &because),
        "child has wrong cause"
    );
}

#[test]
fn test_with_cancel_simultaneously_canceled_parent() {
    // Cancel the parent goroutine concurrently with creating a child.
    gosync::run(|| {
        for _ in 0..100 {
            let (parent, pcancel) = with_cancel_cause(&background());
            let because: Cause = Arc::new(Because);
            {
                let because = because.clone();
                gosync::go(move || pcancel(Some(because)));
            }
            let (c, _) = with_cancel(&parent);
            wait_done(&c, "child");
            assert_eq!(c.err(), Some(Error::Canceled), "child not canceled");
            assert!(
                Arc::ptr_eq(&cause(&c).unwrap(), &because),
                "child has wrong cause"
            );
        }
    });
}

#[test]
fn test_deadline_exceeded_supports_timeout() {
    assert!(Error::DeadlineExceeded.timeout(), "wrong value for timeout");
    assert!(!Error::Canceled.timeout());
    assert_eq!(Error::Canceled.to_string(), "context canceled");
    assert_eq!(
        Error::DeadlineExceeded.to_string(),
        "context deadline exceeded"
    );
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::DeadlineExceeded);
    assert_eq!(boxed.to_string(), "context deadline exceeded");
}

/// What `Cause(ctx)` should be: nothing, one of the context errors, or a
/// particular cause (by identity, as Go compares error values).
enum Want {
    Nil,
    Err(Error),
    Is(Cause),
}

fn check_cause(name: &str, got: Option<Cause>, want: &Want) {
    match (want, got) {
        (Want::Nil, None) => {}
        (Want::Err(e), Some(got)) if got.downcast_ref::<Error>() == Some(e) => {}
        (Want::Is(c), Some(got)) if Arc::ptr_eq(c, &got) => {}
        (_, got) => panic!("{name}: Cause(ctx) = {got:?}"),
    }
}

#[test]
fn test_cause() {
    let forever = Duration::from_secs(1_000_000);
    let err = |s: &'static str| -> Cause {
        Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(s))
    };
    let parent_cause = err("parentCause");
    let child_cause = err("childCause");
    let too_slow = err("tooSlow");
    let finished_early = err("finishedEarly");

    type Case = (&'static str, Box<dyn Fn() -> Context>, Option<Error>, Want);
    let cases: Vec<Case> = vec![
        ("Background", Box::new(background), None, Want::Nil),
        ("TODO", Box::new(todo), None, Want::Nil),
        (
            "WithCancel",
            Box::new(|| {
                let (ctx, cancel) = with_cancel(&background());
                cancel();
                ctx
            }),
            Some(Error::Canceled),
            Want::Err(Error::Canceled),
        ),
        (
            "WithCancelCause",
            Box::new({
                let c = parent_cause.clone();
                move || {
                    let (ctx, cancel) = with_cancel_cause(&background());
                    cancel(Some(c.clone()));
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Is(parent_cause.clone()),
        ),
        (
            "WithCancelCause nil",
            Box::new(|| {
                let (ctx, cancel) = with_cancel_cause(&background());
                cancel(None);
                ctx
            }),
            Some(Error::Canceled),
            Want::Err(Error::Canceled),
        ),
        (
            "WithCancelCause: parent cause before child",
            Box::new({
                let (p, c) = (parent_cause.clone(), child_cause.clone());
                move || {
                    let (ctx, cancel_parent) = with_cancel_cause(&background());
                    let (ctx, cancel_child) = with_cancel_cause(&ctx);
                    cancel_parent(Some(p.clone()));
                    cancel_child(Some(c.clone()));
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Is(parent_cause.clone()),
        ),
        (
            "WithCancelCause: parent cause after child",
            Box::new({
                let (p, c) = (parent_cause.clone(), child_cause.clone());
                move || {
                    let (ctx, cancel_parent) = with_cancel_cause(&background());
                    let (ctx, cancel_child) = with_cancel_cause(&ctx);
                    cancel_child(Some(c.clone()));
                    cancel_parent(Some(p.clone()));
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Is(child_cause.clone()),
        ),
        (
            "WithCancelCause: parent cause before nil",
            Box::new({
                let p = parent_cause.clone();
                move || {
                    let (ctx, cancel_parent) = with_cancel_cause(&background());
                    let (ctx, cancel_child) = with_cancel(&ctx);
                    cancel_parent(Some(p.clone()));
                    cancel_child();
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Is(parent_cause.clone()),
        ),
        (
            "WithCancelCause: parent cause after nil",
            Box::new({
                let p = parent_cause.clone();
                move || {
                    let (ctx, cancel_parent) = with_cancel_cause(&background());
                    let (ctx, cancel_child) = with_cancel(&ctx);
                    cancel_child();
                    cancel_parent(Some(p.clone()));
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Err(Error::Canceled),
        ),
        (
            "WithCancelCause: child cause after nil",
            Box::new({
                let c = child_cause.clone();
                move || {
                    let (ctx, cancel_parent) = with_cancel(&background());
                    let (ctx, cancel_child) = with_cancel_cause(&ctx);
                    cancel_parent();
                    cancel_child(Some(c.clone()));
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Err(Error::Canceled),
        ),
        (
            "WithCancelCause: child cause before nil",
            Box::new({
                let c = child_cause.clone();
                move || {
                    let (ctx, cancel_parent) = with_cancel(&background());
                    let (ctx, cancel_child) = with_cancel_cause(&ctx);
                    cancel_child(Some(c.clone()));
                    cancel_parent();
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Is(child_cause.clone()),
        ),
        (
            "WithTimeout",
            Box::new(|| {
                let (ctx, cancel) = with_timeout(&background(), Duration::ZERO);
                cancel();
                ctx
            }),
            Some(Error::DeadlineExceeded),
            Want::Err(Error::DeadlineExceeded),
        ),
        (
            "WithTimeout canceled",
            Box::new(move || {
                let (ctx, cancel) = with_timeout(&background(), forever);
                cancel();
                ctx
            }),
            Some(Error::Canceled),
            Want::Err(Error::Canceled),
        ),
        (
            "WithTimeoutCause",
            Box::new({
                let t = too_slow.clone();
                move || {
                    let (ctx, cancel) =
                        with_timeout_cause(&background(), Duration::ZERO, Some(t.clone()));
                    cancel();
                    ctx
                }
            }),
            Some(Error::DeadlineExceeded),
            Want::Is(too_slow.clone()),
        ),
        (
            "WithTimeoutCause canceled",
            Box::new({
                let t = too_slow.clone();
                move || {
                    let (ctx, cancel) = with_timeout_cause(&background(), forever, Some(t.clone()));
                    cancel();
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Err(Error::Canceled),
        ),
        (
            "WithTimeoutCause stacked",
            Box::new({
                let (t, f) = (too_slow.clone(), finished_early.clone());
                move || {
                    let (ctx, cancel) = with_cancel_cause(&background());
                    let (ctx, _) = with_timeout_cause(&ctx, Duration::ZERO, Some(t.clone()));
                    cancel(Some(f.clone()));
                    ctx
                }
            }),
            Some(Error::DeadlineExceeded),
            Want::Is(too_slow.clone()),
        ),
        (
            "WithTimeoutCause stacked canceled",
            Box::new({
                let (t, f) = (too_slow.clone(), finished_early.clone());
                move || {
                    let (ctx, cancel) = with_cancel_cause(&background());
                    let (ctx, _) = with_timeout_cause(&ctx, forever, Some(t.clone()));
                    cancel(Some(f.clone()));
                    ctx
                }
            }),
            Some(Error::Canceled),
            Want::Is(finished_early.clone()),
        ),
        (
            "WithoutCancel",
            Box::new(|| without_cancel(&background())),
            None,
            Want::Nil,
        ),
        (
            "WithoutCancel canceled",
            Box::new({
                let f = finished_early.clone();
                move || {
                    let (ctx, cancel) = with_cancel_cause(&background());
                    let ctx = without_cancel(&ctx);
                    cancel(Some(f.clone()));
                    ctx
                }
            }),
            None,
            Want::Nil,
        ),
        (
            "WithoutCancel timeout",
            Box::new({
                let t = too_slow.clone();
                move || {
                    let (ctx, cancel) =
                        with_timeout_cause(&background(), Duration::ZERO, Some(t.clone()));
                    let ctx = without_cancel(&ctx);
                    cancel();
                    ctx
                }
            }),
            None,
            Want::Nil,
        ),
    ];
    for (name, make, err, want) in &cases {
        let ctx = make();
        assert_eq!(ctx.err(), *err, "{name}: ctx.Err()");
        check_cause(name, cause(&ctx), want);
    }
}

#[test]
fn test_cause_race() {
    #[derive(Debug)]
    struct RaceCause;
    impl std::fmt::Display for RaceCause {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("TestCauseRace")
        }
    }
    impl std::error::Error for RaceCause {}

    let c: Cause = Arc::new(RaceCause);
    let (ctx, cancel) = with_cancel_cause(&background());
    {
        let c = c.clone();
        gosync::go(move || cancel(Some(c)));
    }
    let deadline = Instant::now() + PATIENCE;
    // Poll Cause, rather than waiting for Done, to test that access to the
    // underlying cause is synchronized properly.
    loop {
        if let Some(got) = cause(&ctx) {
            assert!(Arc::ptr_eq(&got, &c), "Cause returned {got}, want {c}");
            break;
        }
        assert!(Instant::now() < deadline, "the cancel never happened");
        gosync::runtime::gosched();
        std::thread::yield_now();
    }
}

#[test]
fn test_without_cancel() {
    let ctx = with_value(&background(), "value");
    let ctx = without_cancel(&ctx);
    assert_eq!(ctx.deadline(), None);
    assert!(ctx.done().is_nil(), "ctx.Done() want nil");
    assert_eq!(ctx.err(), None);
    assert_eq!(ctx.value::<&str>().as_deref(), Some(&"value"));
    // Not in Go's test: cancelling the parent does not reach it, and
    // children derived from it are not cancelled by the parent either.
    let (parent, cancel) = with_cancel(&ctx);
    let detached = without_cancel(&parent);
    let (child, _c) = with_cancel(&detached);
    cancel();
    assert_eq!(parent.err(), Some(Error::Canceled));
    assert_eq!(detached.err(), None);
    assert_eq!(child.err(), None);
    assert_eq!(
        format!("{detached:?}").rsplit('.').next(),
        Some("WithoutCancel")
    );
}

/// Whether `c` stays empty for a short while: for the checks that
/// something did *not* happen, where a wrong implementation would show
/// itself only sometimes (Go's tests wait `shortDuration` too).
fn stays_empty(c: &Chan<()>) -> bool {
    select! {
        recv(c) -> _ => false,
        recv(&time::after(SHORT)) -> _ => true,
    }
}

#[test]
fn test_after_func_called_after_cancel() {
    let (ctx, cancel) = with_cancel(&background());
    let donec = Chan::<()>::new(0);
    let stop = {
        let donec = donec.clone();
        after_func(&ctx, move || donec.close())
    };
    assert!(
        stays_empty(&donec),
        "AfterFunc called before context is done"
    );
    cancel();
    assert_eq!(
        donec.recv_timeout(PATIENCE),
        Err(gosync::chan::RecvTimeoutError::Closed),
        "AfterFunc not called after context is canceled"
    );
    assert!(!stop(), "stop() = true, want false");
}

#[test]
fn test_after_func_called_after_timeout() {
    let (ctx, _cancel) = with_timeout(&background(), SHORT);
    let donec = Chan::<()>::new(0);
    {
        let donec = donec.clone();
        after_func(&ctx, move || donec.close());
    }
    assert_eq!(
        donec.recv_timeout(PATIENCE),
        Err(gosync::chan::RecvTimeoutError::Closed),
        "AfterFunc not called after context is canceled"
    );
}

#[test]
fn test_after_func_called_immediately() {
    let (ctx, cancel) = with_cancel(&background());
    cancel();
    let donec = Chan::<()>::new(0);
    {
        let donec = donec.clone();
        after_func(&ctx, move || donec.close());
    }
    assert_eq!(
        donec.recv_timeout(PATIENCE),
        Err(gosync::chan::RecvTimeoutError::Closed),
        "AfterFunc not called for already-canceled context"
    );
}

#[test]
fn test_after_func_not_called_after_stop() {
    let (ctx, cancel) = with_cancel(&background());
    let donec = Chan::<()>::new(0);
    let stop = {
        let donec = donec.clone();
        after_func(&ctx, move || donec.close())
    };
    assert!(stop(), "stop() = false, want true");
    cancel();
    assert!(
        stays_empty(&donec),
        "AfterFunc called for already-canceled context"
    );
    assert!(!stop(), "stop() = true, want false");
}

/// Canceling a context does not block waiting for AfterFuncs to finish.
#[test]
fn test_after_func_called_asynchronously() {
    let (ctx, cancel) = with_cancel(&background());
    let donec = Chan::<()>::new(0);
    let stop = {
        let donec = donec.clone();
        // The send blocks until donec is read from.
        after_func(&ctx, move || donec.send(()))
    };
    cancel();
    // After cancel returns, read from donec and unblock the AfterFunc.
    assert_eq!(
        donec.recv_timeout(PATIENCE),
        Ok(()),
        "AfterFunc not called after context is canceled"
    );
    assert!(!stop());
}

/// Not in Go's suite: an `after_func` on a context that can never be done
/// never runs, and stopping it reports that it stopped it.
#[test]
fn after_func_on_background_never_runs() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let stop = after_func(&background(), move || r.store(true, Ordering::SeqCst));
    assert!(stop());
    assert!(!stop());
    assert!(!ran.load(Ordering::SeqCst));
}

/// Not in Go's suite: `done()` works in a `select!` among other channels
/// in goroutines, each of many waiters is released once, and `err()` is
/// already set when a waiter sees the close.
#[test]
fn many_goroutines_select_on_done() {
    gosync::run(|| {
        let (ctx, cancel) = with_cancel(&background());
        let work = Chan::<u32>::new(0);
        let seen = Chan::new(100);
        for _ in 0..100 {
            let (ctx, work, seen) = (ctx.clone(), work.clone(), seen.clone());
            gosync::go(move || {
                let r = select! {
                    recv(&work) -> _ => None,
                    recv(&ctx.done()) -> _ => ctx.err(),
                };
                seen.send(r);
            });
        }
        cancel();
        for _ in 0..100 {
            assert_eq!(seen.recv_timeout(PATIENCE), Ok(Some(Error::Canceled)));
        }
    });
}

/// Not in Go's suite: the same behaviour from plain threads, with a
/// deadline passing while threads wait on `done()`.
#[test]
fn threads_wait_for_a_deadline() {
    let (ctx, _cancel) = with_timeout(&background(), Duration::from_millis(5));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                ctx.done().recv();
                ctx.err()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Some(Error::DeadlineExceeded));
    }
    assert_eq!(
        context::cause(&ctx).unwrap().to_string(),
        "context deadline exceeded"
    );
}
