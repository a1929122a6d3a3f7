//! A single-value, many-reader channel: receivers see the latest value and are told when
//! it changes (intermediate values may be skipped: changes coalesce).
//!
//! # Protocol
//!
//! The value sits behind a shim `RwLock`: any number of [`Ref`]s may be held at once, and a
//! send waits until they are gone (so a send on the thread that holds a borrow deadlocks, as
//! in tokio: keep borrows short, and never across an `.await`). Next to it an atomic *version* counts changes in steps of 2; its low
//! bit is set once every sender is gone. Each [`Receiver`] remembers the version it last
//! saw. A second shim mutex guards two `WaitList`s: receivers waiting for a change, and
//! senders waiting in [`Sender::closed`] for the last receiver to go.
//!
//! - A change writes the value and bumps the version under the write lock, then locks the
//!   waiter list and notifies every receiver waiting there; wakers are woken after unlocking.
//! - `changed` compares versions (one atomic load); if nothing is new it locks the waiter
//!   list, compares again and only then registers. A change either is visible to that
//!   second comparison or notifies the entry it registered: nothing is lost.
//! - The last sender sets the closed bit and wakes every waiting receiver; the last
//!   receiver to drop wakes every [`Sender::closed`] waiter, the same way.
//! - Dropping a waiting future only removes its entry: every notification goes to every
//!   waiter, so there is nothing to pass on, and the version a receiver has seen moves
//!   only when a change is reported.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use crate::waiters::{Key, WaitList, WakeList};

/// The version's low bit: every sender is gone.
const CLOSED: usize = 1;
/// One change.
const STEP: usize = 2;

/// Creates a watch channel holding `init`.
///
/// ```
/// use weft::sync::watch;
///
/// weft::run(async {
///     let (tx, mut rx) = watch::channel("starting");
///     let reader = weft::spawn(async move {
///         rx.changed().await.unwrap();
///         *rx.borrow_and_update()
///     });
///     tx.send("running").unwrap();
///     assert_eq!(reader.await.unwrap(), "running");
/// });
/// ```
#[track_caller]
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicUsize::new(0),
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
        waiters: Mutex::new(Waiters {
            changed: WaitList::new(),
            closed: WaitList::new(),
        }),
    });
    let rx = Receiver {
        shared: shared.clone(),
        seen: 0,
        key: None,
        primed: false,
        location: Location::caller(),
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    value: RwLock<T>,
    /// Changes times [`STEP`], plus [`CLOSED`] once every sender is gone.
    version: AtomicUsize,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    waiters: Mutex<Waiters>,
}

struct Waiters {
    /// Receivers waiting in `changed`.
    changed: WaitList<()>,
    /// Senders waiting in `closed`.
    closed: WaitList<()>,
}

impl<T> Shared<T> {
    /// Notifies every waiter of one list, waking them outside the lock.
    fn wake_all(&self, pick: fn(&mut Waiters) -> &mut WaitList<()>) {
        let mut wakes = WakeList::new();
        let mut waiters = self.waiters.lock();
        let mut limit = pick(&mut waiters).len();
        while limit > 0 {
            while limit > 0 && !wakes.is_full() {
                match pick(&mut waiters).notify_front() {
                    Some(waker) => wakes.push(waker),
                    None => limit = 1,
                }
                limit -= 1;
            }
            drop(waiters);
            wakes.wake_all();
            if limit == 0 {
                return;
            }
            waiters = self.waiters.lock();
        }
    }
}

/// The sending half of a [`watch`](self) channel; clone it for more senders.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half of a [`watch`](self) channel; clone it for more receivers.
///
/// It is also a [`Stream`] (tokio-stream's `WatchStream`): the first poll yields the
/// current value, then one item per change (changes in between coalesce into one item
/// with the latest value); the stream ends once every sender is gone.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen, without the closed bit.
    seen: usize,
    /// Its entry in the wait list while `changed` (or the stream) waits.
    key: Option<Key>,
    /// The stream has yielded its first value.
    primed: bool,
    /// The call that made it: the wait record's location when it waits as a stream.
    location: &'static Location<'static>,
}

/// A borrow of the value in a watch channel; the value cannot change while it lives.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value had not been seen by the receiver when borrowed (always `false`
    /// for [`Sender::borrow`]).
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert!(rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
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
        f.write_str("sending on a watch channel with no receiver")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The error of [`Receiver::changed`] and [`Receiver::has_changed`]: every sender is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("watch channel closed: every sender is gone")
    }
}

impl std::error::Error for RecvError {}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers; with no receiver the value is not
    /// stored and comes back in the error.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.load(SeqCst) == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Modifies the value in place and notifies the receivers, whether or not there are
    /// any.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Runs `modify` on the value; notifies the receivers only if it returns `true`.
    /// Returns what `modify` returned.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(5);
    /// assert!(!tx.send_if_modified(|v| false));
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|v| {
    ///     *v += 1;
    ///     true
    /// }));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut value = self.shared.value.write();
        if !modify(&mut value) {
            return false;
        }
        self.shared.version.fetch_add(STEP, SeqCst);
        drop(value);
        self.shared.wake_all(|w| &mut w.changed);
        true
    }

    /// Replaces the value, notifies the receivers (whether or not there are any) and
    /// returns the old value.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut old = Some(value);
        self.send_modify(|v| old = Some(std::mem::replace(v, old.take().expect("once"))));
        old.expect("send_modify ran the closure")
    }

    /// Borrows the current value.
    ///
    /// The [`Ref`] holds a read lock on the value: other borrows go ahead, sends wait until
    /// it is dropped (a send on the same thread would deadlock). Keep it short, and never
    /// across an `.await`.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel("a");
    /// assert_eq!(*tx.borrow(), "a");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.read(),
            has_changed: false,
        }
    }

    /// A new receiver; the current value counts as seen.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(1).unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    #[track_caller]
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version.load(SeqCst) & !CLOSED,
            key: None,
            primed: false,
            location: Location::caller(),
        }
    }

    /// How many receivers exist.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// # drop(rx2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(SeqCst)
    }

    /// Whether every receiver is gone.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// weft::run(async {
    ///     let (tx, rx) = watch::channel(());
    ///     weft::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    #[track_caller]
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            sender: self,
            key: None,
            location: Location::caller(),
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, SeqCst);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, SeqCst) == 1 {
            self.shared.version.fetch_or(CLOSED, SeqCst);
            self.shared.wake_all(|w| &mut w.changed);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("receivers", &self.receiver_count())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`Sender::closed`].
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    sender: &'a Sender<T>,
    key: Option<Key>,
    /// The `closed()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Closed").finish_non_exhaustive()
    }
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &this.sender.shared;
        if this.key.is_none() && shared.receivers.load(SeqCst) == 0 {
            return Poll::Ready(());
        }
        let mut waiters = shared.waiters.lock();
        if shared.receivers.load(SeqCst) == 0 {
            if let Some(key) = this.key.take() {
                let _ = waiters.closed.cancel(key);
            }
            return Poll::Ready(());
        }
        this.key = Some(match this.key.take() {
            None => waiters.closed.push_back(cx.waker(), ()),
            Some(key) => match waiters.closed.poll(key, cx.waker()) {
                Err(key) => key,
                // Woken, but a receiver was subscribed since: wait again.
                Ok(()) => waiters.closed.push_back(cx.waker(), ()),
            },
        });
        drop(waiters);
        introspect::waiting_on(WaitKind::Closed, this.location, None, 0);
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = self.sender.shared.waiters.lock().closed.cancel(key);
        }
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    ///
    /// The [`Ref`] holds a read lock on the value: other borrows go ahead, sends wait until
    /// it is dropped (a send on the same thread would deadlock). Keep it short, and never
    /// across an `.await`.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (_tx, rx) = watch::channel(String::from("x"));
    /// assert_eq!(rx.borrow().as_str(), "x");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let version = self.shared.version.load(SeqCst) & !CLOSED;
        Ref {
            guard,
            has_changed: version != self.seen,
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 1);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let version = self.shared.version.load(SeqCst) & !CLOSED;
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether the value changed since this receiver last saw it; `Err` once every sender
    /// is gone (as tokio).
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let version = self.shared.version.load(SeqCst);
        if version & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(version != self.seen)
    }

    /// Marks the current value unseen: the next [`changed`](Receiver::changed) is ready at
    /// once.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (_tx, mut rx) = watch::channel(0);
    /// rx.mark_changed();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn mark_changed(&mut self) {
        let version = self.shared.version.load(SeqCst) & !CLOSED;
        self.seen = version.wrapping_sub(STEP);
    }

    /// Marks the current value seen.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.load(SeqCst) & !CLOSED;
    }

    /// Waits until the value changes from the one this receiver last saw, and marks the
    /// new one seen. Ready at once if there is an unseen change already. `Err` once every
    /// sender is gone and the latest value has been seen.
    ///
    /// Cancellation-safe: dropping the future loses no change.
    ///
    /// ```
    /// use weft::sync::watch;
    ///
    /// weft::run(async {
    ///     let (tx, mut rx) = watch::channel(0);
    ///     tx.send(1).unwrap();
    ///     tx.send(2).unwrap(); // coalesces with the first change
    ///     drop(tx);
    ///     assert!(rx.changed().await.is_ok());
    ///     assert_eq!(*rx.borrow(), 2);
    ///     assert!(rx.changed().await.is_err());
    /// });
    /// ```
    #[track_caller]
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            receiver: self,
            location: Location::caller(),
        }
    }

    /// Polls for a change; `location` is the call that waits (for the wait record).
    fn poll_changed(
        &mut self,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<Result<(), RecvError>> {
        let shared = &*self.shared;
        if self.key.is_none() {
            if let Some(result) = check(&shared.version, &mut self.seen) {
                return Poll::Ready(result);
            }
        }
        let mut waiters = shared.waiters.lock();
        if let Some(result) = check(&shared.version, &mut self.seen) {
            if let Some(key) = self.key.take() {
                let _ = waiters.changed.cancel(key);
            }
            return Poll::Ready(result);
        }
        self.key = Some(match self.key.take() {
            None => waiters.changed.push_back(cx.waker(), ()),
            Some(key) => match waiters.changed.poll(key, cx.waker()) {
                Err(key) => key,
                // Woken, yet nothing unseen (a change we saw already): wait again.
                Ok(()) => waiters.changed.push_back(cx.waker(), ()),
            },
        });
        drop(waiters);
        introspect::waiting_on(WaitKind::Watch, location, None, 0);
        Poll::Pending
    }

    fn cancel_wait(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = self.shared.waiters.lock().changed.cancel(key);
        }
    }
}

/// `Some(Ok)` if there is an unseen change (now marked seen), `Some(Err)` if closed with
/// none, `None` if there is nothing new.
fn check(version: &AtomicUsize, seen: &mut usize) -> Option<Result<(), RecvError>> {
    let version = version.load(SeqCst);
    if version & !CLOSED != *seen {
        *seen = version & !CLOSED;
        Some(Ok(()))
    } else if version & CLOSED != 0 {
        Some(Err(RecvError(())))
    } else {
        None
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, SeqCst);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
            key: None,
            primed: false,
            location: self.location,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.cancel_wait();
        if self.shared.receivers.fetch_sub(1, SeqCst) == 1 {
            self.shared.wake_all(|w| &mut w.closed);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("seen", &(self.seen / STEP))
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if !this.primed {
            this.primed = true;
            return Poll::Ready(Some(this.borrow_and_update().clone()));
        }
        match std::task::ready!(this.poll_changed(cx, this.location)) {
            Ok(()) => Poll::Ready(Some(this.borrow_and_update().clone())),
            Err(_) => Poll::Ready(None),
        }
    }
}

/// The future returned by [`Receiver::changed`].
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// The `changed()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Changed").finish_non_exhaustive()
    }
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.receiver.poll_changed(cx, this.location)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        self.receiver.cancel_wait();
    }
}
