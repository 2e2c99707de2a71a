//! `golang.org/x/sync/singleflight`: duplicate call suppression.
//!
//! A [`Group`] runs at most one call of a function per key at a time:
//! callers that arrive while a call for their key is in flight wait for it
//! and share its result instead of running their own.
//!
//! ```
//! use gosync::singleflight::Group;
//!
//! static LOOKUPS: Group<String, u32> = Group::new();
//!
//! let (port, shared) = LOOKUPS.call("db".to_string(), || 5432);
//! assert_eq!(port, 5432);
//! assert!(!shared); // nobody else asked meanwhile
//! ```

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::rt::goroutine::panic_message;
use crate::rt::hb;
use crate::rt::sema::Sema;
use crate::sync::Mutex;

/// A namespace of work done with duplicate suppression, as Go's
/// `singleflight.Group`.
///
/// [`call`](Self::call) runs a function for a key, making sure that only
/// one execution is in flight for that key at a time. A caller that comes
/// while one is in flight waits for it (a goroutine parks, freeing its
/// worker) and gets a clone of the same result.
/// [`new`](Self::new) is `const`, so a group can be a `static`, as Go's zero
/// `Group` is ready to use.
///
/// # Examples
///
/// Many goroutines asking for the same key at once run the function once:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use gosync::singleflight::Group;
/// use gosync::sync::WaitGroup;
///
/// let group = Arc::new(Group::new());
/// let loads = Arc::new(AtomicUsize::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..10 {
///     let (group, loads) = (group.clone(), loads.clone());
///     wg.go(move || {
///         let (config, _shared) = group.call("config", || {
///             loads.fetch_add(1, Ordering::Relaxed);
///             gosync::time::sleep(std::time::Duration::from_millis(10));
///             "loaded".to_string()
///         });
///         assert_eq!(config, "loaded");
///     });
/// }
/// wg.wait();
/// // Between 1 and 10 loads, depending on how the callers overlapped.
/// assert!((1..=10).contains(&loads.load(Ordering::Relaxed)));
/// ```
///
/// # Differences from Go
///
/// - Keys are any `K: Hash + Eq` and results any `V: Clone` rather than
///   `string` and `(interface{}, error)`; for Go's error result, use
///   `V = Result<T, E>`.
/// - A panic in the function reaches every caller: the one that ran it
///   panics with the original payload, each waiter with a panic carrying
///   the same message (Go wraps the value with the stack in a
///   `panicError`). There is no `runtime.Goexit`, so nothing to propagate
///   for it.
/// - There is no `DoChan`: run [`call`](Self::call) in a goroutine that
///   sends the result on a channel.
pub struct Group<K, V> {
    /// The calls in flight, by key; `None` until first use so that `new`
    /// can be `const` (Go initialises its map lazily too).
    calls: Mutex<Option<Calls<K, V>>>,
}

/// The calls in flight, by key.
type Calls<K, V> = HashMap<Arc<K>, Arc<Call<V>>>;

/// One execution of a group's function and the callers that wait for it.
struct Call<V> {
    /// Duplicate callers (Go's `dups`). Changed only under the group's lock
    /// while the call is in its map, and read under that lock once it is
    /// out: Relaxed suffices, the lock orders every access.
    dups: AtomicUsize,
    /// What the waiters get; set once, before they are released, and only
    /// when there are waiters.
    outcome: OnceLock<Outcome<V>>,
    /// Each waiter takes one unit; the caller that ran the function releases
    /// `dups` units once `outcome` is set.
    done: Sema,
}

/// How a call ended, as its waiters see it.
enum Outcome<V> {
    Value(V),
    /// The function panicked with this message.
    Panicked(String),
}

impl<K, V> Group<K, V> {
    loom_const_fn! {
        /// Creates a group with no call in flight.
        ///
        /// # Examples
        ///
        /// ```
        /// let group = gosync::singleflight::Group::<u64, String>::new();
        /// assert_eq!(group.call(1, || "one".into()).0, "one");
        /// ```
        pub fn new() -> Group<K, V> {
            Group {
                calls: Mutex::new(None),
            }
        }
    }
}

impl<K: Hash + Eq, V: Clone> Group<K, V> {
    /// Runs `f` and returns its result, unless a call for `key` is already
    /// in flight: then waits for that call and returns a clone of its
    /// result instead (Go's `Do`).
    ///
    /// `shared` is `true` when the value was given to more than one caller:
    /// for every caller that waited, and for the caller that ran `f` if
    /// anyone waited for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::singleflight::Group;
    ///
    /// let group = Group::new();
    /// let (v, shared) = group.call("key", || Ok::<_, String>("bar"));
    /// assert_eq!(v, Ok("bar"));
    /// assert!(!shared);
    /// ```
    ///
    /// # Panics
    ///
    /// If `f` panics, the caller that ran it panics with the same payload,
    /// and every caller waiting for it panics with the same message. The key
    /// is forgotten before anyone panics, so the next call runs anew.
    pub fn call(&self, key: K, f: impl FnOnce() -> V) -> (V, bool) {
        let mut calls = self.calls.lock();
        let map = calls.get_or_insert_with(HashMap::new);
        if let Some(c) = map.get(&key) {
            c.dups.fetch_add(1, Ordering::Relaxed);
            let c = c.clone();
            drop(calls);
            return c.wait();
        }
        let key = Arc::new(key);
        let c = Arc::new(Call {
            dups: AtomicUsize::new(0),
            outcome: OnceLock::new(),
            done: Sema::new(),
        });
        map.insert(key.clone(), c.clone());
        drop(calls);
        self.run(&key, &c, f)
    }

    /// Runs `f` for the call `c` of `key`, then releases the call's waiters
    /// (Go's `doCall`).
    fn run(&self, key: &K, c: &Call<V>, f: impl FnOnce() -> V) -> (V, bool) {
        let result = panic::catch_unwind(AssertUnwindSafe(f));
        let waiters = {
            let mut calls = self.calls.lock();
            let map = calls.as_mut().expect("made by `call`");
            // `forget` may have removed our call, and a newer one may have
            // taken the key since: remove only our own.
            if map.get(key).is_some_and(|cur| std::ptr::eq(&**cur, c)) {
                map.remove(key);
            }
            // Out of the map, the call gains no more waiters.
            c.dups.load(Ordering::Relaxed)
        };
        let release = Release { call: c, waiters };
        if waiters > 0 {
            let outcome = match &result {
                Ok(v) => Outcome::Value(v.clone()),
                Err(payload) => Outcome::Panicked(panic_message(&**payload)),
            };
            let _ = c.outcome.set(outcome);
        }
        drop(release);
        match result {
            Ok(v) => (v, waiters > 0),
            Err(payload) => panic::resume_unwind(payload),
        }
    }

    /// Tells the group to forget `key`: the next `call` for it runs its
    /// function rather than waiting for a call in flight (Go's `Forget`).
    /// Callers already waiting still get that call's result.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = gosync::singleflight::Group::new();
    /// group.forget(&"key"); // nothing in flight: no effect
    /// assert_eq!(group.call("key", || 1), (1, false));
    /// ```
    pub fn forget(&self, key: &K) {
        let removed = self.calls.lock().as_mut().and_then(|m| m.remove(key));
        // Dropped after unlocking; the caller running it holds it anyway.
        drop(removed);
    }
}

impl<V: Clone> Call<V> {
    /// Waits for the call to end and returns its result, shared.
    fn wait(&self) -> (V, bool) {
        self.done.acquire(false);
        // The function's return happens before every waiter's wake-up.
        hb::acquire(self);
        match self.outcome.get().expect("set before waiters are released") {
            Outcome::Value(v) => (v.clone(), true),
            Outcome::Panicked(msg) => panic!("{msg}"),
        }
    }
}

/// Releases a call's waiters when dropped, even if cloning the result for
/// them panicked (they then panic instead of waiting for ever).
struct Release<'a, V> {
    call: &'a Call<V>,
    waiters: usize,
}

impl<V> Drop for Release<'_, V> {
    fn drop(&mut self) {
        if self.waiters == 0 {
            return;
        }
        let _ = self.call.outcome.set(Outcome::Panicked(
            "singleflight: cloning the result for waiting callers panicked".to_string(),
        ));
        hb::release(self.call);
        for _ in 0..self.waiters {
            self.call.done.release(false);
        }
    }
}

impl<K, V> Default for Group<K, V> {
    fn default() -> Group<K, V> {
        Group::new()
    }
}

impl<K, V> fmt::Debug for Group<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let in_flight = self.calls.lock().as_ref().map_or(0, HashMap::len);
        f.debug_struct("Group")
            .field("in_flight", &in_flight)
            .finish()
    }
}

#[cfg(all(test, not(loom), feature = "race"))]
mod tests {
    use super::*;

    #[test]
    fn the_call_happens_before_its_waiters_return() {
        use crate::rt::hb::{record, Event};
        let c = Call {
            dups: AtomicUsize::new(1),
            outcome: OnceLock::new(),
            done: Sema::new(),
        };
        let key = &c as *const Call<i32> as usize;
        let _ = c.outcome.set(Outcome::Value(7));
        let ((), events) = record(|| {
            drop(Release {
                call: &c,
                waiters: 1,
            });
            assert_eq!(c.wait(), (7, true));
        });
        let ours: Vec<_> = events
            .into_iter()
            .filter(|e| matches!(e, Event::Acquire(k) | Event::Release(k) if *k == key))
            .collect();
        assert_eq!(ours, [Event::Release(key), Event::Acquire(key)]);
    }
}
