//! A weighted semaphore (`golang.org/x/sync/semaphore`).
//!
//! | Go                              | gosync                                   |
//! |---------------------------------|------------------------------------------|
//! | `semaphore.NewWeighted(n)`      | [`Weighted::new(n)`](Weighted::new)      |
//! | `s.Acquire(ctx, n)`             | [`s.acquire(&ctx, n)`](Weighted::acquire) |
//! | `s.TryAcquire(n)`               | [`s.try_acquire(n)`](Weighted::try_acquire) |
//! | `s.Release(n)`                  | [`s.release(n)`](Weighted::release)      |

use std::collections::BTreeMap;
use std::fmt;

use crate::chan::Chan;
use crate::context::{self, Context};
use crate::loom::loom_const_fn;
use crate::select;
use crate::sync::Mutex;

/// A semaphore with a total weight that callers acquire and release in
/// parts (Go's `semaphore.Weighted`), for bounding access to a resource:
/// memory, connections, CPU-heavy work.
///
/// Waiters are served first in, first out: a large request at the head of
/// the queue is not overtaken by smaller ones that would fit, so it cannot
/// starve. Waiting parks the goroutine (or thread) and gives up when the
/// context is done.
///
/// # Examples
///
/// Bound a fan-out to two workers at a time:
///
/// ```
/// use std::sync::Arc;
/// use gosync::context;
/// use gosync::semaphore::Weighted;
/// use gosync::sync::WaitGroup;
///
/// let sem = Arc::new(Weighted::new(2));
/// let ctx = context::background();
/// let wg = WaitGroup::new();
/// for _ in 0..8 {
///     sem.acquire(&ctx, 1).unwrap(); // blocks while two are running
///     let sem = sem.clone();
///     wg.go(move || {
///         // ... the work ...
///         sem.release(1);
///     });
/// }
/// wg.wait();
/// assert!(sem.try_acquire(2), "everything was released");
/// ```
pub struct Weighted {
    size: i64,
    state: Mutex<State>,
}

struct State {
    /// The weight held now.
    cur: i64,
    /// Waiters in arrival order, by ticket.
    waiters: BTreeMap<u64, Waiter>,
    /// The next waiter's ticket.
    next: u64,
}

struct Waiter {
    n: i64,
    /// Closed when the waiter has been granted its weight.
    ready: Chan<()>,
}

impl Weighted {
    loom_const_fn! {
        /// A semaphore with total weight `n` (Go's `NewWeighted`).
        pub fn new(n: i64) -> Weighted {
            Weighted {
                size: n,
                state: Mutex::new(State {
                    cur: 0,
                    waiters: BTreeMap::new(),
                    next: 0,
                }),
            }
        }
    }

    /// Acquires weight `n`, waiting until it is available or `ctx` is done
    /// (Go's `Acquire`). Waiters are served in arrival order.
    ///
    /// A context that is already done fails at once, even if the weight is
    /// free. A request larger than the semaphore's size waits until `ctx`
    /// is done, without holding up the requests behind it.
    ///
    /// # Errors
    ///
    /// `ctx.err()` if `ctx` is done before the weight is acquired; nothing
    /// is held then (a grant that raced with the cancellation is given
    /// back).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use gosync::context::{self, Error};
    /// use gosync::semaphore::Weighted;
    ///
    /// let sem = Weighted::new(1);
    /// sem.acquire(&context::background(), 1).unwrap();
    /// let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(1));
    /// assert_eq!(sem.acquire(&ctx, 1), Err(Error::DeadlineExceeded));
    /// ```
    pub fn acquire(&self, ctx: &Context, n: i64) -> Result<(), context::Error> {
        let done = ctx.done();
        let mut s = self.state.lock();
        // A context done before the call (or while we waited for the lock)
        // fails, even if the weight is free.
        if let Some(err) = ctx.err() {
            return Err(err);
        }
        if self.size - s.cur >= n && s.waiters.is_empty() {
            s.cur += n;
            return Ok(());
        }
        if n > self.size {
            // Never satisfiable: wait for the context without queueing, so
            // as not to hold up the waiters behind.
            drop(s);
            done.recv();
            return Err(done_err(ctx));
        }
        let ready = Chan::new(0);
        let ticket = s.next;
        s.next += 1;
        s.waiters.insert(
            ticket,
            Waiter {
                n,
                ready: ready.clone(),
            },
        );
        drop(s);
        select! {
            recv(&ready) -> _ => {
                // Granted; but a context done meanwhile still fails.
                if let Some(err) = ctx.err() {
                    self.release(n);
                    return Err(err);
                }
                Ok(())
            },
            recv(&done) -> _ => {
                let mut s = self.state.lock();
                let front = s.waiters.keys().next() == Some(&ticket);
                if s.waiters.remove(&ticket).is_none() {
                    // Granted at the same time: give the weight back.
                    s.cur -= n;
                    self.notify_waiters(&mut s);
                } else if front && self.size > s.cur {
                    // We were holding up the queue: let the next ones in.
                    self.notify_waiters(&mut s);
                }
                Err(done_err(ctx))
            },
        }
    }

    /// Acquires weight `n` if that needs no waiting (Go's `TryAcquire`):
    /// the weight is free and nobody is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gosync::semaphore::Weighted::new(2);
    /// assert!(sem.try_acquire(2));
    /// assert!(!sem.try_acquire(1));
    /// sem.release(2);
    /// assert!(sem.try_acquire(1));
    /// ```
    pub fn try_acquire(&self, n: i64) -> bool {
        let mut s = self.state.lock();
        let ok = self.size - s.cur >= n && s.waiters.is_empty();
        if ok {
            s.cur += n;
        }
        ok
    }

    /// Releases weight `n` and wakes the waiters it makes room for, in
    /// order (Go's `Release`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::context;
    /// use gosync::semaphore::Weighted;
    ///
    /// let sem = Weighted::new(3);
    /// sem.acquire(&context::background(), 3).unwrap();
    /// sem.release(3);
    /// assert!(sem.try_acquire(3));
    /// ```
    ///
    /// # Panics
    ///
    /// "semaphore: released more than held" if more is released than is
    /// held.
    pub fn release(&self, n: i64) {
        let mut s = self.state.lock();
        s.cur -= n;
        if s.cur < 0 {
            drop(s);
            panic!("semaphore: released more than held");
        }
        self.notify_waiters(&mut s);
    }

    /// Grants waiters from the head of the queue while their weight fits.
    fn notify_waiters(&self, s: &mut State) {
        while let Some(entry) = s.waiters.first_entry() {
            let n = entry.get().n;
            if self.size - s.cur < n {
                // Not enough for the head. Serving a smaller one behind it
                // instead would starve large requests under load: leave
                // everyone waiting.
                break;
            }
            s.cur += n;
            entry.remove().ready.close();
        }
    }
}

/// The error of a context whose `done` channel has been closed.
fn done_err(ctx: &Context) -> context::Error {
    ctx.err().expect("a context is done only with an error")
}

impl fmt::Debug for Weighted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("Weighted")
            .field("size", &self.size)
            .field("held", &s.cur)
            .field("waiters", &s.waiters.len())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A grant and a cancellation that race give the weight back: the
    /// waiter is gone from the queue (granted), yet its context is done.
    #[test]
    fn grant_racing_cancel_gives_weight_back() {
        crate::run(|| {
            for _ in 0..200 {
                let sem = std::sync::Arc::new(Weighted::new(1));
                assert!(sem.try_acquire(1));
                let (ctx, cancel) = context::with_cancel(&context::background());
                let (s2, done) = (sem.clone(), Chan::new(1));
                let tx = done.clone();
                crate::go(move || tx.send(s2.acquire(&ctx, 1)));
                while sem.state.lock().waiters.is_empty() {
                    crate::runtime::gosched();
                }
                // Release and cancel at about the same time.
                let s3 = sem.clone();
                crate::go(move || s3.release(1));
                cancel();
                match done.recv().unwrap() {
                    Ok(()) => sem.release(1),
                    Err(e) => assert_eq!(e, context::Error::Canceled),
                }
                // Whatever happened, everything is free again.
                while !sem.try_acquire(1) {
                    crate::runtime::gosched();
                }
                assert_eq!(sem.state.lock().cur, 1);
            }
        });
    }
}
