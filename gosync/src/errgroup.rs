//! Groups of goroutines working on subtasks of one task, with the first
//! error and cancellation (`golang.org/x/sync/errgroup`).
//!
//! | Go                                   | gosync                                     |
//! |--------------------------------------|--------------------------------------------|
//! | `var g errgroup.Group`               | [`Group::new()`](Group::new)               |
//! | `g, ctx := errgroup.WithContext(ctx)` | [`let (g, ctx) = Group::with_context(&ctx)`](Group::with_context) |
//! | `g.Go(f)`, `g.TryGo(f)`              | [`g.go(f)`](Group::go), [`g.try_go(f)`](Group::try_go) |
//! | `g.SetLimit(n)`                      | [`g.set_limit(n)`](Group::set_limit)       |
//! | `err := g.Wait()`                    | [`g.wait()`](Group::wait)                  |

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use crate::chan::Chan;
use crate::context::{self, CancelCauseFunc, Context};
use crate::sync::{Mutex, WaitGroup};

/// A collection of goroutines working on subtasks of the same task (Go's
/// `errgroup.Group`): [`go`](Group::go) starts one, [`wait`](Group::wait)
/// waits for all of them and returns the first error.
///
/// A group made by [`with_context`](Group::with_context) also cancels its
/// context at the first error, so that the other subtasks can stop early.
/// [`set_limit`](Group::set_limit) bounds how many run at once.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::errgroup::Group;
/// use gosync::sync::Mutex;
///
/// let g = Group::<String>::new();
/// let sizes = Arc::new(Mutex::new(Vec::new()));
/// for name in ["a.txt", "bb.txt", "missing"] {
///     let sizes = sizes.clone();
///     g.go(move || {
///         if name == "missing" {
///             return Err(format!("{name}: not found"));
///         }
///         sizes.lock().push(name.len());
///         Ok(())
///     });
/// }
/// assert_eq!(g.wait(), Err("missing: not found".to_string()));
/// assert_eq!(sizes.lock().len(), 2, "the other subtasks ran");
/// ```
///
/// # Panics
///
/// A panic in a subtask is caught in its goroutine and resumed in the
/// caller of [`wait`](Group::wait), after every subtask has finished.
///
/// # Differences from Go
///
/// - The first error is moved out by the first [`wait`](Group::wait) that
///   returns it; a later `wait` returns `Ok(())` (Go's returns the same
///   error again, which would need `E: Clone`).
/// - A panic resumes with its original payload, not wrapped with a stack
///   as Go's `errgroup.PanicValue`.
pub struct Group<E> {
    inner: Arc<Inner<E>>,
}

struct Inner<E> {
    /// For a group made by `with_context`: cancels its context.
    cancel: Option<Canceller<E>>,
    /// Counts the running subtasks.
    wg: WaitGroup,
    /// Under a limit, a channel of that capacity holding a token per
    /// running subtask (Go's `sem`); `None` without a limit.
    sem: Mutex<Option<Chan<()>>>,
    outcome: Mutex<Outcome<E>>,
}

/// How a group made by `with_context` cancels its context.
struct Canceller<E> {
    cancel: CancelCauseFunc,
    /// Makes the cause out of the first error.
    to_cause: fn(&E) -> Arc<dyn StdError + Send + Sync>,
}

/// What the subtasks ended with.
struct Outcome<E> {
    /// The first error, until a `wait` takes it.
    err: Option<E>,
    /// Whether a subtask has returned an error (the first one wins, even
    /// after `wait` has taken it).
    failed: bool,
    /// The first panic's payload, until a `wait` resumes it.
    panic: Option<Box<dyn Any + Send>>,
    /// Whether a subtask has panicked.
    panicked: bool,
}

impl<E: Send + 'static> Group<E> {
    /// An empty group without a limit, which cancels nothing on error (Go's
    /// zero `Group`).
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gosync::errgroup::Group::<std::io::Error>::new();
    /// g.go(|| Ok(()));
    /// assert!(g.wait().is_ok());
    /// ```
    pub fn new() -> Group<E> {
        Group::make(None)
    }

    fn make(cancel: Option<Canceller<E>>) -> Group<E> {
        Group {
            inner: Arc::new(Inner {
                cancel,
                wg: WaitGroup::new(),
                sem: Mutex::new(None),
                outcome: Mutex::new(Outcome {
                    err: None,
                    failed: false,
                    panic: None,
                    panicked: false,
                }),
            }),
        }
    }

    /// A new group and a context derived from `ctx` (Go's `WithContext`).
    /// The context is cancelled the first time a subtask returns an error,
    /// with that error as its [`cause`](context::cause), or when
    /// [`wait`](Group::wait) returns, whichever comes first.
    ///
    /// The error type must turn into a shareable cause: any `Clone` error
    /// type, `String`, `&'static str`, or an `Arc<dyn Error + Send + Sync>`
    /// (wrap a non-`Clone` error such as `std::io::Error` in an `Arc`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::context::{self, Error};
    /// use gosync::errgroup::Group;
    ///
    /// let (g, ctx) = Group::<String>::with_context(&context::background());
    /// let worker = ctx.clone();
    /// g.go(move || {
    ///     worker.done().recv(); // stops when a sibling fails
    ///     Err(worker.err().unwrap().to_string())
    /// });
    /// g.go(|| Err("disk full".to_string()));
    /// assert_eq!(g.wait(), Err("disk full".to_string()));
    /// assert_eq!(ctx.err(), Some(Error::Canceled));
    /// assert_eq!(context::cause(&ctx).unwrap().to_string(), "disk full");
    /// ```
    pub fn with_context(ctx: &Context) -> (Group<E>, Context)
    where
        E: Clone + Into<Box<dyn StdError + Send + Sync>>,
    {
        fn to_cause<E: Clone + Into<Box<dyn StdError + Send + Sync>>>(
            e: &E,
        ) -> Arc<dyn StdError + Send + Sync> {
            Arc::from(e.clone().into())
        }
        let (ctx, cancel) = context::with_cancel_cause(ctx);
        let canceller = Canceller {
            cancel,
            to_cause: to_cause::<E>,
        };
        (Group::make(Some(canceller)), ctx)
    }

    /// Runs `f` in a new goroutine, waiting first, under a limit, until
    /// fewer than the limit are running (Go's `Go`). The first error a
    /// subtask returns is what [`wait`](Group::wait) returns, and cancels
    /// the group's context.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gosync::errgroup::Group::<&str>::new();
    /// g.set_limit(1);
    /// g.go(|| Ok(()));
    /// g.go(|| Err("second")); // starts once the first has finished
    /// assert_eq!(g.wait(), Err("second"));
    /// ```
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let sem = self.inner.sem.lock().clone();
        if let Some(sem) = &sem {
            sem.send(());
        }
        self.start(f, sem);
    }

    /// Runs `f` in a new goroutine if that needs no waiting: there is no
    /// limit or fewer than the limit are running (Go's `TryGo`). Returns
    /// whether it started.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::chan::Chan;
    /// use gosync::errgroup::Group;
    ///
    /// let g = Group::<()>::new();
    /// g.set_limit(1);
    /// let release = Chan::<()>::new(0);
    /// let r = release.clone();
    /// assert!(g.try_go(move || Ok(r.recv().unwrap())));
    /// assert!(!g.try_go(|| Ok(())), "one is running: at the limit");
    /// release.send(());
    /// g.wait().unwrap();
    /// ```
    pub fn try_go<F>(&self, f: F) -> bool
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let sem = self.inner.sem.lock().clone();
        if let Some(sem) = &sem {
            if sem.try_send(()).is_err() {
                return false;
            }
        }
        self.start(f, sem);
        true
    }

    fn start<F>(&self, f: F, sem: Option<Chan<()>>)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        self.inner.wg.add(1);
        let inner = self.inner.clone();
        crate::go(move || {
            match panic::catch_unwind(AssertUnwindSafe(f)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => inner.fail(e),
                Err(payload) => inner.panicked(payload),
            }
            // The token is the subtask's own: a later `set_limit` makes a
            // new channel, which this one never received from.
            if let Some(sem) = sem {
                sem.recv();
            }
            inner.wg.done();
        });
    }

    /// Limits the number of subtasks running at once to `n` (Go's
    /// `SetLimit`); a negative `n` removes the limit. A limit of 0 lets
    /// nothing start: [`go`](Group::go) blocks forever and
    /// [`try_go`](Group::try_go) fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gosync::errgroup::Group::<()>::new();
    /// g.set_limit(0);
    /// assert!(!g.try_go(|| Ok(())));
    /// g.set_limit(-1);
    /// assert!(g.try_go(|| Ok(())));
    /// g.wait().unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// "errgroup: modify limit while N goroutines in the group are still
    /// active" if a limit was set and subtasks started under it are still
    /// running, as Go's.
    pub fn set_limit(&self, n: isize) {
        let mut sem = self.inner.sem.lock();
        let Ok(n) = usize::try_from(n) else {
            *sem = None;
            return;
        };
        if let Some(active) = sem.as_ref().map(Chan::len).filter(|&a| a != 0) {
            drop(sem);
            panic!(
                "errgroup: modify limit while {active} goroutines in the group are still active"
            );
        }
        *sem = Some(Chan::new(n));
    }

    /// Waits until every subtask has returned, cancels the group's context,
    /// and returns the first error (Go's `Wait`). Every subtask happens
    /// before `wait` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gosync::errgroup::Group::<String>::new();
    /// g.go(|| Err("first".into()));
    /// assert_eq!(g.wait(), Err("first".into()));
    /// ```
    ///
    /// # Errors
    ///
    /// The first error a subtask returned, if none has been returned by an
    /// earlier `wait`.
    ///
    /// # Panics
    ///
    /// If a subtask panicked, `wait` resumes the first such panic, with its
    /// payload.
    pub fn wait(&self) -> Result<(), E> {
        self.inner.wg.wait();
        if let Some(c) = &self.inner.cancel {
            // After an error the context is cancelled already, with the
            // error as its cause; else the cause is `Canceled`.
            (c.cancel)(None);
        }
        let mut outcome = self.inner.outcome.lock();
        if let Some(payload) = outcome.panic.take() {
            drop(outcome);
            panic::resume_unwind(payload);
        }
        match outcome.err.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl<E> Inner<E> {
    fn fail(&self, e: E) {
        let mut outcome = self.outcome.lock();
        if outcome.failed {
            return;
        }
        outcome.failed = true;
        if let Some(c) = &self.cancel {
            (c.cancel)(Some((c.to_cause)(&e)));
        }
        outcome.err = Some(e);
    }

    fn panicked(&self, payload: Box<dyn Any + Send>) {
        let mut outcome = self.outcome.lock();
        if !outcome.panicked {
            outcome.panicked = true;
            // Go cancels with the error so far (nil: `Canceled`); after an
            // error the context is cancelled already.
            if let Some(c) = &self.cancel {
                (c.cancel)(None);
            }
            outcome.panic = Some(payload);
        }
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Group<E> {
        Group::new()
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = self.inner.sem.lock().as_ref().map(Chan::cap);
        f.debug_struct("Group")
            .field("limit", &limit)
            .field("with_context", &self.inner.cancel.is_some())
            .finish_non_exhaustive()
    }
}
