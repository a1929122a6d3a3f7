//! [`OnceCell`]: a value set once, by one initializer, and awaited by any number of tasks
//! (asyncio's `Future` that several coroutines await).
//!
//! # Protocol
//!
//! The value sits in an `UnsafeCell` behind an atomic state (`EMPTY`, `READY`), so
//! [`get`](OnceCell::get) is one atomic load. One shim [`Mutex`] guards an `initializing`
//! flag and the [`WaitList`] of tasks waiting for the value or for their turn to
//! initialize.
//!
//! - Writing the value (`set`, or an initializer that finished) happens under the lock
//!   with `initializing` held by the writer; the state moves to `READY` with a release
//!   store, then every waiter is notified (in batches woken outside the lock; `READY` is
//!   final, so no new waiter registers meanwhile).
//! - `get_or_init` locks: `READY` returns the value; no initializer running makes this
//!   task the initializer (`initializing = true`); otherwise it waits in the list and
//!   checks again once woken.
//! - An initializer whose future is dropped or panics (or, for `get_or_try_init`, fails)
//!   clears `initializing` in a drop guard and wakes every waiter there was at that moment:
//!   one of the `get_or_init` waiters becomes the next initializer, the others (and the
//!   `wait`ers) register again. A woken waiter that is dropped first passes nothing on, and
//!   needs not: all of them were woken.

use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::cell::UnsafeCell;
use weft_core::loom::sync::atomic::{AtomicU8, Ordering};
use weft_core::loom::sync::{Mutex, MutexGuard};

use crate::waiters::{Key, WaitList, WakeList};

const EMPTY: u8 = 0;
const READY: u8 = 1;

/// A cell written once, asynchronously: [`get_or_init`](OnceCell::get_or_init) runs one
/// initializer while the other callers wait, [`wait`](OnceCell::wait) waits for whoever
/// sets it (tokio's `OnceCell`, plus asyncio's awaitable `Future`).
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::OnceCell;
///
/// weft::run(async {
///     let cell = Arc::new(OnceCell::new());
///     let c = cell.clone();
///     let reader = weft::spawn(async move { *c.wait().await });
///     let v = cell.get_or_init(|| async { 42 }).await;
///     assert_eq!(*v, 42);
///     assert_eq!(reader.await.unwrap(), 42);
/// });
/// ```
pub struct OnceCell<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
    inner: Mutex<Inner>,
}

struct Inner {
    initializing: bool,
    waiters: WaitList<()>,
}

// SAFETY: the value is written once, by the one task that holds `initializing` (or `&mut`),
// before the release store of READY; readers read it only after an acquire load of READY,
// and never write it. So sharing the cell shares `&T` across threads (needs `T: Sync`) and
// lets another thread's initializer move a `T` in (needs `T: Send`).
unsafe impl<T: Sync + Send> Sync for OnceCell<T> {}
// SAFETY: the cell owns its `T`; moving the cell moves the `T`.
unsafe impl<T: Send> Send for OnceCell<T> {}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        if self.initialized() {
            // SAFETY: READY means the value was written; `&mut self` excludes readers.
            self.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell {
            state: AtomicU8::new(READY),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            inner: Mutex::new(Inner {
                initializing: false,
                waiters: WaitList::new(),
            }),
        }
    }
}

/// Why [`OnceCell::set`] refused the value; the value comes back in either case.
#[derive(Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// An initializer (`get_or_init`) is running; the cell will hold its value.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// The value that was not stored.
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitializedError(v) | SetError::InitializingError(v) => v,
        }
    }

    /// `true` for [`SetError::AlreadyInitializedError`].
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// `true` for [`SetError::InitializingError`].
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Debug for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError(..)"),
            SetError::InitializingError(_) => f.write_str("InitializingError(..)"),
        }
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => {
                f.write_str("the OnceCell already holds a value")
            }
            SetError::InitializingError(_) => {
                f.write_str("the OnceCell is being initialized by another task")
            }
        }
    }
}

impl<T> std::error::Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// ```
    /// let cell = weft::sync::OnceCell::<u32>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub fn new() -> OnceCell<T> {
        OnceCell {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            inner: Mutex::new(Inner {
                initializing: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// let cell = weft::sync::OnceCell::from(1);
    /// assert!(cell.initialized());
    /// ```
    #[inline]
    pub fn initialized(&self) -> bool {
        self.state.load(Ordering::Acquire) == READY
    }

    /// The value, if set (one atomic load).
    ///
    /// ```
    /// let cell = weft::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(5).unwrap();
    /// assert_eq!(cell.get(), Some(&5));
    /// ```
    #[inline]
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: READY (acquire) means the value was written and will not be written
            // again while `&self` lives.
            Some(unsafe { self.get_unchecked() })
        } else {
            None
        }
    }

    /// The value, if set, mutably.
    ///
    /// ```
    /// let mut cell = weft::sync::OnceCell::from(1);
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.initialized() {
            // SAFETY: READY means the value was written; `&mut self` makes it exclusive.
            Some(self.value.with_mut(|p| unsafe { (*p).assume_init_mut() }))
        } else {
            None
        }
    }

    /// # Safety
    ///
    /// The state must be READY (observed with an acquire load).
    unsafe fn get_unchecked(&self) -> &T {
        // SAFETY: the caller saw READY: the value is written and never written again, so
        // the reference may outlive the closure (loom checks only the access inside it).
        self.value.with(|p| unsafe { (*p).assume_init_ref() })
    }

    /// Stores `value` if the cell is empty and no initializer is running, and wakes every
    /// waiter; otherwise hands `value` back in the error.
    ///
    /// ```
    /// use weft::sync::{OnceCell, SetError};
    ///
    /// let cell = OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitializedError(2)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        let mut inner = self.inner.lock();
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        if inner.initializing {
            return Err(SetError::InitializingError(value));
        }
        inner.initializing = true;
        self.publish(inner, value);
        Ok(())
    }

    /// Writes the value, marks the cell READY and wakes every waiter. The caller holds
    /// `initializing` (set under the lock it passes in).
    fn publish(&self, inner: MutexGuard<'_, Inner>, value: T) -> &T {
        debug_assert!(inner.initializing);
        // SAFETY: this task holds `initializing` and the state is EMPTY: nobody reads or
        // writes the value until the release store below.
        self.value.with_mut(|p| unsafe { (*p).write(value) });
        self.state.store(READY, Ordering::Release);
        let mut inner = inner;
        inner.initializing = false;
        self.wake_all(inner, usize::MAX);
        // SAFETY: just set READY.
        unsafe { self.get_unchecked() }
    }

    /// Notifies up to `limit` waiters from the front (all of them while READY, since none
    /// registers then), waking them outside the lock.
    fn wake_all<'a>(&'a self, mut inner: MutexGuard<'a, Inner>, mut limit: usize) {
        let mut wakes = WakeList::new();
        loop {
            while limit > 0 && !wakes.is_full() {
                match inner.waiters.notify_front() {
                    Some(waker) => wakes.push(waker),
                    None => return,
                }
                limit -= 1;
            }
            if limit == 0 {
                return;
            }
            drop(inner);
            wakes.wake_all();
            inner = self.inner.lock();
        }
        // `inner` unlocks before `wakes` wakes (reverse declaration order).
    }

    /// The value, running `init` to make it if the cell is empty. One caller's initializer
    /// runs at a time; the others wait for its value. If the running initializer's future
    /// is dropped or panics, one of the waiting callers runs its own.
    ///
    /// ```
    /// use weft::sync::OnceCell;
    ///
    /// weft::run(async {
    ///     let cell = OnceCell::new();
    ///     let (a, b) = weft::join!(
    ///         cell.get_or_init(|| async { "first" }),
    ///         cell.get_or_init(|| async { "second" }),
    ///     );
    ///     assert_eq!(a, b);
    /// });
    /// ```
    #[track_caller]
    pub fn get_or_init<F, Fut>(&self, init: F) -> impl Future<Output = &T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let location = Location::caller();
        async move {
            let init = || async { Ok::<T, std::convert::Infallible>(init().await) };
            match self.get_or_try_init_at(init, location).await {
                Ok(v) => v,
                Err(never) => match never {},
            }
        }
    }

    /// Like [`get_or_init`](OnceCell::get_or_init), with an initializer that may fail: its
    /// error is returned and the cell stays empty (the next waiting caller runs its own).
    ///
    /// ```
    /// use weft::sync::OnceCell;
    ///
    /// weft::run(async {
    ///     let cell = OnceCell::new();
    ///     let err = cell.get_or_try_init(|| async { Err::<u8, _>("offline") }).await;
    ///     assert_eq!(err, Err("offline"));
    ///     let ok = cell.get_or_try_init(|| async { Ok::<_, &str>(7) }).await;
    ///     assert_eq!(ok, Ok(&7));
    /// });
    /// ```
    #[track_caller]
    pub fn get_or_try_init<E, F, Fut>(&self, init: F) -> impl Future<Output = Result<&T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.get_or_try_init_at(init, Location::caller())
    }

    /// [`get_or_try_init`](OnceCell::get_or_try_init), recording `location` as the call
    /// that waits.
    async fn get_or_try_init_at<E, F, Fut>(
        &self,
        init: F,
        location: &'static Location<'static>,
    ) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        let turn = WaitTurn {
            cell: self,
            key: None,
            initialize: true,
            location,
        }
        .await;
        if !turn {
            // SAFETY: WaitTurn returns `false` only once it saw READY.
            return Ok(unsafe { self.get_unchecked() });
        }
        let guard = InitGuard { cell: self };
        let value = init().await?;
        std::mem::forget(guard);
        let inner = self.inner.lock();
        Ok(self.publish(inner, value))
    }

    /// Waits until the cell holds a value (set by [`set`](OnceCell::set) or an
    /// initializer), as coroutines await an asyncio `Future`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::OnceCell;
    ///
    /// weft::run(async {
    ///     let answer = Arc::new(OnceCell::new());
    ///     let a = answer.clone();
    ///     weft::spawn(async move { a.set(42).unwrap() });
    ///     assert_eq!(*answer.wait().await, 42);
    /// });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> impl Future<Output = &T> {
        let location = Location::caller();
        async move {
            if let Some(v) = self.get() {
                return v;
            }
            let turn = WaitTurn {
                cell: self,
                key: None,
                initialize: false,
                location,
            }
            .await;
            debug_assert!(!turn);
            // SAFETY: WaitTurn with `initialize: false` returns only once it saw READY.
            unsafe { self.get_unchecked() }
        }
    }

    /// Takes the value out, if any, leaving the cell empty.
    ///
    /// ```
    /// let mut cell = weft::sync::OnceCell::from("x");
    /// assert_eq!(cell.take(), Some("x"));
    /// assert!(cell.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if self.initialized() {
            self.state.store(EMPTY, Ordering::Relaxed);
            // SAFETY: READY means the value was written; `&mut self` makes it exclusive,
            // and the state now says EMPTY, so it is not read or dropped again.
            Some(self.value.with_mut(|p| unsafe { (*p).assume_init_read() }))
        } else {
            None
        }
    }

    /// The value, if any, consuming the cell.
    ///
    /// ```
    /// let cell = weft::sync::OnceCell::from(3);
    /// assert_eq!(cell.into_inner(), Some(3));
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }
}

/// Clears `initializing` and wakes every waiter if the initializer did not finish
/// (dropped, panicked or failed).
struct InitGuard<'a, T> {
    cell: &'a OnceCell<T>,
}

impl<T> Drop for InitGuard<'_, T> {
    fn drop(&mut self) {
        let mut inner = self.cell.inner.lock();
        inner.initializing = false;
        let limit = inner.waiters.len();
        self.cell.wake_all(inner, limit);
    }
}

/// Waits until the cell is READY (`false`) or, with `initialize`, until this task may run
/// the initializer (`true`; `initializing` is now held).
struct WaitTurn<'a, T> {
    cell: &'a OnceCell<T>,
    key: Option<Key>,
    initialize: bool,
    /// The call that waits, for the task's wait record.
    location: &'static Location<'static>,
}

impl<T> Future for WaitTurn<'_, T> {
    type Output = bool;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let this = self.get_mut();
        let poll = this.poll_turn(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::OnceCell, this.location, None, 0);
        }
        poll
    }
}

impl<T> WaitTurn<'_, T> {
    fn poll_turn(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let this = self;
        let mut inner = this.cell.inner.lock();
        if let Some(key) = this.key.take() {
            match inner.waiters.poll(key, cx.waker()) {
                Ok(()) => {}
                Err(key) => {
                    if !this.cell.initialized() {
                        this.key = Some(key);
                        return Poll::Pending;
                    }
                    // READY but not yet notified (the batch is on its way): leave now.
                    let _ = inner.waiters.cancel(key);
                }
            }
        }
        if this.cell.initialized() {
            return Poll::Ready(false);
        }
        if this.initialize && !inner.initializing {
            inner.initializing = true;
            return Poll::Ready(true);
        }
        this.key = Some(inner.waiters.push_back(cx.waker(), ()));
        Poll::Pending
    }
}

impl<T> Drop for WaitTurn<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Nothing to pass on: whoever notifies us notifies every waiter.
            let _ = self.cell.inner.lock().waiters.cancel(key);
        }
    }
}
