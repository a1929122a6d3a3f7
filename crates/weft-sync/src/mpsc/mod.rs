//! Multi-producer, single-consumer channels: many [`Sender`]s (cheap to clone) feed one
//! [`Receiver`], in order per sender. [`channel`] is bounded (a full channel makes `send`
//! wait: back-pressure); [`unbounded_channel`] never waits.
//!
//! The shapes are tokio's `mpsc`; asyncio users reach for an `asyncio.Queue` here, which is
//! [`Queue`](crate::Queue) when several consumers share it.
//!
//! ```
//! # weft::run(async {
//! let (tx, mut rx) = weft::sync::mpsc::channel(16);
//! for id in 0..3 {
//!     let tx = tx.clone();
//!     weft::spawn(async move { tx.send(id).await.unwrap() });
//! }
//! drop(tx);
//! let mut got = Vec::new();
//! while let Some(id) = rx.recv().await {
//!     got.push(id);
//! }
//! got.sort();
//! assert_eq!(got, [0, 1, 2]);
//! # });
//! ```
//!
//! # Protocol
//!
//! What is locked: one shim `Mutex` per channel guards the message queue (a `VecDeque`), the
//! closed / senders-gone flags, the receiver's waker and the `WaitList` of senders waiting
//! for a slot. A send locks once: it pushes, takes the receiver's waker if it is parked, and
//! wakes it *after* unlocking (by value).
//!
//! The receiver owns a second `VecDeque`, its batch. While the batch has messages it takes
//! them without any lock; when it runs dry it locks once and *swaps* the whole shared queue
//! with its empty batch, so the lock is taken once per batch, not once per message, and no
//! message is ever copied between the two. If the swap finds nothing, it stores its waker in
//! the same critical section, so a sender that pushes afterwards sees it: no lost wake-up.
//!
//! Bounded capacity: one atomic word counts the slots taken (messages queued, in the
//! receiver's batch, or reserved by a permit), with a `WAITERS` bit. A sender takes a slot
//! with a CAS while the count is below capacity and nobody is queued; otherwise, under the
//! lock, it either takes a slot freed meanwhile or sets `WAITERS` and queues. The receiver
//! gives a slot back with one `fetch_sub` per message it takes; if `WAITERS` was set, it
//! locks and grants the freed slots to the queued senders in FIFO order (the entry is
//! marked granted before it is woken). A queued `send` future dropped after its grant passes
//! the slot on; a dropped permit does the same. Because the bit is set by a CAS on the same
//! word the receiver decrements, a freed slot is seen by either the waiting sender (its CAS
//! fails and it retries) or the receiver (its `fetch_sub` sees the bit): never by neither.
//!
//! Closing (the receiver's [`close`](Receiver::close) or drop) sets the flag under the lock,
//! sets a `CLOSED` bit in the slot word (so no slot is taken after it: taking a slot and
//! closing are ordered on one atomic), and wakes every queued sender with "not granted"
//! (their send fails and hands the value back) and every `closed()` future. A permit taken
//! before the close may still send (as in tokio); the receiver reports the end only once no
//! such permit is out, and the permit's send or drop wakes it. Messages already buffered can still be received after
//! `close`; a dropped receiver drops them, each exactly once. A `recv` future dropped midway
//! loses nothing: messages are only ever moved into the receiver's own batch.
//!
//! Receivers take part in the cooperative budget (`weft_core::coop`): a receiver whose
//! channel never runs dry still yields to its neighbours.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender};
pub use error::{SendError, TryRecvError, TrySendError};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender};
