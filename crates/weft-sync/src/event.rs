//! [`Event`]: asyncio's `Event`, a flag that tasks wait on until it is set.
//!
//! # Protocol
//!
//! The flag is an atomic, so [`is_set`](Event::is_set) and a [`wait`](Event::wait) on a set
//! event are one atomic load. Behind it, one shim [`Mutex`] guards the [`WaitList`] and a
//! generation count of `set` calls that found the flag clear.
//!
//! - `wait` (slow path) locks, checks the flag again and, if it is still clear, pushes
//!   itself at the back of the list tagged with the current generation `g`.
//! - `set` stores the flag *under the lock*, bumps the generation to `g + 1` and notifies
//!   every waiter tagged `g` or lower: those are a prefix of the list, since later waiters
//!   are pushed at the back with the new generation. Wakers are woken in batches outside
//!   the lock; the generation keeps waiters that arrived during a batch (after a `clear`)
//!   out. A notified waiter is ready even if the event has been cleared again by then:
//!   every task waiting when `set` ran wakes.
//! - `clear` is a plain store: a waiter that checks the flag after it simply waits.
//!
//! Nothing is lost: the flag is set and the waiters are taken in one critical section, and
//! a waiter checks the flag and registers in one critical section. A dropped waiter only
//! removes its entry; there is nothing to pass on, since `set` wakes everyone.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::atomic::{AtomicBool, Ordering};
use weft_core::loom::sync::Mutex;

use crate::waiters::{Key, WaitList, WakeList};

/// asyncio's `Event`: a flag that is set or clear; [`wait`](Event::wait) completes once it
/// is set.
///
/// Setting wakes every task waiting at that moment; an event that stays set lets every
/// later `wait` through at once, until [`clear`](Event::clear).
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Event;
///
/// weft::run(async {
///     let ready = Arc::new(Event::new());
///     let waiters: Vec<_> = (0..3)
///         .map(|i| {
///             let ready = ready.clone();
///             weft::spawn(async move {
///                 ready.wait().await;
///                 i
///             })
///         })
///         .collect();
///     ready.set();
///     for (i, w) in waiters.into_iter().enumerate() {
///         assert_eq!(w.await.unwrap(), i);
///     }
/// });
/// ```
pub struct Event {
    set: AtomicBool,
    inner: Mutex<Inner>,
}

struct Inner {
    /// How many `set` calls found the flag clear.
    generation: u64,
    /// Each waiter carries the generation it registered in.
    waiters: WaitList<u64>,
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}

impl Event {
    /// A clear event.
    ///
    /// ```
    /// let event = weft::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            set: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                generation: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Whether the event is set (one atomic load).
    ///
    /// ```
    /// let event = weft::sync::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// Sets the event and wakes every task waiting on it. Does nothing if it is already set.
    ///
    /// ```
    /// use weft::sync::Event;
    ///
    /// weft::run(async {
    ///     let event = Event::new();
    ///     event.set();
    ///     event.wait().await; // ready at once
    /// });
    /// ```
    pub fn set(&self) {
        if self.is_set() {
            return;
        }
        let mut wakes = WakeList::new();
        let mut inner = self.inner.lock();
        if self.set.swap(true, Ordering::AcqRel) {
            return;
        }
        let generation = inner.generation;
        inner.generation += 1;
        loop {
            while !wakes.is_full() {
                match inner.waiters.front() {
                    Some(&g) if g <= generation => {}
                    _ => return,
                }
                let waker = inner.waiters.notify_front();
                wakes.push(waker.expect("a front entry exists"));
            }
            drop(inner);
            wakes.wake_all();
            inner = self.inner.lock();
        }
        // `inner` unlocks before `wakes` wakes what it holds (reverse declaration order).
    }

    /// Clears the event: later [`wait`](Event::wait)s block until the next
    /// [`set`](Event::set). Tasks already woken by a `set` still complete.
    ///
    /// ```
    /// let event = weft::sync::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        self.set.store(false, Ordering::Release);
    }

    /// Waits until the event is set; ready at once (one atomic load) if it already is.
    ///
    /// Cancellation-safe: dropping the future removes its registration.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::Event;
    ///
    /// weft::run(async {
    ///     let event = Arc::new(Event::new());
    ///     let e = event.clone();
    ///     let setter = weft::spawn(async move { e.set() });
    ///     event.wait().await;
    ///     setter.await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
            location: Location::caller(),
        }
    }
}

/// The future returned by [`Event::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<Key>,
    /// The `wait()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("registered", &self.key.is_some())
            .finish()
    }
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.key.is_none() && this.event.is_set() {
            return Poll::Ready(());
        }
        let mut inner = this.event.inner.lock();
        match this.key.take() {
            None => {
                if this.event.is_set() {
                    return Poll::Ready(());
                }
                let generation = inner.generation;
                this.key = Some(inner.waiters.push_back(cx.waker(), generation));
                drop(inner);
                introspect::waiting_on(WaitKind::Event, this.location, None, 0);
                Poll::Pending
            }
            Some(key) => match inner.waiters.poll(key, cx.waker()) {
                Ok(_) => Poll::Ready(()),
                Err(key) => {
                    this.key = Some(key);
                    drop(inner);
                    introspect::waiting_on(WaitKind::Event, this.location, None, 0);
                    Poll::Pending
                }
            },
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Nothing to pass on: `set` wakes every waiter.
            let _ = self.event.inner.lock().waiters.cancel(key);
        }
    }
}
