//! `sync.Map`: a concurrent map for keys written once and read many times.
//!
//! The algorithm is Go's (`src/sync/map.go` before Go 1.24): a read-only
//! snapshot of the map, published atomically and read without any lock,
//! and a dirty table behind a mutex that holds every key, including those
//! stored since the snapshot was taken. A lookup that misses the snapshot
//! but finds the key in the dirty table counts a miss; when the misses
//! have paid for a copy, the dirty table becomes the next snapshot. The
//! snapshot and the dirty table share their entries ([`entry`]), and an
//! entry's value is an atomic pointer (to the entry's own first value, or
//! to a later one on the heap), so updating or deleting a key the snapshot
//! holds is lock-free too.
//!
//! Go frees what a reader might still hold through its garbage collector;
//! here replaced values and retired snapshots are freed through
//! crossbeam-epoch: a reader pins the epoch for the length of one
//! operation (a store to a thread-local word, no shared write), and what
//! was unpublished is freed once every thread pinned before has unpinned.

mod entry;

use foldhash::fast::RandomState;
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard};
use hashbrown::HashTable;

use self::entry::{Entry, LoadOrStore, Slot};
use super::{Mutex, MutexGuard};

/// A table of entries, each hashed with the map's hasher (`Entry::hash`).
type Table<K, V> = HashTable<Arc<Entry<K, V>>>;

/// A concurrent map with Go's `sync.Map` semantics: safe for use by many
/// goroutines (and threads) at once, with loads of existing keys that take
/// no lock.
///
/// As Go's, it is built for two uses: when a key is written once and read
/// many times (a cache that only grows), and when goroutines read, write
/// and overwrite disjoint sets of keys. There it beats a map behind a
/// [`Mutex`] or [`RwMutex`](super::RwMutex): a load of a key that is
/// already there is a few atomic loads, with no shared write, so readers on
/// many cores do not contend. Storing a *new* key takes a mutex and, now
/// and then, copies the map; for maps with many new keys, or where
/// iteration matters, a plain map behind a lock is the better choice, as
/// Go's documentation says.
///
/// Keys are hashed with foldhash, seeded afresh for each map, as Go hashes
/// its maps with a fast hash seeded per process: much faster than std's
/// SipHash, and not predictable from outside, though built for speed
/// rather than as a cryptographic defence against chosen keys.
///
/// In the terms of the Go memory model, a write (`store`, `swap`,
/// `delete`, and the writing forms of the others) *synchronizes before*
/// any read that observes its effect.
///
/// # Examples
///
/// ```
/// use gosync::sync::{Map, WaitGroup};
/// use std::sync::Arc;
///
/// let cache = Arc::new(Map::new());
/// let wg = WaitGroup::new();
/// for id in 0..8 {
///     let cache = cache.clone();
///     wg.go(move || cache.store(id, format!("user-{id}")));
/// }
/// wg.wait();
/// assert_eq!(cache.load(&3).as_deref(), Some("user-3"));
/// let (user, loaded) = cache.load_or_store(3, "other".to_string());
/// assert_eq!((user.as_str(), loaded), ("user-3", true));
/// cache.delete(&3);
/// assert_eq!(cache.load(&3), None);
/// ```
///
/// A `static` needs no lazy initialisation, as Go's zero `Map` is ready:
///
/// ```
/// use gosync::sync::Map;
///
/// static SEEN: Map<&str, u32> = Map::new();
/// SEEN.store("go", 1);
/// assert_eq!(SEEN.load("go"), Some(1));
/// ```
///
/// # Differences from Go
///
/// - Keys and values are typed, and values come back as clones (`V:
///   Clone` where a method returns one; wrap a large value in an `Arc`).
///   `compare_and_swap` and `compare_and_delete` need `V: PartialEq`, as
///   Go's need comparable values (Go panics at run time instead).
/// - A value that is replaced, deleted or cleared is dropped once no
///   reader can still be looking at it, which may be a little later and
///   on another thread: so keys and values must be `Send + 'static`.
///   Values still in the map are dropped with it. Such a drop may happen
///   inside any call of any `Map`, but never while that map holds its
///   lock: a key's or value's `Drop` may use the map. (`Hash` and `Eq` of
///   keys and `Clone` and `PartialEq` of values may run under the lock,
///   and must not.)
/// - `range` hands the callback references; see [`Map::range`].
/// - Lookups take any borrowed form of the key, as std's `HashMap` does
///   (`load("k")` on a `Map<String, V>`).
pub struct Map<K, V> {
    /// Go's `read`: null (no keys, nothing in the dirty table) or an
    /// `Arc<ReadOnly>` made with `Arc::into_raw`. Written only under
    /// `dirty`'s lock; the snapshot it replaces is retired through the
    /// epoch.
    read: AtomicPtr<ReadOnly<K, V>>,
    /// Go's `mu`, `dirty` and `misses`.
    ///
    /// No key or value is dropped while this lock is held, and the epoch is
    /// pinned before it is taken (a pin may run deferred drops): a key's or
    /// value's `Drop` may use the map, which takes this lock.
    dirty: Mutex<Dirty<K, V>>,
    /// The map owns snapshots (through `read`), for auto traits and drop
    /// check.
    _owns: PhantomData<Arc<ReadOnly<K, V>>>,
}

// SAFETY: moving the map moves its keys and values, so `K: Send, V: Send`
// suffice; the epoch may drop retired ones on any thread, which needs
// nothing more.
unsafe impl<K: Send, V: Send> Send for Map<K, V> {}
// SAFETY: sharing the map lets several threads read keys and values at once
// (`K: Sync, V: Sync`) and lets any of them store or drop ones that others
// made (`K: Send, V: Send`).
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for Map<K, V> {}

/// A snapshot of (part of) the map, read without a lock (Go's `readOnly`).
struct ReadOnly<K, V> {
    /// Never changes once published; the entries' values do.
    table: Table<K, V>,
    /// The map's hasher (a copy: every table of a map hashes alike).
    hasher: RandomState,
    /// The dirty table holds keys that `table` does not (Go's `amended`).
    /// Goes from false to true, under the map's lock, at most once.
    amended: AtomicBool,
}

/// The part of the map behind its lock.
struct Dirty<K, V> {
    /// Go's `dirty`: when present, every key of the map whose entry is not
    /// expunged, including all of the snapshot's that are not.
    table: Option<Table<K, V>>,
    /// Lookups that missed the snapshot since the last promotion.
    misses: usize,
    /// Made with the first key; copied into every snapshot.
    hasher: Option<RandomState>,
}

impl<K, V> ReadOnly<K, V> {
    fn get<Q>(&self, key: &Q) -> Option<&Arc<Entry<K, V>>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |e| e.hash == hash && e.key.borrow() == key)
    }

    fn amended(&self) -> bool {
        // Relaxed: true sends the caller to the lock, which orders what it
        // reads then; false means the dirty table held no other key when
        // this snapshot was read, a consistent point to answer from.
        self.amended.load(Ordering::Relaxed)
    }
}

impl<K, V> Dirty<K, V> {
    fn hasher(&mut self) -> &RandomState {
        self.hasher.get_or_insert_with(RandomState::default)
    }

    fn get<Q>(&self, hash: u64, key: &Q) -> Option<&Arc<Entry<K, V>>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.table
            .as_ref()?
            .find(hash, |e| e.hash == hash && e.key.borrow() == key)
    }
}

/// How a lookup that reaches the dirty table treats the key there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnDirty {
    Keep,
    /// Take the key out of the dirty table (Go's `LoadAndDelete`).
    Remove,
}

impl<K, V> Map<K, V> {
    /// Creates an empty map (Go's zero `sync.Map`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: gosync::sync::Map<String, u64> = gosync::sync::Map::new();
    /// assert_eq!(m.load("absent"), None);
    /// ```
    pub const fn new() -> Map<K, V> {
        Map {
            read: AtomicPtr::new(ptr::null_mut()),
            dirty: Mutex::new(Dirty {
                table: None,
                misses: 0,
                hasher: None,
            }),
            _owns: PhantomData,
        }
    }
}

impl<K, V> Map<K, V>
where
    K: Hash + Eq + Send + 'static,
    V: Send + 'static,
{
    /// The value stored for `key`, if any (Go's `Load`).
    ///
    /// A key present in the last snapshot is found without a lock and
    /// without any shared write.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store("k", 1);
    /// assert_eq!(m.load("k"), Some(1));
    /// assert_eq!(m.load("other"), None);
    /// ```
    pub fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.with_entry(key, OnDirty::Keep, |e, guard| e.load(guard).cloned())
            .flatten()
    }

    /// Sets the value for `key` (Go's `Store`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store(1, "one");
    /// m.store(1, "uno");
    /// assert_eq!(m.load(&1), Some("uno"));
    /// ```
    pub fn store(&self, key: K, value: V) {
        self.swap_with(key, value, |_| ());
    }

    /// Returns the value stored for `key` and `true` if there is one;
    /// otherwise stores `value` and returns it and `false` (Go's
    /// `LoadOrStore`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// assert_eq!(m.load_or_store("k", 1), (1, false));
    /// assert_eq!(m.load_or_store("k", 2), (1, true));
    /// ```
    pub fn load_or_store(&self, key: K, value: V) -> (V, bool)
    where
        V: Clone,
    {
        // Declared before the lock, so that a value that is not stored is
        // dropped after the lock is released (see `Map::dirty`).
        let mut value = Some(value);
        {
            let guard = epoch::pin();
            if let Some(e) = self.snapshot(&guard).and_then(|r| r.get(&key)) {
                if let Some(done) = e.try_load_or_store(&mut value, &guard) {
                    return loaded_or_stored(done);
                }
            }
        }

        let guard = epoch::pin();
        let mut dirty = self.dirty.lock();
        let read = self.snapshot(&guard);
        let hash = dirty.hasher().hash_one(&key);
        if let Some(e) = read.and_then(|r| r.get(&key)) {
            if e.unexpunge_locked() {
                insert(&mut dirty, e.clone());
            }
            let done = e.try_load_or_store(&mut value, &guard);
            return loaded_or_stored(done.expect("not expunged under the lock"));
        }
        if let Some(e) = dirty.get(hash, &key) {
            let out = loaded_or_stored(
                e.try_load_or_store(&mut value, &guard)
                    .expect("entries of the dirty table are not expunged"),
            );
            self.miss_locked(&mut dirty, &guard);
            return out;
        }
        let value = value.take().expect("not stored above");
        let out = (value.clone(), false);
        self.insert_new_locked(&mut dirty, read, hash, key, value, &guard);
        out
    }

    /// Deletes the value for `key` and returns it, if there was one (Go's
    /// `LoadAndDelete`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store("k", 1);
    /// assert_eq!(m.load_and_delete("k"), Some(1));
    /// assert_eq!(m.load_and_delete("k"), None);
    /// ```
    pub fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.with_entry(key, OnDirty::Remove, |e, guard| e.delete(guard).cloned())
            .flatten()
    }

    /// Deletes the value for `key` (Go's `Delete`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store("k", 1);
    /// m.delete("k");
    /// assert_eq!(m.load("k"), None);
    /// ```
    pub fn delete<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with_entry(key, OnDirty::Remove, |e, guard| {
            e.delete(guard);
        });
    }

    /// Sets the value for `key` and returns the previous one, if any (Go's
    /// `Swap`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// assert_eq!(m.swap("k", 1), None);
    /// assert_eq!(m.swap("k", 2), Some(1));
    /// ```
    pub fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        self.swap_with(key, value, |old| old.cloned())
    }

    /// Replaces the value for `key` with `new` if it is equal to `old` (Go's
    /// `CompareAndSwap`). Returns whether it did; a key with no value never
    /// matches.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store("k", 1);
    /// assert!(!m.compare_and_swap("k", &5, 2));
    /// assert!(m.compare_and_swap("k", &1, 2));
    /// assert_eq!(m.load("k"), Some(2));
    /// assert!(!m.compare_and_swap("absent", &1, 2));
    /// ```
    pub fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        // A `new` that is not swapped in comes back, to be dropped here,
        // after the lock (see `Map::dirty`).
        let swapped = self.with_entry(key, OnDirty::Keep, |e, guard| {
            e.try_compare_and_swap(old, new, guard)
        });
        matches!(swapped, Some(Ok(())))
    }

    /// Deletes the value for `key` if it is equal to `old` (Go's
    /// `CompareAndDelete`). Returns whether it did; a key with no value
    /// never matches.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store("k", 1);
    /// assert!(!m.compare_and_delete("k", &5));
    /// assert!(m.compare_and_delete("k", &1));
    /// assert_eq!(m.load("k"), None);
    /// ```
    pub fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        // Go keeps the key in the dirty table here: the comparison may fail,
        // and a deleted entry is expunged at the next copy anyway.
        self.with_entry(key, OnDirty::Keep, |e, guard| {
            e.compare_and_delete(old, guard)
        })
        .unwrap_or(false)
    }

    /// Calls `f` for each key and value in the map until `f` returns
    /// `false` (Go's `Range`).
    ///
    /// `range` does not correspond to a consistent snapshot of the map's
    /// contents: no key is visited more than once, but if the value for a
    /// key is stored or deleted concurrently (including by `f`), `range` may
    /// reflect any mapping for that key from any point during the call. It
    /// holds no lock while `f` runs, so `f` may call any method of the map,
    /// `range` included. Even when `f` stops it early, `range` may take
    /// time proportional to the size of the map (it first turns the dirty
    /// table into the snapshot, as Go's does).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// for i in 0..4 {
    ///     m.store(i, i * 10);
    /// }
    /// let mut sum = 0;
    /// m.range(|_, v| {
    ///     sum += v;
    ///     true
    /// });
    /// assert_eq!(sum, 60);
    /// ```
    ///
    /// # Differences from Go
    ///
    /// `f` gets references to the key and the value, which stay valid while
    /// it runs even if another goroutine replaces or deletes the value
    /// meanwhile. So while `f` runs, values that any [`Map`] retires are
    /// kept: an `f` that blocks for a long time delays their drop.
    pub fn range(&self, mut f: impl FnMut(&K, &V) -> bool) {
        let read = {
            let guard = epoch::pin();
            match self.snapshot(&guard) {
                None => return,
                Some(r) if !r.amended() => Some(self.hold_snapshot(&guard)),
                Some(_) => None,
            }
        };
        let read = match read {
            Some(read) => read,
            None => {
                let guard = epoch::pin();
                let mut dirty = self.dirty.lock();
                if self.snapshot(&guard).is_some_and(ReadOnly::amended) {
                    self.promote_locked(&mut dirty, &guard);
                }
                self.hold_snapshot(&guard)
            }
        };
        let Some(read) = read else { return };
        for e in read.table.iter() {
            let guard = epoch::pin();
            if let Some(v) = e.load(&guard) {
                if !f(&e.key, v) {
                    break;
                }
            }
        }
    }

    /// Deletes every key (Go's `Clear`).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gosync::sync::Map::new();
    /// m.store(1, 'a');
    /// m.store(2, 'b');
    /// m.clear();
    /// assert_eq!(m.load(&1), None);
    /// ```
    pub fn clear(&self) {
        {
            let guard = epoch::pin();
            match self.snapshot(&guard) {
                None => return,
                Some(r) if r.table.is_empty() && !r.amended() => return,
                Some(_) => {}
            }
        }
        let removed = {
            let guard = epoch::pin();
            let mut dirty = self.dirty.lock();
            self.publish_locked(None, &guard);
            dirty.misses = 0;
            dirty.table.take()
        };
        // The entries only the dirty table held drop their keys and values
        // here, after the lock (see `Map::dirty`).
        drop(removed);
    }

    /// The current snapshot, valid while `guard` is pinned.
    fn snapshot<'a>(&'a self, _guard: &'a Guard) -> Option<&'a ReadOnly<K, V>> {
        // Acquire: the snapshot was built before it was published.
        let p = self.read.load(Ordering::Acquire);
        // SAFETY: a non-null `read` is a live `Arc` of the map, retired only
        // through the epoch after being replaced, and `guard` was pinned
        // before this load; `&self` keeps the map (and its current
        // snapshot) alive.
        unsafe { p.as_ref() }
    }

    /// An `Arc` of the current snapshot, which outlives `guard`.
    fn hold_snapshot(&self, guard: &Guard) -> Option<Arc<ReadOnly<K, V>>> {
        let p = self.snapshot(guard)? as *const ReadOnly<K, V>;
        // SAFETY: `p` came from `Arc::into_raw` and the guard keeps that
        // count from being dropped, so the `Arc` is alive; we take a count
        // of our own and own it through the new `Arc`.
        unsafe {
            Arc::increment_strong_count(p);
            Some(Arc::from_raw(p))
        }
    }

    /// Finds `key`'s entry as Go's `Load` does: in the snapshot without a
    /// lock, else (if the dirty table has other keys) under the lock, in the
    /// snapshot again and then in the dirty table, counting a miss. Runs `f`
    /// on the entry; `None` if there is none.
    fn with_entry<Q, R>(
        &self,
        key: &Q,
        on_dirty: OnDirty,
        f: impl FnOnce(&Arc<Entry<K, V>>, &Guard) -> R,
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        {
            let guard = epoch::pin();
            let read = self.snapshot(&guard)?;
            if let Some(e) = read.get(key) {
                return Some(f(e, &guard));
            }
            if !read.amended() {
                return None;
            }
        }
        self.with_entry_slow(key, on_dirty, f)
    }

    #[cold]
    fn with_entry_slow<Q, R>(
        &self,
        key: &Q,
        on_dirty: OnDirty,
        f: impl FnOnce(&Arc<Entry<K, V>>, &Guard) -> R,
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // Declared before the lock, so that an entry taken out of the dirty
        // table, perhaps its last `Arc`, drops its key after the lock is
        // released (see `Map::dirty`).
        let mut removed = None;
        let guard = epoch::pin();
        let mut dirty = self.dirty.lock();
        let read = self.snapshot(&guard)?;
        if let Some(e) = read.get(key) {
            return Some(f(e, &guard));
        }
        if !read.amended() {
            return None;
        }
        let hash = read.hasher.hash_one(key);
        let table = dirty.table.as_mut().expect("amended: a dirty table exists");
        let out = match table.find_entry(hash, |e| e.hash == hash && e.key.borrow() == key) {
            Err(_) => None,
            Ok(found) if on_dirty == OnDirty::Remove => {
                let e = removed.insert(found.remove().0);
                Some(f(e, &guard))
            }
            Ok(found) => Some(f(found.get(), &guard)),
        };
        self.miss_locked(&mut dirty, &guard);
        out
    }

    /// Stores `value` for `key` and runs `done` on the previous value (Go's
    /// `Swap`).
    fn swap_with<R>(&self, key: K, value: V, done: impl FnOnce(Option<&V>) -> R) -> R {
        let value = {
            let guard = epoch::pin();
            match self.snapshot(&guard).and_then(|r| r.get(&key)) {
                Some(e) => match e.try_swap(Slot::boxed(value), &guard) {
                    Ok(old) => return done(old),
                    // SAFETY: `try_swap` hands back the slot it did not
                    // publish.
                    Err(slot) => unsafe { entry::unbox(slot) },
                },
                None => value,
            }
        };

        let guard = epoch::pin();
        let mut dirty = self.dirty.lock();
        let read = self.snapshot(&guard);
        let hash = dirty.hasher().hash_one(&key);
        if let Some(e) = read.and_then(|r| r.get(&key)) {
            if e.unexpunge_locked() {
                insert(&mut dirty, e.clone());
            }
            return done(e.swap_locked(Slot::boxed(value), &guard));
        }
        if let Some(e) = dirty.get(hash, &key) {
            return done(e.swap_locked(Slot::boxed(value), &guard));
        }
        self.insert_new_locked(&mut dirty, read, hash, key, value, &guard);
        done(None)
    }

    /// Adds a key that neither table holds to the dirty table, making the
    /// table first if needed and marking the snapshot amended.
    fn insert_new_locked(
        &self,
        dirty: &mut MutexGuard<'_, Dirty<K, V>>,
        read: Option<&ReadOnly<K, V>>,
        hash: u64,
        key: K,
        value: V,
        guard: &Guard,
    ) {
        match read {
            Some(r) if r.amended() => {}
            Some(r) => {
                Self::dirty_locked(dirty, r);
                // Relaxed: readers that see it take the lock (see `amended`).
                r.amended.store(true, Ordering::Relaxed);
            }
            None => {
                dirty.table = Some(Table::new());
                let snapshot = ReadOnly {
                    table: Table::new(),
                    hasher: dirty.hasher().clone(),
                    amended: AtomicBool::new(true),
                };
                self.publish_locked(Some(snapshot), guard);
            }
        }
        insert(dirty, Entry::new(hash, key, value));
    }

    /// Makes the dirty table from the snapshot if there is none, expunging
    /// deleted entries, which it leaves out (Go's `dirtyLocked`).
    fn dirty_locked(dirty: &mut Dirty<K, V>, read: &ReadOnly<K, V>) {
        if dirty.table.is_some() {
            return;
        }
        let mut table = Table::with_capacity(read.table.len());
        for e in read.table.iter() {
            if !e.try_expunge_locked() {
                table.insert_unique(e.hash, e.clone(), |e| e.hash);
            }
        }
        dirty.table = Some(table);
    }

    /// Counts a lookup that missed the snapshot, and promotes the dirty
    /// table once the misses add up to its size (Go's `missLocked`).
    fn miss_locked(&self, dirty: &mut Dirty<K, V>, guard: &Guard) {
        dirty.misses += 1;
        if dirty.misses < dirty.table.as_ref().map_or(0, HashTable::len) {
            return;
        }
        self.promote_locked(dirty, guard);
    }

    /// Makes the dirty table the snapshot.
    fn promote_locked(&self, dirty: &mut Dirty<K, V>, guard: &Guard) {
        let table = dirty.table.take().expect("amended: a dirty table exists");
        let snapshot = ReadOnly {
            table,
            hasher: dirty.hasher().clone(),
            amended: AtomicBool::new(false),
        };
        self.publish_locked(Some(snapshot), guard);
        dirty.misses = 0;
    }

    /// Replaces the snapshot (the caller holds the lock) and retires the
    /// old one.
    fn publish_locked(&self, snapshot: Option<ReadOnly<K, V>>, guard: &Guard) {
        let new = snapshot.map_or(ptr::null_mut(), |s| Arc::into_raw(Arc::new(s)).cast_mut());
        // Release: publish the new snapshot's contents. (The old pointer
        // was written under the lock we hold.)
        let old = self.read.swap(new, Ordering::Release);
        if !old.is_null() {
            // SAFETY: `old` is unpublished, so only threads pinned now can
            // reach it; the closure drops the map's count after they unpin,
            // on any thread (K, V: Send), perhaps after the map is gone
            // (K, V: 'static).
            unsafe { guard.defer_unchecked(move || drop(Arc::from_raw(old))) };
        }
    }
}

/// Adds an entry to the dirty table, which exists.
fn insert<K, V>(dirty: &mut Dirty<K, V>, e: Arc<Entry<K, V>>) {
    let table = dirty.table.as_mut().expect("a dirty table exists");
    table.insert_unique(e.hash, e, |e| e.hash);
}

fn loaded_or_stored<V: Clone>(done: LoadOrStore<'_, V>) -> (V, bool) {
    match done {
        LoadOrStore::Loaded(v) => (v.clone(), true),
        LoadOrStore::Stored(v) => (v.clone(), false),
    }
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Map<K, V> {
        Map::new()
    }
}

impl<K, V> Drop for Map<K, V> {
    fn drop(&mut self) {
        // Drop the values now rather than when the epoch frees the entries
        // (retired snapshots may share them): `&mut self` proves that no
        // reader holds one.
        let read = *self.read.get_mut();
        if !read.is_null() {
            // SAFETY: the map's own count of its current snapshot, which is
            // not retired.
            let read = unsafe { Arc::from_raw(read) };
            read.table.iter().for_each(|e| e.free_now());
        }
        if let Some(table) = &self.dirty.get_mut().table {
            table.iter().for_each(|e| e.free_now());
        }
    }
}

impl<K, V> fmt::Debug for Map<K, V>
where
    K: Hash + Eq + Send + 'static + fmt::Debug,
    V: Send + 'static + fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_map();
        self.range(|k, v| {
            d.entry(k, v);
            true
        });
        d.finish()
    }
}

#[cfg(test)]
mod tests;
