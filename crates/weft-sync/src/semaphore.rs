//! [`Semaphore`]: a count of permits with a FIFO of tasks waiting for them; also the core
//! [`RwLock`](crate::RwLock) stands on.
//!
//! The policy (FIFO, with bounded barging, as [`Mutex`](crate::Mutex)'s) is written on
//! [`Semaphore`]; this is how it is built.
//!
//! # Protocol
//!
//! One atomic word, `state`, holds the permits nobody holds (the **count**, shifted left by
//! [`SHIFT`]), four flags and a barge counter; the waiter list (a [`WaitList`] of entries,
//! each with the permits it wants and its [`Turn`]) lives in the semaphore's own lock.
//!
//! - `QUEUED`: the list has waiting entries. Set or cleared only under the lock.
//! - `WOKEN`: the first waiter was woken and has not come back yet (one at a time). While it
//!   is on its way, newcomers may take counted permits ahead of the queue (**barge**), at
//!   most [`BARGE_LIMIT`] times, counted in `BARGES`; releases just add to the count.
//! - `HANDOFF`: a woken waiter came back to find the permits taken by bargers. It waits at
//!   the front again, and nobody barges until it is served: the count collects for it, and
//!   once it covers it, `settle` hands the permits over (grants them) instead of waking it
//!   to take them.
//! - `CLOSED`.
//!
//! The invariant that loses no wake-up, true whenever the lock is free: **`QUEUED` without
//! `WOKEN` means the count is short of what the first waiter wants**. Every operation under
//! the lock ends in `settle`, which restores it: if nobody is on its way and the count
//! covers the first waiter, it grants it the permits if it is the `HANDOFF` waiter (and
//! looks again at the next), else sets `WOKEN` (clearing `BARGES`) and wakes it; then it
//! *grants* the waiters after it whatever the rest of the count covers (takes their permits
//! from the count and wakes them as owners), so that `add_permits(n)` serves many at once.
//!
//! - **Acquire** is one CAS without the lock when nobody waits, or as a barge while a waiter
//!   is woken (not `HANDOFF`, fewer than `BARGE_LIMIT` barges). Otherwise it locks, looks
//!   again, and queues at the back (`QUEUED`, in the same CAS that saw the count short).
//! - **Release** adds to the count with a CAS, without the lock, while nobody waits or a
//!   waiter is on its way (it will see the count when it comes back). Otherwise (`QUEUED`
//!   without `WOKEN`) it locks, adds, and settles.
//! - **A woken waiter** locks and reads its entry back: granted, the permits are its own;
//!   woken, it takes what it wants from the count if it is there, clears `WOKEN`, `BARGES`
//!   and `HANDOFF` and settles (passing the turn on: releases while it was on its way only
//!   counted); if the count is short it goes back to the front as the `HANDOFF` waiter.
//! - **Wake-ups** are made after the lock is released, inside `context::defer_wakes`, so
//!   the scheduler queues the woken task behind the work already waiting: the releaser that
//!   barges back gets its passes before the woken waiter looks, and the releases meanwhile
//!   only count (`WOKEN`). A wake-up run next would find the permits gone every time.
//! - **Close** sets `CLOSED`, clears the other flags and notifies every waiting entry in one
//!   critical section. A waiter that finds `CLOSED` gets an error unless it was granted
//!   before; its permits stay in the count.
//! - **Drop mid-wait** (the future still holds its key) locks and cancels the entry: a
//!   granted one gives its permits back, a woken one clears `WOKEN` (and `HANDOFF`), a
//!   waiting `HANDOFF` waiter clears `HANDOFF`; then it settles, so a wake-up or a permit
//!   the dropped future was owed goes to the next waiter.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
// The owned API takes std's `Arc`: a method receiver must be std's (loom's `Arc` cannot be
// `self`), and the `Arc` only keeps the lock alive; every atomic and lock inside stays the
// shim's, so loom still sees the whole protocol.
use std::sync::Arc;
use std::task::{Context, Poll};

use weft_core::context;
use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::Mutex;

use crate::then::Then;
use crate::waiters::{Cancelled, Key, WaitList, WakeList};

const CLOSED: usize = 1;
const QUEUED: usize = 2;
const WOKEN: usize = 4;
const HANDOFF: usize = 8;
const BARGE_ONE: usize = 16;
/// The barge counter's bits (room for `BARGE_LIMIT`).
const BARGES: usize = 0b1_1111 * BARGE_ONE;
const FLAGS: usize = CLOSED | QUEUED | WOKEN | HANDOFF | BARGES;
/// Where the count starts.
const SHIFT: u32 = 9;

/// How many acquires may take permits ahead of a woken waiter before it comes back.
const BARGE_LIMIT: usize = crate::mutex::BARGE_LIMIT;

/// A counting semaphore: asyncio's `Semaphore(n)`, with a fair (FIFO) queue.
///
/// [`acquire`](Self::acquire) waits for a permit and returns a guard that gives it back when
/// dropped. Waiters are served in arrival order; a waiter that asks for many permits at once
/// ([`acquire_many`](Self::acquire_many)) keeps its place and collects the permits released
/// while it waits, so later small requests cannot starve it. Acquiring and releasing take no
/// lock while nobody waits.
///
/// Bounded barging, as [`Mutex`](crate::Mutex)'s: a released permit wakes the first waiter
/// without being handed to it, and while that waiter is on its way an acquire may take the
/// permit first (the task that released it, looping back, keeps running instead of waiting
/// behind the whole queue). At most 16 acquires barge ahead of one woken waiter; if it comes
/// back to find the permits gone, it is first in line again, nobody barges until it is
/// served, and the permits released next are handed to it. So every waiter is served, in
/// order, and a semaphore under contention moves permits without a wake-up per permit.
///
/// Its wake-ups are *deferred* (`weft_core::context::defer_wakes`): on a weft runtime a
/// woken waiter runs after the tasks already queued, not next. Run next, it would always
/// find the permit taken back by the task that released it; behind the queue, it comes
/// back after the releasers have had their turns (other executors queue every wake-up
/// that way).
///
/// ```
/// use weft::sync::Semaphore;
/// use std::sync::Arc;
///
/// weft::run(async {
///     let sem = Arc::new(Semaphore::new(2));
///     let mut tasks = Vec::new();
///     for i in 0..5 {
///         let sem = sem.clone();
///         tasks.push(weft::spawn(async move {
///             let _permit = sem.acquire().await.unwrap();
///             i * 2 // at most two tasks run this part at a time
///         }));
///     }
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(sem.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

/// A queued acquire: the permits it wants and where it stands.
#[derive(Debug, Clone, Copy)]
struct Waiter {
    wanted: u32,
    turn: Turn,
}

/// Where a waiter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Queued, not woken yet.
    Queued,
    /// Woken once, found the permits taken: first in line, `HANDOFF` set for it; the
    /// permits that cover it next are granted to it.
    Starving,
    /// Woken (`WOKEN` set for it): the count covered it; take the permits if still there.
    Woken,
    /// Granted: its permits were taken from the count for it.
    Granted,
}

/// The error of [`Semaphore::acquire`] and its relatives: the semaphore was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

/// The error of [`Semaphore::try_acquire`] and its relatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free, or other tasks are queued for them first.
    NoPermits,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore was closed, no permit can be acquired")
    }
}

impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore was closed"),
            TryAcquireError::NoPermits => {
                f.write_str("not enough permits are free (or other tasks are queued first)")
            }
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.load(Ordering::Relaxed);
        f.debug_struct("Semaphore")
            .field("permits", &(s >> SHIFT))
            .field("closed", &(s & CLOSED != 0))
            .field("queued", &(s & QUEUED != 0))
            .field("woken", &(s & WOKEN != 0))
            .finish()
    }
}

impl Default for Semaphore {
    /// A semaphore with no permits.
    fn default() -> Self {
        Semaphore::new(0)
    }
}

impl Semaphore {
    /// The most permits a semaphore can count: `usize::MAX >> 9` (the low bits of its state
    /// word hold flags and a barge counter).
    pub const MAX_PERMITS: usize = usize::MAX >> SHIFT;

    /// A semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "Semaphore::new: {permits} permits exceed Semaphore::MAX_PERMITS"
        );
        Semaphore {
            state: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Permits nobody holds right now. While tasks are queued these are set aside for the
    /// first of them, which collects them until it has what it asked for, so an acquire may
    /// still have to wait.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// let _p = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.load(Ordering::Acquire) >> SHIFT
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Adds `n` permits, handing them to queued tasks first.
    ///
    /// # Panics
    ///
    /// If the count would exceed [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Removes up to `n` free permits for good; returns how many were removed.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// assert_eq!(sem.forget_permits(5), 3);
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let take = (s >> SHIFT).min(n);
            match self.state.compare_exchange_weak(
                s,
                s - (take << SHIFT),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(actual) => s = actual,
            }
        }
    }

    /// Closes the semaphore: queued tasks and every later acquire get an [`AcquireError`].
    /// Permits already held stay valid and are still given back when dropped.
    ///
    /// ```
    /// weft::run(async {
    ///     let sem = weft::sync::Semaphore::new(0);
    ///     sem.close();
    ///     assert!(sem.acquire().await.is_err());
    /// });
    /// ```
    pub fn close(&self) {
        let mut list = self.waiters.lock();
        // The waiter flags go with it: releases take no lock from now on, and no acquire
        // queues (the slow path checks `CLOSED` under this lock). Every waiting entry is
        // notified in this one critical section; its owner finds `CLOSED` when it reads it
        // back, and gets the error unless it had been granted before.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let new = (s & !(QUEUED | WOKEN | HANDOFF | BARGES)) | CLOSED;
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        let mut wakers = Vec::with_capacity(list.len());
        while let Some(waker) = list.notify_front() {
            wakers.push(waker);
        }
        drop(list);
        for waker in wakers {
            waker.wake();
        }
    }

    /// Waits for one permit, in FIFO order (bounded barging: see [`Semaphore`]).
    ///
    /// Cancellation-safe: dropping the future gives back anything it had been granted.
    ///
    /// ```
    /// weft::run(async {
    ///     let sem = weft::sync::Semaphore::new(1);
    ///     let permit = sem.acquire().await.unwrap();
    ///     assert_eq!(sem.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire(&self) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once, keeping its place in the queue while it collects them
    /// (later requests wait behind it, however small).
    ///
    /// ```
    /// weft::run(async {
    ///     let sem = weft::sync::Semaphore::new(5);
    ///     let permit = sem.acquire_many(3).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 3);
    ///     assert_eq!(sem.available_permits(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_many(
        &self,
        n: u32,
    ) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        let acquire = Acquire::new(self, n, WaitKind::Semaphore, Location::caller());
        // A named future, not an `async` block: see `then.rs`.
        Then::new(acquire, move |acquired: Result<(), AcquireError>| {
            acquired.map(|()| SemaphorePermit {
                sem: self,
                permits: n,
            })
        })
    }

    /// Takes one permit if one is free and nobody is queued ahead (it may barge past a woken
    /// waiter, as an acquire may: see [`Semaphore`]).
    ///
    /// ```
    /// use weft::sync::{Semaphore, TryAcquireError};
    /// let sem = Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::NoPermits));
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is queued ahead (see
    /// [`try_acquire`](Self::try_acquire)).
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(4);
    /// assert_eq!(sem.try_acquire_many(3).unwrap().num_permits(), 3);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// [`acquire`](Self::acquire) for an `Arc`ed semaphore: the permit owns a reference, so it
    /// can move into a spawned task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let sem = Arc::new(weft::sync::Semaphore::new(1));
    ///     let permit = sem.clone().acquire_owned().await.unwrap();
    ///     weft::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_owned(
        self: Arc<Self>,
    ) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        self.acquire_many_owned(1)
    }

    /// [`acquire_many`](Self::acquire_many) for an `Arc`ed semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let sem = Arc::new(weft::sync::Semaphore::new(3));
    ///     let permit = sem.clone().acquire_many_owned(2).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        let location = Location::caller();
        async move {
            Acquire::new(&self, n, WaitKind::Semaphore, location).await?;
            Ok(OwnedSemaphorePermit {
                sem: self,
                permits: n,
            })
        }
    }

    /// [`try_acquire`](Self::try_acquire) for an `Arc`ed semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// let permit = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_err());
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Self::try_acquire_many) for an `Arc`ed semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// The lock-free attempt: succeeds if `n` permits are counted and either nobody waits or
    /// a woken waiter may still be barged past.
    #[inline]
    pub(crate) fn try_take(&self, n: u32) -> Result<(), TryAcquireError> {
        let need = Self::need(n);
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if need == 0 {
                return Ok(());
            }
            let Some(new) = Self::take(s, need) else {
                return Err(TryAcquireError::NoPermits);
            };
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(actual) => s = actual,
            }
        }
    }

    /// The state after a newcomer takes `need` (in units of `state`), if it may: the count
    /// covers it and nobody waits, or it barges past a woken waiter.
    #[inline]
    fn take(s: usize, need: usize) -> Option<usize> {
        if s & !FLAGS < need {
            None
        } else if s & (QUEUED | WOKEN | HANDOFF) == 0 {
            Some(s - need)
        } else if s & (WOKEN | HANDOFF) == WOKEN && (s & BARGES) / BARGE_ONE < BARGE_LIMIT {
            Some(s - need + BARGE_ONE)
        } else {
            None
        }
    }

    /// `n` permits in the units of `state`.
    fn need(n: u32) -> usize {
        assert!(
            n as usize <= Self::MAX_PERMITS,
            "asked for {n} permits, more than Semaphore::MAX_PERMITS"
        );
        (n as usize) << SHIFT
    }

    /// Gives `n` permits back: to the count, and if that leaves the first waiter with what
    /// it wants and nobody else is on the way, it is woken.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut s = self.state.load(Ordering::Relaxed);
        // Nobody waits, or a woken waiter will see the count when it comes back.
        while s & QUEUED == 0 || s & WOKEN != 0 {
            match self.state.compare_exchange_weak(
                s,
                Self::add_count(s, n),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => s = actual,
            }
        }
        let mut list = self.waiters.lock();
        let mut wakes = WakeList::new();
        self.release_locked(&mut list, n, &mut wakes);
        drop(list);
        context::defer_wakes(|| wakes.wake_all());
    }

    /// Under the lock: adds `n` to the count and settles.
    fn release_locked(&self, list: &mut WaitList<Waiter>, n: usize, wakes: &mut WakeList) {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            match self.state.compare_exchange_weak(
                s,
                Self::add_count(s, n),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        self.settle(list, wakes);
    }

    fn add_count(s: usize, n: usize) -> usize {
        match (s >> SHIFT).checked_add(n) {
            Some(total) if total <= Self::MAX_PERMITS => s + (n << SHIFT),
            _ => panic!("adding {n} permits would exceed Semaphore::MAX_PERMITS"),
        }
    }

    /// Under the lock, at the end of every operation that may have left the count covering
    /// the first waiter with nobody on the way: wakes it (`WOKEN`), then grants the waiters
    /// after it what the rest of the count covers (at most a [`WakeList`] of them: each
    /// woken waiter settles again when it comes back). Keeps `QUEUED` true to the list.
    fn settle(&self, list: &mut WaitList<Waiter>, wakes: &mut WakeList) {
        let mut s = self.state.load(Ordering::Relaxed);
        let reserved = loop {
            if s & (CLOSED | WOKEN) != 0 {
                return;
            }
            let Some(front) = list.front() else {
                return;
            };
            let wanted = Self::need(front.wanted);
            if s & !FLAGS < wanted {
                return;
            }
            if s & HANDOFF != 0 {
                // The first waiter already lost its permits to bargers once: hand them to
                // it. Woken to take them, it would come back behind every holder, and each
                // of those, barred from barging meanwhile, would queue.
                debug_assert_eq!(front.turn, Turn::Starving);
                let mut new = (s - wanted) & !HANDOFF;
                if list.len() == 1 {
                    new &= !QUEUED;
                }
                match self
                    .state
                    .compare_exchange(s, new, Ordering::Acquire, Ordering::Relaxed)
                {
                    Ok(_) => {
                        Self::notify_front(list, Turn::Granted, wakes);
                        s = new;
                    }
                    Err(actual) => s = actual,
                }
                continue;
            }
            let mut new = (s & !BARGES) | WOKEN;
            if list.len() == 1 {
                new &= !QUEUED;
            }
            match self
                .state
                .compare_exchange(s, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break wanted,
                Err(actual) => s = actual,
            }
        };
        Self::notify_front(list, Turn::Woken, wakes);
        // Grants: the first waiter's permits stay counted (it takes them itself, or a
        // barger does); the rest of the count goes to the waiters after it.
        while !wakes.is_full() {
            let Some(front) = list.front() else {
                return;
            };
            let wanted = Self::need(front.wanted);
            let mut s = self.state.load(Ordering::Relaxed);
            loop {
                if s & CLOSED != 0 || (s & !FLAGS).saturating_sub(reserved) < wanted {
                    return;
                }
                let mut new = s - wanted;
                if list.len() == 1 {
                    new &= !QUEUED;
                }
                match self
                    .state
                    .compare_exchange(s, new, Ordering::Acquire, Ordering::Relaxed)
                {
                    Ok(_) => break,
                    Err(actual) => s = actual,
                }
            }
            Self::notify_front(list, Turn::Granted, wakes);
        }
    }

    /// Under the lock: marks the first waiting entry with `turn` and notifies it.
    fn notify_front(list: &mut WaitList<Waiter>, turn: Turn, wakes: &mut WakeList) {
        list.front_mut().expect("checked by the caller").turn = turn;
        wakes.push(list.notify_front().expect("checked by the caller"));
    }
}

/// Waits for `n` permits: the future behind every acquire of this crate (the semaphore's
/// and the [`RwLock`](crate::RwLock)'s). `Ready(Ok)` means the permits are the caller's.
pub(crate) struct Acquire<'a> {
    sem: &'a Semaphore,
    n: u32,
    /// While queued: the entry's key.
    key: Option<Key>,
    /// What the task's wait record says while this waits (`Semaphore`, `RwLockRead` or
    /// `RwLockWrite`), and the call that made it.
    kind: WaitKind,
    location: &'static Location<'static>,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(
        sem: &'a Semaphore,
        n: u32,
        kind: WaitKind,
        location: &'static Location<'static>,
    ) -> Acquire<'a> {
        Acquire {
            sem,
            n,
            key: None,
            kind,
            location,
        }
    }

    /// First poll, the fast path failed: under the lock, take the permits if the state now
    /// allows it, else queue at the back.
    fn queue(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let sem = self.sem;
        let need = Semaphore::need(self.n);
        let mut list = sem.waiters.lock();
        let mut s = sem.state.load(Ordering::Relaxed);
        loop {
            if s & CLOSED != 0 {
                return Poll::Ready(Err(AcquireError(())));
            }
            let (new, queue) = match Semaphore::take(s, need) {
                Some(new) => (new, false),
                None => (s | QUEUED, true),
            };
            match sem
                .state
                .compare_exchange(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) if !queue => return Poll::Ready(Ok(())),
                Ok(_) => {
                    let waiter = Waiter {
                        wanted: self.n,
                        turn: Turn::Queued,
                    };
                    self.key = Some(list.push_back(cx.waker(), waiter));
                    return Poll::Pending;
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// A later poll, with its entry notified (`turn`), under the lock: the permits are its
    /// own if granted; if woken, it takes them from the count, or goes back to the front as
    /// the `HANDOFF` waiter if bargers took them.
    fn come_back(
        &mut self,
        list: &mut WaitList<Waiter>,
        turn: Turn,
        cx: &mut Context<'_>,
        wakes: &mut WakeList,
    ) -> Poll<Result<(), AcquireError>> {
        let sem = self.sem;
        if turn == Turn::Granted {
            return Poll::Ready(Ok(()));
        }
        let need = Semaphore::need(self.n);
        let mut s = sem.state.load(Ordering::Relaxed);
        loop {
            if s & CLOSED != 0 {
                return Poll::Ready(Err(AcquireError(())));
            }
            debug_assert_eq!(turn, Turn::Woken, "only close notifies other turns");
            let done = s & !FLAGS >= need;
            let new = if done {
                (s - need) & !(WOKEN | BARGES | HANDOFF)
            } else {
                (s & !(WOKEN | BARGES)) | HANDOFF | QUEUED
            };
            match sem
                .state
                .compare_exchange(s, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) if done => {
                    // Releases while it was on its way only counted: pass the turn on.
                    sem.settle(list, wakes);
                    return Poll::Ready(Ok(()));
                }
                Ok(_) => {
                    let waiter = Waiter {
                        wanted: self.n,
                        turn: Turn::Starving,
                    };
                    self.key = Some(list.push_front(cx.waker(), waiter));
                    return Poll::Pending;
                }
                Err(actual) => s = actual,
            }
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    /// The lock-free acquire is inlined into the caller's future; the rest is not.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.key.is_none() && this.sem.try_take(this.n).is_ok() {
            return Poll::Ready(Ok(()));
        }
        this.poll_slow(cx)
    }
}

impl Acquire<'_> {
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let poll = self.poll_acquire(cx);
        if poll.is_pending() {
            // The argument is the permits asked for (a lock's internal count says nothing).
            let arg = if self.kind == WaitKind::Semaphore {
                u64::from(self.n)
            } else {
                0
            };
            introspect::waiting_on(self.kind, self.location, None, arg);
        }
        poll
    }

    fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let Some(key) = self.key.take() else {
            // `poll`'s lock-free attempt just failed; `queue` looks again under the lock.
            return self.queue(cx);
        };
        let mut list = self.sem.waiters.lock();
        let turn = match list.poll(key, cx.waker()) {
            Ok(w) => w.turn,
            Err(key) => {
                self.key = Some(key);
                return Poll::Pending;
            }
        };
        let mut wakes = WakeList::new();
        let poll = self.come_back(&mut list, turn, cx, &mut wakes);
        drop(list);
        context::defer_wakes(|| wakes.wake_all());
        poll
    }
}

impl Drop for Acquire<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.cancel(key);
        }
    }
}

impl Acquire<'_> {
    /// Dropped while queued: gives back what it was granted, or passes on its wake-up.
    #[inline(never)]
    fn cancel(&mut self, key: Key) {
        let sem = self.sem;
        let mut list = sem.waiters.lock();
        let mut wakes = WakeList::new();
        let (was, notified) = match list.cancel(key) {
            Cancelled::Waiting(w) => (w, false),
            Cancelled::Notified(w) => (w, true),
        };
        if was.turn == Turn::Granted {
            // The permits are ours: pass them on.
            sem.release_locked(&mut list, self.n as usize, &mut wakes);
        } else if sem.state.load(Ordering::Relaxed) & CLOSED == 0 {
            let mut clear = if list.is_empty() { QUEUED } else { 0 };
            if notified {
                clear |= WOKEN | BARGES | HANDOFF;
            } else if was.turn == Turn::Starving {
                clear |= HANDOFF;
            }
            sem.state.fetch_and(!clear, Ordering::Relaxed);
            // The first waiter may have changed, or the wake-up was ours: pass it on.
            sem.settle(&mut list, &mut wakes);
        }
        drop(list);
        context::defer_wakes(|| wakes.wake_all());
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("n", &self.n)
            .field("queued", &self.key.is_some())
            .finish()
    }
}

/// Permits borrowed from a [`Semaphore`]; given back when dropped.
#[must_use = "the permits are given back as soon as this is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: u32,
}

/// Permits from an `Arc`ed [`Semaphore`] ([`Semaphore::acquire_owned`]); given back when
/// dropped.
#[must_use = "the permits are given back as soon as this is dropped"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: u32,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(2);
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// Takes `other`'s permits into this one.
    ///
    /// # Panics
    ///
    /// If the two come from different semaphores.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// let mut a = sem.try_acquire().unwrap();
    /// a.merge(sem.try_acquire_many(2).unwrap());
    /// assert_eq!(a.num_permits(), 3);
    /// ```
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "SemaphorePermit::merge: the permits come from different semaphores"
        );
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit, or `None` if this holds fewer.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// let mut a = sem.try_acquire_many(3).unwrap();
    /// let b = a.split(1).unwrap();
    /// assert_eq!((a.num_permits(), b.num_permits()), (2, 1));
    /// ```
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let n = u32::try_from(n).ok().filter(|&n| n <= self.permits)?;
        self.permits -= n;
        Some(SemaphorePermit {
            sem: self.sem,
            permits: n,
        })
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// sem.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore the permits come from.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(p.semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Takes `other`'s permits into this one.
    ///
    /// # Panics
    ///
    /// If the two come from different semaphores.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(2));
    /// let mut a = sem.clone().try_acquire_owned().unwrap();
    /// a.merge(sem.clone().try_acquire_owned().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            Arc::ptr_eq(&self.sem, &other.sem),
            "OwnedSemaphorePermit::merge: the permits come from different semaphores"
        );
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit, or `None` if this holds fewer.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(2));
    /// let mut a = sem.try_acquire_many_owned(2).unwrap();
    /// assert_eq!(a.split(1).unwrap().num_permits(), 1);
    /// ```
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let n = u32::try_from(n).ok().filter(|&n| n <= self.permits)?;
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            sem: self.sem.clone(),
            permits: n,
        })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize);
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}
