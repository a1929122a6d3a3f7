//! `timeout`, `timeout_at`, the `Timeout` future and its `Elapsed` error.

use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use weft_core::coop;
use weft_core::introspect::{self, WaitKind};

use crate::{Instant, Sleep};

/// Runs `future`, giving up if it has not completed within `duration`: resolves to
/// `Ok(output)`, or `Err(Elapsed)` once the time is up (the future is then dropped with the
/// `Timeout`, cancelling it).
///
/// The time starts at the first poll, as a Python `asyncio.wait_for` starts when awaited (for
/// the usual `timeout(d, f).await` that is the moment of the call; to count from an earlier
/// instant, use [`timeout_at`]). The future is polled before the timer at every poll, so a
/// future that is ready never times out, even with a zero duration; and a future that
/// completes at its first poll costs no timer at all: no clock read, no allocation, no lock.
/// A duration too large for `Instant` means a deadline about 30 years away.
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
/// use std::future::{pending, ready, Future};
/// use weft_timer::{context, timeout, Clock, Driver};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let mut cx = Context::from_waker(&noop);
///
/// let mut ok = timeout(Duration::ZERO, ready(7));
/// assert_eq!(std::pin::Pin::new(&mut ok).poll(&mut cx), std::task::Poll::Ready(Ok(7)));
///
/// let mut late = timeout(Duration::from_secs(1), pending::<()>());
/// assert!(std::pin::Pin::new(&mut late).poll(&mut cx).is_pending());
/// driver.clock().advance(Duration::from_secs(1));
/// let std::task::Poll::Ready(Err(elapsed)) = std::pin::Pin::new(&mut late).poll(&mut cx) else {
///     unreachable!()
/// };
/// assert_eq!(elapsed.to_string(), "deadline has elapsed");
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(
        future.into_future(),
        Sleep::current_after_first_poll(duration),
    )
}

/// Runs `future`, giving up at `deadline`; see [`timeout()`].
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
/// use weft_timer::{context, timeout_at, Clock, Driver, Instant};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let deadline = Instant::now() + Duration::from_secs(1);
/// let t = timeout_at(deadline, std::future::pending::<()>());
/// assert_eq!(t.deadline(), deadline);
/// ```
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), Sleep::current_until(deadline))
}

/// The future returned by [`timeout()`] and [`timeout_at`].
///
/// `Unpin` when the inner future is.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    future: F,
    delay: Sleep,
}

impl<F> Timeout<F> {
    /// Wraps `future` with the deadline of `delay` (for runtimes that hold a
    /// [`TimerHandle`](crate::TimerHandle) rather than a thread context: `Timeout::new(f, handle.sleep(d))`).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver, Timeout};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let t = Timeout::new(std::future::ready(1), driver.handle().sleep(Duration::from_secs(1)));
    /// assert_eq!(t.into_inner().into_inner(), 1);
    /// ```
    pub fn new(future: F, delay: Sleep) -> Timeout<F> {
        Timeout { future, delay }
    }

    /// The inner future.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver, Timeout};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let t = Timeout::new(std::future::ready(1), driver.handle().sleep(Duration::from_secs(1)));
    /// let _inner: &std::future::Ready<i32> = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver, Timeout};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let mut t = Timeout::new(std::future::ready(1), driver.handle().sleep(Duration::from_secs(1)));
    /// let _inner: &mut std::future::Ready<i32> = t.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives the inner future back, cancelling the timer.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver, Timeout};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let t = Timeout::new(std::future::ready(1), driver.handle().sleep(Duration::from_secs(1)));
    /// assert_eq!(t.into_inner().into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant at which the timeout elapses (for a [`timeout()`] not yet polled, whose
    /// time starts at its first poll: the instant it would elapse at if polled now).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{Clock, Driver, Timeout};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let sleep = driver.handle().sleep(Duration::from_secs(1));
    /// let at = sleep.deadline();
    /// assert_eq!(Timeout::new(std::future::pending::<()>(), sleep).deadline(), at);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of a pinned
        // `Timeout` (`into_inner` takes `self` by value, which needs `Timeout: Unpin` once
        // pinned, i.e. `F: Unpin`), and `Timeout` has no `Drop` impl that could move it.
        // `delay` is `Unpin` and not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.future` stays where it is for as long as `self` is pinned.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };

        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // If the inner future spent the last of the budget, the timer must still be able to
        // fire, or a busy future would never time out: poll it outside the budget.
        let delay = &mut this.delay;
        let elapsed = if had_budget && !coop::has_budget_remaining() {
            coop::unconstrained(|| delay.poll_delay(cx))
        } else {
            delay.poll_delay(cx)
        };
        if elapsed.is_pending() && introspect::current_wait_is_empty() {
            // The inner future's own wait, if it recorded one, says more than the deadline.
            delay.record_wait(WaitKind::Timeout, delay.millis());
        }
        elapsed.map(|()| Err(Elapsed(())))
    }
}

impl<F: fmt::Debug> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("future", &self.future)
            .field("delay", &self.delay)
            .finish()
    }
}

/// The error of a [`Timeout`] whose deadline passed first. Displays as "deadline has
/// elapsed"; converts into an [`std::io::Error`] of kind `TimedOut`.
///
/// ```
/// # use std::sync::Arc;
/// # use std::time::Duration;
/// # use std::task::{Context, Poll, Waker};
/// # let noop = Waker::noop();
/// # use std::future::Future;
/// # use weft_timer::{Clock, Driver, Elapsed, Timeout};
/// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let mut t = Timeout::new(std::future::pending::<()>(), driver.handle().sleep(Duration::ZERO));
/// let Poll::Ready(Err(e)) = std::pin::Pin::new(&mut t).poll(&mut Context::from_waker(&noop))
/// else { unreachable!() };
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    /// An `Elapsed`, for timeouts built on [`Sleep`] outside this crate (weft-stream's
    /// per-item stream timeout). Not part of weft's API.
    #[doc(hidden)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}
