//! [`Semaphore`]: a count of permits with a FIFO of tasks waiting for them; also the core
//! [`RwLock`](crate::RwLock) stands on.
//!
//! # Protocol
//!
//! One atomic word, `state`, holds the permits that nobody has been promised (shifted left by
//! two) and two flags: `CLOSED`, and `QUEUED` ("the waiter list is not empty"). The waiter
//! list (a [`WaitList`] of tickets with the permits still missing) and the ticket counter
//! live in the semaphore's own lock; a second atomic, `granted_upto`, publishes which tickets
//! have been served.
//!
//! - **Invariant**: `QUEUED` is set exactly while the list is non-empty, and while it is set
//!   the count is zero: every permit released while somebody waits goes to the waiters, in
//!   order, under the lock. `QUEUED` is only set or cleared under the lock, and always by a
//!   compare-and-swap that also moves the count, so a lock-free acquire or release either
//!   lands before it (and the lock holder sees its effect) or sees the flag.
//! - **Acquire** tries a CAS loop first (no lock): it succeeds only if `QUEUED` is clear and
//!   enough permits are counted, so it never overtakes a waiter. Otherwise it locks, looks
//!   again, takes whatever permits are counted (zeroing the count and setting `QUEUED` in one
//!   CAS) and queues at the back for the rest, with the next **ticket** (a `u64` counter
//!   under the lock: ticket order is queue order).
//! - **Release** adds to the count with a CAS while `QUEUED` is clear (no lock). Otherwise it
//!   locks and hands the permits to the waiters from the front: the first waiter takes what
//!   it still misses; once it misses nothing it is granted: its entry is unlinked and freed
//!   right there (by the releaser, not the waiter) and `granted_upto` is set to its ticket
//!   plus one (Release, still under the lock); then the next one is served. Since only the
//!   front is ever granted, the granted waiters are a prefix in ticket order of those not
//!   cancelled: `granted_upto > ticket` means "granted", and `granted_upto` only grows. A
//!   large request at the front thus soaks up permits as they come and blocks smaller later
//!   requests: nobody starves. What is left when the list empties goes back to the count,
//!   clearing `QUEUED` in the same CAS. Wakers are woken after the lock is released.
//! - **A woken waiter** checks `granted_upto > ticket` (Acquire) without the lock: if so the
//!   permits are its own and it forgets its key (the entry is gone; it never touches it
//!   again). Otherwise it locks, checks again (exact now: `granted_upto` and `CLOSED` are
//!   only written under the lock), then checks `CLOSED`, and otherwise refreshes its waker.
//! - **Close** sets `CLOSED` and, in the same critical section, frees every waiting entry,
//!   putting back into the count the permits each had been assigned so far (partial grants
//!   of `acquire_many`), and clears `QUEUED`. A waiter that finds `CLOSED` and is not
//!   granted gets an error (its entry is gone, its permits already given back); one granted
//!   before the close still gets its permits.
//! - **Drop mid-wait**: if granted (looked up as above, re-checked under the lock), the
//!   future gives all its permits back (`hand_out`); if closed, nothing is owed; else it
//!   cancels its entry under the lock and hands back every permit it had been assigned to
//!   the next waiters: nothing is lost.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
// The owned API takes std's `Arc`: a method receiver must be std's (loom's `Arc` cannot be
// `self`), and the `Arc` only keeps the lock alive; every atomic and lock inside stays the
// shim's, so loom still sees the whole protocol.
use std::sync::Arc;
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use weft_core::loom::sync::{Mutex, MutexGuard};

use crate::waiters::{Cancelled, Key, WaitList, WakeList};

const CLOSED: usize = 1;
const QUEUED: usize = 2;
const FLAGS: usize = CLOSED | QUEUED;
const SHIFT: u32 = 2;

/// A counting semaphore: asyncio's `Semaphore(n)`, with a fair (FIFO) queue.
///
/// [`acquire`](Self::acquire) waits for a permit and returns a guard that gives it back when
/// dropped. Waiters are served in arrival order; a waiter that asks for many permits at once
/// ([`acquire_many`](Self::acquire_many)) keeps its place and collects permits as they are
/// released, so later small requests cannot starve it. Acquiring and releasing take no lock
/// while nobody waits.
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
    /// Every ticket below this has been granted; written only under the lock.
    granted_upto: AtomicU64,
    waiters: Mutex<Waiters>,
}

/// What the semaphore's lock guards: the queue and the ticket counter.
struct Waiters {
    list: WaitList<Waiter>,
    next_ticket: u64,
}

/// A queued acquire: its ticket, what it asked for and what it still misses.
struct Waiter {
    ticket: u64,
    wanted: u32,
    missing: u32,
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
    /// The most permits a semaphore can count: `usize::MAX >> 3`.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

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
            granted_upto: AtomicU64::new(0),
            waiters: Mutex::new(Waiters {
                list: WaitList::new(),
                next_ticket: 0,
            }),
        }
    }

    /// Permits free right now (zero while tasks are queued: released permits go to them).
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
        let mut q = self.waiters.lock();
        self.state.fetch_or(CLOSED, Ordering::Release);
        // No task queues once CLOSED is set (the slow path checks it under this lock). Every
        // waiter is dropped from the list in this one critical section, so a waiter that finds
        // `CLOSED` under the lock without being granted knows its entry is gone.
        let mut wakers = Vec::with_capacity(q.list.len());
        let mut assigned = 0;
        while let Some((waker, w)) = q.list.pop_front() {
            assigned += (w.wanted - w.missing) as usize;
            wakers.push(waker);
        }
        // The partial grants go back to the count (the list is empty now).
        self.unqueue_with(assigned);
        drop(q);
        for waker in wakers {
            waker.wake();
        }
    }

    /// Waits for one permit, in FIFO order.
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
        async move {
            acquire.await?;
            Ok(SemaphorePermit {
                sem: self,
                permits: n,
            })
        }
    }

    /// Takes one permit if one is free and nobody is queued.
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

    /// Takes `n` permits if they are free and nobody is queued.
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

    /// The lock-free attempt: succeeds only if nobody is queued and `n` permits are counted.
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
            if s & QUEUED != 0 || s & !FLAGS < need {
                return Err(TryAcquireError::NoPermits);
            }
            match self.state.compare_exchange_weak(
                s,
                s - need,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => s = actual,
            }
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

    /// Gives `n` permits back: to the count while nobody waits, else to the waiters.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut s = self.state.load(Ordering::Relaxed);
        while s & QUEUED == 0 {
            let new = Self::add_count(s, n);
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => s = actual,
            }
        }
        self.hand_out(self.waiters.lock(), n);
    }

    /// Under the lock, once the list is empty: clears `QUEUED` and counts `n` free permits,
    /// in one CAS.
    fn unqueue_with(&self, n: usize) {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let new = Self::add_count(s & !QUEUED, n);
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => s = actual,
            }
        }
    }

    fn add_count(s: usize, n: usize) -> usize {
        match (s >> SHIFT).checked_add(n) {
            Some(total) if total <= Self::MAX_PERMITS => s + (n << SHIFT),
            _ => panic!("adding {n} permits would exceed Semaphore::MAX_PERMITS"),
        }
    }

    /// Under the lock: hands `n` permits to the waiters from the front, waking each one that
    /// has all it asked for; whatever is left goes to the count, clearing `QUEUED` if the
    /// list is empty (also when `n` is zero: a cancelled waiter may have emptied it).
    fn hand_out<'a>(&'a self, mut q: MutexGuard<'a, Waiters>, mut n: usize) {
        let mut wakes = WakeList::new();
        loop {
            while n > 0 && !wakes.is_full() {
                let Some(front) = q.list.front_mut() else {
                    break;
                };
                let give = (front.missing as usize).min(n);
                // `give` <= `front.missing`, a u32.
                front.missing -= give as u32;
                n -= give;
                if front.missing == 0 {
                    // Granted: free the entry here and publish the ticket; the waiter reads
                    // `granted_upto` and never touches its entry again.
                    let (waker, w) = q.list.pop_front().expect("the front entry exists");
                    debug_assert!(self.granted_upto.load(Ordering::Relaxed) <= w.ticket);
                    self.granted_upto.store(w.ticket + 1, Ordering::Release);
                    wakes.push(waker);
                }
            }
            if n == 0 || q.list.is_empty() {
                break;
            }
            // More waiters to serve than wakers fit: wake these outside the lock first.
            drop(q);
            wakes.wake_all();
            q = self.waiters.lock();
        }
        if q.list.is_empty() {
            self.unqueue_with(n);
        }
        drop(q);
        // By reference: `drop(wakes)` would move the whole list first.
        wakes.wake_all();
    }

    /// Whether the waiter holding `ticket` has been granted its permits.
    #[inline]
    fn granted(&self, ticket: u64) -> bool {
        self.granted_upto.load(Ordering::Acquire) > ticket
    }
}

/// Waits for `n` permits: the future behind every acquire of this crate (the semaphore's
/// and the [`RwLock`](crate::RwLock)'s). `Ready(Ok)` means the permits are the caller's.
pub(crate) struct Acquire<'a> {
    sem: &'a Semaphore,
    n: u32,
    /// While queued: the entry's key, valid only while `ticket` is not granted.
    key: Option<Key>,
    ticket: u64,
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
            ticket: 0,
            kind,
            location,
        }
    }

    /// First poll, the fast path failed: under the lock, take what is counted and queue for
    /// the rest.
    fn queue(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let sem = self.sem;
        let need = Semaphore::need(self.n);
        let mut q = sem.waiters.lock();
        let mut s = sem.state.load(Ordering::Acquire);
        loop {
            if s & CLOSED != 0 {
                return Poll::Ready(Err(AcquireError(())));
            }
            let counted = s & !FLAGS;
            let (new, missing) = if s & QUEUED != 0 {
                debug_assert_eq!(counted, 0, "permits counted while tasks are queued");
                (s, self.n)
            } else if counted >= need {
                (s - need, 0)
            } else {
                // Take every counted permit and queue for the rest; `counted` < `need`, so
                // the difference fits in the u32 we asked for.
                ((s & FLAGS) | QUEUED, ((need - counted) >> SHIFT) as u32)
            };
            match sem
                .state
                .compare_exchange(s, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) if missing == 0 => return Poll::Ready(Ok(())),
                Ok(_) => {
                    let ticket = q.next_ticket;
                    q.next_ticket += 1;
                    let waiter = Waiter {
                        ticket,
                        wanted: self.n,
                        missing,
                    };
                    self.key = Some(q.list.push_back(cx.waker(), waiter));
                    self.ticket = ticket;
                    return Poll::Pending;
                }
                Err(actual) => s = actual,
            }
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let poll = this.poll_acquire(cx);
        if poll.is_pending() {
            // The argument is the permits asked for (a lock's internal count says nothing).
            let arg = if this.kind == WaitKind::Semaphore {
                u64::from(this.n)
            } else {
                0
            };
            introspect::waiting_on(this.kind, this.location, None, arg);
        }
        poll
    }
}

impl Acquire<'_> {
    fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let this = self;
        let Some(key) = this.key.take() else {
            return match this.sem.try_take(this.n) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TryAcquireError::Closed) => Poll::Ready(Err(AcquireError(()))),
                Err(TryAcquireError::NoPermits) => this.queue(cx),
            };
        };
        let sem = this.sem;
        // Granted: the entry was freed by the releaser; forget the key.
        if sem.granted(this.ticket) {
            return Poll::Ready(Ok(()));
        }
        let mut q = sem.waiters.lock();
        // Exact under the lock: `granted_upto` and `CLOSED` are only written under it.
        if sem.granted(this.ticket) {
            return Poll::Ready(Ok(()));
        }
        if sem.state.load(Ordering::Acquire) & CLOSED != 0 {
            // `close` freed the entry and gave back what had been assigned.
            return Poll::Ready(Err(AcquireError(())));
        }
        match q.list.poll(key, cx.waker()) {
            Err(key) => {
                this.key = Some(key);
                Poll::Pending
            }
            Ok(_) => unreachable!("semaphore entries are freed when granted, never left notified"),
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let sem = self.sem;
        if sem.granted(self.ticket) {
            // The permits are ours: pass them on (the entry is already gone).
            sem.release(self.n as usize);
            return;
        }
        let q = sem.waiters.lock();
        // Re-checked under the lock: a release may have granted us since.
        if sem.granted(self.ticket) {
            sem.hand_out(q, self.n as usize);
            return;
        }
        if sem.state.load(Ordering::Acquire) & CLOSED != 0 {
            // `close` freed the entry and gave back what had been assigned.
            return;
        }
        let mut q = q;
        let w = match q.list.cancel(key) {
            Cancelled::Waiting(w) => w,
            Cancelled::Notified(_) => {
                unreachable!("semaphore entries are freed when granted, never left notified")
            }
        };
        // Also called with nothing to give back: the list may have just emptied.
        sem.hand_out(q, (w.wanted - w.missing) as usize);
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
