//! A multi-producer, multi-consumer broadcast channel: every value sent reaches every
//! receiver that exists at the time of the send.
//!
//! # Storage and protocol
//!
//! The channel holds the last `capacity` values in a ring of slots. Each value has a
//! position (0, 1, 2, ... in send order) and lives in slot `position % capacity`, which
//! records the position it holds (its *version*). Each [`Receiver`] keeps the position of
//! the next value it wants. One shim `Mutex` guards the ring, the next write position,
//! the sender and receiver counts and the `WaitList` of receivers waiting for a value.
//!
//! - `send` locks, writes the slot at the next position (overwriting the oldest value when
//!   the ring is full), and notifies every receiver waiting at that moment; the wakers are
//!   woken outside the lock.
//! - `recv` locks: a value at the receiver's position is cloned out and the position moves
//!   on. A receiver whose position has been overwritten (it fell more than `capacity`
//!   behind) gets `Lagged(n)`, `n` the number of values it missed, once, and is moved to the
//!   oldest value still held. With nothing new, it registers (or refreshes its waker) and
//!   waits; once the last sender is gone and it has read everything, it gets `Closed`.
//! - A receiver's position moves only when a value is handed out, so a `recv` future
//!   dropped at any point loses no value; its drop removes its entry from the list.
//!   Nothing is passed on: every waiting receiver is woken by each send.
//!
//! A value stays in its slot until a later send overwrites it (or the channel is dropped),
//! even once every receiver has read it.
//!
//! Capacity is exact (tokio rounds it up to a power of two): a receiver lags only once
//! more than `capacity` values are ahead of it.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use weft_core::coop;
use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::{Arc, Mutex, MutexGuard};

use crate::waiters::{Key, WaitList, WakeList};

/// Creates a broadcast channel that keeps the last `capacity` values for receivers that
/// have not read them yet.
///
/// # Panics
///
/// If `capacity` is 0, or larger than `usize::MAX / 2`.
///
/// ```
/// use weft::sync::broadcast;
///
/// weft::run(async {
///     let (tx, mut rx1) = broadcast::channel(16);
///     let mut rx2 = tx.subscribe();
///     tx.send(10).unwrap();
///     tx.send(20).unwrap();
///     assert_eq!(rx1.recv().await, Ok(10));
///     assert_eq!(rx1.recv().await, Ok(20));
///     assert_eq!(rx2.recv().await, Ok(10));
///     assert_eq!(rx2.recv().await, Ok(20));
/// });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(
        capacity <= usize::MAX >> 1,
        "broadcast channel capacity {capacity} is too large (at most usize::MAX / 2)"
    );
    let buffer = (0..capacity)
        .map(|_| Slot {
            pos: u64::MAX,
            value: None,
        })
        .collect();
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            buffer,
            tail: 0,
            senders: 1,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    let rx = Receiver {
        shared: shared.clone(),
        next: 0,
        key: None,
        location: Location::caller(),
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    buffer: Box<[Slot<T>]>,
    /// Position of the next value to be sent.
    tail: u64,
    senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
}

struct Slot<T> {
    /// The position of the value held (its version); `u64::MAX` while never written.
    pos: u64,
    value: Option<T>,
}

impl<T> Inner<T> {
    fn capacity(&self) -> u64 {
        self.buffer.len() as u64
    }

    /// Notifies every receiver waiting now, waking them outside the lock.
    fn wake_all<'a>(mut guard: MutexGuard<'a, Inner<T>>, shared: &'a Shared<T>) {
        let mut limit = guard.waiters.len();
        let mut wakes = WakeList::new();
        while limit > 0 {
            while limit > 0 && !wakes.is_full() {
                match guard.waiters.notify_front() {
                    Some(waker) => wakes.push(waker),
                    None => return,
                }
                limit -= 1;
            }
            drop(guard);
            wakes.wake_all();
            if limit == 0 {
                return;
            }
            guard = shared.inner.lock();
        }
    }
}

impl<T: Clone> Inner<T> {
    /// The value at `*next`, moving `*next` on; or why there is none.
    fn try_recv(&self, next: &mut u64) -> Result<T, TryRecvError> {
        if *next == self.tail {
            return Err(if self.senders == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let oldest = self.tail.saturating_sub(self.capacity());
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        let slot = &self.buffer[(*next % self.capacity()) as usize];
        debug_assert_eq!(slot.pos, *next, "slot version");
        let value = slot.value.clone().expect("a held position has a value");
        *next += 1;
        Ok(value)
    }
}

/// The sending half of a [`broadcast`](self) channel; clone it for more senders.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half of a [`broadcast`](self) channel: sees every value sent after it was
/// created (by [`channel`], [`Sender::subscribe`] or [`Receiver::resubscribe`]).
///
/// It is also a [`Stream`] of `Result<T, RecvError>`: a lagging receiver yields
/// `Err(RecvError::Lagged(n))` and goes on; the stream ends once the channel is closed and
/// drained.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Position of the next value this receiver reads.
    next: u64,
    /// Its entry in the wait list while a `recv` (or the stream) waits.
    key: Option<Key>,
    /// The call that made it: the wait record's location when it waits as a stream.
    location: &'static Location<'static>,
}

/// The error of [`Sender::send`]: there was no receiver; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a broadcast channel with no receiver")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The error of [`Receiver::recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and this receiver has read every value.
    Closed,
    /// This receiver fell behind: it missed this many values, the oldest ones. The next
    /// receive returns the oldest value still held.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("broadcast channel closed: every sender is gone"),
            RecvError::Lagged(n) => {
                write!(f, "broadcast receiver lagged behind, missing {n} values")
            }
        }
    }
}

impl std::error::Error for RecvError {}

/// The error of [`Receiver::try_recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value is ready now.
    Empty,
    /// Every sender is gone and this receiver has read every value.
    Closed,
    /// This receiver missed this many values; see [`RecvError::Lagged`].
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("broadcast channel is empty"),
            TryRecvError::Closed => f.write_str("broadcast channel closed: every sender is gone"),
            TryRecvError::Lagged(n) => {
                write!(f, "broadcast receiver lagged behind, missing {n} values")
            }
        }
    }
}

impl std::error::Error for TryRecvError {}

impl<T> Sender<T> {
    /// Sends `value` to every receiver, returning how many there are. With no receiver
    /// the value is not stored and comes back in the error.
    ///
    /// A receiver more than `capacity` values behind loses the oldest ones (it learns how
    /// many with [`RecvError::Lagged`]); `send` never waits.
    ///
    /// ```
    /// use weft::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// assert_eq!(tx.send("hi"), Ok(1));
    /// drop(rx);
    /// assert_eq!(tx.send("bye").unwrap_err().0, "bye");
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut inner = self.shared.inner.lock();
        if inner.receivers == 0 {
            return Err(SendError(value));
        }
        let pos = inner.tail;
        let idx = (pos % inner.capacity()) as usize;
        let slot = &mut inner.buffer[idx];
        slot.pos = pos;
        // The old value is dropped under the lock; `T`'s drop must not touch the channel.
        slot.value = Some(value);
        inner.tail = pos + 1;
        let receivers = inner.receivers;
        Inner::wake_all(inner, &self.shared);
        Ok(receivers)
    }

    /// A new receiver that sees every value sent from now on.
    ///
    /// ```
    /// use weft::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    #[track_caller]
    pub fn subscribe(&self) -> Receiver<T> {
        let mut inner = self.shared.inner.lock();
        inner.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: inner.tail,
            key: None,
            location: Location::caller(),
        }
    }

    /// How many receivers exist.
    ///
    /// ```
    /// use weft::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<u8>(4);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.inner.lock().receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.inner.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut inner = self.shared.inner.lock();
        inner.senders -= 1;
        if inner.senders == 0 {
            // Closed: every waiting receiver wakes to drain and see `Closed`.
            Inner::wake_all(inner, &self.shared);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.shared.inner.lock();
        f.debug_struct("broadcast::Sender")
            .field("capacity", &inner.buffer.len())
            .field("receivers", &inner.receivers)
            .finish()
    }
}

impl<T> Receiver<T> {
    /// A new receiver that sees every value sent from now on (not the values this one has
    /// yet to read).
    ///
    /// ```
    /// use weft::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut rx2 = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx2.try_recv(), Ok(2));
    /// ```
    #[track_caller]
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut inner = self.shared.inner.lock();
        inner.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: inner.tail,
            key: None,
            location: Location::caller(),
        }
    }

    /// How many values this receiver has yet to read (at most the capacity).
    ///
    /// ```
    /// use weft::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let inner = self.shared.inner.lock();
        let oldest = inner.tail.saturating_sub(inner.capacity());
        (inner.tail - self.next.max(oldest)) as usize
    }

    /// Whether this receiver has nothing left to read now.
    ///
    /// ```
    /// use weft::sync::broadcast;
    ///
    /// let (_tx, rx) = broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cancel_wait(&mut self) {
        if let Some(key) = self.key.take() {
            // Nothing to pass on: each send wakes every waiting receiver.
            let _ = self.shared.inner.lock().waiters.cancel(key);
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// The next value, or why there is none right now; never waits.
    ///
    /// ```
    /// use weft::sync::broadcast::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let inner = self.shared.inner.lock();
        inner.try_recv(&mut self.next)
    }

    /// Waits for the next value.
    ///
    /// Errors: [`RecvError::Lagged`] once if this receiver fell more than `capacity` values
    /// behind (the next call returns the oldest value still held), [`RecvError::Closed`]
    /// once every sender is gone and every value has been read.
    ///
    /// Cancellation-safe: dropping the future loses no value.
    ///
    /// ```
    /// use weft::sync::broadcast::{self, RecvError};
    ///
    /// weft::run(async {
    ///     let (tx, mut rx) = broadcast::channel(8);
    ///     let producer = weft::spawn(async move {
    ///         for i in 0..3 {
    ///             tx.send(i).unwrap();
    ///         }
    ///     });
    ///     let mut got = Vec::new();
    ///     loop {
    ///         match rx.recv().await {
    ///             Ok(v) => got.push(v),
    ///             Err(RecvError::Closed) => break,
    ///             Err(RecvError::Lagged(_)) => unreachable!(),
    ///         }
    ///     }
    ///     producer.await.unwrap();
    ///     assert_eq!(got, [0, 1, 2]);
    /// });
    /// ```
    #[track_caller]
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            location: Location::caller(),
        }
    }

    /// Polls for the next value; `location` is the call that waits (for the wait record).
    fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<Result<T, RecvError>> {
        let progress = std::task::ready!(coop::poll_proceed(cx));
        let waker = cx.waker();
        let mut inner = self.shared.inner.lock();
        let result = match inner.try_recv(&mut self.next) {
            Ok(v) => Ok(v),
            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Empty) => {
                self.key = Some(match self.key.take() {
                    None => inner.waiters.push_back(waker, ()),
                    Some(key) => match inner.waiters.poll(key, waker) {
                        Err(key) => key,
                        // Woken, but the value was already read: wait again.
                        Ok(()) => inner.waiters.push_back(waker, ()),
                    },
                });
                drop(inner);
                introspect::waiting_on(WaitKind::Broadcast, location, None, 0);
                return Poll::Pending;
            }
        };
        if let Some(key) = self.key.take() {
            let _ = inner.waiters.cancel(key);
        }
        drop(inner);
        progress.made_progress();
        Poll::Ready(result)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut inner = self.shared.inner.lock();
        if let Some(key) = self.key.take() {
            let _ = inner.waiters.cancel(key);
        }
        inner.receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match std::task::ready!(this.poll_recv(cx, this.location)) {
            Err(RecvError::Closed) => Poll::Ready(None),
            other => Poll::Ready(Some(other)),
        }
    }
}

/// The future returned by [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// The `recv()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Recv").finish_non_exhaustive()
    }
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.receiver.poll_recv(cx, this.location)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.receiver.cancel_wait();
    }
}
