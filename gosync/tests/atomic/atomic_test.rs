//! Port of `src/sync/atomic/atomic_test.go`, the typed API (Go 1.19's
//! `atomic.Int32` and friends, and Go 1.23's `And`/`Or`).
//!
//! Ports, for each of `Int32`, `Uint32`, `Int64`, `Uint64`, `Uintptr` (in
//! the module of that name): `TestSwap*Method`, `TestAdd*Method`,
//! `TestCompareAndSwap*Method`, `TestLoad*Method`, `TestStore*Method`,
//! `TestAnd*Method`, `TestOr*Method`; `TestHammer32` and `TestHammer64`
//! (their `...Method` entries: swap, add and compare-and-swap from several
//! goroutines), `TestHammerStoreLoad` (the typed entries),
//! `TestStoreLoadSeqCst32`, `TestStoreLoadSeqCst64`,
//! `TestStoreLoadRelAcq32`, `TestStoreLoadRelAcq64`; and for `Pointer`:
//! `TestSwapPointerMethod`, `TestCompareAndSwapPointerMethod`,
//! `TestLoadPointerMethod`, `TestStorePointerMethod`.
//!
//! Not ported: the function forms (`AddInt32(&x, 1)`; gosync has only the
//! types), `TestNilDeref` and the alignment tests (`TestUnaligned64`,
//! `TestAutoAligned64`: Rust references are never nil or misaligned), the
//! `Uintptr` hammers on 32-bit targets, and the benchmarks (see
//! `benches/atomic.rs`). `Bool` has no method tests in Go's file; the
//! `bool_methods` test here covers it the same way.

use std::sync::atomic::{AtomicI32, AtomicI64, Ordering::Relaxed};
use std::sync::Arc;

use gosync::atomic::{Bool, Int32, Int64, Pointer};
use gosync::runtime::{gomaxprocs, gosched};
use gosync::sync::WaitGroup;

use crate::scaled;

/// The tests of one integer type, as Go's file repeats them per type.
macro_rules! typed_int_tests {
    ($module:ident, $atomic:ident, $t:ty, $u:ty, magic = $magic:expr) => {
        mod $module {
            use std::sync::Arc;

            use gosync::atomic::$atomic;
            use gosync::sync::WaitGroup;

            use crate::scaled;

            const MAGIC: $t = $magic as $t;
            /// Half the width, for the swap hammer's "both halves equal".
            const HALF: u32 = <$t>::BITS / 2;

            /// Go's `x struct { before T; i AtomicT; after T }`: the
            /// operations must not touch the neighbours.
            #[repr(C)]
            struct X {
                before: $t,
                i: $atomic,
                after: $t,
            }

            fn x() -> X {
                X {
                    before: MAGIC,
                    i: $atomic::new(0),
                    after: MAGIC,
                }
            }

            fn check_magic(x: &X) {
                assert!(
                    x.before == MAGIC && x.after == MAGIC,
                    "wrong magic: {:#x} _ {:#x} != {:#x} _ {:#x}",
                    x.before,
                    x.after,
                    MAGIC,
                    MAGIC
                );
            }

            /// Go's `for delta := T(1); delta+delta > delta; delta += delta`.
            fn doublings() -> impl Iterator<Item = $t> {
                std::iter::successors(Some(1 as $t), |d| Some(d.wrapping_add(*d)))
                    .take_while(|d| d.wrapping_add(*d) > *d)
            }

            /// `TestSwap*Method`.
            #[test]
            fn test_swap_method() {
                let x = x();
                let mut j: $t = 0;
                for delta in doublings() {
                    let k = x.i.swap(delta);
                    assert!(
                        x.i.load() == delta && k == j,
                        "delta={delta} i={} j={j} k={k}",
                        x.i.load()
                    );
                    j = delta;
                }
                check_magic(&x);
            }

            /// `TestAdd*Method`: `Add` returns the new value.
            #[test]
            fn test_add_method() {
                let x = x();
                let mut j: $t = 0;
                for delta in doublings() {
                    let k = x.i.add(delta);
                    j = j.wrapping_add(delta);
                    assert!(
                        x.i.load() == j && k == j,
                        "delta={delta} i={} j={j} k={k}",
                        x.i.load()
                    );
                }
                check_magic(&x);
            }

            /// `TestCompareAndSwap*Method`.
            #[test]
            fn test_compare_and_swap_method() {
                let x = x();
                for val in doublings() {
                    x.i.store(val);
                    assert!(
                        x.i.compare_and_swap(val, val + 1),
                        "should have swapped {val:#x} {:#x}",
                        val + 1
                    );
                    assert_eq!(x.i.load(), val + 1, "wrong x.i after swap");
                    x.i.store(val + 1);
                    assert!(
                        !x.i.compare_and_swap(val, val + 2),
                        "should not have swapped {val:#x} {:#x}",
                        val + 2
                    );
                    assert_eq!(x.i.load(), val + 1, "wrong x.i after swap");
                }
                check_magic(&x);
            }

            /// `TestLoad*Method`.
            #[test]
            fn test_load_method() {
                let x = x();
                let mut want: $t = 0;
                for delta in doublings() {
                    let k = x.i.load();
                    assert_eq!(k, want, "delta={delta}");
                    want = want.wrapping_add(delta);
                    x.i.store(want);
                }
                check_magic(&x);
            }

            /// `TestStore*Method`.
            #[test]
            fn test_store_method() {
                let x = x();
                let mut v: $t = 0;
                for delta in doublings() {
                    x.i.store(v);
                    assert_eq!(x.i.load(), v, "delta={delta}");
                    v = v.wrapping_add(delta);
                }
                check_magic(&x);
            }

            /// `TestAnd*Method`: clear one bit at a time from all ones;
            /// `And` returns the old value.
            #[test]
            fn test_and_method() {
                let x = x();
                x.i.store(!0);
                let mut j: $t = !0;
                let mut mask: $t = 1;
                while mask != 0 {
                    let old = x.i.load();
                    let k = x.i.and(!mask);
                    j &= !mask;
                    assert!(
                        x.i.load() == j && k == old,
                        "mask={mask} i={} j={j} k={k} old={old}",
                        x.i.load()
                    );
                    mask <<= 1;
                }
                assert_eq!(x.i.load(), 0);
                check_magic(&x);
            }

            /// `TestOr*Method`: set one bit at a time from zero; `Or`
            /// returns the old value.
            #[test]
            fn test_or_method() {
                let x = x();
                let mut j: $t = 0;
                let mut mask: $t = 1;
                while mask != 0 {
                    let old = x.i.load();
                    let k = x.i.or(mask);
                    j |= mask;
                    assert!(
                        x.i.load() == j && k == old,
                        "mask={mask} i={} j={j} k={k} old={old}",
                        x.i.load()
                    );
                    mask <<= 1;
                }
                assert_eq!(x.i.load(), !0);
                check_magic(&x);
            }

            /// Go's `p` goroutines running `hammer(&val, n)` each.
            fn hammer(f: fn(&$atomic, usize, usize)) -> $t {
                const P: usize = 4;
                let n = scaled(10_000, 100_000);
                let val = Arc::new($atomic::new(0));
                let wg = WaitGroup::new();
                for seed in 0..P {
                    let val = val.clone();
                    wg.go(move || f(&val, seed * 0x9e37, n));
                }
                wg.wait();
                val.load()
            }

            /// `TestHammer32`/`TestHammer64`, `Swap*Method`: every value
            /// swapped in has equal halves, so every value swapped out
            /// must too (a torn swap would mix two).
            #[test]
            fn test_hammer_swap_method() {
                hammer(|addr, seed, count| {
                    for i in 0..count {
                        let s = (seed + i) as $u;
                        let new = (s << HALF) | ((s << HALF) >> HALF);
                        let old = addr.swap(new as $t) as $u;
                        assert!(
                            old >> HALF == (old << HALF) >> HALF,
                            "Swap is not atomic: {old:#x}"
                        );
                    }
                });
            }

            /// `TestHammer32`/`TestHammer64`, `Add*Method`: no add is lost.
            #[test]
            fn test_hammer_add_method() {
                let total = hammer(|addr, _, count| {
                    for _ in 0..count {
                        addr.add(1);
                    }
                });
                assert_eq!(total as usize, 4 * scaled(10_000, 100_000));
            }

            /// `TestHammer32`/`TestHammer64`, `CompareAndSwap*Method`:
            /// increments by load and compare-and-swap; none is lost.
            #[test]
            fn test_hammer_compare_and_swap_method() {
                let total = hammer(|addr, _, count| {
                    for _ in 0..count {
                        loop {
                            let v = addr.load();
                            if addr.compare_and_swap(v, v.wrapping_add(1)) {
                                break;
                            }
                        }
                    }
                });
                assert_eq!(total as usize, 4 * scaled(10_000, 100_000));
            }

            /// `TestHammerStoreLoad`, the typed entries: goroutines load,
            /// check that both halves are equal, and store the next such
            /// value (racing on purpose); a torn load or store would show
            /// as unequal halves.
            #[test]
            fn test_hammer_store_load() {
                let p = 4 * gosync::runtime::gomaxprocs();
                let n = scaled(2_000, 100_000);
                let val = Arc::new($atomic::new(0));
                let wg = WaitGroup::new();
                for _ in 0..p {
                    let val = val.clone();
                    wg.go(move || {
                        for _ in 0..n {
                            let v = val.load() as $u;
                            let lo = v & ((1 << HALF) - 1);
                            let hi = v >> HALF;
                            assert_eq!(lo, hi, "{}: {lo:#x} != {hi:#x}", stringify!($atomic));
                            let mut new = v.wrapping_add(1).wrapping_add(1 << HALF);
                            if lo == 10_000 {
                                new = 0;
                            }
                            val.store(new as $t);
                        }
                    });
                }
                wg.wait();
            }

            #[test]
            fn default_is_zero_and_debug_shows_the_value() {
                let x = $atomic::default();
                assert_eq!(x.load(), 0);
                x.store(7);
                assert_eq!(format!("{x:?}"), "7");
                assert_eq!($atomic::from(3).load(), 3);
            }
        }
    };
}

typed_int_tests!(int32, Int32, i32, u32, magic = 0xdedbeef);
typed_int_tests!(uint32, Uint32, u32, u32, magic = 0xdedbeef);
typed_int_tests!(int64, Int64, i64, u64, magic = 0xdeddeadbeefbeef_u64);
typed_int_tests!(uint64, Uint64, u64, u64, magic = 0xdeddeadbeefbeef_u64);
typed_int_tests!(
    uintptr,
    Uintptr,
    usize,
    usize,
    magic = 0xdeddeadbeefbeef_u64
);

#[test]
fn bool_methods() {
    let b = Bool::default();
    assert!(!b.load());
    b.store(true);
    assert!(b.load());
    assert!(b.swap(false));
    assert!(!b.swap(true));
    assert!(b.compare_and_swap(true, false));
    assert!(!b.load());
    assert!(!b.compare_and_swap(true, false));
    assert!(!b.load());
    assert_eq!(format!("{b:?}"), "false");
}

/// `TestStoreLoadSeqCst32`/`64`: Dekker's test. Each of two threads stores
/// its own counter, then loads the other's; with sequentially consistent
/// operations at least one of them must see the other's latest store.
fn store_load_seq_cst<A: Sync>(new: fn() -> A, store: fn(&A, i64), load: fn(&A) -> i64) {
    let n = scaled(1_000, 10_000) as i64;
    let x = [new(), new()];
    let ack = [[new(), new(), new()], [new(), new(), new()]];
    for row in &ack {
        for a in row {
            store(a, -1);
        }
    }
    std::thread::scope(|s| {
        for me in 0..2 {
            let (x, ack) = (&x, &ack);
            s.spawn(move || {
                let he = 1 - me;
                for i in 1..n {
                    store(&x[me], i);
                    let my = load(&x[he]);
                    store(&ack[me][(i % 3) as usize], my);
                    let mut w = 1u64;
                    while load(&ack[he][(i % 3) as usize]) == -1 {
                        if w % 1000 == 0 {
                            std::thread::yield_now();
                        }
                        w += 1;
                    }
                    let his = load(&ack[he][(i % 3) as usize]);
                    assert!(
                        (my == i || my == i - 1) && (his == i || his == i - 1),
                        "invalid values: {my}/{his} ({i})"
                    );
                    assert!(
                        my == i || his == i,
                        "store/load are not sequentially consistent: {my}/{his} ({i})"
                    );
                    store(&ack[me][((i - 1) % 3) as usize], -1);
                }
            });
        }
    });
}

#[test]
fn test_store_load_seq_cst32() {
    store_load_seq_cst(
        || Int32::new(0),
        |a, v| a.store(v as i32),
        |a| a.load() as i64,
    );
}

#[test]
fn test_store_load_seq_cst64() {
    store_load_seq_cst(|| Int64::new(0), |a, v| a.store(v), |a| a.load());
}

/// `TestStoreLoadRelAcq32`/`64`: message passing. One thread writes two
/// data fields and then stores the signal; the other waits for the signal
/// and must see both fields (the data is read `Relaxed`: only the
/// signal's store/load edge orders it, as only the atomic orders Go's
/// plain fields).
fn store_load_rel_acq<A: Sync>(new: fn() -> A, store: fn(&A, i64), load: fn(&A) -> i64) {
    #[repr(C)]
    struct Data<A> {
        signal: A,
        _pad1: [u8; 128],
        data1: AtomicI64,
        _pad2: [u8; 128],
        data2: AtomicI32, // Go's float32: a second, differently typed field
    }
    let n = scaled(1_000, 10_000) as i64;
    let x = Data {
        signal: new(),
        _pad1: [0; 128],
        data1: AtomicI64::new(0),
        _pad2: [0; 128],
        data2: AtomicI32::new(0),
    };
    std::thread::scope(|s| {
        for p in 0..2 {
            let x = &x;
            s.spawn(move || {
                for i in 1..n {
                    if (i + p) % 2 == 0 {
                        x.data1.store(i, Relaxed);
                        x.data2.store(-(i as i32), Relaxed);
                        store(&x.signal, i);
                    } else {
                        let mut w = 1u64;
                        while load(&x.signal) != i {
                            if w % 1000 == 0 {
                                std::thread::yield_now();
                            }
                            w += 1;
                        }
                        let (d1, d2) = (x.data1.load(Relaxed), x.data2.load(Relaxed));
                        assert!(
                            d1 == i && d2 == -(i as i32),
                            "incorrect data: {d1}/{d2} ({i})"
                        );
                    }
                }
            });
        }
    });
}

#[test]
fn test_store_load_rel_acq32() {
    store_load_rel_acq(
        || Int32::new(0),
        |a, v| a.store(v as i32),
        |a| a.load() as i64,
    );
}

#[test]
fn test_store_load_rel_acq64() {
    store_load_rel_acq(|| Int64::new(0), |a, v| a.store(v), |a| a.load());
}

/// Go's `testPointers()`: ten distinct pointers, one more from the heap,
/// and nil. Here: distinct `Arc`s and `None`.
fn test_pointers() -> Vec<Option<Arc<u8>>> {
    let mut v: Vec<_> = (0..11).map(|i| Some(Arc::new(i as u8))).collect();
    v.push(None);
    v
}

/// Go's `p == q` on pointers: identity, nil equal to nil.
fn same(a: &Option<Arc<u8>>, b: &Option<Arc<u8>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

#[repr(C)]
struct XPointer {
    before: usize,
    i: Pointer<u8>,
    after: usize,
}

const MAGIC_PTR: usize = 0xdeddeadbeefbeef_u64 as usize;

fn x_pointer() -> XPointer {
    XPointer {
        before: MAGIC_PTR,
        i: Pointer::new(),
        after: MAGIC_PTR,
    }
}

fn check_magic_ptr(x: &XPointer) {
    assert!(
        x.before == MAGIC_PTR && x.after == MAGIC_PTR,
        "wrong magic: {:#x} _ {:#x}",
        x.before,
        x.after
    );
}

#[test]
fn test_swap_pointer_method() {
    let x = x_pointer();
    let mut j = None;
    for p in test_pointers() {
        let k = x.i.swap(p.clone());
        assert!(
            same(&x.i.load(), &p) && same(&k, &j),
            "p={p:?} k={k:?} j={j:?}"
        );
        j = p;
    }
    check_magic_ptr(&x);
}

#[test]
fn test_compare_and_swap_pointer_method() {
    let x = x_pointer();
    let q = Some(Arc::new(0xff));
    for p in test_pointers() {
        x.i.store(p.clone());
        assert!(
            x.i.compare_and_swap(&p, q.clone()),
            "should have swapped {p:?} {q:?}"
        );
        assert!(same(&x.i.load(), &q), "wrong x.i after swap");
        assert!(
            !x.i.compare_and_swap(&p, None),
            "should not have swapped {p:?} nil"
        );
        assert!(same(&x.i.load(), &q), "wrong x.i after swap");
    }
    check_magic_ptr(&x);
}

#[test]
fn test_load_pointer_method() {
    let x = x_pointer();
    for p in test_pointers() {
        x.i.store(p.clone());
        let k = x.i.load();
        assert!(same(&k, &p), "p={p:?} k={k:?}");
        let peeked = x.i.peek().map(|v| gosync::atomic::Peek::to_arc(&v));
        assert!(same(&peeked, &p), "p={p:?} peek={peeked:?}");
    }
    check_magic_ptr(&x);
}

#[test]
fn test_store_pointer_method() {
    let x = x_pointer();
    for p in test_pointers() {
        x.i.store(p.clone());
        assert!(same(&x.i.load(), &p), "x.i={:?} p={p:?}", x.i.load());
    }
    check_magic_ptr(&x);
}

/// The Go tour's `AtomicCounter`: 100 goroutines add 1000 each, as Go's
/// hammers do, but with `gosched` between adds so the goroutines
/// interleave on the scheduler's workers.
#[test]
fn counter_from_many_goroutines() {
    static COUNTER: Int64 = Int64::new(0);
    let per = scaled(100, 1_000);
    let wg = WaitGroup::new();
    for _ in 0..100 {
        wg.go(move || {
            for i in 0..per {
                COUNTER.add(1);
                if i % 64 == 0 {
                    gosched();
                }
            }
        });
    }
    wg.wait();
    assert_eq!(COUNTER.load(), 100 * per as i64);
    assert!(gomaxprocs() >= 1);
}
