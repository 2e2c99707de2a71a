//! `atomic.Value`, typed.

use std::fmt;
use std::ptr;

use super::event;
use super::pointer::{Peek, Pointer};
use crate::loom::loom_const_fn;
use crate::loom::sync::Arc;

/// A value that goroutines may load and replace at once (Go's
/// `atomic.Value`), for values of one type `T`.
///
/// `store` and `swap` take the value itself and keep it in an `Arc`, so
/// loads share it without copying; otherwise `Value<T>` is a
/// [`Pointer<T>`] and reads the same two ways: [`load`](Self::load) for a
/// counted `Arc<T>` to keep, [`peek`](Self::peek) for a short look that
/// scales across threads (see [`Pointer`]'s "two ways to read").
///
/// # Examples
///
/// A configuration that request handlers read while an admin replaces it:
///
/// ```
/// use std::collections::HashMap;
/// use gosync::atomic::Value;
///
/// static ROUTES: Value<HashMap<&str, &str>> = Value::new();
///
/// ROUTES.store(HashMap::from([("/", "index")]));
/// assert_eq!(ROUTES.peek().unwrap()["/"], "index");
///
/// let mut next = (*ROUTES.load().unwrap()).clone(); // copy ...
/// next.insert("/about", "about");
/// ROUTES.store(next); // ... then replace
/// assert_eq!(ROUTES.peek().unwrap().len(), 2);
/// ```
///
/// # Differences from Go
///
/// - The type is a parameter, so Go's panics "sync/atomic: store of
///   inconsistently typed value into Value" (and its `swap` and
///   `compare and swap` forms) cannot happen: storing another type does
///   not compile. Nor can "store of nil value": there is no nil `T`;
///   `load` returns `None` only before the first store.
/// - `load` returns an `Arc<T>`, not a copy.
/// - [`compare_and_swap`](Self::compare_and_swap) compares with `==`, as
///   Go's, but retries when the value changed to an equal one meanwhile,
///   so it fails only when the value differs from `old`.
#[repr(transparent)]
pub struct Value<T> {
    /// The Value's address is its pointer's, which the events name.
    p: Pointer<T>,
}

impl<T> Value<T> {
    loom_const_fn! {
        /// Creates an empty `Value` (Go's zero `atomic.Value`).
        ///
        /// # Examples
        ///
        /// ```
        /// let v: gosync::atomic::Value<u8> = gosync::atomic::Value::new();
        /// assert_eq!(v.load(), None);
        /// ```
        pub fn new() -> Value<T> {
            Value { p: Pointer::new() }
        }
    }

    /// Atomically loads the value, or `None` if nothing was stored yet
    /// (Go's `Value.Load`).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// v.store(42);
    /// assert_eq!(v.load().as_deref(), Some(&42));
    /// ```
    pub fn load(&self) -> Option<Arc<T>> {
        self.p.load()
    }

    /// Atomically loads the value and returns a guard to read it through,
    /// without touching its reference count (see [`Pointer::peek`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// v.store(String::from("ready"));
    /// assert_eq!(v.peek().as_deref().map(String::as_str), Some("ready"));
    /// ```
    pub fn peek(&self) -> Option<Peek<'_, T>> {
        self.p.peek()
    }

    /// Atomically stores `value` (Go's `Value.Store`).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// v.store(1);
    /// v.store(2);
    /// assert_eq!(*v.load().unwrap(), 2);
    /// ```
    pub fn store(&self, value: T) {
        self.p.store(Some(Arc::new(value)));
    }

    /// Atomically stores `new` and returns the previous value, `None` if
    /// there was none (Go's `Value.Swap`).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// assert_eq!(v.swap("a"), None);
    /// assert_eq!(v.swap("b").as_deref(), Some(&"a"));
    /// ```
    pub fn swap(&self, new: T) -> Option<Arc<T>> {
        self.p.swap(Some(Arc::new(new)))
    }

    /// Stores `new` if the value equals `old` (`None`: if nothing was
    /// stored yet), atomically; returns whether it did (Go's
    /// `Value.CompareAndSwap`).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// assert!(v.compare_and_swap(None, 1));
    /// assert!(!v.compare_and_swap(Some(&0), 2));
    /// assert!(v.compare_and_swap(Some(&1), 2));
    /// assert_eq!(*v.load().unwrap(), 2);
    /// ```
    pub fn compare_and_swap(&self, old: Option<&T>, new: T) -> bool
    where
        T: PartialEq,
    {
        let new = Arc::new(new);
        loop {
            let current = self.p.peek_raw();
            let equal = match (&current, old) {
                (None, None) => true,
                (Some(c), Some(o)) => **c == *o,
                _ => false,
            };
            if !equal {
                drop(current);
                event::load(&self.p);
                return false;
            }
            // The peek keeps `current` allocated, so its address names it
            // alone: the pointer holds it now exactly if the CAS succeeds.
            let current_ptr = current.as_ref().map_or(ptr::null(), Peek::as_ptr);
            if self.p.compare_and_swap_raw(current_ptr, Some(new.clone())) {
                drop(current);
                event::rmw(&self.p);
                return true;
            }
            // It changed (maybe to an equal value) since we looked: again.
        }
    }
}

impl<T> Default for Value<T> {
    /// Go's zero value: empty.
    fn default() -> Value<T> {
        Value::new()
    }
}

impl<T> From<T> for Value<T> {
    /// A `Value` holding `value`.
    fn from(value: T) -> Value<T> {
        Value {
            p: Pointer::from(Arc::new(value)),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A look for debugging: no event.
        match self.p.peek_raw() {
            Some(v) => f.debug_tuple("Value").field(&&*v).finish(),
            None => f.write_str("Value(None)"),
        }
    }
}

#[cfg(all(test, feature = "race", not(loom)))]
mod tests {
    use super::*;
    use crate::rt::hb::{record, Event};

    #[test]
    fn operations_report_their_edges() {
        let v = Value::new();
        let key = &v as *const Value<i32> as usize;
        let ((), events) = record(|| {
            v.store(1);
            let _ = v.load();
            let _ = v.peek();
            let _ = v.swap(2);
            assert!(v.compare_and_swap(Some(&2), 3));
            assert!(!v.compare_and_swap(Some(&2), 4));
            let _ = format!("{v:?}");
        });
        let (a, r, m) = (
            Event::Acquire(key),
            Event::Release(key),
            Event::ReleaseMerge(key),
        );
        assert_eq!(events, [r, a, a, a, m, a, m, a]);
    }
}
