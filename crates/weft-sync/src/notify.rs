//! [`Notify`]: wake one task or every waiting task, with no data attached.
//!
//! # Protocol
//!
//! One shim [`Mutex`] guards the stored permit (a `bool`: at most one), the
//! [`WaitList`] of registered [`Notified`] futures and the generation of each waiter. A
//! call counter of [`notify_waiters`](Notify::notify_waiters) lives in an atomic next to
//! it, so that [`notified`](Notify::notified) can read it without the lock; it is only
//! ever increased under the lock.
//!
//! - A [`Notified`] is created with the call counter it saw. Its first poll (or
//!   [`enable`](Notified::enable)) locks: if the counter has moved since, a
//!   `notify_waiters` happened after the future was created and it is ready; else it takes
//!   the stored permit if there is one; else it pushes itself at the back of the list,
//!   tagged with the current counter (its *generation*).
//! - `notify_one` locks: it marks the front waiter notified (by *one*) or, with nobody
//!   waiting, stores the permit. The waker is woken after the lock is released.
//! - `notify_waiters` locks, bumps the counter to `g + 1` and notifies (by *all*) every
//!   waiter at the front whose generation is at most `g`: waiters registered later carry
//!   `g + 1`, and since they are pushed at the back, the ones it must wake are exactly a
//!   prefix of the list. Wakers are woken in batches of [`WakeList::CAPACITY`], unlocking
//!   in between; the generation check keeps latecomers out.
//! - A [`Notified`] dropped after `notify_one` chose it, before it saw that, passes the
//!   notification on under the same lock: to the next waiter, or back as the permit. One
//!   chosen by `notify_waiters` passes nothing on (that call stores no permit).
//!
//! Nothing is lost because the check ("permit? counter moved?") and the registration happen
//! in one critical section, and every notifier decides under that same lock.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::{Mutex, MutexGuard};

use crate::waiters::{Cancelled, Key, WaitList, WakeList};

/// Wakes one waiting task, or all of them, with no data attached: the building block of
/// hand-made signals (tokio's `Notify`).
///
/// [`notify_one`](Notify::notify_one) wakes the longest-waiting task, or, if none waits,
/// stores a single permit that the next [`notified`](Notify::notified) future consumes at
/// once, so a notification sent just before the wait is not lost.
/// [`notify_waiters`](Notify::notify_waiters) wakes every task waiting at the time of the
/// call and stores nothing.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Notify;
///
/// weft::run(async {
///     let notify = Arc::new(Notify::new());
///     let n = notify.clone();
///     let waiter = weft::spawn(async move {
///         n.notified().await;
///         "woken"
///     });
///     notify.notify_one();
///     assert_eq!(waiter.await.unwrap(), "woken");
/// });
/// ```
pub struct Notify {
    /// How many times `notify_waiters` has been called; increased under `state`'s lock.
    calls: AtomicUsize,
    state: Mutex<State>,
}

struct State {
    permit: bool,
    waiters: WaitList<Waiter>,
}

/// What a waiting entry carries.
struct Waiter {
    /// The `notify_waiters` call counter when it registered.
    generation: usize,
    /// Set by the notifier: `true` if woken by `notify_waiters` (nothing to pass on).
    by_all: bool,
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

impl Notify {
    /// A `Notify` with no stored permit and no waiter.
    ///
    /// ```
    /// let notify = weft::sync::Notify::new();
    /// # drop(notify);
    /// ```
    pub fn new() -> Notify {
        Notify {
            calls: AtomicUsize::new(0),
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// A future that completes once this `Notify` is notified.
    ///
    /// It counts as waiting for [`notify_waiters`](Notify::notify_waiters) from the moment
    /// it is created; for [`notify_one`](Notify::notify_one) only once it has been polled
    /// or [enabled](Notified::enable). Dropping it is always safe: a `notify_one`
    /// notification it had been given is passed on.
    ///
    /// ```
    /// use weft::sync::Notify;
    ///
    /// weft::run(async {
    ///     let notify = Notify::new();
    ///     notify.notify_one(); // stored as a permit
    ///     notify.notified().await; // consumes it at once
    /// });
    /// ```
    #[track_caller]
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            state: Step::Init {
                calls: self.calls.load(SeqCst),
            },
            location: Location::caller(),
        }
    }

    /// Wakes the task that has waited longest, or, if none waits, stores one permit
    /// (several calls with nobody waiting still store only one).
    ///
    /// ```
    /// use weft::sync::Notify;
    ///
    /// weft::run(async {
    ///     let notify = Notify::new();
    ///     notify.notify_one();
    ///     notify.notify_one();
    ///     notify.notified().await;
    ///     // Only one permit was stored: a second wait would block.
    ///     let mut second = std::pin::pin!(notify.notified());
    ///     assert!(!second.as_mut().enable());
    /// });
    /// ```
    pub fn notify_one(&self) {
        let mut state = self.state.lock();
        let waker = state.notify_front();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every task waiting at the time of the call, including [`Notified`] futures
    /// created before it and not yet polled. Stores no permit: a future created afterwards
    /// waits for the next notification.
    ///
    /// ```
    /// use weft::sync::Notify;
    ///
    /// weft::run(async {
    ///     let notify = Notify::new();
    ///     let a = notify.notified();
    ///     let b = notify.notified();
    ///     notify.notify_waiters();
    ///     a.await;
    ///     b.await;
    /// });
    /// ```
    pub fn notify_waiters(&self) {
        let mut wakes = WakeList::new();
        let mut state = self.state.lock();
        let generation = self.calls.fetch_add(1, SeqCst);
        loop {
            while !wakes.is_full() {
                match state.waiters.front_mut() {
                    Some(w) if w.generation <= generation => w.by_all = true,
                    _ => return,
                }
                let waker = state.waiters.notify_front();
                wakes.push(waker.expect("a front entry exists"));
            }
            drop(state);
            wakes.wake_all();
            state = self.state.lock();
        }
        // `wakes` wakes whatever it holds when dropped, after `state` is unlocked (locals
        // drop in reverse order of declaration).
    }
}

impl State {
    /// Marks the front waiter notified by `notify_one`, or stores the permit.
    fn notify_front(&mut self) -> Option<Waker> {
        match self.waiters.front_mut() {
            Some(w) => {
                w.by_all = false;
                self.waiters.notify_front()
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

/// The future returned by [`Notify::notified`]; completes once notified.
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    state: Step,
    /// The `notified()` call, for the task's wait record.
    location: &'static Location<'static>,
}

enum Step {
    /// Neither polled nor enabled: `calls` is the `notify_waiters` counter at creation.
    Init { calls: usize },
    /// Registered in the wait list.
    Waiting(Key),
    /// Notified and consumed.
    Done,
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.state {
            Step::Init { .. } => "init",
            Step::Waiting(_) => "waiting",
            Step::Done => "done",
        };
        f.debug_struct("Notified").field("state", &step).finish()
    }
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so that a
    /// [`notify_one`](Notify::notify_one) from now on may choose it (as tokio's `enable`).
    /// Returns `true` if it has already been notified (the next poll is ready at once).
    ///
    /// Useful to wait on a condition without a lost wake-up: enable, check the condition,
    /// then await.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use weft::sync::Notify;
    ///
    /// weft::run(async {
    ///     let notify = Notify::new();
    ///     let ready = AtomicBool::new(false);
    ///     let mut wait = std::pin::pin!(notify.notified());
    ///     assert!(!wait.as_mut().enable());
    ///     // Another task would do this between our check and our await:
    ///     ready.store(true, Ordering::SeqCst);
    ///     notify.notify_one();
    ///     if !ready.load(Ordering::SeqCst) {
    ///         unreachable!();
    ///     }
    ///     wait.await; // the notification was not lost
    /// });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.poll_with(Waker::noop()).is_ready()
    }

    fn poll_with(&mut self, waker: &Waker) -> Poll<()> {
        let notify = self.notify;
        match std::mem::replace(&mut self.state, Step::Done) {
            Step::Done => Poll::Ready(()),
            Step::Init { calls } => {
                let mut state = notify.state.lock();
                let now = notify.calls.load(SeqCst);
                if now != calls {
                    return Poll::Ready(());
                }
                if std::mem::take(&mut state.permit) {
                    return Poll::Ready(());
                }
                let key = state.waiters.push_back(
                    waker,
                    Waiter {
                        generation: now,
                        by_all: false,
                    },
                );
                self.state = Step::Waiting(key);
                Poll::Pending
            }
            Step::Waiting(key) => {
                let mut state = notify.state.lock();
                match state.waiters.poll(key, waker) {
                    Ok(_) => Poll::Ready(()),
                    Err(key) => {
                        self.state = Step::Waiting(key);
                        Poll::Pending
                    }
                }
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = this.poll_with(cx.waker());
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::Notify, this.location, None, 0);
        }
        poll
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        if let Step::Waiting(key) = std::mem::replace(&mut self.state, Step::Done) {
            let mut state: MutexGuard<'_, State> = self.notify.state.lock();
            let waker = match state.waiters.cancel(key) {
                // Chosen by notify_one but never told: hand it to the next in line.
                Cancelled::Notified(Waiter { by_all: false, .. }) => state.notify_front(),
                Cancelled::Notified(_) | Cancelled::Waiting(_) => None,
            };
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}
