//! [`RwLock`]: many readers or one writer, fair between them; built on the [`Semaphore`]
//! core (as tokio's is), not on a second waiter list.
//!
//! # Protocol
//!
//! The lock is a semaphore with `MAX_READS` permits next to the data. A reader takes one
//! permit, a writer all of them. The semaphore's queue is FIFO and a request at its front
//! collects released permits until it has all it asked for, so a waiting writer stops every
//! reader that comes after it (no writer starvation), and readers queued behind a writer get
//! in together once it leaves. The semaphore's bounded barging applies: while the first
//! waiter is woken and on its way, at most 16 newcomers may get in ahead of it. Guards give
//! their permits back when dropped; a lock future dropped mid-wait gives back whatever it
//! had collected (the semaphore's cancellation rule).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
// The owned API takes std's `Arc`: a method receiver must be std's (loom's `Arc` cannot be
// `self`), and the `Arc` only keeps the lock alive; every atomic and lock inside stays the
// shim's, so loom still sees the whole protocol.
use std::sync::Arc;

use weft_core::introspect::WaitKind;
use weft_core::loom::cell::UnsafeCell;

use crate::mutex::TryLockError;
use crate::semaphore::{Acquire, Semaphore};
use crate::then::Then;

/// How many readers may hold the lock at once (every permit of the semaphore).
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock: any number of readers, or one writer, with FIFO fairness
/// between them (a waiting writer stops later readers, so a stream of readers cannot
/// starve it).
///
/// ```
/// use weft::sync::RwLock;
///
/// weft::run(async {
///     let lock = RwLock::new(5);
///     {
///         let r1 = lock.read().await;
///         let r2 = lock.read().await;
///         assert_eq!(*r1 + *r2, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// ```
pub struct RwLock<T> {
    sem: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (needs `T: Sync`); a writer on any thread gets
// `&mut T`, which moves `T` between threads (needs `T: Send`). The semaphore ensures one
// writer or only readers at a time.
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}
// SAFETY: the lock owns its `T`.
unsafe impl<T: Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    ///
    /// ```
    /// let lock = weft::sync::RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            sem: Semaphore::new(MAX_READS as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Waits for shared access. Cancellation-safe.
    ///
    /// ```
    /// weft::run(async {
    ///     let lock = weft::sync::RwLock::new(1);
    ///     assert_eq!(*lock.read().await, 1);
    /// });
    /// ```
    #[track_caller]
    pub fn read(&self) -> impl Future<Output = RwLockReadGuard<'_, T>> {
        let acquire = Acquire::new(&self.sem, 1, WaitKind::RwLockRead, Location::caller());
        // A named future, not an `async` block: see `then.rs`.
        Then::new(acquire, move |acquired| {
            Self::acquired(acquired);
            RwLockReadGuard {
                lock: self,
                _marker: PhantomData,
            }
        })
    }

    /// Waits for exclusive access. Cancellation-safe: a dropped `write` gives back the reader
    /// slots it had collected.
    ///
    /// ```
    /// weft::run(async {
    ///     let lock = weft::sync::RwLock::new(1);
    ///     *lock.write().await = 2;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    #[track_caller]
    pub fn write(&self) -> impl Future<Output = RwLockWriteGuard<'_, T>> {
        let location = Location::caller();
        let acquire = Acquire::new(&self.sem, MAX_READS, WaitKind::RwLockWrite, location);
        Then::new(acquire, move |acquired| {
            Self::acquired(acquired);
            RwLockWriteGuard {
                lock: self,
                _marker: PhantomData,
            }
        })
    }

    /// Shared access if it is free now.
    ///
    /// ```
    /// let lock = weft::sync::RwLock::new(1);
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.sem.try_take(1).map_err(|_| TryLockError(()))?;
        Ok(RwLockReadGuard {
            lock: self,
            _marker: PhantomData,
        })
    }

    /// Exclusive access if it is free now.
    ///
    /// ```
    /// let lock = weft::sync::RwLock::new(1);
    /// let w = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.sem.try_take(MAX_READS).map_err(|_| TryLockError(()))?;
        Ok(RwLockWriteGuard {
            lock: self,
            _marker: PhantomData,
        })
    }

    /// [`read`](Self::read) for an `Arc`ed lock: the guard owns a reference.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let lock = Arc::new(weft::sync::RwLock::new(1));
    ///     let r = lock.clone().read_owned().await;
    ///     assert_eq!(weft::spawn(async move { *r }).await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn read_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockReadGuard<T>> {
        let location = Location::caller();
        async move {
            Self::acquired(Acquire::new(&self.sem, 1, WaitKind::RwLockRead, location).await);
            OwnedRwLockReadGuard { lock: self }
        }
    }

    /// [`write`](Self::write) for an `Arc`ed lock: the guard owns a reference.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let lock = Arc::new(weft::sync::RwLock::new(1));
    ///     let mut w = lock.clone().write_owned().await;
    ///     weft::spawn(async move { *w += 1 }).await.unwrap();
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    #[track_caller]
    pub fn write_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockWriteGuard<T>> {
        let location = Location::caller();
        async move {
            let kind = WaitKind::RwLockWrite;
            Self::acquired(Acquire::new(&self.sem, MAX_READS, kind, location).await);
            OwnedRwLockWriteGuard { lock: self }
        }
    }

    /// Shared access from a plain thread, parking it until the lock is free.
    ///
    /// # Panics
    ///
    /// Inside a weft runtime, where blocking would stall a worker.
    ///
    /// ```
    /// let lock = weft::sync::RwLock::new(1);
    /// assert_eq!(*lock.blocking_read(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::blocking::block_on("RwLock::blocking_read", self.read())
    }

    /// Exclusive access from a plain thread, parking it until the lock is free.
    ///
    /// # Panics
    ///
    /// Inside a weft runtime, where blocking would stall a worker.
    ///
    /// ```
    /// let lock = weft::sync::RwLock::new(1);
    /// *lock.blocking_write() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::blocking::block_on("RwLock::blocking_write", self.write())
    }

    /// The data, taking the lock apart.
    ///
    /// ```
    /// assert_eq!(weft::sync::RwLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    /// The data, through an exclusive borrow (no locking needed).
    ///
    /// ```
    /// let mut lock = weft::sync::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` rules out every guard, so this is the only access.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    /// The lock's semaphore is never closed, so every acquire succeeds.
    fn acquired(result: Result<(), crate::semaphore::AcquireError>) {
        result.expect("an RwLock's semaphore is never closed");
    }

    fn shared(&self) -> &T {
        // SAFETY: called by guards only; a read guard shares with readers only, a write guard
        // is alone (the semaphore's permits).
        self.data.with(|p| unsafe { &*p })
    }

    #[allow(clippy::mut_from_ref)]
    fn exclusive(&self) -> &mut T {
        // SAFETY: called by write guards only, through `&mut` to the guard: a write guard
        // holds every permit, so no other guard exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Shared access to an [`RwLock`]'s data; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    /// Sent or shared like a `&T`.
    _marker: PhantomData<&'a T>,
}

/// Exclusive access to an [`RwLock`]'s data; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    /// Sent or shared like a `&mut T`.
    _marker: PhantomData<&'a mut T>,
}

/// Shared access to an `Arc`ed [`RwLock`]'s data ([`RwLock::read_owned`]).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T> {
    lock: Arc<RwLock<T>>,
}

/// Exclusive access to an `Arc`ed [`RwLock`]'s data ([`RwLock::write_owned`]).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T> {
    lock: Arc<RwLock<T>>,
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.lock.shared()
    }
}

impl<T> Deref for OwnedRwLockReadGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.lock.shared()
    }
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.lock.shared()
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.lock.exclusive()
    }
}

impl<T> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.lock.shared()
    }
}

impl<T> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.lock.exclusive()
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T> Drop for OwnedRwLockReadGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS as usize);
    }
}

impl<T> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS as usize);
    }
}

macro_rules! debug_via_deref {
    ($($ty:ident $(<$lt:lifetime>)?),*) => {$(
        impl<T: fmt::Debug> fmt::Debug for $ty<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    )*};
}

debug_via_deref!(
    RwLockReadGuard<'_>,
    RwLockWriteGuard<'_>,
    OwnedRwLockReadGuard,
    OwnedRwLockWriteGuard
);
