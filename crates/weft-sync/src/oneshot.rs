//! A one-shot channel: one value, sent once, from one [`Sender`] to one [`Receiver`].
//!
//! The asyncio equivalent is a bare `Future` that one coroutine sets and another awaits; the
//! shapes follow tokio's `oneshot` (the receiver *is* the future).
//!
//! ```
//! # weft::run(async {
//! let (tx, rx) = weft::sync::oneshot::channel();
//! weft::spawn(async move {
//!     let _ = tx.send("done");
//! });
//! assert_eq!(rx.await, Ok("done"));
//! # });
//! ```
//!
//! # Protocol
//!
//! One allocation per channel holds one atomic state word, the value (an `UnsafeCell<Option<T>>`)
//! and two waker slots (the receiver's, the sender's for [`Sender::closed`]). No lock. The
//! two ends own it together (`Shared`: an `Arc` for exactly two owners, its count born at
//! 2); the end that lets go last frees it.
//!
//! - `COMPLETE`: the sender is done (it stored a value, or it was dropped and the value slot
//!   stays `None`). The value slot belongs to the sender until `COMPLETE` is set (release) and
//!   to the receiver after it has seen it (acquire).
//! - `CLOSED`: the receiver is closed or dropped; the sender's `COMPLETE` transition (a CAS) then
//!   fails and `send` takes its value back.
//! - `RX_TASK_SET` / `TX_TASK_SET`: a waker is stored in that slot. **Whoever clears the bit
//!   owns the slot.** The owner of a slot fills it and sets the bit; the other side clears the
//!   bit in the same CAS that publishes its event (`COMPLETE` clears `RX_TASK_SET`, `CLOSED`
//!   clears `TX_TASK_SET`) and then takes the waker out and wakes it *by value* (no clone, no
//!   second reference count). A side that wants to change its own stored waker first clears its
//!   bit (`fetch_and`): if the bit was already gone, the other side took the waker because the
//!   event happened, so the event is there to read. Nobody ever reads a slot it does not own,
//!   so no wake-up is lost and no waker is read while it is being written.
//!
//! A `Receiver` dropped before the value came closes the channel; a value sent just before
//! that stays in the allocation and is dropped with it, exactly once.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::cell::UnsafeCell;
use weft_core::loom::sync::atomic::{fence, AtomicUsize, Ordering};

/// A waker is stored in the receiver's slot.
const RX_TASK_SET: usize = 0b0001;
/// The sender is done: a value is stored, or the sender was dropped without one.
const COMPLETE: usize = 0b0010;
/// The receiver closed the channel (or was dropped).
const CLOSED: usize = 0b0100;
/// A waker is stored in the sender's slot (for [`Sender::closed`]).
const TX_TASK_SET: usize = 0b1000;

/// Creates a one-shot channel: the [`Sender`] sends one value, the [`Receiver`] awaits it.
///
/// ```
/// # weft::run(async {
/// let (tx, rx) = weft::sync::oneshot::channel::<u32>();
/// tx.send(7).unwrap();
/// assert_eq!(rx.await.unwrap(), 7);
/// # });
/// ```
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = Shared::pair(|| Inner {
        refs: AtomicUsize::new(2),
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender { inner: Some(tx) },
        Receiver {
            inner: Some(rx),
            location: Location::caller(),
        },
    )
}

/// One end's hold on the channel's allocation: an `Arc` for exactly two owners. The count
/// starts at 2, written with the rest of the allocation, where `Arc::new` and `Arc::clone`
/// took a locked add right after those stores, waiting for them to drain (8% of a
/// one-worker oneshot ping-pong, two new channels a round trip).
struct Shared<T> {
    ptr: NonNull<Inner<T>>,
}

impl<T> Shared<T> {
    /// Allocates `init()`'s value and returns its two owners (`init` sets `refs` to 2).
    fn pair(init: impl FnOnce() -> Inner<T>) -> (Shared<T>, Shared<T>) {
        // Allocated first, then written in place: `Arc::new(Inner { .. })` built the value
        // on the stack (each empty waker slot with one 8-byte store) and copied it over with
        // 16-byte loads, which waited on the store-to-load forward (28% of the pinger's poll
        // in a one-worker oneshot ping-pong; 97 -> 91 ns a round trip).
        let mut uninit = Box::<Inner<T>>::new_uninit();
        uninit.write(init());
        // SAFETY: written just above.
        let ptr = NonNull::from(Box::leak(unsafe { uninit.assume_init() }));
        (Shared { ptr }, Shared { ptr })
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = Inner<T>;

    fn deref(&self) -> &Inner<T> {
        // SAFETY: this owner's count keeps the allocation alive (see `Drop`).
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Release: this owner's uses happen before the other owner frees; as `Arc`'s drop.
        if self.refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // The other owner's uses happened before its decrement: see them before freeing.
        fence(Ordering::Acquire);
        // SAFETY: that was the last of the two counts; the allocation came from the `Box`
        // leaked in `pair`.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}

// SAFETY: a `Shared<T>` is a counted reference to an `Inner<T>`, as `Arc<Inner<T>>` is, and
// `Inner<T>` is `Send + Sync` when `T: Send` (below); so is `Arc<Inner<T>>`.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

struct Inner<T> {
    /// Owners left: the sender and the receiver ([`Shared`]).
    refs: AtomicUsize,
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the value and the waker slots are only touched by the side that owns them under the
// state-word protocol of the module docs, so sharing `Inner` only ever moves a `T` from one
// thread to another: `T: Send` is enough.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Takes the waker out of a slot this side owns (it has just cleared the slot's bit).
///
/// # Safety
///
/// The caller cleared the slot's `*_TASK_SET` bit itself (so the other side will not touch
/// the slot again until this side sets the bit).
unsafe fn take_waker(slot: &UnsafeCell<Option<Waker>>) -> Option<Waker> {
    // SAFETY: the caller owns the slot (see above).
    slot.with_mut(|p| unsafe { (*p).take() })
}

impl<T> Inner<T> {
    /// The sender is done: marks `COMPLETE` (unless closed) and wakes the receiver.
    /// Returns `false` if the receiver had closed the channel.
    fn complete(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & CLOSED != 0 {
                return false;
            }
            let next = (state | COMPLETE) & !RX_TASK_SET;
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_TASK_SET != 0 {
            // SAFETY: the CAS above cleared RX_TASK_SET, so this side owns the slot now.
            if let Some(waker) = unsafe { take_waker(&self.rx_waker) } {
                waker.wake();
            }
        }
        true
    }

    /// The receiver closes: sets `CLOSED` and wakes a sender waiting in `closed()`.
    fn close(&self) {
        // One CAS sets CLOSED and clears TX_TASK_SET: clearing the bit gives this side the
        // slot, and the sender, seeing the bit gone, knows CLOSED is there too.
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let next = (state | CLOSED) & !TX_TASK_SET;
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & TX_TASK_SET != 0 {
            // SAFETY: the CAS above cleared TX_TASK_SET: this side owns the slot.
            let waker = unsafe { take_waker(&self.tx_waker) };
            if state & COMPLETE == 0 {
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
        }
    }

    /// Takes the value out once `COMPLETE` has been seen (acquire).
    fn take_value(&self) -> Option<T> {
        // SAFETY: COMPLETE is set and was read with acquire ordering: the sender wrote the
        // value before setting it and never touches the slot again; only the receiver reads it.
        self.value.with_mut(|p| unsafe { (*p).take() })
    }
}

/// Sends the one value of a [`channel`].
pub struct Sender<T> {
    inner: Option<Shared<T>>,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Sender<T> {
    /// Sends `value`; gives it back as `Err(value)` if the receiver was dropped or closed.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, rx) = weft::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1), Err(1));
    /// # });
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("a Sender holds its channel");
        // SAFETY: COMPLETE is not set (this is the one sender, and it has not completed), so
        // the value slot belongs to this side: the receiver reads it only after COMPLETE.
        // The slot is `None` (nothing else ever fills it), so it is written without dropping
        // what was there: no drop check on the way, which made the move of a large value a
        // copy through 16-byte loads of fields just stored 8 bytes at a time.
        inner.value.with_mut(|p| unsafe { p.write(Some(value)) });
        if inner.complete() {
            Ok(())
        } else {
            // SAFETY: COMPLETE was never set, so the slot is still this side's.
            let value = inner.value.with_mut(|p| unsafe { (*p).take() });
            Err(value.expect("the value was just stored"))
        }
    }

    /// Whether the receiver was dropped or [closed](Receiver::close): a `send` would fail.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.load(Ordering::Acquire) & CLOSED != 0,
            None => true,
        }
    }

    /// Resolves once the receiver is dropped or closed: the value is not wanted any more.
    ///
    /// ```
    /// # weft::run(async {
    /// let (mut tx, rx) = weft::sync::oneshot::channel::<()>();
    /// weft::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    #[track_caller]
    pub fn closed(&mut self) -> impl Future<Output = ()> + '_ {
        let location = Location::caller();
        std::future::poll_fn(move |cx| {
            let poll = self.poll_closed(cx);
            if poll.is_pending() {
                introspect::waiting_on(WaitKind::Closed, location, None, 0);
            }
            poll
        })
    }

    /// Polls for the receiver being dropped or closed; stores `cx`'s waker when not yet.
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// let (mut tx, rx) = weft::sync::oneshot::channel::<()>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(tx.poll_closed(&mut cx).is_pending());
    /// drop(rx);
    /// assert!(tx.poll_closed(&mut cx).is_ready());
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = &self.inner else {
            return Poll::Ready(());
        };
        let mut state = inner.state.load(Ordering::Acquire);
        if state & CLOSED != 0 {
            return Poll::Ready(());
        }
        if state & TX_TASK_SET != 0 {
            // Take the slot back to look at (and maybe replace) the stored waker.
            state = inner.state.fetch_and(!TX_TASK_SET, Ordering::AcqRel);
            if state & TX_TASK_SET == 0 {
                // The receiver cleared the bit: it closed and took the waker.
                return Poll::Ready(());
            }
        }
        // SAFETY: TX_TASK_SET is clear and only this side sets it: the slot is this side's.
        inner.tx_waker.with_mut(|p| unsafe {
            match &mut *p {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
        });
        let state = inner.state.fetch_or(TX_TASK_SET, Ordering::AcqRel);
        if state & CLOSED != 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Dropped without sending: COMPLETE with an empty slot tells the receiver.
            inner.complete();
        }
    }
}

/// Awaits the one value of a [`channel`]: `rx.await` gives `Ok(value)`, or
/// `Err(RecvError)` if the sender was dropped without sending.
///
/// # Panics
///
/// Polled again after it completed.
pub struct Receiver<T> {
    inner: Option<Shared<T>>,
    /// The `channel()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver")
            .field("done", &self.inner.is_none())
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it is there: `Err(Empty)` if not yet sent, `Err(Closed)` if the
    /// sender was dropped without sending, the receiver was closed, or the value was taken.
    ///
    /// ```
    /// use weft::sync::oneshot::{self, TryRecvError};
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Ordering::Acquire);
        if state & COMPLETE != 0 {
            let value = inner.take_value();
            self.inner = None;
            value.ok_or(TryRecvError::Closed)
        } else if state & CLOSED != 0 {
            self.inner = None;
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Closes the channel without dropping the receiver: a later `send` fails and gives its
    /// value back; a value sent before the close can still be received.
    ///
    /// ```
    /// # weft::run(async {
    /// let (tx, mut rx) = weft::sync::oneshot::channel();
    /// rx.close();
    /// assert_eq!(tx.send(1), Err(1));
    /// assert!(rx.await.is_err());
    /// # });
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            inner.close();
        }
    }

    /// Blocks this thread until the value comes (for threads outside any runtime).
    ///
    /// # Panics
    ///
    /// Called inside a runtime, where blocking would stall a worker.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::oneshot::channel();
    /// std::thread::spawn(move || tx.send(5).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(5));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::blocking::block_on("oneshot::Receiver::blocking_recv", self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after it completed");
        let coop = std::task::ready!(weft_core::coop::poll_proceed(cx));
        let mut state = inner.state.load(Ordering::Acquire);
        if state & (COMPLETE | CLOSED) == 0 {
            if state & RX_TASK_SET != 0 {
                // Take the slot back to look at (and maybe replace) the stored waker.
                state = inner.state.fetch_and(!RX_TASK_SET, Ordering::AcqRel);
            }
            if state & (COMPLETE | CLOSED) == 0 {
                // SAFETY: RX_TASK_SET is clear (never set, or cleared by this side just now)
                // and only this side sets it: the slot is this side's.
                inner.rx_waker.with_mut(|p| unsafe {
                    match &mut *p {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                });
                state = inner.state.fetch_or(RX_TASK_SET, Ordering::AcqRel);
                if state & (COMPLETE | CLOSED) == 0 {
                    introspect::waiting_on(WaitKind::Oneshot, self.location, None, 0);
                    return Poll::Pending;
                }
            }
        }
        coop.made_progress();
        let out = if state & COMPLETE != 0 {
            inner.take_value().ok_or(RecvError(()))
        } else {
            Err(RecvError(()))
        };
        self.inner = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = &self.inner {
            inner.close();
        }
    }
}

/// The [`Sender`] was dropped without sending (returned by awaiting a [`Receiver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending a value")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value yet; the sender is still there.
    Empty,
    /// No value will come: the sender was dropped without sending, the receiver was closed
    /// before a value came, or the value was already taken.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "no value has been sent on the oneshot channel yet",
            TryRecvError::Closed => "the oneshot channel is closed: no value will come",
        })
    }
}

impl std::error::Error for TryRecvError {}
