//! A select over a list of cases built at run time.

use std::fmt;
use std::time::Duration;

use super::__private::{RecvOperand, SendOperand};
use super::select::{self, Block, Case, RecvCase, Selected, SendCase};

/// A `select` whose cases are known only at run time, over channels of one
/// element type (for mixed types, or a fixed set of cases, use
/// [`select!`](crate::select)).
///
/// Add cases with [`recv`](Self::recv) and [`send`](Self::send), each of
/// which returns the case's index, then run it once with
/// [`select`](Self::select), [`try_select`](Self::try_select) or
/// [`select_timeout`](Self::select_timeout). As with `select!`, one ready
/// case is chosen uniformly at random and nil channels are never chosen.
///
/// # Examples
///
/// ```
/// use gosync::chan::{Chan, Select, SelectResult};
///
/// let inputs: Vec<Chan<u32>> = (0..4).map(|_| Chan::new(1)).collect();
/// inputs[2].send(42);
///
/// let mut sel = Select::new();
/// for ch in &inputs {
///     sel.recv(ch);
/// }
/// assert_eq!(sel.select(), SelectResult::Recv { index: 2, value: Some(42) });
/// ```
pub struct Select<'a, T> {
    ops: Vec<Op<'a, T>>,
}

enum Op<'a, T> {
    Recv(RecvCase<'a, T>),
    Send(SendCase<'a, T>),
}

/// Which case of a [`Select`] happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectResult<T> {
    /// Receive case `index` happened; `value` is `None` if its channel is
    /// closed.
    Recv {
        /// The case's index, as returned by [`Select::recv`].
        index: usize,
        /// The value received, or `None` for a closed channel.
        value: Option<T>,
    },
    /// Send case `index` happened.
    Send {
        /// The case's index, as returned by [`Select::send`].
        index: usize,
    },
}

impl<'a, T> Select<'a, T> {
    /// An empty select. Run with no cases, it blocks forever, as Go's
    /// `select {}`.
    pub fn new() -> Select<'a, T> {
        Select { ops: Vec::new() }
    }

    /// Adds a receive on `ch` (a `Chan<T>` or `Receiver<T>`); returns its index.
    pub fn recv<C: RecvOperand<T> + ?Sized>(&mut self, ch: &'a C) -> usize {
        self.ops.push(Op::Recv(ch.recv_case()));
        self.ops.len() - 1
    }

    /// Adds a send of `value` on `ch` (a `Chan<T>` or `Sender<T>`); returns
    /// its index.
    pub fn send<C: SendOperand<T> + ?Sized>(&mut self, ch: &'a C, value: T) -> usize {
        self.ops.push(Op::Send(ch.send_case(value)));
        self.ops.len() - 1
    }

    /// Waits until one case happens.
    ///
    /// # Panics
    ///
    /// "send on closed channel" if the chosen case sends on a closed channel.
    pub fn select(self) -> SelectResult<T> {
        self.run(Block::Forever)
            .expect("a blocking select returns only when a case happened")
    }

    /// Runs a case that is ready now, if any (a select with `default`).
    /// Values of send cases that did not happen are dropped.
    ///
    /// # Panics
    ///
    /// As [`select`](Self::select).
    pub fn try_select(self) -> Option<SelectResult<T>> {
        self.run(Block::No)
    }

    /// Waits at most `timeout` for a case to happen.
    ///
    /// # Panics
    ///
    /// As [`select`](Self::select).
    pub fn select_timeout(self, timeout: Duration) -> Option<SelectResult<T>> {
        self.run(super::deadline(timeout))
    }

    fn run(mut self, block: Block) -> Option<SelectResult<T>> {
        let r = {
            let mut cases: Vec<&mut dyn Case> = self
                .ops
                .iter_mut()
                .map(|op| match op {
                    Op::Recv(c) => c as &mut dyn Case,
                    Op::Send(c) => c as &mut dyn Case,
                })
                .collect();
            select::select(&mut cases, block)
        };
        match r {
            Selected::Nothing => None,
            Selected::SendOnClosed(_) => panic!("send on closed channel"),
            Selected::Case(index) => Some(match self.ops.swap_remove(index) {
                Op::Recv(c) => SelectResult::Recv {
                    index,
                    value: c.into_result(),
                },
                Op::Send(_) => SelectResult::Send { index },
            }),
        }
    }
}

impl<T> Default for Select<'_, T> {
    fn default() -> Self {
        Select::new()
    }
}

impl<T> fmt::Debug for Select<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.ops.len())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::chan::Chan;

    #[test]
    fn mixed_send_and_receive_cases() {
        let (a, b) = (Chan::new(0), Chan::new(1));
        let mut sel = Select::new();
        sel.recv(&a);
        let s = sel.send(&b, 9);
        assert_eq!(sel.select(), SelectResult::Send { index: s });
        assert_eq!(b.recv(), Some(9));

        let mut sel = Select::<u8>::new();
        sel.recv(&a);
        assert_eq!(sel.try_select(), None);
        let nil = Chan::nil();
        let mut sel = Select::<u8>::new();
        sel.recv(&nil);
        assert_eq!(sel.select_timeout(Duration::from_millis(1)), None);
    }

    #[test]
    fn closed_receive_and_closed_send() {
        let c = Chan::<u8>::new(0);
        c.close();
        let mut sel = Select::new();
        let i = sel.recv(&c);
        assert_eq!(
            sel.select(),
            SelectResult::Recv {
                index: i,
                value: None
            }
        );
        let mut sel = Select::new();
        sel.send(&c, 1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sel.select()));
        assert!(r.is_err());
    }
}
