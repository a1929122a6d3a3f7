//! [`Mutex`]: asyncio's `Lock`, holding the data it protects; fair and fast under contention.
//!
//! The policy (fair, with bounded barging) is written on [`Mutex`]; this is how it is built.
//!
//! # Protocol
//!
//! One atomic word: `LOCKED`, `QUEUED` (the waiter list is non-empty), `WOKEN` (a waiter was
//! woken and has not come back yet: unlocks need not wake another), `HANDOFF` (the first
//! waiter lost a race: the next unlock hands over), and above them the count of barges since
//! the last wake-up. Lock is one CAS `0 -> LOCKED`; unlock is one CAS `LOCKED -> 0`, or a
//! plain clear of `LOCKED` while `WOKEN` is set. `QUEUED`, `HANDOFF` and the setting of
//! `WOKEN` change only under the waiter list's lock (always by CAS, since `LOCKED` moves
//! without it), and these invariants hold outside it:
//!
//! - `QUEUED` is set exactly while the list is non-empty;
//! - the lock is free with `QUEUED` set only while `WOKEN` is: somebody is on its way to take
//!   it, and its own unlock will wake the next one;
//! - `HANDOFF` is set only while `LOCKED` is and the first entry is the waiter that lost.
//!
//! An unlock that finds `QUEUED` without `WOKEN`, or `HANDOFF`, takes the list's lock and
//! either wakes the first waiter (setting `WOKEN`, clearing `LOCKED`) or hands it the lock
//! (`LOCKED` stays). A woken waiter that is dropped before it came back passes the wake-up
//! on; one that had been handed the lock unlocks it; one still queued just leaves.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::pin::Pin;
// The owned API takes std's `Arc`: a method receiver must be std's (loom's `Arc` cannot be
// `self`), and the `Arc` only keeps the lock alive; every atomic and lock inside stays the
// shim's, so loom still sees the whole protocol.
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::cell::UnsafeCell;
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::Mutex as ListLock;

use crate::then::Then;
use crate::waiters::{Cancelled, Key, WaitList};

const LOCKED: usize = 1;
const QUEUED: usize = 2;
const WOKEN: usize = 4;
const HANDOFF: usize = 8;
const BARGE_ONE: usize = 16;
const BARGES: usize = !(BARGE_ONE - 1);

/// How many lock calls may take the lock ahead of a woken waiter before it comes back.
pub(crate) const BARGE_LIMIT: usize = 16;

/// What a waiter's entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Queued at the back, not woken yet.
    Queued,
    /// Lost a race after its wake-up: first in line, and `HANDOFF` is set for it.
    Starving,
    /// Woken: the lock was free when it was woken; try again.
    Woken,
    /// Handed the lock: it is the owner.
    Granted,
}

/// The lock without the data: state word and waiter list.
pub(crate) struct RawMutex {
    state: AtomicUsize,
    waiters: ListLock<WaitList<Turn>>,
}

impl RawMutex {
    fn new() -> RawMutex {
        RawMutex {
            state: AtomicUsize::new(0),
            waiters: ListLock::new(WaitList::new()),
        }
    }

    /// Takes the lock if it is free and may be taken by a newcomer.
    #[inline]
    fn try_lock(&self) -> bool {
        match self
            .state
            .compare_exchange_weak(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => true,
            Err(s) => self.try_lock_slow(s),
        }
    }

    fn try_lock_slow(&self, mut s: usize) -> bool {
        loop {
            if s & LOCKED != 0 {
                return false;
            }
            let new = if s & WOKEN == 0 {
                s | LOCKED
            } else if (s & BARGES) / BARGE_ONE < BARGE_LIMIT {
                (s | LOCKED) + BARGE_ONE
            } else {
                return false;
            };
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// Under the list's lock: takes the lock, or queues (`woken`: at the front, marked for
    /// hand-off, as the woken waiter that lost the race).
    fn lock_or_queue(&self, list: &mut WaitList<Turn>, woken: bool, waker: &Waker) -> Option<Key> {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let (new, queue) = if s & LOCKED == 0 {
                if woken {
                    ((s | LOCKED) & !(WOKEN | BARGES), false)
                } else if s & WOKEN == 0 {
                    (s | LOCKED, false)
                } else if (s & BARGES) / BARGE_ONE < BARGE_LIMIT {
                    ((s | LOCKED) + BARGE_ONE, false)
                } else {
                    // The free lock is kept for the woken waiter.
                    (s | QUEUED, true)
                }
            } else if woken {
                ((s & !(WOKEN | BARGES)) | QUEUED | HANDOFF, true)
            } else {
                (s | QUEUED, true)
            };
            match self
                .state
                .compare_exchange(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) if !queue => return None,
                Ok(_) if woken => return Some(list.push_front(waker, Turn::Starving)),
                Ok(_) => return Some(list.push_back(waker, Turn::Queued)),
                Err(actual) => s = actual,
            }
        }
    }

    /// Releases the lock (the caller owns it).
    #[inline]
    pub(crate) fn unlock(&self) {
        if let Err(s) = self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
        {
            self.unlock_slow(s);
        }
    }

    fn unlock_slow(&self, mut s: usize) {
        // Somebody is on its way already, or nobody waits: just free the lock.
        while s & HANDOFF == 0 && (s & QUEUED == 0 || s & WOKEN != 0) {
            match self.state.compare_exchange_weak(
                s,
                s & !LOCKED,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => s = actual,
            }
        }
        let mut list = self.waiters.lock();
        let waker = self.unlock_locked(&mut list);
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Under the list's lock, by the owner: hands the lock to the first waiter if it is
    /// marked, else wakes the first waiter unless one is on its way, and frees the lock.
    /// Returns the waker to wake once the list's lock is released.
    fn unlock_locked(&self, list: &mut WaitList<Turn>) -> Option<Waker> {
        let mut s = self.state.load(Ordering::Relaxed);
        let more = if list.len() > 1 { QUEUED } else { 0 };
        loop {
            let (new, turn) = if s & HANDOFF != 0 {
                ((s & !(HANDOFF | QUEUED)) | more, Some(Turn::Granted))
            } else if s & QUEUED != 0 && s & WOKEN == 0 {
                (
                    (s & !(LOCKED | QUEUED | BARGES)) | WOKEN | more,
                    Some(Turn::Woken),
                )
            } else {
                (s & !LOCKED, None)
            };
            match self
                .state
                .compare_exchange(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => {
                    let turn = turn?;
                    let front = list.front_mut().expect("QUEUED with an empty list");
                    debug_assert!(turn == Turn::Woken || *front == Turn::Starving);
                    *front = turn;
                    return list.notify_front();
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// A lock future dropped with its key: leave the queue, passing on a wake-up or the lock
    /// it had been given.
    fn cancel(&self, key: Key) {
        let mut list = self.waiters.lock();
        let waker = match list.cancel(key) {
            Cancelled::Notified(Turn::Granted) => self.unlock_locked(&mut list),
            Cancelled::Notified(_) => self.pass_wake_on(&mut list),
            Cancelled::Waiting(turn) => {
                let mut clear = if list.is_empty() { QUEUED } else { 0 };
                if turn == Turn::Starving {
                    clear |= HANDOFF;
                }
                if clear != 0 {
                    self.state.fetch_and(!clear, Ordering::Relaxed);
                }
                None
            }
        };
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Under the list's lock, by a woken waiter that gives up: clears `WOKEN`, and if the lock
    /// is free wakes the next waiter in its place (if it is held, its unlock will).
    fn pass_wake_on(&self, list: &mut WaitList<Turn>) -> Option<Waker> {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let wake = s & LOCKED == 0 && !list.is_empty();
            let mut new = s & !(WOKEN | BARGES);
            if wake {
                new = (new & !QUEUED) | WOKEN | if list.len() > 1 { QUEUED } else { 0 };
            }
            match self
                .state
                .compare_exchange(s, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) if wake => {
                    *list.front_mut().expect("checked above") = Turn::Woken;
                    return list.notify_front();
                }
                Ok(_) => return None,
                Err(actual) => s = actual,
            }
        }
    }
}

/// Waits for the lock; `Ready` means the caller owns it.
pub(crate) struct RawLock<'a> {
    raw: &'a RawMutex,
    key: Option<Key>,
    /// The `lock()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl<'a> RawLock<'a> {
    pub(crate) fn new(raw: &'a RawMutex, location: &'static Location<'static>) -> RawLock<'a> {
        RawLock {
            raw,
            key: None,
            location,
        }
    }
}

impl Future for RawLock<'_> {
    type Output = ();

    /// The uncontended lock (one CAS) is inlined into the caller's future; the rest is not.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.key.is_none() && this.raw.try_lock() {
            return Poll::Ready(());
        }
        this.poll_slow(cx)
    }
}

impl RawLock<'_> {
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let poll = self.poll_lock(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::Mutex, self.location, None, 0);
        }
        poll
    }

    fn poll_lock(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let raw = self.raw;
        let mut list = raw.waiters.lock();
        let woken = match self.key.take() {
            // `poll`'s lock-free attempt just failed; `lock_or_queue` looks again.
            None => false,
            Some(key) => match list.poll(key, cx.waker()) {
                Err(key) => {
                    self.key = Some(key);
                    return Poll::Pending;
                }
                Ok(Turn::Granted) => return Poll::Ready(()),
                Ok(turn) => {
                    debug_assert_eq!(turn, Turn::Woken);
                    true
                }
            },
        };
        self.key = raw.lock_or_queue(&mut list, woken, cx.waker());
        if self.key.is_some() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl Drop for RawLock<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.raw.cancel(key);
        }
    }
}

/// An async mutual-exclusion lock holding the data it protects: asyncio's `Lock`.
///
/// [`lock`](Self::lock) waits for the lock and returns a guard that derefs to the data and
/// unlocks when dropped. The guard may be held across `.await`s. Waiters are served in
/// arrival order, with bounded barging for speed (below).
///
/// # Policy
///
/// Waiters are served in arrival order, but an unlock does **not** hand the lock to the first
/// waiter: it wakes it and leaves the lock free, so a task that is already running may take
/// the lock before the woken waiter is polled ("barging"). A running task that locks and
/// unlocks in a loop thus keeps going without a context switch per lock, where a lock that
/// always hands off (tokio's `Mutex`, async-lock's fair mode) pays a wake-up and a poll of
/// another task, 100+ ns, for every lock under contention.
///
/// Fairness is restored two ways, so no waiter starves:
///
/// - while a woken waiter is on its way, at most 16 (`BARGE_LIMIT`) lock calls barge ahead of
///   it; later ones queue at the back, and the lock stays free for the woken waiter;
/// - a woken waiter that finds the lock taken goes back to the **front** of the queue and
///   marks it: the next unlock hands the lock straight to it (eventual fairness, as in
///   parking_lot, with a count where parking_lot uses a time slice: counts are what loom can
///   check).
///
/// So once a waiter is first in line and woken, at most `BARGE_LIMIT` other critical sections
/// run before its own. The limit, 16, amortises one wake-up over 17 critical sections while
/// keeping the first waiter's extra wait to 16 short critical sections.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Mutex;
///
/// weft::run(async {
///     let count = Arc::new(Mutex::new(0));
///     let tasks: Vec<_> = (0..10)
///         .map(|_| {
///             let count = count.clone();
///             weft::spawn(async move { *count.lock().await += 1 })
///         })
///         .collect();
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(*count.lock().await, 10);
/// });
/// ```
pub struct Mutex<T> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the data is reached only through a guard, and the lock admits one guard at a time,
// so sharing the mutex moves `T` between threads (hence `T: Send`) but never shares it.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: as above; the mutex owns its `T`.
unsafe impl<T: Send> Send for Mutex<T> {}

/// The error of [`Mutex::try_lock`], [`RwLock::try_read`](crate::RwLock::try_read) and
/// [`RwLock::try_write`](crate::RwLock::try_write): the lock is held, or kept for a waiter
/// whose turn it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held, or kept for a waiter whose turn it is")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Waits for the lock. Cancellation-safe: a future dropped after it was handed the lock
    /// unlocks it, one dropped after a wake-up passes the wake-up on.
    ///
    /// ```
    /// weft::run(async {
    ///     let m = weft::sync::Mutex::new(1);
    ///     *m.lock().await += 1;
    ///     assert_eq!(*m.lock().await, 2);
    /// });
    /// ```
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> {
        self.lock_at(Location::caller())
    }

    /// [`lock`](Self::lock), recording `location` as the call that waits.
    pub(crate) fn lock_at(
        &self,
        location: &'static Location<'static>,
    ) -> impl Future<Output = MutexGuard<'_, T>> {
        // A named future, not an `async` block: see `then.rs`.
        Then::new(RawLock::new(&self.raw, location), move |()| MutexGuard {
            lock: self,
            _not_sync: PhantomData,
        })
    }

    /// Takes the lock if it is free (and not kept for a woken waiter).
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(1);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_err());
    /// drop(g);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        if self.raw.try_lock() {
            Ok(MutexGuard {
                lock: self,
                _not_sync: PhantomData,
            })
        } else {
            Err(TryLockError(()))
        }
    }

    /// [`lock`](Self::lock) for an `Arc`ed mutex: the guard owns a reference, so it can move
    /// into a spawned task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let m = Arc::new(weft::sync::Mutex::new(0));
    ///     let mut guard = m.clone().lock_owned().await;
    ///     weft::spawn(async move { *guard += 1 }).await.unwrap();
    ///     assert_eq!(*m.lock().await, 1);
    /// });
    /// ```
    #[track_caller]
    pub fn lock_owned(self: Arc<Self>) -> impl Future<Output = OwnedMutexGuard<T>> {
        let location = Location::caller();
        async move {
            RawLock::new(&self.raw, location).await;
            OwnedMutexGuard { lock: self }
        }
    }

    /// [`try_lock`](Self::try_lock) for an `Arc`ed mutex.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(weft::sync::Mutex::new(0));
    /// let g = m.clone().try_lock_owned().unwrap();
    /// assert!(m.clone().try_lock_owned().is_err());
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        if self.raw.try_lock() {
            Ok(OwnedMutexGuard { lock: self })
        } else {
            Err(TryLockError(()))
        }
    }

    /// Locks from a plain thread, parking it until the lock is free.
    ///
    /// # Panics
    ///
    /// Inside a weft runtime, where blocking would stall a worker.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(1);
    /// *m.blocking_lock() += 1;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::blocking::block_on("Mutex::blocking_lock", self.lock())
    }

    /// The data, taking the mutex apart.
    ///
    /// ```
    /// assert_eq!(weft::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    /// The data, through an exclusive borrow (no locking needed).
    ///
    /// ```
    /// let mut m = weft::sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` rules out every guard, so this is the only access.
        self.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Exclusive access to a [`Mutex`]'s data; unlocks when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    lock: &'a Mutex<T>,
    /// `Sync` only if `T` is (the guard hands out `&T`).
    _not_sync: PhantomData<&'a mut T>,
}

/// Exclusive access to an `Arc`ed [`Mutex`]'s data ([`Mutex::lock_owned`]); unlocks when
/// dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T> {
    lock: Arc<Mutex<T>>,
}

// SAFETY: the guard hands out `&T` to whoever shares it, so sharing needs `T: Sync`; it owns
// the lock, so sending it needs `T: Send` (given by the auto traits of `Arc<Mutex<T>>`).
unsafe impl<T: Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<'a, T> MutexGuard<'a, T> {
    /// The mutex this guard locks (for [`Condition::wait`](crate::Condition::wait)).
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.lock
    }
}

impl<T> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let m = Arc::new(weft::sync::Mutex::new(0));
    ///     let g = m.clone().lock_owned().await;
    ///     assert!(Arc::ptr_eq(g.mutex(), &m));
    /// });
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.lock
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the lock: no `&mut T` exists elsewhere.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard owns the lock and is borrowed mutably: this is the only access.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the lock: no `&mut T` exists elsewhere.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard owns the lock and is borrowed mutably: this is the only access.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl<T> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMutex")
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish()
    }
}

impl fmt::Debug for RawLock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawLock")
            .field("queued", &self.key.is_some())
            .finish()
    }
}
