//! The bounded flavour: [`channel`], [`Sender`], [`Receiver`], [`Permit`], [`OwnedPermit`].

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::loom::sync::Arc;

use super::chan::{Chan, Rx};
use super::error::{SendError, TryRecvError, TrySendError};

/// Creates a bounded channel holding at most `capacity` messages; `send` waits while it is
/// full.
///
/// # Panics
///
/// If `capacity` is 0 (a rendezvous channel is not supported).
///
/// ```
/// # weft::run(async {
/// let (tx, mut rx) = weft::sync::mpsc::channel(1);
/// tx.send("a").await.unwrap();
/// assert!(tx.try_send("b").is_err()); // full
/// assert_eq!(rx.recv().await, Some("a"));
/// # });
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "mpsc::channel: the capacity must be at least 1 (got 0)"
    );
    assert!(
        capacity <= usize::MAX >> 2,
        "mpsc::channel: the capacity {capacity} is too large"
    );
    let chan = Chan::new(Some(capacity));
    (
        Sender { chan: chan.clone() },
        Receiver {
            rx: Rx::new(chan, Location::caller()),
        },
    )
}

/// Sends into a bounded [`channel`]; clone it for more producers. The channel closes for the
/// receiver once every sender is dropped.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("chan", &*self.chan)
            .finish()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for a slot while the channel is full; fails with the value
    /// back if the receiver is dropped or closed. Cancel-safe: a dropped `send` leaves no
    /// waiter, and a slot it had been granted goes to the next sender.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(4);
    /// tx.send(1).await.unwrap();
    /// rx.close();
    /// assert_eq!(tx.send(2).await.unwrap_err().0, 2);
    /// # });
    /// ```
    #[track_caller]
    pub fn send(&self, value: T) -> impl Future<Output = Result<(), SendError<T>>> + '_ {
        let location = Location::caller();
        async move {
            if self.chan.try_acquire().is_err() && self.chan.acquire(location).await.is_err() {
                return Err(SendError(value));
            }
            self.chan.push(value, false).map_err(SendError)
        }
    }

    /// Sends `value` if a slot is free now: `Full(value)` or `Closed(value)` otherwise.
    ///
    /// ```
    /// use weft::sync::mpsc::{self, error::TrySendError};
    /// let (tx, rx) = mpsc::channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// drop(rx);
    /// assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.try_acquire() {
            Ok(()) => self.chan.push(value, false).map_err(TrySendError::Closed),
            Err(true) => Err(TrySendError::Full(value)),
            Err(false) => Err(TrySendError::Closed(value)),
        }
    }

    /// Blocks this thread until `value` is sent (for threads outside any runtime).
    ///
    /// # Panics
    ///
    /// Called inside a runtime, where blocking would stall a worker.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(9).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(9));
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::blocking::block_on("mpsc::Sender::blocking_send", self.send(value))
    }

    /// Waits for a slot and holds it in a [`Permit`]: `permit.send(v)` then cannot fail or
    /// wait; dropping the permit gives the slot back.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let permit = tx.reserve().await.unwrap();
    /// assert_eq!(tx.capacity(), 0);
    /// permit.send(5);
    /// assert_eq!(rx.recv().await, Some(5));
    /// # });
    /// ```
    #[track_caller]
    pub fn reserve(&self) -> impl Future<Output = Result<Permit<'_, T>, SendError<()>>> {
        let location = Location::caller();
        async move {
            if self.chan.try_acquire().is_err() && self.chan.acquire(location).await.is_err() {
                return Err(SendError(()));
            }
            Ok(Permit { chan: &self.chan })
        }
    }

    /// Like [`reserve`](Self::reserve), owning the sender (for a permit that outlives a
    /// borrow, e.g. moved into a task).
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let permit = tx.reserve_owned().await.unwrap();
    /// let _tx = permit.send(1);
    /// assert_eq!(rx.recv().await, Some(1));
    /// # });
    /// ```
    #[track_caller]
    pub fn reserve_owned(self) -> impl Future<Output = Result<OwnedPermit<T>, SendError<Self>>> {
        let location = Location::caller();
        async move {
            if self.chan.try_acquire().is_err() && self.chan.acquire(location).await.is_err() {
                return Err(SendError(self));
            }
            Ok(OwnedPermit { tx: Some(self) })
        }
    }

    /// Takes a slot if one is free now.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let p = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().is_err());
    /// drop(p); // the slot comes back
    /// assert!(tx.try_reserve().is_ok());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.try_acquire() {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(true) => Err(TrySendError::Full(())),
            Err(false) => Err(TrySendError::Closed(())),
        }
    }

    /// Whether the receiver was dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::channel::<u8>(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Resolves once the receiver is dropped or closed.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, rx) = weft::sync::mpsc::channel::<u8>(1);
    /// weft::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        super::unbounded::closed(&self.chan, Location::caller())
    }

    /// Free slots now: [`max_capacity`](Self::max_capacity) minus messages buffered and
    /// permits held.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel(3);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The capacity the channel was created with.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<()>(3);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.max_capacity()
    }

    /// Whether both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<()>(1);
    /// let (other, _rx2) = weft::sync::mpsc::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

/// A slot held in a bounded channel ([`Sender::reserve`]): sending through it never waits.
/// Dropped unused, it gives the slot back.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Permit").finish_non_exhaustive()
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the held slot. If the receiver was dropped meanwhile the value is
    /// dropped (as tokio does).
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// tx.reserve().await.unwrap().send('x');
    /// assert_eq!(rx.recv().await, Some('x'));
    /// # });
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self);
        // The slot moves to the message; a failed push gave it back.
        let _ = chan.push(value, false);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release(1);
    }
}

/// A slot held in a bounded channel together with its [`Sender`] ([`Sender::reserve_owned`]).
pub struct OwnedPermit<T> {
    tx: Option<Sender<T>>,
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::OwnedPermit").finish_non_exhaustive()
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the held slot and gives the sender back.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let tx = tx.reserve_owned().await.unwrap().send(1);
    /// assert!(tx.try_send(2).is_err()); // the first message fills the channel
    /// assert_eq!(rx.recv().await, Some(1));
    /// # });
    /// ```
    pub fn send(mut self, value: T) -> Sender<T> {
        let tx = self.tx.take().expect("an OwnedPermit holds its sender");
        let _ = tx.chan.push(value, false);
        tx
    }

    /// Gives the slot back unused and returns the sender.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let tx = tx.reserve_owned().await.unwrap().release();
    /// assert_eq!(tx.capacity(), 1);
    /// # });
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let tx = self.tx.take().expect("an OwnedPermit holds its sender");
        tx.chan.release(1);
        tx
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(tx) = &self.tx {
            tx.chan.release(1);
        }
    }
}

/// Receives from a bounded [`channel`]. Also a [`Stream`](futures_core::Stream).
pub struct Receiver<T> {
    rx: Rx<T>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("chan", &*self.rx.chan)
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Waits for the next message; `None` once the channel is closed (every sender dropped,
    /// or [`close`](Self::close)d) and empty. Cancel-safe: a dropped `recv` loses nothing.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(2);
    /// tx.send(1).await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        let location = Location::caller();
        std::future::poll_fn(move |cx| self.rx.poll_recv(cx, location))
    }

    /// Polls for the next message (the engine of [`recv`](Self::recv) and the `Stream`).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx, self.rx.location)
    }

    /// Waits for at least one message, then moves up to `limit` into `buffer`; returns how
    /// many (0 only when `limit` is 0 or the channel is closed and empty).
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(8);
    /// for i in 0..5 { tx.send(i).await.unwrap(); }
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
    /// assert_eq!(buf, [0, 1, 2]);
    /// # });
    /// ```
    #[track_caller]
    pub fn recv_many<'a>(
        &'a mut self,
        buffer: &'a mut Vec<T>,
        limit: usize,
    ) -> impl Future<Output = usize> + 'a {
        let location = Location::caller();
        std::future::poll_fn(move |cx| self.rx.poll_recv_many(cx, buffer, limit, location))
    }

    /// Takes a message if one is buffered: `Empty` if not, `Disconnected` if none will come.
    ///
    /// ```
    /// use weft::sync::mpsc::{self, error::TryRecvError};
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.rx.try_recv() {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(TryRecvError::Empty),
            Err(()) => Err(TryRecvError::Disconnected),
        }
    }

    /// Blocks this thread until a message comes (for threads outside any runtime).
    ///
    /// # Panics
    ///
    /// Called inside a runtime, where blocking would stall a worker.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let t = std::thread::spawn(move || rx.blocking_recv());
    /// tx.blocking_send(3).unwrap();
    /// assert_eq!(t.join().unwrap(), Some(3));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::blocking::block_on("mpsc::Receiver::blocking_recv", self.recv())
    }

    /// Closes the channel: senders fail from now on (waiting ones too) and get their value
    /// back; messages already buffered can still be received, then `recv` gives `None`.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::channel(2);
    /// tx.send(1).await.unwrap();
    /// rx.close();
    /// assert!(tx.send(2).await.is_err());
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn close(&mut self) {
        self.rx.chan.close(false);
    }

    /// Messages buffered now.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::channel(4);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no message is buffered now.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether no new message can come: closed, or every sender dropped.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::channel::<u8>(4);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }

    /// The capacity the channel was created with.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::channel::<u8>(4);
    /// assert_eq!(rx.max_capacity(), 4);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.rx.chan.max_capacity()
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let rx = &mut self.get_mut().rx;
        rx.poll_recv(cx, rx.location)
    }
}
