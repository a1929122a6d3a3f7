//! The unbounded flavour: [`unbounded_channel`], [`UnboundedSender`], [`UnboundedReceiver`].

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::Arc;

use super::chan::{Chan, Rx};
use super::error::{SendError, TryRecvError};
use crate::waiters::Key;

/// Creates a channel with no capacity limit: `send` never waits (memory is the limit).
///
/// ```
/// # weft::run(async {
/// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
/// for i in 0..1000 {
///     tx.send(i).unwrap();
/// }
/// assert_eq!(rx.recv().await, Some(0));
/// # });
/// ```
#[track_caller]
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None);
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver {
            rx: Rx::new(chan, Location::caller()),
        },
    )
}

/// Waits for the receiver of `chan` to be closed or dropped (cancel-safe), recording a
/// `Closed` wait at `location` (the `closed()` call) while it waits.
pub(super) async fn closed<T>(chan: &Chan<T>, location: &'static Location<'static>) {
    struct Closed<'a, T> {
        chan: &'a Chan<T>,
        key: Option<Key>,
    }
    impl<T> Drop for Closed<'_, T> {
        fn drop(&mut self) {
            if let Some(key) = self.key.take() {
                self.chan.cancel_closed(key);
            }
        }
    }
    let mut fut = Closed { chan, key: None };
    std::future::poll_fn(|cx| {
        let poll = fut.chan.poll_closed(&mut fut.key, cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::Closed, location, None, 0);
        }
        poll
    })
    .await
}

/// Sends into an [`unbounded_channel`]; clone it for more producers.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender")
            .field("chan", &*self.chan)
            .finish()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> UnboundedSender<T> {
    /// Sends `value` at once; fails with the value back if the receiver is dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value, true).map_err(SendError)
    }

    /// Whether the receiver was dropped or closed.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel::<u8>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Resolves once the receiver is dropped or closed.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel::<u8>();
    /// weft::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        closed(&self.chan, Location::caller())
    }

    /// Whether both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::unbounded_channel::<()>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

/// Receives from an [`unbounded_channel`]. Also a [`Stream`](futures_core::Stream).
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedReceiver")
            .field("chan", &*self.rx.chan)
            .finish()
    }
}

impl<T> UnboundedReceiver<T> {
    /// Waits for the next message; `None` once the channel is closed and empty.
    /// Cancel-safe: a dropped `recv` loses nothing.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
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
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.send(1).unwrap();
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
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// for i in 0..5 { tx.send(i).unwrap(); }
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buf, 10).await, 5);
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
    /// let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
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
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// std::thread::spawn(move || tx.send(4).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(4));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::blocking::block_on("mpsc::UnboundedReceiver::blocking_recv", self.recv())
    }

    /// Closes the channel: sends fail from now on; buffered messages can still be received.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
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
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no message is buffered now.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::unbounded_channel::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether no new message can come: closed, or every sender dropped.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel::<u8>();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }
}

impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let rx = &mut self.get_mut().rx;
        rx.poll_recv(cx, rx.location)
    }
}
