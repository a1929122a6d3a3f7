//! [`Condition`]: asyncio's `Condition` (std's `Condvar`) over a weft [`Mutex`].
//!
//! # Protocol
//!
//! The condition keeps a FIFO of waiting tasks in its own lock. [`Condition::wait`] pushes
//! its entry **before** it drops the mutex guard, within one poll: a notifier has to change
//! the shared state under the mutex first, so by the time it can notify, the waiter is in
//! the list, and no notification falls between "unlock" and "wait". `notify(n)` marks the
//! first `n` entries notified and wakes them after releasing the condition's lock. A waiter
//! then locks the mutex again. A wait dropped after it was notified (before or while
//! re-locking) passes the notification on to the next waiter, so none is lost.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::Mutex as ListLock;

use crate::mutex::{Mutex, MutexGuard};
use crate::waiters::{Cancelled, Key, WaitList, WakeList};

/// A condition variable for tasks: wait until another task changes the state a [`Mutex`]
/// protects and says so.
///
/// Like asyncio's `Condition` and std's `Condvar`, a wake-up says "look again", not "the
/// condition holds": re-check it in a loop, or use [`wait_while`](Self::wait_while).
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::{Condition, Mutex};
///
/// weft::run(async {
///     let state = Arc::new((Mutex::new(false), Condition::new()));
///     let s = state.clone();
///     let waiter = weft::spawn(async move {
///         let (lock, cond) = &*s;
///         let ready = cond.wait_while(lock.lock().await, |ready| !*ready).await;
///         assert!(*ready);
///     });
///     let (lock, cond) = &*state;
///     *lock.lock().await = true;
///     cond.notify_all();
///     waiter.await.unwrap();
/// });
/// ```
pub struct Condition {
    waiters: ListLock<WaitList<()>>,
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("waiters", &self.waiters.lock().len())
            .finish()
    }
}

impl Condition {
    /// A condition with nobody waiting.
    ///
    /// ```
    /// let cond = weft::sync::Condition::new();
    /// cond.notify_all(); // nobody waits: nothing happens
    /// ```
    pub fn new() -> Condition {
        Condition {
            waiters: ListLock::new(WaitList::new()),
        }
    }

    /// Releases the lock, waits for a notification, and locks again.
    ///
    /// The wait is registered before the lock is released, so a task that takes the lock
    /// next and notifies reaches this waiter. Cancellation-safe: dropping the future after
    /// the notification reached it passes the notification on.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{Condition, Mutex};
    ///
    /// weft::run(async {
    ///     let shared = Arc::new((Mutex::new(0), Condition::new()));
    ///     let s = shared.clone();
    ///     let setter = weft::spawn(async move {
    ///         *s.0.lock().await = 7;
    ///         s.1.notify_one();
    ///     });
    ///     let mut guard = shared.0.lock().await;
    ///     while *guard == 0 {
    ///         guard = shared.1.wait(guard).await;
    ///     }
    ///     assert_eq!(*guard, 7);
    ///     drop(guard);
    ///     setter.await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn wait<'s, 'a, T>(
        &'s self,
        guard: MutexGuard<'a, T>,
    ) -> impl Future<Output = MutexGuard<'a, T>> + use<'s, 'a, T> {
        self.wait_at(guard, Location::caller())
    }

    /// [`wait`](Self::wait), recording `location` as the call that waits.
    async fn wait_at<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        location: &'static Location<'static>,
    ) -> MutexGuard<'a, T> {
        let mutex: &'a Mutex<T> = guard.mutex();
        let mut wait = Wait {
            cond: self,
            key: None,
            notified: false,
            location,
        };
        // Registers and unlocks within one poll (see the module docs).
        std::future::poll_fn(|cx| {
            wait.key = Some(self.waiters.lock().push_back(cx.waker(), ()));
            Poll::Ready(())
        })
        .await;
        drop(guard);
        (&mut wait).await;
        let guard = mutex.lock_at(location).await;
        // Locked again: the notification was used.
        wait.notified = false;
        guard
    }

    /// Waits until `condition` returns `false`, checking it under the lock before each wait
    /// and after each wake-up; returns the guard with the condition false.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{Condition, Mutex};
    ///
    /// weft::run(async {
    ///     let shared = Arc::new((Mutex::new(0), Condition::new()));
    ///     for _ in 0..3 {
    ///         let s = shared.clone();
    ///         weft::spawn(async move {
    ///             *s.0.lock().await += 1;
    ///             s.1.notify_all();
    ///         });
    ///     }
    ///     let guard = shared.1.wait_while(shared.0.lock().await, |n| *n < 3).await;
    ///     assert_eq!(*guard, 3);
    /// });
    /// ```
    #[track_caller]
    pub fn wait_while<'s, 'a, T, F>(
        &'s self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> impl Future<Output = MutexGuard<'a, T>> + use<'s, 'a, T, F>
    where
        F: FnMut(&mut T) -> bool,
    {
        let location = Location::caller();
        async move {
            while condition(&mut guard) {
                guard = self.wait_at(guard, location).await;
            }
            guard
        }
    }

    /// Wakes up to `n` waiting tasks, oldest first; returns how many it woke.
    ///
    /// ```
    /// let cond = weft::sync::Condition::new();
    /// assert_eq!(cond.notify(2), 0);
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        let mut woken = 0;
        let mut wakes = WakeList::new();
        let mut list = self.waiters.lock();
        while woken < n {
            while woken < n && !wakes.is_full() {
                match list.notify_front() {
                    Some(waker) => {
                        wakes.push(waker);
                        woken += 1;
                    }
                    None => return woken,
                }
            }
            drop(list);
            wakes.wake_all();
            list = self.waiters.lock();
        }
        woken
    }

    /// Wakes the task that has waited longest, if any.
    ///
    /// ```
    /// let cond = weft::sync::Condition::new();
    /// cond.notify_one();
    /// ```
    pub fn notify_one(&self) {
        self.notify(1);
    }

    /// Wakes every task waiting now.
    ///
    /// ```
    /// let cond = weft::sync::Condition::new();
    /// cond.notify_all();
    /// ```
    pub fn notify_all(&self) {
        self.notify(usize::MAX);
    }
}

/// One task's wait: its entry in the list, and whether a notification reached it that it has
/// not used yet (to pass on if dropped).
struct Wait<'a> {
    cond: &'a Condition,
    key: Option<Key>,
    notified: bool,
    /// The `wait()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl Future for &mut Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut **self.get_mut();
        let Some(key) = this.key.take() else {
            return Poll::Ready(());
        };
        match this.cond.waiters.lock().poll(key, cx.waker()) {
            Ok(()) => {
                this.notified = true;
                Poll::Ready(())
            }
            Err(key) => {
                this.key = Some(key);
                introspect::waiting_on(WaitKind::Condition, this.location, None, 0);
                Poll::Pending
            }
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        let notified = match self.key.take() {
            Some(key) => matches!(
                self.cond.waiters.lock().cancel(key),
                Cancelled::Notified(())
            ),
            None => self.notified,
        };
        if notified {
            self.cond.notify_one();
        }
    }
}
