//! `sleep`, `sleep_until` and the `Sleep` future.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use weft_core::coop;
use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::Arc;

use crate::entry::{Entry, FIRED, SHUTDOWN};
use crate::handle::Registered;
use crate::{Instant, TimerHandle};

/// Waits until `duration` has elapsed on the current runtime's clock.
///
/// Equivalent to `sleep_until(Instant::now() + duration)`, with a deadline about 30 years
/// away when that overflows (so `sleep(Duration::MAX)` is a practically endless sleep, not
/// a panic). `sleep(Duration::ZERO)` completes at its first poll (still spending one unit of
/// the task's cooperative budget, so a loop of zero sleeps yields now and then).
///
/// Timers have a resolution of 1 ms and never complete early: the deadline is rounded up to
/// the next millisecond of the clock.
///
/// # Panics
///
/// When first polled where there is no timer (outside a runtime, or in one built without
/// time). Made outside a runtime, it is not bound to a timer yet: it binds to the timer of
/// the runtime that first polls it (so `rt.block_on(sleep(d))` works), and its time starts
/// then.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use std::task::{Context, Waker};
/// # let noop = Waker::noop();
/// use std::future::Future;
/// use weft_timer::{context, sleep, Clock, Driver};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
///
/// let mut nap = sleep(Duration::from_millis(100));
/// let mut cx = Context::from_waker(&noop);
/// assert!(std::pin::Pin::new(&mut nap).poll(&mut cx).is_pending());
/// driver.clock().advance(Duration::from_millis(100)); // fires it
/// assert!(std::pin::Pin::new(&mut nap).poll(&mut cx).is_ready());
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::current_after(duration)
}

/// Waits until `deadline` on the current runtime's clock; see [`sleep()`].
///
/// # Panics
///
/// When first polled where there is no timer (outside a runtime, or in one built without
/// time). Made outside a runtime, it is not bound to a timer yet: it binds to the timer of
/// the runtime that first polls it (so `rt.block_on(sleep(d))` works), and its time starts
/// then.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use weft_timer::{context, sleep_until, Clock, Driver, Instant};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let deadline = Instant::now() + Duration::from_secs(5);
/// assert_eq!(sleep_until(deadline).deadline(), deadline);
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::current_until(deadline)
}

/// The future returned by [`sleep()`] and [`sleep_until`]: completes (with `()`) once its
/// deadline has passed on its driver's clock.
///
/// A `Sleep` costs nothing until it is first polled and found pending: only then is its
/// timer entry allocated and linked in the wheel (so a [`timeout`](crate::timeout()) around a
/// future that is ready at once never touches the timer). [`Sleep::reset`] moves the same
/// entry, and dropping the `Sleep` unlinks it at once. `Sleep` is `Unpin`.
///
/// # Panics
///
/// Polling a `Sleep` whose deadline has not passed after its driver shut down panics with
/// "the timer driver has shut down" (waiting would be forever, completing would be early).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use std::task::{Context, Waker};
/// # let noop = Waker::noop();
/// use std::future::Future;
/// use weft_timer::{Clock, Driver};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let handle = driver.handle();
/// let mut cx = Context::from_waker(&noop);
///
/// let mut sleep = handle.sleep(Duration::from_millis(10));
/// assert!(std::pin::Pin::new(&mut sleep).poll(&mut cx).is_pending());
/// sleep.reset(handle.now() + Duration::from_millis(20)); // the same entry, moved
/// driver.clock().advance(Duration::from_millis(10));
/// assert!(!sleep.is_elapsed());
/// driver.clock().advance(Duration::from_millis(10));
/// assert!(sleep.is_elapsed());
/// ```
///
/// Like every future, a `Sleep` does nothing until it is awaited or polled, so a forgotten
/// `.await` is flagged by the `unused_must_use` lint (an error under `deny`):
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// async fn nap() {
///     weft_timer::sleep(std::time::Duration::from_secs(1)); // error: unused `Sleep`
/// }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    /// The timer this sleep lives on: the current one when it was made, or, for a sleep
    /// made outside any runtime, the one current where it is first polled.
    handle: Option<TimerHandle>,
    deadline: Deadline,
    /// Allocated at the first pending poll, then reused for the `Sleep`'s whole life.
    entry: Option<Arc<Entry>>,
    /// The entry's current registration (linked, fired or shut down) is for `deadline`.
    /// `false` before the first pending poll, and after an `Interval` tick moved the
    /// deadline without registering (the next poll does).
    registered: bool,
    /// Whether registering should first read the clock, in case the deadline has passed:
    /// `false` for a sleep of a non-zero duration, whose deadline was just computed from the
    /// clock (if it has passed by the first poll, the wheel says so, or fires it at the
    /// driver's next turn): the clock is read once per timer, not twice.
    check_clock: bool,
    /// The call that made this sleep (or the `timeout` or `interval` it serves), for the
    /// task's wait record.
    location: &'static Location<'static>,
    /// The length asked for, in milliseconds, for the wait record (0: made from a
    /// deadline, or reset since).
    millis: u64,
}

/// When a [`Sleep`] completes.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    At(Instant),
    /// `duration` after the first poll (a [`timeout`](crate::timeout()) whose future is ready
    /// at once then never reads the clock).
    AfterFirstPoll(Duration),
}

impl Sleep {
    /// A sleep until `deadline`.
    #[track_caller]
    pub(crate) fn new(handle: TimerHandle, deadline: Instant) -> Sleep {
        Sleep {
            handle: Some(handle),
            deadline: Deadline::At(deadline),
            entry: None,
            registered: false,
            check_clock: true,
            location: Location::caller(),
            millis: 0,
        }
    }

    /// A sleep of `duration` from `now` (the handle's clock, just read).
    #[track_caller]
    pub(crate) fn after(handle: TimerHandle, now: Instant, duration: Duration) -> Sleep {
        Sleep {
            handle: Some(handle),
            deadline: Deadline::At(now.saturating_add(duration)),
            entry: None,
            registered: false,
            check_clock: duration.is_zero(),
            location: Location::caller(),
            millis: millis(duration),
        }
    }

    /// A sleep of `duration` counted from its first poll.
    #[track_caller]
    pub(crate) fn after_first_poll(handle: TimerHandle, duration: Duration) -> Sleep {
        Sleep {
            handle: Some(handle),
            deadline: Deadline::AfterFirstPoll(duration),
            entry: None,
            registered: false,
            check_clock: false,
            location: Location::caller(),
            millis: millis(duration),
        }
    }

    /// A sleep with no timer yet (made outside any runtime): its first poll binds it to the
    /// current timer there, or panics with "there is no timer" if there is none.
    #[track_caller]
    fn unbound(deadline: Deadline) -> Sleep {
        Sleep {
            handle: None,
            deadline,
            entry: None,
            registered: false,
            check_clock: true,
            location: Location::caller(),
            millis: match deadline {
                Deadline::At(_) => 0,
                Deadline::AfterFirstPoll(duration) => millis(duration),
            },
        }
    }

    /// `duration` from now on the current timer; outside a runtime, `duration` from the
    /// first poll, on the timer current there (asyncio's `sleep` starts when awaited, too).
    #[track_caller]
    pub(crate) fn current_after(duration: Duration) -> Sleep {
        match TimerHandle::try_current() {
            Some(handle) => handle.into_sleep(duration),
            None => Sleep::unbound(Deadline::AfterFirstPoll(duration)),
        }
    }

    /// Until `deadline`, on the current timer or the one current at the first poll.
    #[track_caller]
    pub(crate) fn current_until(deadline: Instant) -> Sleep {
        match TimerHandle::try_current() {
            Some(handle) => Sleep::new(handle, deadline),
            None => Sleep::unbound(Deadline::At(deadline)),
        }
    }

    /// `duration` from the first poll, on the current timer or the one current then.
    #[track_caller]
    pub(crate) fn current_after_first_poll(duration: Duration) -> Sleep {
        match TimerHandle::try_current() {
            Some(handle) => Sleep::after_first_poll(handle, duration),
            None => Sleep::unbound(Deadline::AfterFirstPoll(duration)),
        }
    }

    /// The time on this sleep's clock: its timer's, or (not bound yet) the current one's.
    pub(crate) fn now(&self) -> Instant {
        match &self.handle {
            Some(handle) => handle.now(),
            None => Instant::now(),
        }
    }

    /// The instant at which this sleep completes. (For the sleep of a [`timeout()`] not yet
    /// polled, whose time starts at its first poll: the deadline it would have if polled
    /// now.)
    ///
    /// [`timeout()`]: crate::timeout()
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let h = driver.handle();
    /// assert_eq!(h.sleep(Duration::from_secs(1)).deadline(), h.now() + Duration::from_secs(1));
    /// ```
    pub fn deadline(&self) -> Instant {
        match self.deadline {
            Deadline::At(at) => at,
            Deadline::AfterFirstPoll(duration) => self.now().saturating_add(duration),
        }
    }

    /// Whether the deadline has been reached: for a registered sleep, whether its timer has
    /// fired (the next poll then returns `Ready`); before that, whether the clock shows the
    /// deadline.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let sleep = driver.handle().sleep(Duration::from_millis(5));
    /// assert!(!sleep.is_elapsed());
    /// driver.clock().advance(Duration::from_millis(5));
    /// assert!(sleep.is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        match (&self.entry, self.registered) {
            (Some(entry), true) => entry.state() == FIRED,
            _ => self.deadline() <= self.now(),
        }
    }

    /// Moves the deadline to `deadline`, whether or not the sleep has completed (a completed
    /// sleep becomes pending again if `deadline` is ahead). A registered sleep keeps its
    /// timer entry: it is re-linked in place, with no allocation, and the task that last
    /// polled it is woken at the new deadline (or at once if it has passed).
    ///
    /// `Sleep` is `Unpin`, so this also works through `Pin<&mut Sleep>` (as in tokio:
    /// `sleep.as_mut().reset(deadline)`).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let h = driver.handle();
    /// let mut sleep = h.sleep(Duration::ZERO);
    /// assert!(sleep.is_elapsed());
    /// sleep.reset(h.now() + Duration::from_secs(1));
    /// assert!(!sleep.is_elapsed());
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = Deadline::At(deadline);
        self.millis = 0;
        let Some(entry) = &self.entry else {
            // Not registered yet: the first pending poll registers.
            self.check_clock = true;
            return;
        };
        let handle = self
            .handle
            .as_ref()
            .expect("a sleep with a timer entry is bound to its timer");
        let tick = handle.shared.clock.deadline_tick(deadline);
        self.registered = true;
        match handle.shared.register(entry, tick) {
            Registered::Pending | Registered::Shutdown => {}
            Registered::Elapsed => {
                // Woken at once, as promised: the deadline has passed.
                if let Some(waker) = entry.waker.take() {
                    waker.wake();
                }
            }
        }
    }

    /// Moves the deadline without touching the wheel: the next poll registers (used by
    /// `Interval` after a tick, when the entry has fired and nobody waits on it).
    pub(crate) fn reset_lazy(&mut self, deadline: Instant) {
        if self.registered {
            if let Some(entry) = &self.entry {
                if entry.state() != FIRED {
                    // Still linked (or shut down): keep the wheel exact.
                    self.reset(deadline);
                    return;
                }
            }
        }
        self.deadline = Deadline::At(deadline);
        self.registered = false;
        self.check_clock = true;
    }

    /// The address of the timer entry, if allocated (tests check that resets reuse it).
    #[cfg(all(test, not(weft_loom)))]
    pub(crate) fn entry_addr(&self) -> Option<*const Entry> {
        self.entry.as_ref().map(Arc::as_ptr)
    }

    /// Polls the timer within the cooperative budget, recording nothing: `Sleep`, `Timeout`
    /// and `Interval` each record their own kind of wait on their `Pending` path.
    pub(crate) fn poll_delay(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // Timers take part in the cooperative budget, as every resource does.
        let coop = ready!(coop::poll_proceed(cx));
        let result = self.poll_elapsed(cx.waker());
        if result.is_ready() {
            coop.made_progress();
        }
        result
    }

    /// Records, for the task being polled, that it waits on this timer as `kind` (called
    /// only on a `Pending` path, where the deadline is known: no clock read).
    #[inline]
    pub(crate) fn record_wait(&self, kind: WaitKind, arg: u64) {
        let deadline = match self.deadline {
            Deadline::At(at) => Some(at.into_std()),
            Deadline::AfterFirstPoll(_) => None,
        };
        introspect::waiting_on(kind, self.location, deadline, arg);
    }

    /// The sleep's length in milliseconds, if it was made from one (0 otherwise).
    pub(crate) fn millis(&self) -> u64 {
        self.millis
    }

    fn poll_elapsed(&mut self, waker: &Waker) -> Poll<()> {
        if self.registered {
            let entry = self
                .entry
                .as_ref()
                .expect("a registered sleep has an entry");
            // Checks the state, stores the waker, checks again: a fire between the two
            // reads took the old waker (or none), and must not be lost.
            return match entry.poll_state(waker) {
                FIRED => Poll::Ready(()),
                SHUTDOWN => self.after_shutdown(),
                _ => Poll::Pending,
            };
        }

        // First poll (or first since an interval tick): maybe no need to wait at all. A sleep
        // made outside any runtime binds to this thread's timer now.
        let shared = &self.handle.get_or_insert_with(TimerHandle::current).shared;
        let deadline = match self.deadline {
            Deadline::At(at) => {
                if self.check_clock && at <= shared.clock.now() {
                    return Poll::Ready(());
                }
                at
            }
            Deadline::AfterFirstPoll(duration) => {
                // The time starts now.
                let at = shared.clock.now().saturating_add(duration);
                self.deadline = Deadline::At(at);
                if duration.is_zero() {
                    return Poll::Ready(());
                }
                at
            }
        };
        let tick = shared.clock.deadline_tick(deadline);
        let entry = match &self.entry {
            Some(entry) => entry,
            None => self.entry.insert(Arc::new(Entry::new(tick))),
        };
        // Before linking, so that the very first fire finds it.
        entry.waker.register(waker);
        self.registered = true;
        match shared.register(entry, tick) {
            Registered::Pending => Poll::Pending,
            Registered::Elapsed => Poll::Ready(()),
            Registered::Shutdown => self.after_shutdown(),
        }
    }

    /// The driver is gone: complete if the deadline has passed anyway, else panic (waiting
    /// would be forever, completing would be early).
    fn after_shutdown(&self) -> Poll<()> {
        if self.deadline() <= self.now() {
            return Poll::Ready(());
        }
        panic!("the timer driver has shut down");
    }
}

/// The constructors on an explicit handle (here, with the type they build, so that `handle.rs`
/// need not know `Sleep`).
impl TimerHandle {
    /// A [`Sleep`] on this driver that completes `duration` from now (see
    /// [`sleep`](crate::sleep())).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let sleep = driver.handle().sleep(Duration::from_millis(10));
    /// assert!(!sleep.is_elapsed());
    /// ```
    #[track_caller]
    pub fn sleep(&self, duration: Duration) -> Sleep {
        self.clone().into_sleep(duration)
    }

    /// A [`Sleep`] on this driver that completes at `deadline` (see
    /// [`sleep_until`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let h = driver.handle();
    /// let sleep = h.sleep_until(h.now());
    /// assert!(sleep.is_elapsed());
    /// ```
    #[track_caller]
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(self.clone(), deadline)
    }

    /// [`sleep`](TimerHandle::sleep) on a handle the caller owns: no second reference count
    /// taken and dropped (`sleep()` and `timeout()` get theirs from the context).
    #[track_caller]
    pub(crate) fn into_sleep(self, duration: Duration) -> Sleep {
        let now = self.now();
        Sleep::after(self, now, duration)
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let result = this.poll_delay(cx);
        if result.is_pending() {
            this.record_wait(WaitKind::Sleep, this.millis);
        }
        result
    }
}

/// `duration` in whole milliseconds, saturated.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(entry), Some(handle)) = (self.entry.take(), &self.handle) {
            // FIRED or SHUTDOWN entries are out of the wheel for good (only this `Sleep`
            // could link them again): no lock needed.
            Entry::release(entry, |entry| handle.shared.deregister(entry));
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.registered)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use std::sync::Arc as StdArc;
    use std::task::Context;

    use super::*;
    use crate::{Clock, Driver};

    fn poll(sleep: &mut Sleep) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn reset_reuses_the_entry() {
        let driver = Driver::new(Clock::paused(), StdArc::new(|| {}));
        let (h, clock) = (driver.handle(), driver.clock().clone());
        let ms = Duration::from_millis;

        let mut sleep = h.sleep(ms(10));
        assert_eq!(
            sleep.entry_addr(),
            None,
            "lazy: nothing before the first poll"
        );
        assert!(poll(&mut sleep).is_pending());
        let addr = sleep.entry_addr().expect("registered");

        // While linked: moved in place.
        sleep.reset(h.now() + ms(30));
        assert_eq!(sleep.entry_addr(), Some(addr));
        assert_eq!(h.pending_timers(), 1);
        clock.advance(ms(10));
        assert!(poll(&mut sleep).is_pending());
        clock.advance(ms(20));
        assert!(poll(&mut sleep).is_ready());

        // After firing: linked again, same entry.
        sleep.reset(h.now() + ms(5));
        assert_eq!(sleep.entry_addr(), Some(addr));
        assert_eq!(h.pending_timers(), 1);
        assert!(poll(&mut sleep).is_pending());
        clock.advance(ms(5));
        assert!(poll(&mut sleep).is_ready());

        // The interval's lazy path: re-registered by the next poll, same entry.
        sleep.reset_lazy(h.now() + ms(7));
        assert_eq!(h.pending_timers(), 0);
        assert!(poll(&mut sleep).is_pending());
        assert_eq!(sleep.entry_addr(), Some(addr));
        assert_eq!(h.pending_timers(), 1);
        drop(sleep);
        assert_eq!(h.pending_timers(), 0);
    }
}
