//! `sync.Pool`: per-thread caches of reusable objects.
//!
//! The layout is Go's (`src/sync/pool.go`, `poolqueue.go`), with a thread
//! in place of Go's P: each thread that uses a pool has a [`Local`] cache of
//! its own, a one-object `private` slot that only it touches and a bounded
//! lock-free [`Deque`] that it pushes and pops at the head and that other
//! threads steal from at the tail. Goroutines never change thread once
//! started, so a goroutine uses its worker's cache, as a Go goroutine uses
//! its P's.
//!
//! The deque's memory orderings are model-checked with loom (`loom_tests`
//! at the end: `RUSTFLAGS="--cfg loom" cargo test -p gosync --lib --release
//! loom`), which fails if any of its Acquire/Release pairs is weakened.

use std::cell::UnsafeCell;
use std::fmt;
use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;
use thread_local::ThreadLocal;

use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::rt::hb;

/// How many objects a thread's deque holds; with its private slot, a
/// thread caches at most `DEQUE_CAP + 1` objects of a pool.
const DEQUE_CAP: usize = 64;

/// A set of temporary objects that may be saved and retrieved individually,
/// as Go's `sync.Pool`: a cache of allocated but unused values for later
/// reuse, relieving pressure on the allocator.
///
/// [`get`](Self::get) hands out a cached object, or a new one from the
/// function given to [`new`](Self::new) when the pool has none to give;
/// [`put`](Self::put) gives one back. A pool is safe to use from many
/// goroutines and threads at once. Any object in the pool may be dropped at
/// any time without notice (Go's pool gives no guarantee either): never rely
/// on getting back what was put, only on getting a `T`. Objects put on one
/// thread may be got on another, hence `T: Send`.
///
/// Each thread keeps its own cache (a goroutine uses the cache of the
/// worker thread it runs on), so `get` and `put` take no lock and touch no
/// memory that other threads write, unless the thread's cache is empty and
/// it steals from another's.
///
/// # Memory bound
///
/// A thread caches at most 65 objects of a pool: one in a private slot and
/// 64 in a deque that other threads may steal from. A `put` that finds its
/// thread's cache full drops the object at once. A pool keeps one such
/// cache per thread id that has used it; ids are recycled, smallest first,
/// so there are never more of them than the most threads the process had
/// alive at once (goroutines use their `GOMAXPROCS` workers' caches). A
/// thread's cache outlives the thread, its deque still open to stealing,
/// and passes to the next thread given the same id, so short-lived threads
/// do not add up. Dropping the pool drops every object it holds, whichever
/// thread cached it.
///
/// # Examples
///
/// Reuse 4 KiB buffers, as Go's `bytes.Buffer` pool does:
///
/// ```
/// use gosync::sync::Pool;
///
/// static BUFFERS: Pool<Vec<u8>> = Pool::new(|| Vec::with_capacity(4096));
///
/// fn log(line: &str) -> usize {
///     let mut buf = BUFFERS.get();
///     buf.clear();
///     buf.extend_from_slice(line.as_bytes());
///     buf.push(b'\n');
///     let n = buf.len(); // ... write `buf` somewhere ...
///     BUFFERS.put(buf);
///     n
/// }
///
/// assert_eq!(log("hello"), 6);
/// assert!(BUFFERS.get().capacity() >= 4096);
/// ```
///
/// A pool whose function captures state names its type with a second
/// parameter, or boxes the function:
///
/// ```
/// use gosync::sync::Pool;
///
/// let size = 512;
/// let pool: Pool<Vec<u8>, Box<dyn Fn() -> Vec<u8> + Send + Sync>> =
///     Pool::new(Box::new(move || vec![0; size]));
/// assert_eq!(pool.get().len(), 512);
/// ```
///
/// # Differences from Go
///
/// - There is no garbage collector to empty the pool, and so no victim
///   cache (in Go it softens the loss of every cached object at each GC).
///   The [memory bound](#memory-bound) takes the GC's place: a pool never
///   holds more than its bound, and what it holds lives until it is got or
///   the pool is dropped (a `static` pool's, until the process exits).
/// - `new` takes the function Go keeps in `Pool.New`, and `get` always
///   returns a `T`: there is no pool without one and no `nil` result. For
///   Go's behaviour, pool `Option<T>` with `|| None`. A `Default` pool uses
///   `T::default` as its function.
/// - The caches are per thread rather than per P. Plain threads each get
///   one; goroutines share their worker's.
/// - For the race detector, `put` happens before every later `get` that
///   takes an object from the pool (the edge is keyed by the pool, as
///   objects are moved by value), where Go keys it by a hash of the
///   object's address; and objects are not dropped at random under `race`.
pub struct Pool<T: Send, F = fn() -> T> {
    /// Each thread's cache, padded so that threads' private slots never
    /// share a cache line.
    locals: ThreadLocal<CachePadded<Local<T>>>,
    /// Makes an object when the pool has none (Go's `New`).
    make: F,
}

impl<T: Send, F: Fn() -> T> Pool<T, F> {
    /// Creates an empty pool; `get` calls `make` when it finds no object.
    ///
    /// `new` is `const`, so a pool can be a `static` (Go's package-level
    /// `var bufPool = sync.Pool{New: ...}`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = gosync::sync::Pool::new(|| String::with_capacity(64));
    /// let s = pool.get();
    /// assert!(s.capacity() >= 64);
    /// pool.put(s);
    /// ```
    pub const fn new(make: F) -> Pool<T, F> {
        Pool {
            locals: ThreadLocal::new(),
            make,
        }
    }

    /// Takes an object from the pool, or makes one with the pool's function
    /// if the pool has none to give.
    ///
    /// A thread takes from its own cache first (its private slot, then its
    /// deque, newest first); if that is empty it steals the oldest object
    /// of another thread's deque; only then does it call the function.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::sync::Pool;
    ///
    /// let pool = Pool::new(|| 0);
    /// assert_eq!(pool.get(), 0); // made
    /// pool.put(7);
    /// assert_eq!(pool.get(), 7); // reused
    /// ```
    ///
    /// # Panics
    ///
    /// If the pool's function panics, `get` panics with it; the pool is
    /// unchanged.
    #[inline]
    pub fn get(&self) -> T {
        if let Some(local) = self.locals.get() {
            // SAFETY: `locals.get` returned the calling thread's own cache.
            if let Some(x) = unsafe { local.pop() } {
                // `put` happens before the `get` that returns its object.
                hb::acquire(self);
                return x;
            }
        }
        self.get_slow()
    }

    /// Steals from other threads' deques, or makes a new object.
    #[cold]
    fn get_slow(&self) -> T {
        let own = self
            .locals
            .get()
            .map_or(std::ptr::null(), |l| l as *const CachePadded<Local<T>>);
        for local in self.locals.iter() {
            if std::ptr::eq(local, own) {
                continue;
            }
            if let Some(x) = local.shared.pop_tail() {
                hb::acquire(self);
                return x;
            }
        }
        (self.make)()
    }

    /// Adds `x` to the pool, for a later `get` (on any thread) to reuse.
    ///
    /// The object goes to the calling thread's cache; if that cache is full
    /// (see the [memory bound](Pool#memory-bound)), `x` is dropped instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = gosync::sync::Pool::new(Vec::<u8>::new);
    /// let mut buf = pool.get();
    /// buf.extend_from_slice(b"scratch");
    /// buf.clear();
    /// pool.put(buf);
    /// ```
    #[inline]
    pub fn put(&self, x: T) {
        let local = self
            .locals
            .get_or(|| CachePadded::new(Local::new(DEQUE_CAP)));
        hb::release_merge(self);
        // SAFETY: `locals.get_or` returned the calling thread's own cache.
        let rejected = unsafe { local.push(x) };
        // Dropped here, with no borrow of the cache alive: `T`'s destructor
        // may use the pool.
        drop(rejected);
    }
}

impl<T: Send + Default> Default for Pool<T> {
    /// A pool that makes its objects with `T::default`.
    fn default() -> Pool<T> {
        Pool::new(T::default)
    }
}

impl<T: Send, F> fmt::Debug for Pool<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

/// One thread's cache of a pool (Go's `poolLocal`).
struct Local<T> {
    /// One object, tried first by `get` and by `put`. Only the owning
    /// thread touches it, so it needs no synchronisation (Go's `private`).
    private: UnsafeCell<Option<T>>,
    /// Objects that do not fit in `private`; other threads steal from it.
    shared: Deque<T>,
}

// SAFETY: other threads reach a `Local` only through `Pool::get_slow`,
// which touches nothing but `shared`, a deque built for concurrent use;
// `private` and the deque's owner-side operations are used only by the
// thread whose cache it is (see `pop` and `push`). Objects move between
// threads through it, hence `T: Send`.
unsafe impl<T: Send> Sync for Local<T> {}

impl<T> Local<T> {
    fn new(cap: usize) -> Local<T> {
        Local {
            private: UnsafeCell::new(None),
            shared: Deque::new(cap),
        }
    }

    /// Takes the newest object of this cache.
    ///
    /// # Safety
    ///
    /// Only the thread that owns this cache calls it.
    #[inline]
    unsafe fn pop(&self) -> Option<T> {
        // SAFETY: only the owner touches `private`, and no other borrow of
        // it is alive (nothing here calls out to user code).
        let private = unsafe { (*self.private.get()).take() };
        // SAFETY: the caller is the owner.
        private.or_else(|| unsafe { self.shared.pop_head() })
    }

    /// Caches `x`, or hands it back if the cache is full.
    ///
    /// # Safety
    ///
    /// Only the thread that owns this cache calls it.
    #[inline]
    unsafe fn push(&self, x: T) -> Option<T> {
        // SAFETY: only the owner touches `private`; the borrow ends before
        // any user code could run.
        let private = unsafe { &mut *self.private.get() };
        if private.is_none() {
            *private = Some(x);
            return None;
        }
        // SAFETY: the caller is the owner.
        unsafe { self.shared.push_head(x) }.err()
    }
}

/// A cell whose accesses loom can check; std's `UnsafeCell` otherwise.
#[cfg(loom)]
use loom::cell::UnsafeCell as SlotCell;

#[cfg(not(loom))]
struct SlotCell<T>(UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> SlotCell<T> {
    fn new(v: T) -> SlotCell<T> {
        SlotCell(UnsafeCell::new(v))
    }

    #[inline]
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// A fixed-size, lock-free deque with one producer and many consumers (Go's
/// `poolDequeue`): the owning thread pushes and pops at the head, any
/// thread pops at the tail.
struct Deque<T> {
    /// Both ends, packed so that one compare-and-swap moves either:
    ///
    /// | bits   | field | meaning                      | changed by                   |
    /// |--------|-------|------------------------------|------------------------------|
    /// | 63..32 | head  | the next slot to fill        | owner: +1 push, -1 pop_head  |
    /// | 31..0  | tail  | the oldest filled slot       | anyone: +1 pop_tail          |
    ///
    /// Both count modulo 2^32 and index `slots` modulo its length. Empty
    /// when `head == tail`; full when `head - tail == slots.len()`.
    head_tail: AtomicU64,
    slots: Box<[Slot<T>]>,
}

struct Slot<T> {
    /// Whether `value` holds an object. The owner sets it when it pushes;
    /// whoever pops the object clears it once the value has been moved out.
    /// A slot that the tail has passed but that is still `full` is being
    /// read by a stealer, so `push_head` must not reuse it yet.
    full: AtomicBool,
    value: SlotCell<MaybeUninit<T>>,
}

const HEAD_SHIFT: u32 = 32;

fn unpack(head_tail: u64) -> (u32, u32) {
    ((head_tail >> HEAD_SHIFT) as u32, head_tail as u32)
}

fn pack(head: u32, tail: u32) -> u64 {
    (head as u64) << HEAD_SHIFT | tail as u64
}

// SAFETY: a slot's value is accessed only by whoever owns the slot under
// the protocol of `head_tail` and `full` (see the methods): the owner while
// it fills or pops the head, a stealer after its compare-and-swap has
// claimed the tail. Objects move between threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Deque<T> {}

impl<T> Deque<T> {
    /// A deque of `cap` slots; `cap` is a power of two.
    fn new(cap: usize) -> Deque<T> {
        assert!(cap.is_power_of_two() && cap <= 1 << 31);
        Deque {
            head_tail: AtomicU64::new(0),
            slots: (0..cap)
                .map(|_| Slot {
                    full: AtomicBool::new(false),
                    value: SlotCell::new(MaybeUninit::uninit()),
                })
                .collect(),
        }
    }

    fn slot(&self, i: u32) -> &Slot<T> {
        &self.slots[i as usize & (self.slots.len() - 1)]
    }

    /// Adds `x` at the head, or hands it back if the deque is full.
    ///
    /// # Safety
    ///
    /// Only the owner calls `push_head` and `pop_head`, never two at once.
    unsafe fn push_head(&self, x: T) -> Result<(), T> {
        // Relaxed: only the owner moves the head, and a stale tail only
        // makes the deque look fuller than it is.
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        if head.wrapping_sub(tail) as usize >= self.slots.len() {
            return Err(x);
        }
        let slot = self.slot(head);
        // Acquire: a stealer that popped this slot's previous object cleared
        // `full` after moving it out; our write must come after that read.
        if slot.full.load(Ordering::Acquire) {
            return Err(x);
        }
        // SAFETY: the slot is empty (not `full`) and outside `tail..head`,
        // so no one else reads or writes it until we publish it below.
        slot.value.with_mut(|v| unsafe { (*v).write(x) });
        // Relaxed: only the owner reads `full` as set; the Release below
        // orders this store before any stealer's clearing of it.
        slot.full.store(true, Ordering::Relaxed);
        // Release: publishes the value to `pop_tail`'s Acquire.
        self.head_tail.fetch_add(1 << HEAD_SHIFT, Ordering::Release);
        Ok(())
    }

    /// Removes the newest object.
    ///
    /// # Safety
    ///
    /// As for [`push_head`](Self::push_head).
    unsafe fn pop_head(&self) -> Option<T> {
        let mut ht = self.head_tail.load(Ordering::Relaxed);
        let head = loop {
            let (head, tail) = unpack(ht);
            if head == tail {
                return None;
            }
            let head = head.wrapping_sub(1);
            // Relaxed: the owner wrote the value itself; the CAS only has to
            // win the last object against a stealer's CAS of the tail.
            match self.head_tail.compare_exchange_weak(
                ht,
                pack(head, tail),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break head,
                Err(cur) => ht = cur,
            }
        };
        let slot = self.slot(head);
        // SAFETY: moving the head down claimed the slot: it is full (it lay
        // in `tail..head`) and no stealer can claim it any more.
        let x = slot.value.with_mut(|v| unsafe { (*v).assume_init_read() });
        // Relaxed: only the owner reads `full` as cleared by itself.
        slot.full.store(false, Ordering::Relaxed);
        Some(x)
    }

    /// Removes the oldest object; any thread may call it.
    fn pop_tail(&self) -> Option<T> {
        let mut ht = self.head_tail.load(Ordering::Relaxed);
        let tail = loop {
            let (head, tail) = unpack(ht);
            if head == tail {
                return None;
            }
            // Acquire: pairs with `push_head`'s Release (every change of
            // `head_tail` is a read-modify-write, so the release sequence of
            // each push reaches whatever value we read).
            match self.head_tail.compare_exchange_weak(
                ht,
                pack(head, tail.wrapping_add(1)),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break tail,
                Err(cur) => ht = cur,
            }
        };
        let slot = self.slot(tail);
        // SAFETY: moving the tail up claimed the slot, which was full; the
        // owner will not refill it until we clear `full`.
        let x = slot.value.with_mut(|v| unsafe { (*v).assume_init_read() });
        // Release: the owner's next write to the slot comes after our read.
        slot.full.store(false, Ordering::Release);
        Some(x)
    }
}

impl<T> Drop for Deque<T> {
    fn drop(&mut self) {
        // `&mut self`: no other access exists, so Relaxed suffices (a load
        // rather than `get_mut`, which loom's mock lacks). Every stealer has
        // finished, so exactly the slots in `tail..head` hold objects.
        let (head, mut tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        while tail != head {
            let slot = self.slot(tail);
            // SAFETY: slots in `tail..head` are full, and each is dropped
            // once, here.
            slot.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
            tail = tail.wrapping_add(1);
        }
    }
}

#[cfg(all(test, not(loom)))]
// The deque's tests drive it from plain threads on purpose.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI32, AtomicUsize};
    use std::sync::Arc;

    /// Counts live objects, and fails the test if one is dropped twice.
    struct Counted(Arc<AtomicUsize>);

    impl Counted {
        fn new(live: &Arc<AtomicUsize>) -> Counted {
            live.fetch_add(1, Ordering::Relaxed);
            Counted(live.clone())
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            let before = self.0.fetch_sub(1, Ordering::Relaxed);
            assert!(before > 0, "an object was dropped twice");
        }
    }

    /// Port of Go's `TestPoolDequeue` (`testPoolDequeue` in
    /// `src/sync/pool_test.go`): one producer pushes and sometimes pops its
    /// head, the other threads pop the tail; every value comes out exactly
    /// once.
    #[test]
    fn test_pool_dequeue() {
        const P: usize = 4;
        // The last value must not be a multiple of 10, so that a stealer,
        // which takes values in order, is the one to see it.
        let n: usize = if cfg!(debug_assertions) {
            20_000
        } else {
            1_000_000
        };
        let d = Arc::new(Deque::<usize>::new(16));
        let have: Arc<Vec<AtomicI32>> = Arc::new((0..n).map(|_| AtomicI32::new(0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let record = {
            let (have, stop) = (have.clone(), stop.clone());
            move |v: usize| {
                have[v].fetch_add(1, Ordering::Relaxed);
                if v == n - 1 {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        };
        let consumers: Vec<_> = (1..P)
            .map(|_| {
                let (d, stop, record) = (d.clone(), stop.clone(), record.clone());
                std::thread::spawn(move || {
                    let mut fail = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        match d.pop_tail() {
                            Some(v) => {
                                fail = 0;
                                record(v);
                            }
                            None => {
                                fail += 1;
                                if fail % 100 == 0 {
                                    std::thread::yield_now();
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        let mut pop_heads = 0;
        for j in 0..n {
            // SAFETY: this thread is the deque's only owner.
            while unsafe { d.push_head(j) }.is_err() {
                std::thread::yield_now();
            }
            if j % 10 == 0 {
                // SAFETY: as above.
                if let Some(v) = unsafe { d.pop_head() } {
                    pop_heads += 1;
                    record(v);
                }
            }
        }
        for c in consumers {
            c.join().unwrap();
        }
        for (i, count) in have.iter().enumerate() {
            assert_eq!(count.load(Ordering::Relaxed), 1, "have[{i}]");
        }
        assert!(pop_heads > 0, "pop_head never succeeded");
    }

    #[test]
    fn deque_is_bounded_and_wraps() {
        let d = Deque::new(4);
        for round in 0..3 {
            for i in 0..4 {
                // SAFETY: this thread is the only owner.
                assert_eq!(unsafe { d.push_head(round * 10 + i) }, Ok(()));
            }
            // SAFETY: as above.
            assert_eq!(unsafe { d.push_head(99) }, Err(99), "full");
            assert_eq!(d.pop_tail(), Some(round * 10));
            // SAFETY: as above.
            assert_eq!(unsafe { d.pop_head() }, Some(round * 10 + 3));
            assert_eq!(d.pop_tail(), Some(round * 10 + 1));
            assert_eq!(d.pop_tail(), Some(round * 10 + 2));
            assert_eq!(d.pop_tail(), None);
            // SAFETY: as above.
            assert_eq!(unsafe { d.pop_head() }, None);
        }
    }

    #[test]
    fn dropping_a_deque_drops_what_it_holds_once() {
        let live = Arc::new(AtomicUsize::new(0));
        let d = Deque::new(8);
        for _ in 0..6 {
            // SAFETY: this thread is the only owner.
            assert!(unsafe { d.push_head(Counted::new(&live)) }.is_ok());
        }
        drop(d.pop_tail());
        // SAFETY: as above.
        drop(unsafe { d.pop_head() });
        assert_eq!(live.load(Ordering::Relaxed), 4);
        drop(d);
        assert_eq!(live.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_destructor_may_use_the_pool() {
        /// Puts a plain object back into the pool when dropped.
        struct Reentrant(&'static Pool<u32>);
        impl Drop for Reentrant {
            fn drop(&mut self) {
                self.0.put(1);
                let _ = self.0.get();
            }
        }
        static INNER: Pool<u32> = Pool::new(|| 0);
        let pool = Pool::new(|| Reentrant(&INNER));
        // Fill the cache, then put more: the surplus is dropped inside `put`.
        for _ in 0..2 * (DEQUE_CAP + 1) {
            pool.put(Reentrant(&INNER));
        }
        drop(pool);
    }

    #[cfg(feature = "race")]
    #[test]
    fn put_releases_and_get_acquires() {
        use crate::rt::hb::{record, Event};
        let pool: Pool<u8> = Pool::new(|| 0);
        let key = &pool as *const Pool<u8> as usize;
        let ((), events) = record(|| {
            let made = pool.get(); // made: no edge
            pool.put(made);
            let _ = pool.get(); // from the pool
        });
        assert_eq!(events, [Event::ReleaseMerge(key), Event::Acquire(key)]);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::model;
    use loom::sync::Arc;
    use loom::thread;

    /// The owner pushes and pops the head while a stealer pops the tail,
    /// with a deque small enough to fill and to reuse a slot a stealer may
    /// still be reading: every value comes out exactly once and the values
    /// left are dropped with the deque.
    #[test]
    fn owner_and_stealer_share_every_value_once() {
        model(|| {
            let d = Arc::new(Deque::<Arc<u32>>::new(2));
            let stealer = {
                let d = d.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..2 {
                        got.extend(d.pop_tail().map(|v| *v));
                    }
                    got
                })
            };
            let mut got = Vec::new();
            let mut rejected = 0;
            for i in 1..=3 {
                // SAFETY: this thread is the only owner.
                if unsafe { d.push_head(Arc::new(i)) }.is_err() {
                    rejected += 1;
                }
            }
            // SAFETY: as above.
            got.extend(unsafe { d.pop_head() }.map(|v| *v));
            got.extend(stealer.join().unwrap());
            while let Some(v) = d.pop_tail() {
                got.push(*v);
            }
            let n = got.len();
            got.sort_unstable();
            got.dedup();
            assert_eq!(got.len(), n, "a value came out twice");
            assert_eq!(n + rejected, 3, "a value was lost");
        });
    }
}
