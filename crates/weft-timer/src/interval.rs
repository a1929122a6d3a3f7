//! `interval`, `interval_at`, `Interval` and `MissedTickBehavior`.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use weft_core::introspect::WaitKind;

use crate::{Instant, Sleep, TimerHandle};

/// Ticks that come later than this after their time count as missed (tokio's slack).
const MISSED_SLACK: Duration = Duration::from_millis(5);

/// An [`Interval`] that ticks every `period`, the first tick completing at once. Missed
/// ticks are handled as [`MissedTickBehavior::Burst`] unless configured otherwise.
///
/// Unlike a loop of `sleep(period)`, an interval measures from one *scheduled* tick to the
/// next, so the time spent between ticks does not accumulate as drift.
///
/// # Panics
///
/// If `period` is zero ("`interval` period must be non-zero"), or when first polled where
/// there is no timer. Made outside a runtime, it binds to the timer of the runtime that
/// first polls it, and its first tick completes then.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use std::task::{Context, Waker};
/// # let noop = Waker::noop();
/// use weft_timer::{context, interval, Clock, Driver};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let mut cx = Context::from_waker(&noop);
///
/// let mut every = interval(Duration::from_millis(10));
/// let start = driver.clock().now();
/// assert_eq!(every.poll_tick(&mut cx), std::task::Poll::Ready(start)); // at once
/// assert!(every.poll_tick(&mut cx).is_pending());
/// driver.clock().advance(Duration::from_millis(10));
/// assert_eq!(every.poll_tick(&mut cx), std::task::Poll::Ready(start + Duration::from_millis(10)));
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(!period.is_zero(), "`interval` period must be non-zero");
    // Outside a runtime, the first tick completes at the first poll, on the timer there.
    let delay = match TimerHandle::try_current() {
        Some(handle) => handle.sleep_until(handle.now()),
        None => Sleep::current_after_first_poll(Duration::ZERO),
    };
    Interval::new(delay, period)
}

/// An [`Interval`] whose first tick completes at `start`, then every `period`; see
/// [`interval()`].
///
/// # Panics
///
/// If `period` is zero ("`interval` period must be non-zero"), or when first polled where
/// there is no timer (made outside a runtime, it binds to the one that first polls it).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use weft_timer::{context, interval_at, Clock, Driver, Instant};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let start = Instant::now() + Duration::from_millis(50);
/// let every = interval_at(start, Duration::from_millis(10));
/// assert_eq!(every.period(), Duration::from_millis(10));
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "`interval` period must be non-zero");
    Interval::new(Sleep::current_until(start), period)
}

/// What an [`Interval`] does when ticks were missed: the task took more than a period (plus
/// 5 ms of slack) between two ticks. The timelines below use a period of 10 ms, ticks
/// scheduled at 0, 10, 20, ... ms, and a task busy from 5 ms to 37 ms, so it misses the
/// ticks of 10, 20 and 30 ms. Each `tick()` returns the instant the tick was *scheduled*
/// for.
///
/// ```text
/// scheduled:   0    10    20    30    40    50    60
/// busy:          5 ██████████████████ 37
/// Burst:       0                  37,37,37 40   50  (returns 10, 20, 30 at 37; then on the grid)
/// Delay:       0                  37        47    57 (returns 10 at 37; grid moves to now + period)
/// Skip:        0                  37   40    50   60 (returns 10 at 37; next on the old grid)
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks complete at once, one per `tick()`, until the interval is
    /// back on its original schedule (here ticks for 10, 20 and 30 ms all complete at 37 ms,
    /// then 40, 50, ...). The number of ticks over time is exact; they may come in bursts.
    /// The default.
    #[default]
    Burst,
    /// Restart the schedule from the late tick: the next tick is one period after the
    /// moment the missed tick completed (10 ms completes at 37 ms, then 47, 57, ...). Ticks
    /// are never closer than a period, and the schedule drifts by the delay.
    Delay,
    /// Drop the missed ticks and stay on the original grid: the next tick is the next
    /// multiple of the period after the late one (10 ms completes at 37 ms, then 40, 50,
    /// ...), so the tick right after a delay may come sooner than a period.
    Skip,
}

impl MissedTickBehavior {
    /// The next scheduled instant after `timeout` completed (late) at `now`.
    fn next_timeout(self, timeout: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => timeout.saturating_add(period),
            MissedTickBehavior::Delay => now.saturating_add(period),
            MissedTickBehavior::Skip => {
                let late = (now - timeout).as_nanos() % period.as_nanos();
                // `late < period`, so it fits a `Duration`.
                let late =
                    Duration::new((late / 1_000_000_000) as u64, (late % 1_000_000_000) as u32);
                now.saturating_add(period - late)
            }
        }
    }
}

/// A stream of ticks, `period` apart, from [`interval()`] or [`interval_at`].
///
/// Dropping it cancels it. `Unpin`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use std::task::{Context, Waker};
/// # let noop = Waker::noop();
/// use weft_timer::{context, interval, Clock, Driver, MissedTickBehavior};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let mut cx = Context::from_waker(&noop);
///
/// let mut every = interval(Duration::from_millis(10));
/// every.set_missed_tick_behavior(MissedTickBehavior::Skip);
/// assert!(every.poll_tick(&mut cx).is_ready());
/// driver.clock().advance(Duration::from_millis(35)); // late: ticks 10, 20, 30 missed
/// assert!(every.poll_tick(&mut cx).is_ready()); // the one for 10 ms
/// assert!(every.poll_tick(&mut cx).is_pending()); // next at 40 ms
/// ```
#[derive(Debug)]
pub struct Interval {
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    fn new(delay: Sleep, period: Duration) -> Interval {
        Interval {
            delay,
            period,
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// Cancel-safe: if the future is dropped before completing, no tick is consumed.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use std::future::Future;
    /// # use std::task::{Context, Waker};
    /// # let noop = Waker::noop();
    /// # use weft_timer::{context, interval, Clock, Driver};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_secs(1));
    /// let mut tick = std::pin::pin!(every.tick());
    /// assert!(tick.as_mut().poll(&mut Context::from_waker(&noop)).is_ready());
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: `Ready(scheduled instant)` when it is due, else `Pending`
    /// (and the task is woken when it is).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use std::task::{Context, Waker};
    /// # let noop = Waker::noop();
    /// # use weft_timer::{context, interval, Clock, Driver};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_secs(1));
    /// let mut cx = Context::from_waker(&noop);
    /// assert!(every.poll_tick(&mut cx).is_ready());
    /// assert!(every.poll_tick(&mut cx).is_pending());
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.delay.poll_delay(cx).is_pending() {
            let period = u64::try_from(self.period.as_millis()).unwrap_or(u64::MAX);
            self.delay.record_wait(WaitKind::Interval, period);
            return Poll::Pending;
        }
        let timeout = self.delay.deadline();
        let now = self.delay.now();
        let next = if now > timeout.saturating_add(MISSED_SLACK) {
            self.missed_tick_behavior
                .next_timeout(timeout, now, self.period)
        } else {
            timeout.saturating_add(self.period)
        };
        // Nobody waits on the fired entry: the next poll registers it again (or finds the
        // next tick due already, as in a burst, without touching the wheel).
        self.delay.reset_lazy(next);
        Poll::Ready(timeout)
    }

    /// Restarts the schedule: the next tick is one period from now (whatever the
    /// [`MissedTickBehavior`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use std::task::{Context, Waker};
    /// # let noop = Waker::noop();
    /// # use weft_timer::{context, interval, Clock, Driver};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_millis(10));
    /// every.reset();
    /// assert!(every.poll_tick(&mut Context::from_waker(&noop)).is_pending());
    /// ```
    pub fn reset(&mut self) {
        self.reset_after(self.period);
    }

    /// Makes the next tick complete at once.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use std::task::{Context, Waker};
    /// # let noop = Waker::noop();
    /// # use weft_timer::{context, interval, Clock, Driver};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_millis(10));
    /// let mut cx = Context::from_waker(&noop);
    /// let _ = every.poll_tick(&mut cx);
    /// every.reset_immediately();
    /// assert!(every.poll_tick(&mut cx).is_ready());
    /// ```
    pub fn reset_immediately(&mut self) {
        let now = self.delay.now();
        self.delay.reset(now);
    }

    /// Makes the next tick complete `after` from now.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{context, interval, Clock, Driver};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_millis(10));
    /// every.reset_after(Duration::from_secs(1));
    /// ```
    pub fn reset_after(&mut self, after: Duration) {
        let deadline = self.delay.now().saturating_add(after);
        self.delay.reset(deadline);
    }

    /// Makes the next tick complete at `deadline`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{context, interval, Clock, Driver, Instant};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_millis(10));
    /// every.reset_at(Instant::now() + Duration::from_secs(1));
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.reset(deadline);
    }

    /// The period between ticks.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{context, interval, Clock, Driver};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// assert_eq!(interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The current [`MissedTickBehavior`] (`Burst` unless set).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{context, interval, Clock, Driver, MissedTickBehavior};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let every = interval(Duration::from_secs(2));
    /// assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens when ticks are missed; see [`MissedTickBehavior`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use weft_timer::{context, interval, Clock, Driver, MissedTickBehavior};
    /// # let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// # let _ctx = context::set_current(Some(driver.handle()));
    /// let mut every = interval(Duration::from_secs(2));
    /// every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

/// An `Interval` is an endless stream of its ticks: each item is the instant the tick was
/// scheduled for, as [`Interval::tick`] returns (`weft::stream::StreamExt` applies).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use std::task::{Context, Poll, Waker};
/// # let noop = Waker::noop();
/// use futures_core::Stream;
/// use weft_timer::{context, interval, Clock, Driver};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let _ctx = context::set_current(Some(driver.handle()));
/// let mut cx = Context::from_waker(&noop);
///
/// let mut every = interval(Duration::from_millis(10));
/// let start = driver.clock().now();
/// assert_eq!(std::pin::Pin::new(&mut every).poll_next(&mut cx), Poll::Ready(Some(start)));
/// assert!(std::pin::Pin::new(&mut every).poll_next(&mut cx).is_pending());
/// ```
impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
