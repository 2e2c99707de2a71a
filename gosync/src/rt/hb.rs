//! Happens-before hooks.
//!
//! Every primitive reports its synchronisation here, at the point where Go's
//! own `sync` package calls the race runtime: `acquire` after it has gained
//! what another released, `release` before it lets go. An object is named by
//! its address. Without the `race` feature every hook is an empty inline
//! function; with it, events go to the race detector (and, in this crate's own
//! tests, to a recorder that checks each primitive reports what it should).

/// A synchronisation event.
#[cfg(feature = "race")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The goroutine's clock joins the object's.
    Acquire(usize),
    /// The object's clock becomes the goroutine's.
    Release(usize),
    /// The object's clock joins the goroutine's (several releasers, as a
    /// `WaitGroup`'s `done`s or an `RwMutex`'s readers).
    ReleaseMerge(usize),
    /// This goroutine is about to start goroutine `id`.
    Fork(u64),
    /// Goroutine `id` starts (after its parent's `Fork`).
    Start(u64),
    /// Goroutine `id` finishes.
    Exit(u64),
    /// The goroutine has waited for goroutine `id` to finish.
    Join(u64),
}

#[inline(always)]
fn addr<T: ?Sized>(obj: *const T) -> usize {
    obj as *const () as usize
}

/// The caller has gained what was released on `obj`.
#[inline(always)]
pub(crate) fn acquire<T: ?Sized>(obj: *const T) {
    #[cfg(feature = "race")]
    imp::event(Event::Acquire(addr(obj)));
    #[cfg(not(feature = "race"))]
    let _ = addr(obj);
}

/// The caller lets go of `obj`; a later `acquire` of it is after this point.
#[inline(always)]
pub(crate) fn release<T: ?Sized>(obj: *const T) {
    #[cfg(feature = "race")]
    imp::event(Event::Release(addr(obj)));
    #[cfg(not(feature = "race"))]
    let _ = addr(obj);
}

/// As [`release`], but keeping what other goroutines released on `obj`.
#[inline(always)]
pub(crate) fn release_merge<T: ?Sized>(obj: *const T) {
    #[cfg(feature = "race")]
    imp::event(Event::ReleaseMerge(addr(obj)));
    #[cfg(not(feature = "race"))]
    let _ = addr(obj);
}

/// The running goroutine starts goroutine `child` (`go` happens before the
/// goroutine's first step).
#[inline(always)]
pub(crate) fn fork(child: u64) {
    #[cfg(feature = "race")]
    imp::event(Event::Fork(child));
    let _ = child;
}

/// Goroutine `child` takes its first step.
#[inline(always)]
pub(crate) fn start(child: u64) {
    #[cfg(feature = "race")]
    imp::event(Event::Start(child));
    let _ = child;
}

/// Goroutine `child` finishes.
#[inline(always)]
pub(crate) fn exit(child: u64) {
    #[cfg(feature = "race")]
    imp::event(Event::Exit(child));
    let _ = child;
}

/// The running goroutine has seen goroutine `child` finish.
#[inline(always)]
pub(crate) fn join(child: u64) {
    #[cfg(feature = "race")]
    imp::event(Event::Join(child));
    let _ = child;
}

#[cfg(feature = "race")]
mod imp {
    use super::Event;
    use std::cell::RefCell;

    thread_local! {
        /// Events of this thread, while a test records them.
        static RECORDER: RefCell<Option<Vec<Event>>> = const { RefCell::new(None) };
    }

    pub(super) fn event(e: Event) {
        // The detector proper arrives with the race issue; until then the
        // events are observable only to this crate's tests.
        RECORDER.with(|r| {
            if let Some(events) = r.borrow_mut().as_mut() {
                events.push(e);
            }
        });
    }

    /// Runs `f` and returns the events the current thread reported meanwhile.
    #[cfg(test)]
    pub(crate) fn record<R>(f: impl FnOnce() -> R) -> (R, Vec<Event>) {
        RECORDER.with(|r| *r.borrow_mut() = Some(Vec::new()));
        let out = f();
        let events = RECORDER.with(|r| r.borrow_mut().take()).unwrap_or_default();
        (out, events)
    }
}

#[cfg(all(test, feature = "race"))]
pub(crate) use imp::record;
