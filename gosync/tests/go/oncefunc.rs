//! Port of `src/sync/oncefunc_test.go`.
//!
//! Ports: `TestOnceFunc`, `TestOnceValue`, `TestOnceValues`,
//! `TestOnceFuncPanic`, `TestOnceValuePanic`, `TestOnceValuesPanic`
//! (`testOncePanicX`, `testOncePanicWith`), `TestOnceFuncPanicNil`,
//! `TestOnceFuncPanicTraceback`, `TestOnceXGC`.
//!
//! Go's `OnceValues(f)` is `OnceValue` of a tuple here. `panic(nil)` becomes
//! a panic with a payload that is not a string. Not ported:
//! `TestOnceFuncGoexit` (Rust has no `runtime.Goexit`), the benchmarks.

use std::any::Any;
use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gosync::sync::{once_func, OnceValue};

use super::{allocs_per_run, make};
use crate::recover;

// We assume that the Once tests have already covered parallelism.

#[test]
fn test_once_func() {
    let calls = AtomicUsize::new(0);
    let f = once_func(|| {
        calls.fetch_add(1, Ordering::Relaxed);
    });
    let allocs = allocs_per_run(10, &f);
    assert_eq!(calls.load(Ordering::Relaxed), 1, "want calls==1");
    assert_eq!(allocs, 0.0, "want 0 allocations per call");
}

#[test]
fn test_once_value() {
    let calls = AtomicUsize::new(0);
    let f = OnceValue::new(|| calls.fetch_add(1, Ordering::Relaxed) + 1);
    let allocs = allocs_per_run(10, || {
        f.get();
    });
    let value = *f.get();
    assert_eq!(calls.load(Ordering::Relaxed), 1, "want calls==1");
    assert_eq!(value, 1, "want value==1");
    assert_eq!(*f, 1, "OnceValue derefs to its value");
    assert_eq!(allocs, 0.0, "want 0 allocations per call");
}

#[test]
fn test_once_values() {
    let calls = AtomicUsize::new(0);
    let f = OnceValue::new(|| {
        let c = calls.fetch_add(1, Ordering::Relaxed) + 1;
        (c, c + 1)
    });
    let allocs = allocs_per_run(10, || {
        f.get();
    });
    let (v1, v2) = *f.get();
    assert_eq!(calls.load(Ordering::Relaxed), 1, "want calls==1");
    assert_eq!((v1, v2), (1, 2), "want v1==1 and v2==2");
    assert_eq!(allocs, 0.0, "want 0 allocations per call");
}

/// Checks that each call to `f` panics with the same value, but the
/// underlying function is only called once.
fn test_once_panic_with(
    calls: &AtomicUsize,
    f: impl Fn(),
    check: impl Fn(&str, &(dyn Any + Send)),
) {
    for label in ["first time", "second time"] {
        match catch_unwind(AssertUnwindSafe(&f)) {
            Ok(()) => panic!("{label}: f did not panic"),
            Err(p) => check(label, &*p),
        }
    }
    assert_eq!(calls.load(Ordering::Relaxed), 1, "want calls==1");
}

fn test_once_panic_x(calls: &AtomicUsize, f: impl Fn()) {
    test_once_panic_with(calls, f, |label, p| {
        let msg = crate::panic_message(p);
        assert_eq!(msg, Some("x"), "{label}: want panic x");
    });
}

#[test]
fn test_once_func_panic() {
    let calls = AtomicUsize::new(0);
    let f = once_func(|| {
        calls.fetch_add(1, Ordering::Relaxed);
        panic!("x");
    });
    test_once_panic_x(&calls, f);
}

#[test]
fn test_once_value_panic() {
    let calls = AtomicUsize::new(0);
    let f: OnceValue<i32, _> = OnceValue::new(|| {
        calls.fetch_add(1, Ordering::Relaxed);
        panic!("x");
    });
    test_once_panic_x(&calls, || {
        f.get();
    });
}

#[test]
fn test_once_values_panic() {
    let calls = AtomicUsize::new(0);
    let f: OnceValue<(i32, i32), _> = OnceValue::new(|| {
        calls.fetch_add(1, Ordering::Relaxed);
        panic!("x");
    });
    test_once_panic_x(&calls, || {
        f.get();
    });
}

/// Go's `panic(nil)`: a panic whose value is not a message. The first call
/// carries the original payload; every call panics, none runs `f` again.
#[test]
fn test_once_func_panic_nil() {
    let calls = AtomicUsize::new(0);
    let f = once_func(|| {
        calls.fetch_add(1, Ordering::Relaxed);
        std::panic::panic_any(42_i32);
    });
    test_once_panic_with(&calls, f, |label, p| {
        if label == "first time" {
            assert_eq!(
                p.downcast_ref::<i32>(),
                Some(&42),
                "{label}: want the original payload"
            );
        }
    });
}

/// Go checks that the first call's stack trace reaches the panic's origin.
/// The Rust counterpart: the first call unwinds with the original payload
/// (a `&'static str` for `panic!("x")`), not a re-made copy.
#[test]
fn test_once_func_panic_traceback() {
    fn once_func_panic() {
        panic!("x");
    }
    let f = once_func(once_func_panic);
    let p = catch_unwind(AssertUnwindSafe(&f)).expect_err("want panic x");
    assert_eq!(p.downcast_ref::<&str>(), Some(&"x"));
}

/// The function passed to `once_func` / `OnceValue` is not kept alive after
/// the first call, whether it returned or panicked (Go checks this with the
/// garbage collector; here the function owns an `Arc` whose count we watch).
#[test]
fn test_once_xgc() {
    type Make = fn(Arc<()>) -> Box<dyn Fn()>;
    let fns: [(&str, Make); 6] = [
        ("OnceFunc", |buf| {
            Box::new(once_func(move || {
                black_box(&buf);
            }))
        }),
        ("OnceValue", |buf| {
            let f = OnceValue::new(move || Arc::strong_count(black_box(&buf)));
            Box::new(move || {
                f.get();
            })
        }),
        ("OnceValues", |buf| {
            let f = OnceValue::new(move || (Arc::strong_count(black_box(&buf)), 0));
            Box::new(move || {
                f.get();
            })
        }),
        ("OnceFunc panic", |buf| {
            Box::new(once_func(move || {
                black_box(&buf);
                panic!("test panic")
            }))
        }),
        ("OnceValue panic", |buf| {
            let f: OnceValue<(), _> = OnceValue::new(move || {
                black_box(&buf);
                panic!("test panic")
            });
            Box::new(move || *f.get())
        }),
        ("OnceValues panic", |buf| {
            let f: OnceValue<((), ()), _> = OnceValue::new(move || {
                black_box(&buf);
                panic!("test panic")
            });
            Box::new(move || f.get().0)
        }),
    ];
    for (name, make_f) in fns {
        let buf = Arc::new(());
        let f = make_f(buf.clone());
        assert_eq!(
            Arc::strong_count(&buf),
            2,
            "{name}: wrapped function dropped too early"
        );
        let _ = recover(&f);
        assert_eq!(
            Arc::strong_count(&buf),
            1,
            "{name}: wrapped function should be dropped, but is still live"
        );
        let _ = recover(&f);
    }
}

// Beyond Go's file: Go assumes the `Once` tests cover parallelism; these
// check it for the wrappers.

/// Goroutines calling the function at once all return after `f` finished,
/// and `f` runs once.
#[test]
fn once_func_concurrent_callers_all_see_f_finished() {
    let finished = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let f = {
        let (finished, calls) = (finished.clone(), calls.clone());
        Arc::new(once_func(move || {
            calls.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_micros(500));
            finished.store(true, Ordering::Relaxed);
        }))
    };
    let saw = make(16);
    for _ in 0..16 {
        go!(f, finished, saw, {
            f();
            saw.send(finished.load(Ordering::Relaxed));
        });
    }
    for _ in 0..16 {
        assert!(saw.recv(), "a caller returned before f finished");
    }
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

/// Every goroutine gets the very same value, computed once.
#[test]
fn once_value_concurrent_callers_share_one_value() {
    let calls = Arc::new(AtomicUsize::new(0));
    let v = {
        let calls = calls.clone();
        Arc::new(OnceValue::new(move || {
            calls.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_micros(500));
            vec![1, 2, 3]
        }))
    };
    let addrs = make(16);
    for _ in 0..16 {
        go!(v, addrs, {
            let got: &Vec<i32> = v.get();
            addrs.send((got.as_ptr() as usize, got.clone()));
        });
    }
    let mine = v.get().as_ptr() as usize;
    for _ in 0..16 {
        assert_eq!(addrs.recv(), (mine, vec![1, 2, 3]));
    }
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

/// After `f` panicked, concurrent later callers all panic with its message.
#[test]
fn once_value_panic_reaches_every_goroutine() {
    let v: Arc<OnceValue<u8, _>> = Arc::new(OnceValue::new(|| panic!("no config")));
    assert_eq!(
        recover(|| {
            v.get();
        })
        .as_deref(),
        Some("no config")
    );
    let msgs = make(8);
    for _ in 0..8 {
        go!(v, msgs, {
            msgs.send(recover(|| {
                v.get();
            }))
        });
    }
    for _ in 0..8 {
        assert_eq!(msgs.recv().as_deref(), Some("no config"));
    }
}

/// A `static` works: `new` is `const` and takes a plain `fn`.
#[test]
fn static_once_value() {
    static GREETING: OnceValue<String> = OnceValue::new(|| "hello".to_owned());
    assert_eq!(GREETING.get(), "hello");
    assert_eq!(GREETING.len(), 5);
}
