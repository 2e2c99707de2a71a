//! Port of `src/sync/atomic/value_test.go`.
//!
//! Ports: `TestValue`, `TestValueLarge`, `TestValueConcurrent`,
//! `TestValue_Swap`, `TestValueSwapConcurrent`, `TestValue_CompareAndSwap`,
//! `TestValueCompareAndSwapConcurrent`.
//! Not ported: `TestValuePanic` and the panicking rows of the `Swap` and
//! `CompareAndSwap` tables (a nil or inconsistently typed value cannot be
//! stored in a typed `Value<T>`: it does not compile), and
//! `BenchmarkValueRead` (see `benches/atomic.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gosync::atomic::Value;
use gosync::runtime::{gomaxprocs, gosched};
use gosync::sync::WaitGroup;

use super::go_together;
use crate::go::make;
use crate::scaled;

#[test]
fn test_value() {
    let v = Value::new();
    assert!(v.load().is_none(), "initial Value is not nil");
    v.store(42);
    assert_eq!(v.load().as_deref(), Some(&42), "wrong value");
    v.store(84);
    assert_eq!(v.load().as_deref(), Some(&84), "wrong value");
}

#[test]
fn test_value_large() {
    let v = Value::new();
    v.store(String::from("foo"));
    assert_eq!(v.load().as_deref().map(String::as_str), Some("foo"));
    v.store(String::from("barbaz"));
    assert_eq!(v.load().as_deref().map(String::as_str), Some("barbaz"));
}

/// Goroutines store random values of a fixed set and load; every load
/// must return one of the set (a torn value would not be).
fn value_concurrent<T>(test: &'static [T])
where
    T: PartialEq + std::fmt::Debug + Send + Sync + Clone + 'static,
{
    let p = 4 * gomaxprocs();
    let n = scaled(1_000, 100_000);
    let v = Arc::new(Value::new());
    let done = make::<bool>(p);
    for g in 0..p {
        let (v, done) = (v.clone(), done.clone());
        gosync::go(move || {
            let mut r = (g as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut expected = true;
            for _ in 0..n {
                r ^= r << 13;
                r ^= r >> 7;
                r ^= r << 17;
                v.store(test[(r % test.len() as u64) as usize].clone());
                let x = v.peek();
                let x = x.as_deref().expect("stored just now");
                if !test.contains(x) {
                    eprintln!("loaded unexpected value {x:?}, want {test:?}");
                    expected = false;
                    break;
                }
            }
            done.send(expected);
        });
    }
    for _ in 0..p {
        assert!(done.recv());
    }
}

#[test]
fn test_value_concurrent() {
    value_concurrent(&[0u16, !0, 1 + (2 << 8), 3 + (4 << 8)]);
    value_concurrent(&[0u32, !0, 1 + (2 << 16), 3 + (4 << 16)]);
    value_concurrent(&[0u64, !0, 1 + (2 << 32), 3 + (4 << 32)]);
    value_concurrent(&[(0.0f64, 0.0f64), (1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]);
}

/// `Value_SwapTests`, the rows that do not panic.
#[test]
fn test_value_swap() {
    struct Case {
        init: Option<bool>,
        new: bool,
        want: Option<bool>,
    }
    let cases = [
        Case {
            init: None,
            new: true,
            want: None,
        },
        Case {
            init: Some(true),
            new: false,
            want: Some(true),
        },
    ];
    for (i, tt) in cases.iter().enumerate() {
        let v = Value::new();
        if let Some(init) = tt.init {
            v.store(init);
        }
        assert_eq!(v.swap(tt.new).as_deref(), tt.want.as_ref(), "case {i}");
        assert_eq!(v.load().as_deref(), Some(&tt.new), "case {i}");
    }
}

/// Goroutines swap in disjoint ranges of numbers and add up what they swap
/// out; with the last value, the total is the sum of all of them: no swap
/// lost or repeated a value.
#[test]
fn test_value_swap_concurrent() {
    let (m, n) = (scaled(100, 1_000) as u64, scaled(100, 1_000) as u64);
    let v = Arc::new(Value::new());
    let count = Arc::new(AtomicU64::new(0));
    let g = WaitGroup::new();
    for i in (0..m * n).step_by(n as usize) {
        let (v, count) = (v.clone(), count.clone());
        g.go(move || {
            let mut c = 0;
            for new in i..i + n {
                if let Some(old) = v.swap(new) {
                    c += *old;
                }
            }
            count.fetch_add(c, Ordering::Relaxed);
        });
    }
    g.wait();
    let want = (m * n - 1) * (m * n) / 2;
    let got = count.load(Ordering::Relaxed) + *v.load().unwrap();
    assert_eq!(got, want, "sum from 0 to {}", m * n - 1);
}

/// `Value_CompareAndSwapTests`, the rows that do not panic, and the last
/// one: equal values in different allocations compare equal (by `==`).
#[test]
fn test_value_compare_and_swap() {
    let v = Value::new();
    assert!(!v.compare_and_swap(Some(&true), true), "init nil, old true");
    let v = Value::<bool>::new();
    assert!(v.compare_and_swap(None, true), "init nil, old nil");
    let v = Value::new();
    v.store(true);
    assert!(
        !v.compare_and_swap(Some(&false), true),
        "init true, old false"
    );
    assert!(v.compare_and_swap(Some(&true), true), "init true, old true");

    #[derive(PartialEq)]
    struct S(u32);
    let v = Value::new();
    let heap_a = S(0);
    let heap_b = S(0);
    v.store(heap_a);
    assert!(v.compare_and_swap(Some(&heap_b), S(1)), "heapA vs heapB");
    assert!(v.peek().is_some_and(|s| s.0 == 1));
    assert!(!v.compare_and_swap(None, S(2)), "a stored Value is not nil");
}

/// `m` goroutines each wait for their turn (the value `j`) and advance it
/// to `j + 1`, `n` times each: compare-and-swap by value must neither
/// skip nor repeat a step.
#[test]
fn test_value_compare_and_swap_concurrent() {
    let (m, n) = (scaled(20, 100), scaled(20, 100));
    let v = Arc::new(Value::new());
    v.store(0usize);
    let w = {
        let v = v.clone();
        go_together(m, move |i| {
            let mut j = i;
            while j < m * n {
                if v.compare_and_swap(Some(&j), j + 1) {
                    j += m;
                }
                gosched();
            }
        })
    };
    w.wait();
    let stop = *v.load().unwrap();
    assert_eq!(stop, m * n, "did not get to {}, stopped at {stop}", m * n);
}
