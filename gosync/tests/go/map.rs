//! Port of `src/sync/map_test.go`, with the reference maps of
//! `src/sync/map_reference_test.go`.
//!
//! Ports: `TestMapMatchesRWMutex`, `TestMapMatchesDeepCopy` (the
//! `testing/quick` property tests, on a seeded generator of our own),
//! `TestConcurrentRange`, `TestIssue40999`, `TestMapRangeNestedCall`,
//! `TestCompareAndSwap_NonExistingKey`, `TestMapRangeNoAllocations`,
//! `TestMapDelete`, `TestMapClear`, `TestConcurrentClear`.
//! Not ported: the benchmarks of `map_bench_test.go` (see `benches/map.rs`).
//!
//! Added here: stress tests of goroutines and threads on disjoint and
//! shared keys; checks that every value is dropped exactly once, that keys
//! and values whose `Drop` uses the map do not deadlock it, that panics in
//! user code leave it usable, and that a goroutine may block inside
//! `range`.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Instant;

use gosync::chan::Chan as GoChan;
use gosync::sync::{Map, Mutex, RwMutex, WaitGroup};

use super::{allocs_per_run, make};
use crate::{scaled, PATIENCE};

/// A small seeded generator (xorshift64*), standing in for `math/rand`.
struct Rand(u64);

impl Rand {
    fn new(seed: u64) -> Rand {
        Rand(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Go's `Intn(n)`.
    fn intn(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }
}

/// The methods the property tests call, on `Map` and on the references
/// (Go's `mapInterface`).
#[allow(clippy::ptr_arg)] // `&String` is `Map`'s `&V`
trait MapInterface: Default {
    fn load(&self, k: &str) -> Option<String>;
    fn store(&self, k: String, v: String);
    fn load_or_store(&self, k: String, v: String) -> (String, bool);
    fn load_and_delete(&self, k: &str) -> Option<String>;
    fn delete(&self, k: &str);
    fn swap(&self, k: String, v: String) -> Option<String>;
    fn compare_and_swap(&self, k: &str, old: &String, new: String) -> bool;
    fn compare_and_delete(&self, k: &str, old: &String) -> bool;
    fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool);
    fn clear(&self);
}

impl MapInterface for Map<String, String> {
    fn load(&self, k: &str) -> Option<String> {
        Map::load(self, k)
    }
    fn store(&self, k: String, v: String) {
        Map::store(self, k, v)
    }
    fn load_or_store(&self, k: String, v: String) -> (String, bool) {
        Map::load_or_store(self, k, v)
    }
    fn load_and_delete(&self, k: &str) -> Option<String> {
        Map::load_and_delete(self, k)
    }
    fn delete(&self, k: &str) {
        Map::delete(self, k)
    }
    fn swap(&self, k: String, v: String) -> Option<String> {
        Map::swap(self, k, v)
    }
    fn compare_and_swap(&self, k: &str, old: &String, new: String) -> bool {
        Map::compare_and_swap(self, k, old, new)
    }
    fn compare_and_delete(&self, k: &str, old: &String) -> bool {
        Map::compare_and_delete(self, k, old)
    }
    fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
        Map::range(self, f)
    }
    fn clear(&self) {
        Map::clear(self)
    }
}

/// Go's `RWMutexMap`: a plain map behind an `RWMutex`.
#[derive(Default)]
struct RwMutexMap {
    dirty: RwMutex<HashMap<String, String>>,
}

impl MapInterface for RwMutexMap {
    fn load(&self, k: &str) -> Option<String> {
        self.dirty.rlock().get(k).cloned()
    }
    fn store(&self, k: String, v: String) {
        self.dirty.lock().insert(k, v);
    }
    fn load_or_store(&self, k: String, v: String) -> (String, bool) {
        let mut m = self.dirty.lock();
        match m.get(&k) {
            Some(actual) => (actual.clone(), true),
            None => {
                m.insert(k, v.clone());
                (v, false)
            }
        }
    }
    fn load_and_delete(&self, k: &str) -> Option<String> {
        self.dirty.lock().remove(k)
    }
    fn delete(&self, k: &str) {
        self.dirty.lock().remove(k);
    }
    fn swap(&self, k: String, v: String) -> Option<String> {
        self.dirty.lock().insert(k, v)
    }
    fn compare_and_swap(&self, k: &str, old: &String, new: String) -> bool {
        let mut m = self.dirty.lock();
        match m.get_mut(k) {
            Some(v) if v == old => {
                *v = new;
                true
            }
            _ => false,
        }
    }
    fn compare_and_delete(&self, k: &str, old: &String) -> bool {
        let mut m = self.dirty.lock();
        if m.get(k) == Some(old) {
            m.remove(k);
            true
        } else {
            false
        }
    }
    fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
        for (k, v) in self.dirty.rlock().iter() {
            if !f(k, v) {
                break;
            }
        }
    }
    fn clear(&self) {
        self.dirty.lock().clear();
    }
}

/// Go's `DeepCopyMap`: a `Mutex` for writers and an atomically replaced
/// copy of the whole map for readers, copied on every write.
#[derive(Default)]
struct DeepCopyMap {
    mu: Mutex<()>,
    clean: StdMutex<Arc<HashMap<String, String>>>,
}

impl DeepCopyMap {
    fn clean(&self) -> Arc<HashMap<String, String>> {
        self.clean.lock().unwrap().clone()
    }

    /// Runs `f` on a copy of the map and publishes the copy (the caller
    /// holds `mu`).
    fn write<R>(&self, f: impl FnOnce(&mut HashMap<String, String>) -> R) -> R {
        let mut dirty = HashMap::clone(&self.clean());
        let out = f(&mut dirty);
        *self.clean.lock().unwrap() = Arc::new(dirty);
        out
    }
}

impl MapInterface for DeepCopyMap {
    fn load(&self, k: &str) -> Option<String> {
        self.clean().get(k).cloned()
    }
    fn store(&self, k: String, v: String) {
        let _mu = self.mu.lock();
        self.write(|m| m.insert(k, v));
    }
    fn load_or_store(&self, k: String, v: String) -> (String, bool) {
        if let Some(actual) = self.clean().get(&k) {
            return (actual.clone(), true);
        }
        let _mu = self.mu.lock();
        // Reload clean in case it changed while we were waiting on mu.
        if let Some(actual) = self.clean().get(&k) {
            return (actual.clone(), true);
        }
        self.write(|m| m.insert(k, v.clone()));
        (v, false)
    }
    fn load_and_delete(&self, k: &str) -> Option<String> {
        let _mu = self.mu.lock();
        self.write(|m| m.remove(k))
    }
    fn delete(&self, k: &str) {
        let _mu = self.mu.lock();
        self.write(|m| m.remove(k));
    }
    fn swap(&self, k: String, v: String) -> Option<String> {
        let _mu = self.mu.lock();
        self.write(|m| m.insert(k, v))
    }
    fn compare_and_swap(&self, k: &str, old: &String, new: String) -> bool {
        if self.clean().get(k) != Some(old) {
            return false;
        }
        let _mu = self.mu.lock();
        self.write(|m| match m.get_mut(k) {
            Some(v) if v == old => {
                *v = new;
                true
            }
            _ => false,
        })
    }
    fn compare_and_delete(&self, k: &str, old: &String) -> bool {
        if self.clean().get(k) != Some(old) {
            return false;
        }
        let _mu = self.mu.lock();
        self.write(|m| {
            if m.get(k) == Some(old) {
                m.remove(k);
                true
            } else {
                false
            }
        })
    }
    fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
        for (k, v) in self.clean().iter() {
            if !f(k, v) {
                break;
            }
        }
    }
    fn clear(&self) {
        let _mu = self.mu.lock();
        self.write(HashMap::clear);
    }
}

/// Go's `mapOp`.
#[derive(Clone, Copy, Debug)]
enum MapOp {
    Load,
    Store,
    LoadOrStore,
    LoadAndDelete,
    Delete,
    Swap,
    CompareAndSwap,
    CompareAndDelete,
    Clear,
}

const MAP_OPS: [MapOp; 9] = [
    MapOp::Load,
    MapOp::Store,
    MapOp::LoadOrStore,
    MapOp::LoadAndDelete,
    MapOp::Delete,
    MapOp::Swap,
    MapOp::CompareAndSwap,
    MapOp::CompareAndDelete,
    MapOp::Clear,
];

/// Go's `mapCall`. Go draws the new value of a `CompareAndSwap` at random
/// while applying it (and deletes the key to hide it); drawing it with the
/// call lets both maps get the same one.
#[derive(Clone, Debug)]
struct MapCall {
    op: MapOp,
    k: String,
    v: String,
    new: String,
}

/// Go's `randValue`: up to 3 letters. From 4 letters rather than 26, so
/// that calls meet on the same keys and values often.
fn rand_value(r: &mut Rand) -> String {
    (0..r.intn(4))
        .map(|_| (b'a' + r.intn(4) as u8) as char)
        .collect()
}

/// Go's `mapCall.Generate`.
fn generate(r: &mut Rand) -> MapCall {
    MapCall {
        op: MAP_OPS[r.intn(MAP_OPS.len())],
        k: rand_value(r),
        v: rand_value(r),
        new: rand_value(r),
    }
}

/// Go's `mapResult`.
type MapResult = (Option<String>, bool);

/// Go's `mapCall.apply`.
fn apply(c: &MapCall, m: &impl MapInterface) -> MapResult {
    match c.op {
        MapOp::Load => {
            let v = m.load(&c.k);
            let ok = v.is_some();
            (v, ok)
        }
        MapOp::Store => {
            m.store(c.k.clone(), c.v.clone());
            (None, false)
        }
        MapOp::LoadOrStore => {
            let (v, loaded) = m.load_or_store(c.k.clone(), c.v.clone());
            (Some(v), loaded)
        }
        MapOp::LoadAndDelete => {
            let v = m.load_and_delete(&c.k);
            let ok = v.is_some();
            (v, ok)
        }
        MapOp::Delete => {
            m.delete(&c.k);
            (None, false)
        }
        MapOp::Swap => {
            let v = m.swap(c.k.clone(), c.v.clone());
            let ok = v.is_some();
            (v, ok)
        }
        MapOp::CompareAndSwap => {
            let swapped = m.compare_and_swap(&c.k, &c.v, c.new.clone());
            (swapped.then(|| c.v.clone()), swapped)
        }
        MapOp::CompareAndDelete => {
            let deleted = m.compare_and_delete(&c.k, &c.v) && m.load(&c.k).is_none();
            (None, deleted)
        }
        MapOp::Clear => {
            m.clear();
            (None, false)
        }
    }
}

/// Go's `applyCalls`: the result of every call, then the final contents
/// as `Range` reports them.
fn apply_calls<M: MapInterface>(calls: &[MapCall]) -> (Vec<MapResult>, HashMap<String, String>) {
    let m = M::default();
    let results = calls.iter().map(|c| apply(c, &m)).collect();
    let mut fin = HashMap::new();
    m.range(&mut |k, v| {
        assert!(
            fin.insert(k.clone(), v.clone()).is_none(),
            "Range visited key {k:?} twice"
        );
        true
    });
    (results, fin)
}

/// Go's `quick.CheckEqual(applyMap, applyX, nil)`: random call sequences
/// give the same results on both maps.
fn check_equal<M: MapInterface>(seed: u64) {
    let mut r = Rand::new(seed);
    for _ in 0..scaled(300, 3_000) {
        let calls: Vec<MapCall> = (0..r.intn(64)).map(|_| generate(&mut r)).collect();
        let got = apply_calls::<Map<String, String>>(&calls);
        let want = apply_calls::<M>(&calls);
        assert_eq!(got, want, "calls: {calls:?}");
    }
}

#[test]
fn test_map_matches_rw_mutex() {
    check_equal::<RwMutexMap>(1);
}

#[test]
fn test_map_matches_deep_copy() {
    check_equal::<DeepCopyMap>(2);
}

#[test]
fn test_concurrent_range() {
    const MAP_SIZE: i64 = 1 << 10;

    let m = Arc::new(Map::new());
    for n in 1..=MAP_SIZE {
        m.store(n, n);
    }

    let done = Arc::new(AtomicBool::new(false));
    let wg = WaitGroup::new();
    for g in (1..=gosync::runtime::gomaxprocs() as i64).rev() {
        let (m, done) = (m.clone(), done.clone());
        wg.go(move || {
            let mut r = Rand::new(g as u64);
            let mut i = 0i64;
            while !done.load(Ordering::Relaxed) {
                for n in 1..MAP_SIZE {
                    if r.intn(MAP_SIZE as usize) == 0 {
                        m.store(n, n.wrapping_mul(i).wrapping_mul(g));
                    } else {
                        m.load(&n);
                    }
                }
                i += 1;
                // Go's `select` on `done` with a default; goroutines are
                // not preempted here, so let the others run.
                gosync::runtime::gosched();
            }
        });
    }

    for _ in 0..scaled(16, 1 << 10) {
        let mut seen = HashMap::with_capacity(MAP_SIZE as usize);
        m.range(|&k, &v| {
            assert!(
                v.wrapping_rem(k) == 0,
                "while Storing multiples of {k}, Range saw value {v}"
            );
            assert!(
                seen.insert(k, true).is_none(),
                "Range visited key {k} twice"
            );
            true
        });
        assert_eq!(
            seen.len(),
            MAP_SIZE as usize,
            "Range visited {} elements of {MAP_SIZE}-element Map",
            seen.len()
        );
    }
    done.store(true, Ordering::Relaxed);
    wg.wait();
}

/// Counts the drops of a key or value.
#[derive(Debug)]
struct Counted {
    id: u64,
    drops: Arc<AtomicUsize>,
}

impl PartialEq for Counted {
    fn eq(&self, other: &Counted) -> bool {
        self.id == other.id
    }
}
impl Eq for Counted {}
impl std::hash::Hash for Counted {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// Lets the epoch free what was retired: flushes this thread's deferred
/// drops and collects, until `done` or [`PATIENCE`] runs out.
fn collect_until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < PATIENCE,
            "{what}: not freed in {PATIENCE:?}"
        );
        crossbeam_epoch::pin().flush();
        std::thread::yield_now();
    }
}

/// Go stores and deletes fresh pointer keys until a finalizer shows that a
/// deleted key was collected: deleting keys must not leak them. Here every
/// deleted key must be dropped, once the epoch lets it go.
#[test]
fn test_issue_40999() {
    let drops = Arc::new(AtomicUsize::new(0));
    let probes = Arc::new(AtomicUsize::new(0));
    let key = |id, drops: &Arc<AtomicUsize>| Counted {
        id,
        drops: drops.clone(),
    };
    let m = Map::new();
    // Since the miss-counting in miss_locked (via delete) compares the miss
    // count with the dirty table's size, add an initial entry to bias the
    // size above the miss count.
    m.store(key(0, &drops), ());
    let n = scaled(1_000, 10_000);
    for id in 1..=n as u64 {
        m.store(key(id, &drops), ());
        m.delete(&key(id, &probes));
    }
    collect_until("deleted keys", || drops.load(Ordering::Relaxed) == n);
    assert_eq!(m.load(&key(0, &probes)), Some(()));
}

#[test]
fn test_map_range_nested_call() {
    // Issue 46399
    let m = Map::new();
    for (i, v) in ["hello", "world", "Go"].into_iter().enumerate() {
        m.store(i, v.to_owned());
    }
    m.range(|key, _value| {
        m.range(|key, value| {
            // We should be able to load the key offered in the range
            // callback, because there are no concurrent deletes involved
            // in this tested map.
            let v = m.load(key);
            assert_eq!(
                v.as_ref(),
                Some(value),
                "Nested Range loads unexpected value, got {v:?} want {value:?}"
            );

            // We didn't keep 42 and a value into the map before, if somehow
            // we loaded a value from such a key, meaning there must be an
            // internal bug regarding nested range in the Map.
            let (_, loaded) = m.load_or_store(42, "dummy".to_owned());
            assert!(
                !loaded,
                "Nested Range loads unexpected value, want store a new value"
            );

            // Try to store then load_and_delete the corresponding value with
            // the key 42 to the Map. In this case, the key 42 and
            // associated value should be removed from the Map. Therefore
            // any future range won't observe key 42 as we checked in above.
            let val = "sync.Map".to_owned();
            m.store(42, val.clone());
            let v = m.load_and_delete(&42);
            assert_eq!(
                v.as_ref(),
                Some(&val),
                "Nested Range loads unexpected value, got {v:?}, want {val:?}"
            );
            true
        });

        // Remove key from the Map on-the-fly.
        m.delete(key);
        true
    });

    // After a range of deletes, all keys should be removed and any further
    // range won't invoke the callback. Hence length remains 0.
    let mut length = 0;
    m.range(|_, _| {
        length += 1;
        true
    });
    assert_eq!(length, 0, "Unexpected sync.Map size, got {length} want 0");
}

#[test]
fn test_compare_and_swap_non_existing_key() {
    // Go compares with nil; `None` is our nil.
    let m: Map<&str, Option<i32>> = Map::new();
    assert!(
        !m.compare_and_swap("m", &None, Some(42)),
        "CompareAndSwap on a non-existing key succeeded"
    );
    assert!(!m.compare_and_delete("m", &None));
    assert_eq!(m.load("m"), None);
}

/// `range`'s own allocations per call. The fewest over a few tries: a
/// pinning of the epoch now and then runs drops that other threads
/// deferred (values their maps replaced), and those may allocate.
fn range_allocs(m: &Map<u64, u64>) -> f64 {
    (0..5)
        .map(|_| allocs_per_run(10, || m.range(|_, _| true)))
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn test_map_range_no_allocations() {
    // Issue 62404
    let m: Map<u64, u64> = Map::new();
    let allocs = range_allocs(&m);
    assert_eq!(allocs, 0.0, "AllocsPerRun of m.range = {allocs}; want 0");

    // Also over keys, once the dirty table has become the snapshot.
    for i in 0..100 {
        m.store(i, i);
    }
    let allocs = range_allocs(&m);
    assert_eq!(allocs, 0.0, "AllocsPerRun of m.range = {allocs}; want 0");
}

#[test]
fn test_map_delete() {
    let m = Map::new();
    let (k, val) = ("go", 1.22);
    m.store(k, val);
    let v = m.load(k);
    assert_eq!(v, Some(val), "Store failed to store- {k}:{val}");
    m.delete(k);
    let v = m.load(k);
    assert_eq!(v, None, "Delete: failed {k}:{v:?}");
}

#[test]
fn test_map_clear() {
    let m = Map::new();
    let (key, val) = ("go", 1.21);
    m.store(key, val);
    let v = m.load(key);
    assert_eq!(v, Some(val), "Store failed to store- {key}:{val}");

    m.clear();
    let v = m.load(key);
    assert_eq!(v, None, "Clear: failed {key}:{v:?}");

    m.store(key, val);
    let v = m.load(key);
    assert_eq!(v, Some(val), "Store: failed after clear {key}:{v:?}");
}

/// Go's test launches 30 goroutines in three groups: the first stores,
/// the second loads, the third clears; after all have finished and one
/// more clear, the map must be empty.
#[test]
fn test_concurrent_clear() {
    let m = Arc::new(Map::new());
    let wg = WaitGroup::new();
    // Writing data to the map concurrently.
    for i in 0..10 {
        let m = m.clone();
        wg.go(move || m.store(i, i * 10));
    }
    // Reading data from the map concurrently: a key holds its own value or
    // none. (The load comes before the std lock: a goroutine must not block
    // on the map while holding a lock that parks its worker thread.)
    let seen = Arc::new(StdMutex::new(Vec::new()));
    for i in 0..10 {
        let (m, seen) = (m.clone(), seen.clone());
        wg.go(move || {
            let v = m.load(&i);
            seen.lock().unwrap().push((i, v));
        });
    }
    // Clearing data from the map concurrently.
    for _ in 0..10 {
        let m = m.clone();
        wg.go(move || m.clear());
    }
    wg.wait();
    for (k, v) in seen.lock().unwrap().iter() {
        assert!(v.is_none() || *v == Some(k * 10), "Key: {k}, Value: {v:?}");
    }

    m.clear();
    m.range(|k, v| panic!("after Clear, Range yielded ({k}, {v}); want no calls"));
}

/// Goroutines and threads together, each storing, overwriting and swapping
/// its own keys while all of them count on shared keys with
/// compare-and-swap: every store is observed and no increment is lost.
#[test]
fn stress_disjoint_and_shared_keys() {
    const SHARED: u64 = 4;
    let goroutines = 8;
    let threads = 2;
    let keys = scaled(200, 2_000) as u64;
    let m: Arc<Map<(u64, u64), u64>> = Arc::new(Map::new());

    let worker = |m: Arc<Map<(u64, u64), u64>>, w: u64| {
        move || {
            for i in 0..keys {
                // Own keys: nobody else writes them, so each of our reads
                // sees our last write.
                let k = (w + 1, i);
                assert_eq!(m.load_or_store(k, i), (i, false));
                assert_eq!(m.swap(k, i + 1), Some(i));
                assert!(m.compare_and_swap(&k, &(i + 1), i + 2));
                assert_eq!(m.load(&k), Some(i + 2));
                if i % 3 == 0 {
                    assert_eq!(m.load_and_delete(&k), Some(i + 2));
                    assert_eq!(m.load(&k), None);
                    m.store(k, i + 2);
                }
                // Shared keys: a lost update would leave the sum short.
                let s = (0, i % SHARED);
                loop {
                    let (old, _) = m.load_or_store(s, 0);
                    if m.compare_and_swap(&s, &old, old + 1) {
                        break;
                    }
                }
                if i % 64 == 0 {
                    gosync::runtime::gosched();
                }
            }
        }
    };

    let wg = WaitGroup::new();
    for w in 0..goroutines {
        wg.go(worker(m.clone(), w));
    }
    let handles: Vec<_> = (goroutines..goroutines + threads)
        .map(|w| std::thread::spawn(worker(m.clone(), w)))
        .collect();
    wg.wait();
    for h in handles {
        h.join().expect("worker thread panicked");
    }

    let workers = goroutines + threads;
    let mut own = 0;
    let mut shared_sum = 0;
    m.range(|&(w, i), &v| {
        if w == 0 {
            shared_sum += v;
        } else {
            assert_eq!(v, i + 2, "key ({w}, {i}) lost its last store");
            own += 1;
        }
        true
    });
    assert_eq!(own, workers * keys, "own keys lost");
    assert_eq!(shared_sum, workers * keys, "shared increments lost");
}

/// Every operation at once on a few shared keys, so that deletes, expunges,
/// promotions, clears and lock-free updates race: each value seen belongs
/// to its key (values are `key * 1_000_000 + n`), and `range` never
/// repeats a key.
#[test]
fn stress_every_operation_on_shared_keys() {
    const KEYS: u64 = 16;
    let m: Arc<Map<u64, u64>> = Arc::new(Map::new());
    let ops = scaled(2_000, 50_000);
    let check = |k: u64, v: Option<u64>| {
        if let Some(v) = v {
            assert_eq!(v / 1_000_000, k, "key {k} holds another key's value {v}");
        }
    };
    let worker = move |m: Arc<Map<u64, u64>>, w: u64| {
        move || {
            let mut r = Rand::new(w + 100);
            for n in 0..ops as u64 {
                let k = r.intn(KEYS as usize) as u64;
                let v = k * 1_000_000 + n;
                match r.intn(12) {
                    0 => m.store(k, v),
                    1 => check(k, m.load(&k)),
                    2 => check(k, Some(m.load_or_store(k, v).0)),
                    3 => check(k, m.load_and_delete(&k)),
                    4 => m.delete(&k),
                    5 => check(k, m.swap(k, v)),
                    6 => {
                        if let Some(old) = m.load(&k) {
                            m.compare_and_swap(&k, &old, v);
                        }
                    }
                    7 => {
                        if let Some(old) = m.load(&k) {
                            m.compare_and_delete(&k, &old);
                        }
                    }
                    8 if n % 64 == 0 => m.clear(),
                    9 => {
                        let mut seen = [false; KEYS as usize];
                        m.range(|&k, &v| {
                            check(k, Some(v));
                            assert!(!seen[k as usize], "range visited key {k} twice");
                            seen[k as usize] = true;
                            true
                        });
                    }
                    _ => check(k, m.load(&k)),
                }
                if n % 128 == 0 {
                    gosync::runtime::gosched();
                }
            }
        }
    };
    let wg = WaitGroup::new();
    for w in 0..4 {
        wg.go(worker(m.clone(), w));
    }
    let handles: Vec<_> = (4..6)
        .map(|w| std::thread::spawn(worker(m.clone(), w)))
        .collect();
    wg.wait();
    for h in handles {
        h.join().expect("worker thread panicked");
    }
    m.range(|&k, &v| {
        check(k, Some(v));
        true
    });
}

/// A value that records its drops by id, so that a double drop shows. A
/// clone gets an id of its own and equals its original.
struct Tracked {
    id: u64,
    value: u64,
    log: Arc<DropLog>,
}

#[derive(Default)]
struct DropLog {
    next: AtomicU64,
    drops: StdMutex<HashMap<u64, usize>>,
}

impl DropLog {
    fn make(self: &Arc<Self>) -> Tracked {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        Tracked {
            id,
            value: id,
            log: self.clone(),
        }
    }

    fn made(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    fn dropped(&self) -> usize {
        self.drops.lock().unwrap().len()
    }

    fn is_dropped(&self, id: u64) -> bool {
        self.drops.lock().unwrap().contains_key(&id)
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Tracked {
        let mut copy = self.log.make();
        copy.value = self.value;
        copy
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Tracked) -> bool {
        self.value == other.value
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut drops = self.log.drops.lock().unwrap();
        let n = drops.entry(self.id).or_default();
        *n += 1;
        assert_eq!(*n, 1, "value {} dropped twice", self.id);
    }
}

/// Every value (stored, replaced, deleted, cleared, cloned out, or still in
/// the map when it drops) is dropped exactly once; the ones still in the
/// map are dropped with it, at once.
#[test]
fn values_are_dropped_exactly_once() {
    let log = Arc::new(DropLog::default());
    let m = Map::new();
    for round in 0..scaled(20, 100) {
        for k in 0..20 {
            m.store(k, log.make());
        }
        for k in 0..20 {
            match k % 5 {
                0 => m.store(k, log.make()),
                1 => drop(m.swap(k, log.make())),
                2 => drop(m.load_and_delete(&k)),
                3 => m.delete(&k),
                _ => drop(m.load(&k)),
            }
        }
        let (v, _) = m.load_or_store(100 + round, log.make());
        if let Some(old) = m.load(&(100 + round)) {
            assert!(m.compare_and_swap(&(100 + round), &old, log.make()));
            drop(old);
        }
        drop(v);
        if round % 7 == 6 {
            m.clear();
        }
    }
    let mut live = Vec::new();
    m.range(|_, v| {
        live.push(v.id);
        true
    });
    assert!(!live.is_empty());
    drop(m);
    for id in live {
        assert!(log.is_dropped(id), "value {id} outlived its map");
    }
    collect_until("replaced values", || log.dropped() as u64 == log.made());
    assert_eq!(log.dropped() as u64, log.made());
}

#[test]
fn debug_lists_the_entries() {
    let m = Map::new();
    assert_eq!(format!("{m:?}"), "{}");
    m.store("k", 1);
    assert_eq!(format!("{m:?}"), r#"{"k": 1}"#);
}

#[test]
fn map_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Map<String, Vec<u8>>>();
    static M: Map<u64, &str> = Map::new();
    M.store(1, "static");
    assert_eq!(M.load(&1), Some("static"));
}

/// Runs `f` on a thread of its own, resuming its panic; fails the test if
/// `f` has not returned within [`PATIENCE`] (a deadlock), without hanging.
fn finishes(what: &str, f: impl FnOnce() + Send + 'static) {
    let done = GoChan::new(1);
    let d = done.clone();
    std::thread::spawn(move || d.send(panic::catch_unwind(AssertUnwindSafe(f))));
    match done.recv_timeout(PATIENCE) {
        Ok(Ok(())) => {}
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(e) => panic!("{what}: deadlock, no return in {PATIENCE:?} ({e})"),
    }
}

/// A map whose keys and values may use it when dropped, and a count of
/// the drops that did.
struct Registry {
    map: Map<Reentrant, Reentrant>,
    uses: AtomicUsize,
}

impl Registry {
    const fn new() -> Registry {
        Registry {
            map: Map::new(),
            uses: AtomicUsize::new(0),
        }
    }

    fn uses(&self) -> usize {
        self.uses.load(Ordering::Relaxed)
    }
}

/// A key or value whose drop stores into its map, as a handle that
/// deregisters itself from a registry does. Equal and hashed by `id`.
struct Reentrant {
    id: u64,
    registry: Option<&'static Registry>,
}

impl Reentrant {
    /// One that uses `registry` when dropped.
    fn new(id: u64, registry: &'static Registry) -> Reentrant {
        Reentrant {
            id,
            registry: Some(registry),
        }
    }

    /// One that does nothing when dropped.
    fn inert(id: u64) -> Reentrant {
        Reentrant { id, registry: None }
    }
}

impl Clone for Reentrant {
    fn clone(&self) -> Reentrant {
        Reentrant {
            id: self.id,
            registry: self.registry,
        }
    }
}

impl PartialEq for Reentrant {
    fn eq(&self, other: &Reentrant) -> bool {
        self.id == other.id
    }
}
impl Eq for Reentrant {}
impl std::hash::Hash for Reentrant {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h)
    }
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        if let Some(r) = self.registry {
            r.map
                .store(Reentrant::inert(1_000_000 + self.id), Reentrant::inert(0));
            r.uses.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `clear` drops the entries only the dirty table held, keys and values:
/// not while it holds the map's lock, which their drops take.
#[test]
fn clear_drops_what_it_removes_outside_the_lock() {
    static R: Registry = Registry::new();
    finishes("clear", || {
        R.map.store(Reentrant::new(1, &R), Reentrant::new(2, &R));
        R.map.clear();
        assert_eq!(R.uses(), 2);
    });
}

/// `load_or_store` of a key the dirty table holds drops the value it did
/// not store, and `compare_and_swap` the one it did not swap in, after
/// letting go of the map's lock.
#[test]
fn unstored_values_are_dropped_outside_the_lock() {
    static R: Registry = Registry::new();
    finishes("load_or_store and compare_and_swap", || {
        R.map.store(Reentrant::inert(1), Reentrant::inert(1));
        let (v, loaded) = R
            .map
            .load_or_store(Reentrant::inert(1), Reentrant::new(3, &R));
        assert!(loaded && v.id == 1);
        assert_eq!(R.uses(), 1);
        assert!(!R.map.compare_and_swap(
            &Reentrant::inert(1),
            &Reentrant::inert(9),
            Reentrant::new(4, &R)
        ));
        assert_eq!(R.uses(), 2);
    });
}

/// `delete` and `load_and_delete` of a key only the dirty table holds take
/// its entry out of the table: once the epoch has dropped the entry's first
/// value, the table's is the entry's last reference, and the key is dropped
/// with it, after letting go of the map's lock.
#[test]
fn deleted_keys_are_dropped_outside_the_lock() {
    static R: Registry = Registry::new();
    finishes("delete and load_and_delete", || {
        // Enough keys that the lookups below do not promote the dirty table.
        for id in 0..100 {
            R.map
                .store(Reentrant::inert(2_000_000 + id), Reentrant::inert(id));
        }
        R.map.store(Reentrant::new(5, &R), Reentrant::new(6, &R));
        R.map.store(Reentrant::new(7, &R), Reentrant::new(8, &R));
        // Deleted, but kept in the dirty table.
        assert!(R
            .map
            .compare_and_delete(&Reentrant::inert(5), &Reentrant::inert(6)));
        assert!(R
            .map
            .compare_and_delete(&Reentrant::inert(7), &Reentrant::inert(8)));
        collect_until("the deleted values", || R.uses() == 2);
        R.map.delete(&Reentrant::inert(5));
        assert!(R.map.load_and_delete(&Reentrant::inert(7)).is_none());
        // Dropped here, or by the epoch if it still had a reference.
        collect_until("the deleted keys", || R.uses() == 4);
    });
}

/// The epoch runs deferred drops (of any map's replaced values) when a
/// thread pins it, every so many pins: a map must not pin it while it
/// holds its lock. Each round pins three times (a new key: once without the
/// lock and once with it; a replacement: once), so the pins that collect
/// fall on every kind in turn, the locked one included.
#[test]
fn deferred_drops_run_outside_the_lock() {
    static R: Registry = Registry::new();
    let rounds = scaled(3_000, 30_000);
    finishes("deferred drops", move || {
        R.map.store(Reentrant::inert(0), Reentrant::inert(0));
        R.map.range(|_, _| true); // key 0 is in the snapshot: replaced lock-free
        for id in 1..=rounds as u64 {
            R.map
                .store(Reentrant::inert(3_000_000 + id), Reentrant::inert(id));
            R.map.store(Reentrant::inert(0), Reentrant::new(id, &R));
        }
    });
    // Every value replaced was dropped, and used the map.
    collect_until("the replaced values", || R.uses() == rounds - 1);
}

/// A panic in `range`'s callback unwinds through `range`: the epoch pin it
/// held ends (values replaced afterwards are still freed) and the map stays
/// usable. So does a `Clone` or `Hash` that panics while the map's lock is
/// held (a key only the dirty table has).
#[test]
fn panics_in_user_code_leave_the_map_usable() {
    /// A value whose clone panics when asked to; hashed as its `u64`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Touchy(u64);
    impl Clone for Touchy {
        fn clone(&self) -> Touchy {
            assert!(self.0 != 13, "clone of 13");
            Touchy(self.0)
        }
    }
    /// A key whose hash panics when asked to.
    #[derive(Debug, PartialEq, Eq)]
    struct Unhashable(u64);
    impl std::hash::Hash for Unhashable {
        fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
            assert!(self.0 != 13, "hash of 13");
            self.0.hash(h)
        }
    }

    finishes("panics in user code", || {
        let log = Arc::new(DropLog::default());
        let m = Map::new();
        for k in 0..4 {
            m.store(k, log.make());
        }
        let msg = crate::recover(|| m.range(|_, _| panic!("callback")));
        assert_eq!(msg.as_deref(), Some("callback"));
        for k in 0..4 {
            m.store(k, log.make());
        }
        // The four values replaced after the panic are freed.
        collect_until("values replaced after the panic", || log.dropped() == 4);

        let m = Map::new();
        m.store(13, Touchy(13)); // only in the dirty table: loaded under the lock
        let msg = crate::recover(|| {
            m.load(&13);
        });
        assert_eq!(msg.as_deref(), Some("clone of 13"));
        m.store(1, Touchy(1));
        assert_eq!(m.load(&1), Some(Touchy(1)));
        assert!(m.compare_and_swap(&13, &Touchy(13), Touchy(14)));

        let m = Map::new(); // no snapshot yet: a new key is hashed under the lock
        let msg = crate::recover(|| m.store(Unhashable(13), 0));
        assert_eq!(msg.as_deref(), Some("hash of 13"));
        m.store(Unhashable(1), 1);
        assert_eq!(m.load(&Unhashable(1)), Some(1));
    });
}

/// A goroutine that blocks inside `range`'s callback holds an epoch pin of
/// its worker thread, which the other goroutines of that thread share while
/// they run: what it is looking at stays alive however they replace,
/// delete and clear it, and is freed once the callback has returned.
#[test]
fn a_goroutine_may_block_inside_range() {
    let log = Arc::new(DropLog::default());
    let m = Arc::new(Map::new());
    m.store(0u64, log.make());
    let (entered, resume, seen) = (make::<u64>(0), make::<()>(0), make::<bool>(1));
    let held = gosync::run(|| {
        {
            let (m, log, entered, resume, seen) = (
                m.clone(),
                log.clone(),
                entered.clone(),
                resume.clone(),
                seen.clone(),
            );
            gosync::go(move || {
                m.range(|_, v| {
                    entered.send(v.id);
                    resume.recv();
                    seen.send(v.value == v.id && !log.is_dropped(v.id));
                    false
                });
            });
        }
        let held = entered.recv();
        let wg = WaitGroup::new();
        for _ in 0..2 * gosync::runtime::gomaxprocs() {
            let (m, log) = (m.clone(), log.clone());
            wg.go(move || {
                for _ in 0..scaled(50, 500) {
                    m.store(0, log.make());
                    m.delete(&0);
                    m.store(1, log.make());
                    m.clear();
                    crossbeam_epoch::pin().flush();
                    gosync::runtime::gosched();
                }
            });
        }
        wg.wait();
        assert!(
            !log.is_dropped(held),
            "freed while range's callback held it"
        );
        resume.send(());
        assert!(seen.recv(), "range's callback saw its value change or go");
        held
    });
    collect_until("the value range held", || log.is_dropped(held));
}
