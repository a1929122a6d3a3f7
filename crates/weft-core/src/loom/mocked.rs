//! The loom side of the shim (built only under `--cfg weft_loom`).

pub use loom::model;

pub mod cell {
    pub use loom::cell::UnsafeCell;
}

pub mod sync {
    pub use loom::sync::Arc;

    pub mod atomic {
        pub use loom::sync::atomic::{
            fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
        };
    }

    pub use super::lock::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
}

pub mod thread {
    pub use loom::thread::{
        current, park, spawn, yield_now, Builder, JoinHandle, LocalKey, Thread,
    };

    /// Loom has no clock: sleeping is a yield to the model's scheduler.
    pub fn sleep(_: std::time::Duration) {
        loom::thread::yield_now();
    }
}

pub mod hint {
    pub use loom::hint::spin_loop;
}

pub use loom::thread_local;

/// Loom's `thread_local!`, which takes no `const {}` (see the std side).
#[doc(hidden)]
#[macro_export]
macro_rules! __weft_thread_local_const {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        $crate::loom::thread_local! { $(#[$attr])* static $name: $t = $init; }
    };
}
pub use crate::__weft_thread_local_const as thread_local_const;

mod lock {
    use std::time::Duration;

    /// loom's mutex, with the shim's poison-free API.
    #[derive(Debug)]
    pub struct Mutex<T>(loom::sync::Mutex<T>);

    /// The guard of [`Mutex`].
    pub type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// Wraps `value`.
        pub fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }

        /// Locks, ignoring poisoning.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// Locks if free.
        pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock().ok()
        }
    }

    impl<T: Default> Default for Mutex<T> {
        fn default() -> Self {
            Mutex::new(T::default())
        }
    }

    /// loom's reader-writer lock, with the shim's poison-free API.
    #[derive(Debug)]
    pub struct RwLock<T>(loom::sync::RwLock<T>);

    /// The shared guard of [`RwLock`].
    pub type RwLockReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;

    /// The exclusive guard of [`RwLock`].
    pub type RwLockWriteGuard<'a, T> = loom::sync::RwLockWriteGuard<'a, T>;

    impl<T> RwLock<T> {
        /// Wraps `value`.
        pub fn new(value: T) -> Self {
            RwLock(loom::sync::RwLock::new(value))
        }

        /// Locks for reading, ignoring poisoning.
        pub fn read(&self) -> RwLockReadGuard<'_, T> {
            self.0.read().unwrap_or_else(|e| e.into_inner())
        }

        /// Locks for writing, ignoring poisoning.
        pub fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// loom's condition variable, with the shim's API.
    #[derive(Debug, Default)]
    pub struct Condvar(loom::sync::Condvar);

    impl Condvar {
        /// Creates a condition variable.
        pub fn new() -> Self {
            Condvar(loom::sync::Condvar::new())
        }

        /// Blocks until notified.
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|e| e.into_inner())
        }

        /// Loom has no clock: a timed wait is a plain wait that never times out.
        pub fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _dur: Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            (self.wait(guard), false)
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
