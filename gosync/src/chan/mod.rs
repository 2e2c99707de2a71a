//! Go's channels: typed conduits between goroutines, with `close` and
//! `select`.
//!
//! | Go                          | gosync                                   |
//! |-----------------------------|------------------------------------------|
//! | `make(chan T)`              | [`Chan::new(0)`](Chan::new)              |
//! | `make(chan T, n)`           | [`Chan::new(n)`](Chan::new)              |
//! | `var c chan T` (nil)        | [`Chan::nil()`](Chan::nil)               |
//! | `c <- v`                    | [`c.send(v)`](Chan::send)                |
//! | `v, ok := <-c`              | [`c.recv()`](Chan::recv) → `Option<T>`   |
//! | `close(c)`                  | [`c.close()`](Chan::close)               |
//! | `for v := range c`          | `for v in &c`                            |
//! | `len(c)`, `cap(c)`          | [`c.len()`](Chan::len), [`c.cap()`](Chan::cap) |
//! | `chan<- T`, `<-chan T`      | [`Sender<T>`], [`Receiver<T>`]           |
//! | `select` with `default`     | [`try_send`](Chan::try_send), [`try_recv`](Chan::try_recv) |
//!
//! Every operation parks through the runtime seam, so channels work the same
//! between goroutines and plain threads.

mod dynamic;
mod error;
mod hchan;
mod ring;
mod select;
mod select_macro;

#[cfg(all(test, loom))]
mod tests;

use std::fmt;
use std::time::Duration;

use std::sync::Arc;

pub use __private::{RecvOperand, SendOperand};
pub use dynamic::{Select, SelectResult};
pub use error::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};

use hchan::{Channel, Received, Sent};
use select::{Block, RecvCase, Selected, SendCase};

use crate::rt::{clock, hb};

/// A channel of `T`s, as Go's `chan T`. Clones are the same channel.
///
/// `Chan::new(0)` is unbuffered: a send completes only when a receiver has
/// taken the value. `Chan::new(n)` buffers up to `n` values, first in,
/// first out. `Chan::nil()` is Go's nil channel: sends and receives on it
/// block forever, and in a select its cases are never chosen.
///
/// # Examples
///
/// ```
/// use gosync::chan::Chan;
///
/// let ch = Chan::new(0);
/// let tx = ch.clone();
/// gosync::go(move || {
///     for i in 0..3 {
///         tx.send(i);
///     }
///     tx.close();
/// });
/// let got: Vec<i32> = ch.iter().collect();
/// assert_eq!(got, [0, 1, 2]);
/// ```
pub struct Chan<T> {
    ch: Option<Arc<Channel<T>>>,
}

impl<T> Chan<T> {
    /// Makes a channel with a buffer of `cap` values (`make(chan T, cap)`);
    /// 0 makes it unbuffered.
    pub fn new(cap: usize) -> Chan<T> {
        Chan {
            ch: Some(Arc::new(Channel::new(cap))),
        }
    }

    /// The nil channel: every send and receive on it blocks forever.
    pub const fn nil() -> Chan<T> {
        Chan { ch: None }
    }

    fn raw(&self) -> Option<&Channel<T>> {
        self.ch.as_deref()
    }

    /// Sends `value`, waiting until a receiver takes it (unbuffered) or
    /// there is room in the buffer.
    ///
    /// # Panics
    ///
    /// "send on closed channel" if the channel is closed, or is closed
    /// while the send waits.
    pub fn send(&self, value: T) {
        let value = match self.send_fast(value) {
            Sent::Done => return,
            Sent::Closed(_) => panic!("send on closed channel"),
            Sent::Full(v) => v,
        };
        let mut case = SendCase::new(self.raw(), value);
        match select::select_one(&mut case, Block::Forever) {
            Selected::Case(_) => {}
            Selected::SendOnClosed(_) => panic!("send on closed channel"),
            Selected::Nothing => unreachable!("a blocking send waits"),
        }
    }

    /// Receives a value, waiting until one is sent. `None` means the
    /// channel is closed and drained (Go's `ok == false`).
    pub fn recv(&self) -> Option<T> {
        match self.recv_fast() {
            Received::Value(v) => return Some(v),
            Received::Closed => return None,
            Received::Empty => {}
        }
        let mut case = RecvCase::new(self.raw());
        match select::select_one(&mut case, Block::Forever) {
            Selected::Case(_) => case.into_result(),
            _ => unreachable!("a blocking receive waits"),
        }
    }

    /// Sends `value` if that needs no waiting (Go's select with `default`).
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if no receiver waits and the buffer is full
    /// (always, on a nil channel); [`TrySendError::Closed`] if the channel is
    /// closed. Both hand the value back.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.send_within(value, Block::No).map_err(|(closed, v)| {
            if closed {
                TrySendError::Closed(v)
            } else {
                TrySendError::Full(v)
            }
        })
    }

    /// Receives a value if one is ready (Go's select with `default`).
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is ready (always, on a nil
    /// channel); [`TryRecvError::Closed`] if the channel is closed and drained.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.recv_within(Block::No) {
            Some(Some(v)) => Ok(v),
            Some(None) => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Sends `value`, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if nobody took it in time;
    /// [`SendTimeoutError::Closed`] if the channel is closed. Both hand the
    /// value back.
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_within(value, deadline(timeout))
            .map_err(|(closed, v)| {
                if closed {
                    SendTimeoutError::Closed(v)
                } else {
                    SendTimeoutError::Timeout(v)
                }
            })
    }

    /// Receives a value, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing arrived in time;
    /// [`RecvTimeoutError::Closed`] if the channel is closed and drained.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match self.recv_within(deadline(timeout)) {
            Some(Some(v)) => Ok(v),
            Some(None) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// A send that gives up per `block`; the error says whether the channel
    /// was closed and hands the value back.
    /// A buffered channel's lock-free send; `Full` (also for other
    /// channels) sends the caller down the locked path, which decides.
    #[inline]
    fn send_fast(&self, value: T) -> Sent<T> {
        match self.raw() {
            Some(ch) if ch.is_buffered() => {
                hb::release_merge(ch);
                ch.send_fast(value)
            }
            _ => Sent::Full(value),
        }
    }

    /// A buffered channel's lock-free receive; `Empty` as `Full` above.
    #[inline]
    fn recv_fast(&self) -> Received<T> {
        match self.raw() {
            Some(ch) if ch.is_buffered() => {
                let r = ch.recv_fast();
                if !matches!(r, Received::Empty) {
                    hb::acquire(ch);
                }
                r
            }
            _ => Received::Empty,
        }
    }

    fn send_within(&self, value: T, block: Block) -> Result<(), (bool, T)> {
        let value = match self.send_fast(value) {
            Sent::Done => return Ok(()),
            Sent::Closed(v) => return Err((true, v)),
            Sent::Full(v) => v,
        };
        let mut case = SendCase::new(self.raw(), value);
        let r = select::select_one(&mut case, block);
        match r {
            Selected::Case(_) => Ok(()),
            Selected::SendOnClosed(_) => Err((true, case.into_unsent().expect("unsent"))),
            Selected::Nothing => Err((false, case.into_unsent().expect("unsent"))),
        }
    }

    /// A receive that gives up per `block`: `None` if it did.
    fn recv_within(&self, block: Block) -> Option<Option<T>> {
        match self.recv_fast() {
            Received::Value(v) => return Some(Some(v)),
            Received::Closed => return Some(None),
            Received::Empty => {}
        }
        let mut case = RecvCase::new(self.raw());
        match select::select_one(&mut case, block) {
            Selected::Case(_) => Some(case.into_result()),
            _ => None,
        }
    }

    /// Closes the channel: receivers drain what is buffered and then get
    /// `None`; waiting and later senders panic.
    ///
    /// # Panics
    ///
    /// "close of closed channel" if it is already closed; "close of nil
    /// channel" on a nil channel.
    pub fn close(&self) {
        let Some(ch) = self.raw() else {
            panic!("close of nil channel");
        };
        hb::release_merge(ch);
        let mut wake = hchan::Wake::default();
        if !ch.close(&mut wake) {
            panic!("close of closed channel");
        }
        wake.wake_all();
    }

    /// The number of values in the buffer (`len(c)`).
    pub fn len(&self) -> usize {
        self.raw().map_or(0, Channel::len)
    }

    /// Whether the buffer holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity (`cap(c)`); 0 for unbuffered and nil channels.
    pub fn cap(&self) -> usize {
        self.raw().map_or(0, Channel::cap)
    }

    /// A send-only view of this channel (Go's `chan<- T`).
    pub fn sender(&self) -> Sender<T> {
        Sender { ch: self.clone() }
    }

    /// A receive-only view of this channel (Go's `<-chan T`).
    pub fn receiver(&self) -> Receiver<T> {
        Receiver { ch: self.clone() }
    }

    /// Receives until the channel is closed and drained (`for v := range c`).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { ch: self }
    }

    /// Whether this is the nil channel.
    pub fn is_nil(&self) -> bool {
        self.ch.is_none()
    }
}

/// What `select!` expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::select::{select, Block, Case, RecvCase, Selected, SendCase};
    use super::{Chan, Receiver, Sender};

    /// A channel a select can receive from: [`Chan<T>`] or [`Receiver<T>`].
    pub trait RecvOperand<T> {
        #[doc(hidden)]
        fn recv_case(&self) -> RecvCase<'_, T>;
    }

    /// A channel a select can send on: [`Chan<T>`] or [`Sender<T>`].
    pub trait SendOperand<T> {
        #[doc(hidden)]
        fn send_case(&self, value: T) -> SendCase<'_, T>;
    }

    impl<T> RecvOperand<T> for Chan<T> {
        fn recv_case(&self) -> RecvCase<'_, T> {
            RecvCase::new(self.raw())
        }
    }

    impl<T> RecvOperand<T> for Receiver<T> {
        fn recv_case(&self) -> RecvCase<'_, T> {
            RecvCase::new(self.ch.raw())
        }
    }

    impl<T> SendOperand<T> for Chan<T> {
        fn send_case(&self, value: T) -> SendCase<'_, T> {
            SendCase::new(self.raw(), value)
        }
    }

    impl<T> SendOperand<T> for Sender<T> {
        fn send_case(&self, value: T) -> SendCase<'_, T> {
            SendCase::new(self.ch.raw(), value)
        }
    }

    /// Builds a receive case on `ch`.
    pub fn recv<T, C: RecvOperand<T> + ?Sized>(ch: &C) -> RecvCase<'_, T> {
        ch.recv_case()
    }

    /// Builds a send case of `value` on `ch`.
    pub fn send<T, C: SendOperand<T> + ?Sized>(ch: &C, value: T) -> SendCase<'_, T> {
        ch.send_case(value)
    }
}

/// A reference to a channel that does not keep it alive (for the timer
/// service: a timer whose channel nobody can receive from is garbage).
pub(crate) struct WeakChan<T>(std::sync::Weak<Channel<T>>);

impl<T> WeakChan<T> {
    /// The channel, if anyone still holds it.
    pub(crate) fn upgrade(&self) -> Option<Chan<T>> {
        self.0.upgrade().map(|ch| Chan { ch: Some(ch) })
    }

    /// Whether anyone still holds the channel.
    pub(crate) fn is_alive(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl<T> Chan<T> {
    /// The address that names this channel's happens-before edges (the
    /// shared channel, not this handle); null for the nil channel.
    pub(crate) fn hb_key(&self) -> *const () {
        self.raw()
            .map_or(std::ptr::null(), |ch| ch as *const Channel<T> as *const ())
    }

    /// A weak reference; `None` for the nil channel.
    pub(crate) fn downgrade(&self) -> Option<WeakChan<T>> {
        self.ch.as_ref().map(|ch| WeakChan(Arc::downgrade(ch)))
    }
}

/// A deadline `timeout` from now; a timeout too long to represent waits forever.
fn deadline(timeout: Duration) -> Block {
    clock::now()
        .checked_add(timeout)
        .map_or(Block::Forever, Block::Until)
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Chan<T> {
        Chan {
            ch: self.ch.clone(),
        }
    }
}

impl<T> Default for Chan<T> {
    /// The nil channel, Go's zero value for a channel.
    fn default() -> Chan<T> {
        Chan::nil()
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.raw() {
            None => f.write_str("Chan(nil)"),
            Some(ch) => {
                let (len, closed) = (ch.len(), ch.is_closed());
                f.debug_struct("Chan")
                    .field("len", &len)
                    .field("cap", &ch.cap())
                    .field("closed", &closed)
                    .finish()
            }
        }
    }
}

/// An iterator that receives until its channel is closed and drained.
pub struct Iter<'a, T> {
    ch: &'a Chan<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.ch.recv()
    }
}

impl<'a, T> IntoIterator for &'a Chan<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The sending side of a channel (Go's `chan<- T`). Clones are the same channel.
pub struct Sender<T> {
    ch: Chan<T>,
}

impl<T> Sender<T> {
    /// See [`Chan::send`].
    pub fn send(&self, value: T) {
        self.ch.send(value);
    }

    /// See [`Chan::try_send`].
    ///
    /// # Errors
    ///
    /// As [`Chan::try_send`].
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.ch.try_send(value)
    }

    /// See [`Chan::send_timeout`].
    ///
    /// # Errors
    ///
    /// As [`Chan::send_timeout`].
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.ch.send_timeout(value, timeout)
    }

    /// See [`Chan::close`].
    pub fn close(&self) {
        self.ch.close();
    }

    /// See [`Chan::len`].
    pub fn len(&self) -> usize {
        self.ch.len()
    }

    /// See [`Chan::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.ch.is_empty()
    }

    /// See [`Chan::cap`].
    pub fn cap(&self) -> usize {
        self.ch.cap()
    }
}

/// The receiving side of a channel (Go's `<-chan T`). Clones are the same channel.
pub struct Receiver<T> {
    ch: Chan<T>,
}

impl<T> Receiver<T> {
    /// See [`Chan::recv`].
    pub fn recv(&self) -> Option<T> {
        self.ch.recv()
    }

    /// See [`Chan::try_recv`].
    ///
    /// # Errors
    ///
    /// As [`Chan::try_recv`].
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.ch.try_recv()
    }

    /// See [`Chan::recv_timeout`].
    ///
    /// # Errors
    ///
    /// As [`Chan::recv_timeout`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.ch.recv_timeout(timeout)
    }

    /// See [`Chan::len`].
    pub fn len(&self) -> usize {
        self.ch.len()
    }

    /// See [`Chan::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.ch.is_empty()
    }

    /// See [`Chan::cap`].
    pub fn cap(&self) -> usize {
        self.ch.cap()
    }

    /// See [`Chan::iter`].
    pub fn iter(&self) -> Iter<'_, T> {
        self.ch.iter()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        Sender {
            ch: self.ch.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        Receiver {
            ch: self.ch.clone(),
        }
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sender").field(&self.ch).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Receiver").field(&self.ch).finish()
    }
}
