//! A lock-free stack (R. K. Treiber, 1986) on `atomic::Pointer`: push and
//! pop are a compare-and-swap loop on the top pointer.
//!
//! The Go original:
//!
//! ```go
//! type node struct {
//!     value int
//!     next  *node
//! }
//!
//! type Stack struct {
//!     top atomic.Pointer[node]
//! }
//!
//! func (s *Stack) Push(v int) {
//!     n := &node{value: v}
//!     for {
//!         n.next = s.top.Load()
//!         if s.top.CompareAndSwap(n.next, n) {
//!             return
//!         }
//!     }
//! }
//!
//! func (s *Stack) Pop() (int, bool) {
//!     for {
//!         top := s.top.Load()
//!         if top == nil {
//!             return 0, false
//!         }
//!         if s.top.CompareAndSwap(top, top.next) {
//!             return top.value, true
//!         }
//!     }
//! }
//! ```
//!
//! Go's version is safe because of its garbage collector: a node another
//! goroutine still looks at is never freed and reused, so the ABA problem
//! (the top is popped, freed, and a new node lands at the same address, and
//! a stale compare-and-swap succeeds) cannot happen. Here the `Arc` each
//! `load` returns does the same: while a goroutine holds the top it loaded,
//! that node stays alive, so its address cannot come back as another node,
//! and `Pointer` reclaims a replaced node only once no loader can still be
//! reaching for it. Nodes are never changed once pushed, so `pop` returns a
//! copy of the value, as Go's does.
//!
//! Run it: `cargo run -p gosync --example treiber_stack`

use std::sync::Arc;

use gosync::atomic::Pointer;
use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A lock-free Treiber stack on atomic::Pointer: 8 goroutines push and pop 16,000 values, none lost.";

struct Node<T> {
    value: T,
    next: Option<Arc<Node<T>>>,
}

/// A lock-free LIFO stack.
pub struct Stack<T> {
    top: Pointer<Node<T>>,
}

impl<T: Clone> Stack<T> {
    pub fn new() -> Stack<T> {
        Stack {
            top: Pointer::new(),
        }
    }

    pub fn push(&self, value: T) {
        let mut node = Arc::new(Node { value, next: None });
        loop {
            // Not yet published, so this is the only reference.
            let next = self.top.load();
            Arc::get_mut(&mut node).expect("unpublished node").next = next.clone();
            if self.top.compare_and_swap(&next, Some(node.clone())) {
                return;
            }
        }
    }

    pub fn pop(&self) -> Option<T> {
        loop {
            let top = self.top.load();
            let node = top.as_ref()?;
            if self.top.compare_and_swap(&top, node.next.clone()) {
                return Some(node.value.clone());
            }
        }
    }
}

impl<T: Clone> Default for Stack<T> {
    fn default() -> Stack<T> {
        Stack::new()
    }
}

impl<T> Drop for Stack<T> {
    fn drop(&mut self) {
        // Unlink iteratively: dropping a long chain of Arcs recursively
        // would overflow the stack.
        let mut next = self.top.swap(None);
        while let Some(node) = next {
            next = match Arc::try_unwrap(node) {
                Ok(mut node) => node.next.take(),
                Err(_) => None, // still shared: its other owner drops the rest
            };
        }
    }
}

const GOROUTINES: usize = 8;
const VALUES: usize = 2000;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let stack = Arc::new(Stack::new());
    let popped = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for g in 0..GOROUTINES {
        let (stack, popped) = (stack.clone(), popped.clone());
        wg.go(move || {
            let mut mine = Vec::new();
            for i in 0..VALUES {
                stack.push(g * VALUES + i);
                if i % 2 == 1 {
                    mine.extend(stack.pop());
                }
            }
            popped.lock().extend(mine);
        });
    }
    wg.wait();
    let mut all = popped.lock().clone();
    while let Some(v) = stack.pop() {
        all.push(v);
    }
    all.sort_unstable();
    let want: Vec<usize> = (0..GOROUTINES * VALUES).collect();
    assert_eq!(all, want, "every value pushed is popped exactly once");
    format!(
        "{GOROUTINES} goroutines pushed {} values, popping as they went: each came out exactly once",
        all.len()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
