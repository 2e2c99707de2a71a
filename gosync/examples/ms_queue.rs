//! A lock-free FIFO queue (Michael and Scott, 1996) on `atomic::Pointer`.
//!
//! The Go original:
//!
//! ```go
//! type node struct {
//!     value int
//!     next  atomic.Pointer[node]
//! }
//!
//! type Queue struct {
//!     head, tail atomic.Pointer[node] // head is a dummy node
//! }
//!
//! func NewQueue() *Queue {
//!     q := &Queue{}
//!     dummy := &node{}
//!     q.head.Store(dummy)
//!     q.tail.Store(dummy)
//!     return q
//! }
//!
//! func (q *Queue) Enqueue(v int) {
//!     n := &node{value: v}
//!     for {
//!         tail := q.tail.Load()
//!         next := tail.next.Load()
//!         if next != nil { // tail is behind: help it along
//!             q.tail.CompareAndSwap(tail, next)
//!             continue
//!         }
//!         if tail.next.CompareAndSwap(nil, n) {
//!             q.tail.CompareAndSwap(tail, n) // may fail: someone helped
//!             return
//!         }
//!     }
//! }
//!
//! func (q *Queue) Dequeue() (int, bool) {
//!     for {
//!         head := q.head.Load()
//!         tail := q.tail.Load()
//!         next := head.next.Load()
//!         if next == nil {
//!             return 0, false // empty
//!         }
//!         if head == tail { // tail is behind: help it along
//!             q.tail.CompareAndSwap(tail, next)
//!             continue
//!         }
//!         if q.head.CompareAndSwap(head, next) {
//!             return next.value, true // next is the new dummy
//!         }
//!     }
//! }
//! ```
//!
//! Two compare-and-swaps make an enqueue: link the node after the last one,
//! then swing `tail` to it. Between the two, `tail` lags, and any goroutine
//! that notices finishes the job for it, so no goroutine ever waits on
//! another (lock-free). As in the Treiber stack, Go's garbage collector
//! keeps a node alive while anyone can still see it; here the `Arc`s that
//! `load` returns do. The value moves out of the node that becomes the new
//! dummy: only the goroutine whose compare-and-swap on `head` won takes it.
//!
//! Run it: `cargo run -p gosync --example ms_queue`

use std::sync::Arc;

use gosync::atomic::Pointer;
use gosync::sync::{Mutex, WaitGroup};

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "A lock-free Michael-Scott queue on atomic::Pointer: 4 producers, 4 consumers, FIFO per producer.";

struct Node<T> {
    /// Taken by the dequeuer that makes this node the dummy.
    value: Pointer<T>,
    next: Pointer<Node<T>>,
}

impl<T> Node<T> {
    fn new(value: Option<T>) -> Arc<Node<T>> {
        let node = Node {
            value: Pointer::new(),
            next: Pointer::new(),
        };
        node.value.store(value.map(Arc::new));
        Arc::new(node)
    }
}

/// Nodes link forward, so a goroutine that still holds an old head (it
/// loaded it, then lost its CPU) keeps every node enqueued since alive
/// through `next`. Dropping that head would then drop the chain one node
/// inside the other, thousands deep, and overflow the goroutine's stack
/// (Go's collector has no such problem). So a node unlinks its successors
/// one at a time while it is their only owner.
impl<T> Drop for Node<T> {
    fn drop(&mut self) {
        let mut next = self.next.swap(None);
        while let Some(node) = next {
            match Arc::try_unwrap(node) {
                // Ours alone: detach its successor before it drops, so its
                // own drop does not recurse.
                Ok(node) => next = node.next.swap(None),
                // Someone else still holds it (the queue, or another old
                // head): they drop the rest.
                Err(_) => break,
            }
        }
    }
}

/// Whether two loads saw the same node (Go's `head == tail` on pointers).
fn same<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// A lock-free FIFO queue.
pub struct Queue<T> {
    head: Pointer<Node<T>>,
    tail: Pointer<Node<T>>,
}

impl<T> Queue<T> {
    pub fn new() -> Queue<T> {
        let dummy = Node::new(None);
        let q = Queue {
            head: Pointer::new(),
            tail: Pointer::new(),
        };
        q.head.store(Some(dummy.clone()));
        q.tail.store(Some(dummy));
        q
    }

    pub fn enqueue(&self, v: T) {
        let node = Node::new(Some(v));
        loop {
            let tail = self.tail.load();
            let t = tail.as_ref().expect("tail is never nil");
            let next = t.next.load();
            if next.is_some() {
                self.tail.compare_and_swap(&tail, next);
                continue;
            }
            if t.next.compare_and_swap(&None, Some(node.clone())) {
                self.tail.compare_and_swap(&tail, Some(node));
                return;
            }
        }
    }

    pub fn dequeue(&self) -> Option<T> {
        loop {
            let head = self.head.load();
            let tail = self.tail.load();
            let next = head.as_ref().expect("head is never nil").next.load();
            let n = next.as_ref()?;
            if same(&head, &tail) {
                self.tail.compare_and_swap(&tail, next.clone());
                continue;
            }
            if self.head.compare_and_swap(&head, next.clone()) {
                let value = n.value.swap(None).expect("taken only by the winner");
                // Nobody else holds the value's Arc: it was only in the node.
                return Some(Arc::into_inner(value).expect("the value has one owner"));
            }
        }
    }
}

impl<T> Default for Queue<T> {
    fn default() -> Queue<T> {
        Queue::new()
    }
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        self.tail.store(None);
        let mut next = self.head.swap(None);
        while let Some(node) = next {
            next = node.next.swap(None);
        }
    }
}

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const ITEMS: usize = 2500;

/// Runs the program; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let q = Arc::new(Queue::new());
    let got = Arc::new(Mutex::new(Vec::new()));
    let producers = WaitGroup::new();
    for p in 0..PRODUCERS {
        let q = q.clone();
        producers.go(move || {
            for i in 0..ITEMS {
                q.enqueue((p, i));
            }
        });
    }
    let consumers = WaitGroup::new();
    let done = Arc::new(gosync::atomic::Bool::new(false));
    for _ in 0..CONSUMERS {
        let (q, got, done) = (q.clone(), got.clone(), done.clone());
        consumers.go(move || {
            let mut mine = Vec::new();
            loop {
                let finished = done.load();
                match q.dequeue() {
                    Some(item) => mine.push(item),
                    None if finished => break,
                    None => gosync::runtime::gosched(),
                }
            }
            // Within one consumer, each producer's items arrive in order.
            for p in 0..PRODUCERS {
                let seq: Vec<usize> = mine
                    .iter()
                    .filter(|(q, _)| *q == p)
                    .map(|&(_, i)| i)
                    .collect();
                assert!(seq.windows(2).all(|w| w[0] < w[1]), "FIFO per producer");
            }
            got.lock().extend(mine);
        });
    }
    producers.wait();
    done.store(true);
    consumers.wait();
    let mut all = got.lock().clone();
    all.sort_unstable();
    let want: Vec<(usize, usize)> = (0..PRODUCERS)
        .flat_map(|p| (0..ITEMS).map(move |i| (p, i)))
        .collect();
    assert_eq!(all, want, "every item dequeued exactly once");
    format!(
        "{PRODUCERS} producers, {CONSUMERS} consumers: {} items, each once, in order per producer",
        all.len()
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
