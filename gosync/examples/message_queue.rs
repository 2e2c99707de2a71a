//! `MessageQueue`: a buffered channel of messages, a goroutine that drains
//! it, and a `done` channel that says it has finished.
//!
//! The Go original:
//!
//! ```go
//! type MessageQueue struct {
//!     messages chan string
//!     done     chan struct{}
//! }
//!
//! func NewMessageQueue(size int) *MessageQueue {
//!     return &MessageQueue{
//!         messages: make(chan string, size),
//!         done:     make(chan struct{}),
//!     }
//! }
//!
//! func (q *MessageQueue) Send(msg string) { q.messages <- msg }
//!
//! func (q *MessageQueue) Process(handle func(string)) {
//!     go func() {
//!         defer close(q.done)
//!         for msg := range q.messages {
//!             handle(msg)
//!         }
//!     }()
//! }
//!
//! // Close stops new messages and waits until every queued one is handled.
//! func (q *MessageQueue) Close() {
//!     close(q.messages)
//!     <-q.done
//! }
//! ```
//!
//! `close(messages)` does not throw away what is buffered: `range` keeps
//! receiving until the channel is closed *and drained*, then ends. The
//! processor then closes `done`, and `Close` returns only after that, so
//! when it returns every message has been handled. The close of `done`
//! happens before the receive that it unblocks, so whatever `handle` wrote
//! is visible to the caller of `Close`.
//!
//! Run it: `cargo run -p gosync --example message_queue`

use std::sync::Arc;

use gosync::chan::Chan;
use gosync::sync::Mutex;

/// What this example shows (`gosync tour` prints it).
pub const ABOUT: &str =
    "MessageQueue: close(messages) lets the processor drain the buffer, then close(done) says it finished.";

const SIZE: usize = 8;
const MESSAGES: usize = 100;

struct MessageQueue {
    messages: Chan<String>,
    done: Chan<()>,
}

impl MessageQueue {
    fn new(size: usize) -> MessageQueue {
        MessageQueue {
            messages: Chan::new(size),
            done: Chan::new(0),
        }
    }

    fn send(&self, msg: String) {
        self.messages.send(msg);
    }

    fn process(&self, handle: impl Fn(String) + Send + 'static) {
        let (messages, done) = (self.messages.receiver(), self.done.clone());
        gosync::go(move || {
            for msg in &messages {
                handle(msg);
            }
            done.close();
        });
    }

    /// Stops new messages and waits until every queued one is handled.
    fn close(&self) {
        self.messages.close();
        assert!(self.done.recv().is_none(), "done only ever closes");
    }
}

/// Runs the example; returns the line `gosync tour` prints.
pub fn tour() -> String {
    let q = MessageQueue::new(SIZE);

    // The handler's log: written by the processor goroutine only, read here
    // after `close` returns. (Go would use a plain slice; Rust wants the
    // sharing spelled out, and the lock is never contended.)
    let handled = Arc::new(Mutex::new(Vec::new()));
    let log = handled.clone();
    q.process(move |msg| log.lock().push(msg));

    for i in 0..MESSAGES {
        q.send(format!("message {i}"));
    }
    // Up to SIZE of them may still be in the buffer; close must not lose them.
    q.close();

    let handled = std::mem::take(&mut *handled.lock());
    let want: Vec<String> = (0..MESSAGES).map(|i| format!("message {i}")).collect();
    assert_eq!(handled, want, "every message handled once, in order");
    format!(
        "{MESSAGES} messages through a buffer of {SIZE}; close(messages) drained them all, \
         in order, before close(done)"
    )
}

fn main() {
    println!("{ABOUT}");
    println!("{}", gosync::run(tour));
}
