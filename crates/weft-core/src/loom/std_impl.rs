//! The `std` side of the shim.

pub mod cell {
    /// `std::cell::UnsafeCell` with loom's closure-based access API.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        #[inline(always)]
        pub const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// Unwraps the value.
        #[inline(always)]
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Runs `f` with a shared raw pointer to the contents.
        #[inline(always)]
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with an exclusive raw pointer to the contents.
        #[inline(always)]
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

pub mod sync {
    pub use std::sync::Arc;

    pub mod atomic {
        pub use std::sync::atomic::{
            fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
        };
    }

    pub use super::lock::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

pub mod thread {
    pub use std::thread::{
        current, park, sleep, spawn, yield_now, Builder, JoinHandle, LocalKey, Thread,
    };
}

pub mod hint {
    pub use std::hint::spin_loop;
}

/// `std::thread_local!`, or loom's under `weft_loom`.
pub use std::thread_local;

/// `thread_local!` with a `const` initialiser (no lazy-init check on each access), or
/// loom's `thread_local!` (which takes no `const {}`) under `weft_loom`.
#[doc(hidden)]
#[macro_export]
macro_rules! __weft_thread_local_const {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        ::std::thread_local! { $(#[$attr])* static $name: $t = const { $init }; }
    };
}
pub use crate::__weft_thread_local_const as thread_local_const;

mod lock {
    use std::time::Duration;

    /// A mutex whose `lock` ignores poisoning: weft catches task panics itself, so a poisoned
    /// lock only means a panic already reported elsewhere.
    #[derive(Debug, Default)]
    pub struct Mutex<T: ?Sized>(std::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// Wraps `value`.
        pub const fn new(value: T) -> Self {
            Mutex(std::sync::Mutex::new(value))
        }
    }

    impl<T: ?Sized> Mutex<T> {
        /// Locks, ignoring poisoning.
        #[inline]
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// Locks if free, ignoring poisoning.
        #[inline]
        pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            match self.0.try_lock() {
                Ok(g) => Some(g),
                Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }
    }

    /// A reader-writer lock whose `read` and `write` ignore poisoning (as [`Mutex`]).
    #[derive(Debug, Default)]
    pub struct RwLock<T: ?Sized>(std::sync::RwLock<T>);

    /// The shared guard of [`RwLock`].
    pub type RwLockReadGuard<'a, T> = std::sync::RwLockReadGuard<'a, T>;

    /// The exclusive guard of [`RwLock`].
    pub type RwLockWriteGuard<'a, T> = std::sync::RwLockWriteGuard<'a, T>;

    impl<T> RwLock<T> {
        /// Wraps `value`.
        pub const fn new(value: T) -> Self {
            RwLock(std::sync::RwLock::new(value))
        }
    }

    impl<T: ?Sized> RwLock<T> {
        /// Locks for reading, ignoring poisoning.
        #[inline]
        pub fn read(&self) -> RwLockReadGuard<'_, T> {
            self.0.read().unwrap_or_else(|e| e.into_inner())
        }

        /// Locks for writing, ignoring poisoning.
        #[inline]
        pub fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// A condition variable paired with [`Mutex`], ignoring poisoning.
    #[derive(Debug, Default)]
    pub struct Condvar(std::sync::Condvar);

    impl Condvar {
        /// Creates a condition variable.
        pub const fn new() -> Self {
            Condvar(std::sync::Condvar::new())
        }

        /// Blocks until notified (spurious wake-ups possible).
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|e| e.into_inner())
        }

        /// Blocks until notified or `dur` passes; the flag is `true` on time-out.
        pub fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            dur: Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            match self.0.wait_timeout(guard, dur) {
                Ok((g, t)) => (g, t.timed_out()),
                Err(e) => {
                    let (g, t) = e.into_inner();
                    (g, t.timed_out())
                }
            }
        }

        /// Wakes one waiter.
        pub fn notify_one(&self) {
            self.0.notify_one()
        }

        /// Wakes every waiter.
        pub fn notify_all(&self) {
            self.0.notify_all()
        }
    }
}
