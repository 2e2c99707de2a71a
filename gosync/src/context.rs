//! Go's `context` package: cancellation, deadlines and request-scoped
//! values, carried down a tree of contexts.
//!
//! | Go                                   | gosync                                          |
//! |--------------------------------------|-------------------------------------------------|
//! | `context.Background()`, `TODO()`     | [`background()`], [`todo()`]                    |
//! | `ctx, cancel := WithCancel(parent)`  | [`let (ctx, cancel) = with_cancel(&parent)`](with_cancel) |
//! | `WithCancelCause(parent)`            | [`with_cancel_cause`], then `cancel(Some(cause))` |
//! | `WithTimeout`, `WithDeadline`        | [`with_timeout`], [`with_deadline`]             |
//! | `WithTimeoutCause`, `WithDeadlineCause` | [`with_timeout_cause`], [`with_deadline_cause`] |
//! | `WithValue(parent, key, val)`        | [`with_value(&parent, val)`](with_value) (keyed by the value's type) |
//! | `WithoutCancel(parent)`              | [`without_cancel`]                              |
//! | `AfterFunc(ctx, f)`                  | [`after_func`]                                  |
//! | `ctx.Done()`, `ctx.Err()`            | [`ctx.done()`](Context::done), [`ctx.err()`](Context::err) |
//! | `ctx.Deadline()`, `ctx.Value(key)`   | [`ctx.deadline()`](Context::deadline), [`ctx.value::<V>()`](Context::value) |
//! | `context.Cause(ctx)`                 | [`cause(&ctx)`](cause)                          |
//! | `context.Canceled`, `DeadlineExceeded` | [`Error::Canceled`], [`Error::DeadlineExceeded`] |
//!
//! Cancelling a context cancels every context derived from it and closes
//! their [`done`](Context::done) channels, which work in
//! [`select!`](crate::select). A cancelled context leaves its parent, so a
//! long-lived parent with many short-lived children keeps none of them.
//! Deadlines are entries in the runtime's one timer service, not threads.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use gosync::{context, select, time};
//!
//! let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_millis(5));
//! let work = time::after(Duration::from_secs(3600)); // too slow
//! let outcome = select! {
//!     recv(&work) -> _ => Ok(()),
//!     recv(&ctx.done()) -> _ => Err(ctx.err().unwrap()),
//! };
//! assert_eq!(outcome, Err(context::Error::DeadlineExceeded));
//! assert_eq!(outcome.unwrap_err().to_string(), "context deadline exceeded");
//! cancel(); // releases the timer early when the work wins; harmless here
//! ```

use std::any::{self, Any};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::chan::Chan;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use crate::rt::{clock, hb, timer};
use crate::sync::Mutex;

/// Why a context is done: what [`Context::err`] returns once it is.
///
/// # Examples
///
/// ```
/// use gosync::context::{self, Error};
///
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// assert_eq!(ctx.err(), None);
/// cancel();
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert_eq!(Error::Canceled.to_string(), "context canceled");
/// assert!(Error::DeadlineExceeded.timeout());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The context was cancelled (Go's `context.Canceled`): "context canceled".
    Canceled,
    /// The context's deadline passed (Go's `context.DeadlineExceeded`):
    /// "context deadline exceeded".
    DeadlineExceeded,
}

impl Error {
    /// Whether this error is a timeout, as Go's `DeadlineExceeded` reports
    /// through its `Timeout() bool` method: true for
    /// [`DeadlineExceeded`](Error::DeadlineExceeded) only.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::context::Error;
    /// assert!(Error::DeadlineExceeded.timeout());
    /// assert!(!Error::Canceled.timeout());
    /// ```
    pub fn timeout(&self) -> bool {
        *self == Error::DeadlineExceeded
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl StdError for Error {}

/// A shared error value: what a cause is.
type DynError = Arc<dyn StdError + Send + Sync>;

/// Cancels its context (Go's `CancelFunc`): call it as `cancel()`.
///
/// It cancels the context and everything derived from it, closes their
/// `done` channels, stops the context's timer and detaches it from its
/// parent. Only the first call does anything; it may be called from any
/// number of goroutines at once, and it does not wait for the work the
/// context governs to stop.
pub type CancelFunc = Arc<dyn Fn() + Send + Sync>;

/// Cancels its context with a cause (Go's `CancelCauseFunc`): call it as
/// `cancel(Some(cause))`, or `cancel(None)` for the cause
/// [`Error::Canceled`]. The cause is what [`cause`] then returns; `err()`
/// still says [`Error::Canceled`].
pub type CancelCauseFunc = Arc<dyn Fn(Option<Arc<dyn StdError + Send + Sync>>) + Send + Sync>;

/// Stops an [`after_func`] (Go's `stop func() bool`): `stop()` returns
/// `true` if it prevented the function from running, `false` if the
/// function had already been started or stopped.
pub type StopFunc = Arc<dyn Fn() -> bool + Send + Sync>;

/// Carries a cancellation signal, a deadline and request-scoped values
/// across API boundaries and goroutines (Go's `context.Context`).
///
/// A `Context` is a cheap handle (a clone is a reference count); pass it
/// by reference or clone it into goroutines. Derive children with
/// [`with_cancel`], [`with_timeout`], [`with_deadline`], [`with_value`] and
/// [`without_cancel`]; start from [`background()`].
///
/// # Examples
///
/// ```
/// use gosync::context;
///
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// let worker = ctx.clone();
/// let finished = gosync::chan::Chan::new(0);
/// let tx = finished.clone();
/// gosync::go(move || {
///     worker.done().recv(); // blocks until cancelled
///     tx.send(worker.err());
/// });
/// cancel();
/// assert_eq!(finished.recv(), Some(Some(context::Error::Canceled)));
/// ```
///
/// # Differences from Go
///
/// `Context` is a type, not an interface: contexts are the ones this module
/// makes. Values are keyed by their type (see [`with_value`]).
#[derive(Clone)]
pub struct Context {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Background,
    Todo,
    Node(Arc<Node>),
}

/// A derived context: what it adds to its parent.
struct Node {
    parent: Context,
    kind: Kind,
    /// The nearest context at or above this one that can be cancelled, whose
    /// `done` and `err` are this one's; `None` if none can (the chain ends
    /// at `background` or passes a `without_cancel`).
    canceler: Option<Arc<CancelCtx>>,
    /// The earliest deadline at or above this context.
    deadline: Option<Instant>,
}

enum Kind {
    Cancel,
    Deadline(Instant),
    Value {
        value: Arc<dyn Any + Send + Sync>,
        type_name: &'static str,
    },
    WithoutCancel,
}

impl Context {
    fn node(parent: &Context, kind: Kind, canceler: Option<Arc<CancelCtx>>) -> Context {
        let deadline = match kind {
            Kind::Deadline(d) => Some(d),
            Kind::WithoutCancel => None,
            Kind::Cancel | Kind::Value { .. } => parent.deadline(),
        };
        Context {
            repr: Repr::Node(Arc::new(Node {
                parent: parent.clone(),
                kind,
                canceler,
                deadline,
            })),
        }
    }

    fn canceler(&self) -> Option<&Arc<CancelCtx>> {
        match &self.repr {
            Repr::Node(n) => n.canceler.as_ref(),
            _ => None,
        }
    }

    /// A channel that is closed when this context is done (Go's `Done()`):
    /// when it is cancelled, its deadline passes, or its parent is done.
    /// Every call returns the same channel. A context that can never be
    /// done ([`background()`], [`todo()`], [`without_cancel`] and values
    /// derived only from those) returns the nil channel, whose cases a
    /// [`select!`](crate::select) never chooses.
    ///
    /// The cancellation happens before the close is received.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::chan::TryRecvError;
    /// use gosync::context;
    ///
    /// assert!(context::background().done().is_nil());
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// assert_eq!(ctx.done().try_recv(), Err(TryRecvError::Empty));
    /// cancel();
    /// assert_eq!(ctx.done().recv(), None); // closed
    /// ```
    pub fn done(&self) -> Chan<()> {
        self.canceler().map_or_else(Chan::nil, |c| c.done.clone())
    }

    /// `None` while the context is not done; then why it is done (Go's
    /// `Err()`): [`Error::Canceled`] or [`Error::DeadlineExceeded`], for
    /// good. The cancellation happens before an `err` that reports it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::context::{self, Error};
    ///
    /// let (ctx, _cancel) = context::with_timeout(&context::background(), std::time::Duration::ZERO);
    /// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    /// ```
    pub fn err(&self) -> Option<Error> {
        self.canceler()?.err()
    }

    /// When this context will be cancelled by a deadline, if it has one
    /// (Go's `Deadline()`): the earliest of its own and its ancestors'.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use gosync::context;
    ///
    /// assert_eq!(context::background().deadline(), None);
    /// let soon = Instant::now() + Duration::from_secs(60);
    /// let (parent, _c1) = context::with_deadline(&context::background(), soon);
    /// let (child, _c2) = context::with_timeout(&parent, Duration::from_secs(3600));
    /// assert_eq!(child.deadline(), Some(soon)); // the parent's is earlier
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match &self.repr {
            Repr::Node(n) => n.deadline,
            _ => None,
        }
    }

    /// The value of type `V` that the nearest [`with_value`] of a `V` at or
    /// above this context holds (Go's `Value(key)`, with the type as key).
    ///
    /// # Examples
    ///
    /// ```
    /// use gosync::context;
    ///
    /// struct RequestId(u64);
    /// let ctx = context::with_value(&context::background(), RequestId(7));
    /// let (ctx, _cancel) = context::with_cancel(&ctx);
    /// assert_eq!(ctx.value::<RequestId>().map(|id| id.0), Some(7));
    /// assert!(ctx.value::<String>().is_none());
    /// ```
    pub fn value<V: Any + Send + Sync>(&self) -> Option<Arc<V>> {
        let mut ctx = self;
        loop {
            let Repr::Node(n) = &ctx.repr else {
                return None;
            };
            if let Kind::Value { value, .. } = &n.kind {
                if value.is::<V>() {
                    return value.clone().downcast::<V>().ok();
                }
            }
            ctx = &n.parent;
        }
    }
}

impl Default for Context {
    /// [`background()`].
    fn default() -> Context {
        background()
    }
}

impl fmt::Debug for Context {
    /// Go's `String()`: the chain of derivations, as
    /// `context.Background.WithCancel`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = match &self.repr {
            Repr::Background => return f.write_str("context.Background"),
            Repr::Todo => return f.write_str("context.TODO"),
            Repr::Node(n) => n,
        };
        fmt::Debug::fmt(&n.parent, f)?;
        match &n.kind {
            Kind::Cancel => f.write_str(".WithCancel"),
            Kind::Deadline(d) => {
                let left = d.saturating_duration_since(clock::now());
                write!(f, ".WithDeadline([{left:?}])")
            }
            Kind::Value { type_name, .. } => write!(f, ".WithValue(type {type_name})"),
            Kind::WithoutCancel => f.write_str(".WithoutCancel"),
        }
    }
}

impl Drop for Node {
    /// Drops a chain of contexts that nobody else holds one at a time
    /// rather than recursively, so that a deep chain cannot overflow a
    /// goroutine's fixed-size stack.
    fn drop(&mut self) {
        let mut parent = std::mem::take(&mut self.parent);
        while let Repr::Node(n) = parent.repr {
            match Arc::try_unwrap(n) {
                // `node` drops with a background parent: no recursion.
                Ok(mut node) => parent = std::mem::take(&mut node.parent),
                Err(_) => break,
            }
        }
    }
}

/// The root of every context tree: never cancelled, no deadline, no values
/// (Go's `context.Background()`). Use it in `main`, tests and at the top
/// of a request.
///
/// # Examples
///
/// ```
/// let ctx = gosync::context::background();
/// assert_eq!(ctx.err(), None);
/// assert_eq!(format!("{ctx:?}"), "context.Background");
/// ```
pub fn background() -> Context {
    Context {
        repr: Repr::Background,
    }
}

/// A placeholder root, for code that does not yet know which context to
/// use (Go's `context.TODO()`); it behaves as [`background()`].
///
/// # Examples
///
/// ```
/// let ctx = gosync::context::todo();
/// assert!(ctx.done().is_nil());
/// assert_eq!(format!("{ctx:?}"), "context.TODO");
/// ```
pub fn todo() -> Context {
    Context { repr: Repr::Todo }
}

/// A child of `parent` that is cancelled when `cancel` is called or when
/// `parent` is done, whichever happens first (Go's `WithCancel`).
///
/// Call `cancel` as soon as the work the context governs is finished: it
/// releases the context's place among its parent's children (one that is
/// never called keeps it there until the parent is cancelled, as in Go).
/// A child of a context that is already done is done at once.
///
/// # Examples
///
/// ```
/// use gosync::context::{self, Error};
///
/// let (parent, cancel_parent) = context::with_cancel(&context::background());
/// let (child, _cancel_child) = context::with_cancel(&parent);
/// cancel_parent();
/// assert_eq!(child.err(), Some(Error::Canceled));
/// assert_eq!(child.done().recv(), None);
/// ```
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    let c = CancelCtx::attach(parent);
    let ctx = Context::node(parent, Kind::Cancel, Some(c.clone()));
    (ctx, Arc::new(move || c.cancel(true, Error::Canceled, None)))
}

/// As [`with_cancel`], but `cancel` records a cause, which [`cause`]
/// returns (Go's `WithCancelCause`). `cancel(None)` sets the cause
/// [`Error::Canceled`]; either way `err()` is [`Error::Canceled`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gosync::context::{self, Error};
///
/// let (ctx, cancel) = context::with_cancel_cause(&context::background());
/// cancel(Some(Arc::new(std::fmt::Error)));
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), std::fmt::Error.to_string());
/// ```
pub fn with_cancel_cause(parent: &Context) -> (Context, CancelCauseFunc) {
    let c = CancelCtx::attach(parent);
    let ctx = Context::node(parent, Kind::Cancel, Some(c.clone()));
    (
        ctx,
        Arc::new(move |cause| c.cancel(true, Error::Canceled, cause)),
    )
}

/// A child of `parent` that is done at `deadline`, when `cancel` is called,
/// or when `parent` is done, whichever happens first (Go's `WithDeadline`).
/// Its deadline is the earlier of `deadline` and the parent's; a deadline
/// already past makes it done at once, with [`Error::DeadlineExceeded`].
///
/// Call `cancel` when the work is finished: it stops the timer and releases
/// the context's place among its parent's children.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use gosync::context::{self, Error};
///
/// let (ctx, _cancel) =
///     context::with_deadline(&context::background(), Instant::now() + Duration::from_millis(1));
/// ctx.done().recv();
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// ```
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    with_deadline_cause(parent, deadline, None)
}

/// As [`with_deadline`], with the cause [`cause`] reports when the deadline
/// passes (Go's `WithDeadlineCause`); `None` reports
/// [`Error::DeadlineExceeded`]. A `cancel()` call still has the cause
/// [`Error::Canceled`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Instant;
/// use gosync::context::{self, Error};
///
/// let slow: Arc<dyn std::error::Error + Send + Sync> = Arc::new(std::fmt::Error);
/// let (ctx, _cancel) =
///     context::with_deadline_cause(&context::background(), Instant::now(), Some(slow.clone()));
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// assert!(Arc::ptr_eq(&context::cause(&ctx).unwrap(), &slow));
/// ```
pub fn with_deadline_cause(
    parent: &Context,
    deadline: Instant,
    cause: Option<Arc<dyn StdError + Send + Sync>>,
) -> (Context, CancelFunc) {
    if parent.deadline().is_some_and(|cur| cur < deadline) {
        // The parent's deadline is sooner: it will cancel this one first.
        return with_cancel(parent);
    }
    let c = CancelCtx::attach(parent);
    let ctx = Context::node(parent, Kind::Deadline(deadline), Some(c.clone()));
    if deadline <= clock::now() {
        c.cancel(true, Error::DeadlineExceeded, cause);
    } else {
        c.arm(deadline, cause);
    }
    (ctx, Arc::new(move || c.cancel(true, Error::Canceled, None)))
}

/// `with_deadline(parent, now + timeout)` (Go's `WithTimeout`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gosync::context::{self, Error};
///
/// let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_secs(3600));
/// cancel(); // finished early: stops the timer
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// ```
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, deadline_in(timeout))
}

/// `with_deadline_cause(parent, now + timeout, cause)` (Go's
/// `WithTimeoutCause`).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use gosync::context;
///
/// let (ctx, _cancel) = context::with_timeout_cause(
///     &context::background(),
///     Duration::ZERO,
///     Some(Arc::new(std::fmt::Error)),
/// );
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "an error occurred when formatting an argument");
/// ```
pub fn with_timeout_cause(
    parent: &Context,
    timeout: Duration,
    cause: Option<Arc<dyn StdError + Send + Sync>>,
) -> (Context, CancelFunc) {
    with_deadline_cause(parent, deadline_in(timeout), cause)
}

/// `now + timeout`; a timeout too long to represent is a century.
fn deadline_in(timeout: Duration) -> Instant {
    let now = clock::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// A child of `parent` that carries `value`, found by
/// [`Context::value::<V>()`](Context::value) on it and on everything derived
/// from it (Go's `WithValue`). The value's type is its key, as Go code keys
/// values by an unexported type of its own: define a type per value.
///
/// # Examples
///
/// ```
/// use gosync::context;
///
/// #[derive(Debug, PartialEq)]
/// struct User(&'static str);
/// let ctx = context::with_value(&context::background(), User("gopher"));
/// let inner = context::with_value(&ctx, User("ferris"));
/// assert_eq!(*inner.value::<User>().unwrap(), User("ferris")); // nearest wins
/// assert_eq!(*ctx.value::<User>().unwrap(), User("gopher"));
/// ```
///
/// # Differences from Go
///
/// Go keys values by any comparable key; here the key is the type `V`, so
/// two values of one type shadow each other, as two `WithValue`s with the
/// same key do in Go.
pub fn with_value<V: Any + Send + Sync>(parent: &Context, value: V) -> Context {
    Context::node(
        parent,
        Kind::Value {
            value: Arc::new(value),
            type_name: any::type_name::<V>(),
        },
        parent.canceler().cloned(),
    )
}

/// A child of `parent` that keeps its values but is never cancelled: no
/// deadline, a nil `done` channel, no `err` (Go's `WithoutCancel`), for
/// work that must outlive the request that started it.
///
/// # Examples
///
/// ```
/// use gosync::context;
///
/// struct Trace(u32);
/// let (ctx, cancel) = context::with_cancel(&context::with_value(&context::background(), Trace(9)));
/// let detached = context::without_cancel(&ctx);
/// cancel();
/// assert_eq!(detached.err(), None);
/// assert_eq!(detached.value::<Trace>().map(|t| t.0), Some(9));
/// ```
pub fn without_cancel(parent: &Context) -> Context {
    Context::node(parent, Kind::WithoutCancel, None)
}

/// The cause of the context's cancellation (Go's `context.Cause`): the
/// cause given to a [`CancelCauseFunc`] or to [`with_deadline_cause`], else
/// the [`Error`] that `err()` reports, as an error; `None` while the
/// context is not done. A child cancelled by its parent has its parent's
/// cause.
///
/// # Examples
///
/// ```
/// use gosync::context::{self, Error};
///
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// assert!(context::cause(&ctx).is_none());
/// cancel();
/// let cause = context::cause(&ctx).unwrap();
/// assert_eq!(cause.downcast_ref::<Error>(), Some(&Error::Canceled));
/// ```
pub fn cause(ctx: &Context) -> Option<Arc<dyn StdError + Send + Sync>> {
    let c = ctx.canceler()?;
    let cause = c.shared.lock().cause.clone();
    cause
}

/// Arranges for `f` to run, once, in its own goroutine, after `ctx` is
/// done (Go's `AfterFunc`); at once if it already is. `f` never runs if
/// `ctx` can never be done. The returned [`StopFunc`] unregisters `f`.
///
/// # Examples
///
/// ```
/// use gosync::chan::Chan;
/// use gosync::context;
///
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// let ran = Chan::new(1);
/// let tx = ran.clone();
/// let stop = context::after_func(&ctx, move || tx.send("cleaned up"));
/// cancel();
/// assert_eq!(ran.recv(), Some("cleaned up"));
/// assert!(!stop(), "too late: f has started");
/// ```
pub fn after_func<F: FnOnce() + Send + 'static>(ctx: &Context, f: F) -> StopFunc {
    let a = Arc::new(AfterFunc {
        f: Mutex::new(Some(Box::new(f))),
    });
    let parent = ctx.canceler().map(|p| {
        p.adopt(Child::AfterFunc(a.clone()));
        Arc::downgrade(p)
    });
    Arc::new(move || {
        let stopped = a.f.lock().take().is_some();
        if stopped {
            if let Some(p) = parent.as_ref().and_then(Weak::upgrade) {
                p.remove_child(Arc::as_ptr(&a) as usize);
            }
        }
        stopped
    })
}

/// A function waiting for its context to be done.
struct AfterFunc {
    /// Taken by whichever comes first: the context's cancellation (which
    /// starts it) or the stop function (which drops it).
    f: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl AfterFunc {
    fn start(&self) {
        let f = self.f.lock().take();
        if let Some(f) = f {
            crate::go(f);
        }
    }
}

/// `CancelCtx::state`: not done; `err()` is `None`.
const LIVE: u8 = 0;
/// `CancelCtx::state`: done by a cancel function or a cancelled parent
/// (`Error::Canceled`).
const CANCELED: u8 = 1;
/// `CancelCtx::state`: done because a deadline passed
/// (`Error::DeadlineExceeded`).
const DEADLINE_EXCEEDED: u8 = 2;

/// What a cancellable context shares with its children and its cancel
/// function (Go's `cancelCtx`, with the timer of `timerCtx`).
///
/// Parents hold their children's `CancelCtx` (so that cancelling reaches
/// them even if nobody else holds them), and a child holds only a weak
/// reference back, to leave; so an uncancelled tree that nobody holds is
/// freed rather than kept by a cycle.
struct CancelCtx {
    /// | value               | meaning                        | `err()`            |
    /// |---------------------|--------------------------------|--------------------|
    /// | `LIVE`              | not done                       | `None`             |
    /// | `CANCELED`          | cancelled (or its parent was)  | `Canceled`         |
    /// | `DEADLINE_EXCEEDED` | a deadline passed              | `DeadlineExceeded` |
    ///
    /// Only the first cancellation leaves `LIVE`, under `shared`'s lock, and
    /// the state never changes again; `err()` reads it without the lock.
    state: AtomicU8,
    /// Closed by the first cancellation.
    done: Chan<()>,
    /// The cancellable context this one is registered with, if any.
    parent: Option<Weak<CancelCtx>>,
    shared: Mutex<Shared>,
}

/// The part of a `CancelCtx` its lock protects.
struct Shared {
    /// Set by the first cancellation.
    cause: Option<DynError>,
    /// Contexts and after-functions to cancel with this one, by address;
    /// emptied by the first cancellation, and none is added after it.
    children: HashMap<usize, Child>,
    /// The deadline's timer, until it fires or the context is cancelled.
    timer: Option<timer::TimerId>,
}

enum Child {
    Ctx(Arc<CancelCtx>),
    AfterFunc(Arc<AfterFunc>),
}

impl Child {
    fn key(&self) -> usize {
        match self {
            Child::Ctx(c) => Arc::as_ptr(c) as usize,
            Child::AfterFunc(a) => Arc::as_ptr(a) as usize,
        }
    }
}

impl CancelCtx {
    /// A new cancellable context under `parent`, registered with the
    /// parent's nearest cancellable ancestor (Go's `propagateCancel`).
    fn attach(parent: &Context) -> Arc<CancelCtx> {
        let p = parent.canceler();
        let c = Arc::new(CancelCtx {
            state: AtomicU8::new(LIVE),
            done: Chan::new(0),
            parent: p.map(Arc::downgrade),
            shared: Mutex::new(Shared {
                cause: None,
                children: HashMap::new(),
                timer: None,
            }),
        });
        if let Some(p) = p {
            p.adopt(Child::Ctx(c.clone()));
        }
        c
    }

    fn err(&self) -> Option<Error> {
        // Acquire: pairs with the Release store in `finish`, so what the
        // canceller did before cancelling is visible to whoever sees it.
        match self.state.load(Ordering::Acquire) {
            LIVE => None,
            s => {
                hb::acquire(self);
                Some(if s == CANCELED {
                    Error::Canceled
                } else {
                    Error::DeadlineExceeded
                })
            }
        }
    }

    /// Registers `child` to be cancelled with this context, or cancels it
    /// now if this context is already done.
    fn adopt(&self, child: Child) {
        let mut s = self.shared.lock();
        // Relaxed: the state changes only under the lock we hold.
        let state = self.state.load(Ordering::Relaxed);
        if state == LIVE {
            s.children.insert(child.key(), child);
            return;
        }
        let cause = s.cause.clone();
        drop(s);
        let err = if state == CANCELED {
            Error::Canceled
        } else {
            Error::DeadlineExceeded
        };
        match child {
            Child::Ctx(c) => c.cancel(false, err, cause),
            Child::AfterFunc(a) => a.start(),
        }
    }

    fn remove_child(&self, key: usize) {
        self.shared.lock().children.remove(&key);
    }

    /// Starts the deadline's timer.
    fn arm(self: &Arc<Self>, deadline: Instant, cause: Option<DynError>) {
        let c = self.clone();
        // The callback runs on the timer service's thread, under its lock,
        // where taking a context's lock could deadlock with a `cancel` that
        // stops the timer: cancel in a goroutine, as Go's `time.AfterFunc`.
        let fire: timer::Callback = Arc::new(move |_| {
            let (c, cause) = (c.clone(), cause.clone());
            crate::go(move || c.cancel(true, Error::DeadlineExceeded, cause));
        });
        let id = timer::start(deadline, None, fire);
        let mut s = self.shared.lock();
        // Relaxed: the state changes only under the lock we hold.
        if self.state.load(Ordering::Relaxed) == LIVE {
            s.timer = Some(id);
        } else {
            // Cancelled before the timer was recorded: nobody else will
            // remove it.
            drop(s);
            timer::remove(id);
        }
    }

    /// Cancels this context and its descendants (Go's `cancelCtx.cancel`);
    /// with `leave`, also detaches it from its parent.
    fn cancel(self: &Arc<Self>, leave: bool, err: Error, cause: Option<DynError>) {
        let cause = cause.unwrap_or_else(|| Arc::new(err));
        let mut descendants = Vec::new();
        if !self.finish(err, &cause, &mut descendants) {
            return; // already cancelled
        }
        // Iteratively, not recursively: a deep chain of contexts must not
        // overflow a goroutine's fixed-size stack.
        while let Some(child) = descendants.pop() {
            match child {
                Child::Ctx(c) => {
                    c.finish(err, &cause, &mut descendants);
                }
                Child::AfterFunc(a) => a.start(),
            }
        }
        if leave {
            if let Some(p) = self.parent.as_ref().and_then(Weak::upgrade) {
                p.remove_child(Arc::as_ptr(self) as usize);
            }
        }
    }

    /// Marks this context done, if it was not, and hands over its children
    /// for the caller to cancel. Returns whether it was this call that did.
    fn finish(&self, err: Error, cause: &DynError, children: &mut Vec<Child>) -> bool {
        let timer = {
            let mut s = self.shared.lock();
            // Relaxed: the state changes only under the lock we hold.
            if self.state.load(Ordering::Relaxed) != LIVE {
                return false;
            }
            s.cause = Some(cause.clone());
            // The cancellation happens before an `err` that reports it;
            // the close below carries it to `done`'s receivers.
            hb::release(self);
            let state = match err {
                Error::Canceled => CANCELED,
                Error::DeadlineExceeded => DEADLINE_EXCEEDED,
            };
            // Release: see `err`.
            self.state.store(state, Ordering::Release);
            self.done.close();
            children.extend(s.children.drain().map(|(_, c)| c));
            s.timer.take()
        };
        if let Some(id) = timer {
            timer::remove(id);
        }
        true
    }
}

impl Drop for CancelCtx {
    /// Frees the uncancelled descendants that only this context held one
    /// at a time, as `Node`'s drop does for chains of contexts.
    fn drop(&mut self) {
        fn orphan(c: &mut CancelCtx, orphans: &mut Vec<Arc<CancelCtx>>) {
            for (_, child) in c.shared.get_mut().children.drain() {
                if let Child::Ctx(c) = child {
                    orphans.push(c);
                }
            }
        }
        let mut orphans = Vec::new();
        orphan(self, &mut orphans);
        while let Some(c) = orphans.pop() {
            if let Ok(mut c) = Arc::try_unwrap(c) {
                orphan(&mut c, &mut orphans);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn children(ctx: &Context) -> usize {
        ctx.canceler()
            .expect("a cancellable context")
            .shared
            .lock()
            .children
            .len()
    }

    /// Port of `XTestCancelRemoves` (src/context/context_test.go): a
    /// cancelled child leaves its parent's children.
    #[test]
    fn cancel_removes() {
        let (ctx, _cancel) = with_cancel(&background());
        assert_eq!(children(&ctx), 0, "after creation");
        let (_child, cancel) = with_cancel(&ctx);
        assert_eq!(children(&ctx), 1, "with WithCancel child");
        cancel();
        assert_eq!(children(&ctx), 0, "after canceling WithCancel child");

        let (ctx, _cancel) = with_cancel(&background());
        let (_child, cancel) = with_timeout(&ctx, Duration::from_secs(3600));
        assert_eq!(children(&ctx), 1, "with WithTimeout child");
        cancel();
        assert_eq!(children(&ctx), 0, "after canceling WithTimeout child");

        let (ctx, _cancel) = with_cancel(&background());
        let stop = after_func(&ctx, || {});
        assert_eq!(children(&ctx), 1, "with AfterFunc");
        assert!(stop());
        assert_eq!(children(&ctx), 0, "after stopping AfterFunc");
    }

    /// Port of the linkage checks of `XTestParentFinishesChild` and
    /// `XTestChildFinishesFirst`: cancellable children register with the
    /// nearest cancellable ancestor, through value contexts, and a cancelled
    /// parent clears its children.
    #[test]
    fn parent_links_children_through_values() {
        let (parent, cancel) = with_cancel(&background());
        let (_cancel_child, _stop1) = with_cancel(&parent);
        let value_child = with_value(&parent, "value");
        let (_timer_child, _stop2) = with_timeout(&value_child, Duration::from_secs(3600));
        assert_eq!(children(&parent), 2);
        cancel();
        assert_eq!(children(&parent), 0, "cancel clears the children");
    }

    /// No leak when a long-lived parent spawns many short children that
    /// are cancelled, or whose deadline passes.
    #[test]
    fn short_lived_children_do_not_accumulate() {
        let (parent, _cancel) = with_cancel(&background());
        for _ in 0..1_000 {
            let (child, cancel) = with_timeout(&parent, Duration::from_secs(3600));
            let (_grandchild, _c) = with_cancel(&child);
            cancel();
        }
        assert_eq!(children(&parent), 0);
        for _ in 0..10 {
            let (child, _cancel) = with_timeout(&parent, Duration::from_micros(1));
            assert_eq!(child.done().recv(), None);
        }
        // Each expired child left on its own (its cancel ran in a goroutine
        // that may still be finishing).
        let mut left = children(&parent);
        for _ in 0..10_000 {
            if left == 0 {
                break;
            }
            crate::runtime::gosched();
            crate::time::sleep(Duration::from_millis(1));
            left = children(&parent);
        }
        assert_eq!(left, 0, "expired children leave their parent");
    }

    /// The tree is freed when nobody holds it, cancelled or not: parents
    /// hold children, never the other way round.
    #[test]
    fn uncancelled_tree_is_freed() {
        let (root, cancel) = with_cancel(&background());
        let weak = Arc::downgrade(root.canceler().unwrap());
        let (child, _c) = with_cancel(&root);
        let (grandchild, _c2) = with_cancel(&child);
        drop((root, cancel, child, grandchild, _c, _c2));
        assert!(weak.upgrade().is_none());
    }

    /// A chain deeper than a goroutine's stack could recurse through is
    /// cancelled and dropped.
    #[test]
    fn deep_chains_cancel_and_drop_iteratively() {
        crate::run(|| {
            let (root, cancel) = with_cancel(&background());
            let mut ctx = root.clone();
            let mut cancels = Vec::new();
            for i in 0..50_000 {
                ctx = if i % 2 == 0 {
                    let (c, f) = with_cancel(&ctx);
                    cancels.push(f);
                    c
                } else {
                    with_value(&ctx, i)
                };
            }
            cancel();
            assert_eq!(ctx.err(), Some(Error::Canceled));
            drop(ctx);
            drop(cancels);
            drop(root);
        });
        // Uncancelled, too.
        crate::run(|| {
            let (root, _cancel) = with_cancel(&background());
            let mut ctx = root.clone();
            for _ in 0..50_000 {
                ctx = with_cancel(&ctx).0;
            }
            drop(ctx);
            drop(root);
        });
    }

    #[cfg(feature = "race")]
    #[test]
    fn cancel_releases_and_err_acquires() {
        use crate::rt::hb::{record, Event};
        let (ctx, cancel) = with_cancel(&background());
        let key = Arc::as_ptr(ctx.canceler().unwrap()) as usize;
        let (_, events) = record(|| cancel());
        assert!(events.contains(&Event::Release(key)), "{events:?}");
        let (_, events) = record(|| ctx.err());
        assert!(events.contains(&Event::Acquire(key)), "{events:?}");
        // The close of `done` carries the edge to its receivers.
        let done_key = ctx.done().hb_key() as usize;
        let (_, events) = record(|| ctx.done().recv());
        assert!(events.contains(&Event::Acquire(done_key)), "{events:?}");
    }
}
