//! The driver side: what the parked thread calls to sleep for the right time and fire the
//! timers that are due.
//!
//! # The park protocol
//!
//! The runtime wraps its inner parker (a condvar, or the I/O reactor) like this:
//!
//! ```text
//! park(timeout):
//!     let t = driver.park_timeout(timeout); // min(timeout, time to next timer); records it
//!     inner.park(t);                         // a registration earlier than that unparks
//!     driver.process();                      // fire what is due, wake after the lock
//! ```
//!
//! `park_timeout` stores (holding every shard's wheel lock) the tick by which the thread
//! will be back, `parked_until`. A `Sleep` registered with an earlier tick sees it under its
//! shard's lock and calls the `unpark` callback, so the thread recomputes its timeout: no
//! timer is ever missed, whether it is registered before, during or after the
//! `park_timeout` call.
//! `process` clears `parked_until` (the thread is awake and will look at the wheel before
//! parking again), so registrations from a busy runtime never pay for an unpark.
//!
//! With a paused clock, time does not pass while the thread sleeps: if the scheduler is idle
//! (it parks with no time-out) and timers are pending, `park_timeout` jumps the clock to the
//! next deadline and returns a zero time-out, and `process` fires the timers there.

use std::fmt;
use std::sync::{Arc as StdArc, Weak};
use std::task::Waker;
use std::time::Duration;

use weft_core::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use weft_core::loom::sync::Mutex;
use weft_core::CachePadded;

use crate::clock::OnAdvance;
use crate::entry::{FIRED, SHUTDOWN};
use crate::handle::Shared;
use crate::wheel::Wheel;
use crate::{Clock, Instant, TimerHandle};

/// `parked_until` while the driver's thread is awake: no registration unparks it.
const AWAKE: u64 = 0;
/// `parked_until` while the thread is parked with no time-out.
const FOREVER: u64 = u64::MAX;

/// The timer driver: owns the wheel, and is driven by the thread that parks on behalf of the
/// runtime. Create one per runtime, hand [`Driver::handle`] to the runtime's context, and
/// call [`Driver::park_timeout`] and [`Driver::process`] around the park (see the module
/// docs of `driver.rs` and the crate docs for the composition).
///
/// Dropping the driver shuts it down ([`Driver::shutdown`]).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use weft_timer::{Clock, Driver};
///
/// let clock = Clock::paused();
/// let driver = Driver::new(clock.clone(), Arc::new(|| { /* wake the parked thread */ }));
/// assert_eq!(driver.park_timeout(Some(Duration::from_secs(1))), Some(Duration::from_secs(1)));
/// assert_eq!(driver.process(), 0);
/// assert_eq!(driver.next_deadline(), None);
/// ```
pub struct Driver {
    handle: TimerHandle,
}

impl Driver {
    /// A driver reading `clock`. `unpark` is called (from the registering thread) when a
    /// timer is registered with a deadline earlier than the one the driver's thread is
    /// parked until; it must make that thread's current or next park return.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::real(), Arc::new(|| {}));
    /// assert!(!driver.handle().is_shutdown());
    /// ```
    pub fn new(clock: Clock, unpark: StdArc<dyn Fn() + Send + Sync>) -> Driver {
        Driver::with_shards(clock, unpark, 1)
    }

    /// A driver whose wheel is split into `shards` shards (at least 1): a timer registers
    /// in the shard of the thread that registers it first, so that threads registering at
    /// the same time do not wait on one lock. A multi-thread runtime asks for one per
    /// worker; parking then takes every shard's lock, and firing takes each in turn.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft_timer::{Clock, Driver};
    /// let driver = Driver::with_shards(Clock::real(), Arc::new(|| {}), 4);
    /// assert_eq!(driver.pending_timers(), 0);
    /// ```
    pub fn with_shards(
        clock: Clock,
        unpark: StdArc<dyn Fn() + Send + Sync>,
        shards: usize,
    ) -> Driver {
        let shared = StdArc::new(Shared {
            clock: clock.clone(),
            wheels: (0..shards.max(1))
                .map(|_| CachePadded::new(Mutex::new(Wheel::new())))
                .collect(),
            parked_until: AtomicU64::new(AWAKE),
            is_shutdown: AtomicBool::new(false),
            unpark,
            fired: Default::default(),
            next_shard: Default::default(),
        });
        clock.attach(StdArc::downgrade(&shared) as Weak<dyn OnAdvance>);
        Driver {
            handle: TimerHandle { shared },
        }
    }

    /// A handle to this driver, for the runtime's context
    /// ([`context::set_current`](crate::context::set_current)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::real(), Arc::new(|| {}));
    /// let _guard = weft_timer::context::set_current(Some(driver.handle()));
    /// ```
    pub fn handle(&self) -> TimerHandle {
        self.handle.clone()
    }

    /// The driver's clock.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// assert!(driver.clock().is_paused());
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.handle.shared.clock
    }

    /// When the driver next has work: the earliest pending deadline, or earlier, the start
    /// of a coarse slot of the wheel that must be cascaded (never later than the earliest
    /// deadline). `None` when no timer is pending.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use std::task::{Context, Waker};
    /// # let noop = Waker::noop();
    /// # use std::future::Future;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let mut sleep = driver.handle().sleep(Duration::from_millis(10));
    /// let _ = std::pin::Pin::new(&mut sleep).poll(&mut Context::from_waker(&noop));
    /// assert_eq!(driver.next_deadline(), Some(sleep.deadline()));
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        let shared = &self.handle.shared;
        let tick = shared
            .wheels
            .iter()
            .filter_map(|w| w.lock().next_expiration().map(|e| e.deadline))
            .min()?;
        Some(Instant::from_std(shared.clock.tick_instant(tick)))
    }

    /// The time-out the runtime's parked thread should use, given the one it asked for
    /// (`None`: until unparked): the smaller of `requested` and the time to the next timer.
    /// Records it, so that a timer registered for an earlier time unparks the thread.
    ///
    /// With a paused clock, timers do not come due by waiting: then `requested` is returned
    /// as it is, except when it is `None` (the runtime is idle: pass `None` only then) and
    /// timers are pending, where the clock jumps to the next deadline and `Some(ZERO)` is
    /// returned ("auto-advance"; [`Clock::inhibit_auto_advance`] suspends it).
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
    /// let start = driver.clock().now();
    /// let mut sleep = driver.handle().sleep(Duration::from_secs(3600));
    /// let mut cx = Context::from_waker(&noop);
    /// assert!(std::pin::Pin::new(&mut sleep).poll(&mut cx).is_pending());
    ///
    /// assert_eq!(driver.park_timeout(None), Some(Duration::ZERO)); // jumps an hour
    /// assert_eq!(driver.clock().now() - start, Duration::from_secs(3600));
    /// assert_eq!(driver.process(), 1);
    /// assert!(std::pin::Pin::new(&mut sleep).poll(&mut cx).is_ready());
    /// ```
    pub fn park_timeout(&self, requested: Option<Duration>) -> Option<Duration> {
        // A poll that does not wait (a busy worker's look at the driver, every few dozen
        // tasks) gets no time-out shorter than zero and leaves nothing to unpark: it skips
        // the shards' locks, and `parked_until` keeps the "awake" that `process` stores.
        if requested == Some(Duration::ZERO) {
            return requested;
        }
        let shared = &self.handle.shared;
        let clock = &shared.clock;
        let now = clock.now_std();
        // Every shard locked (in order: nobody else holds two), so that a registration in
        // any of them comes either before the look below or after the store of
        // `parked_until` at the end.
        let mut wheels: Vec<_> = shared.wheels.iter().map(|w| w.lock()).collect();
        let elapsed = wheels.iter().map(|w| w.elapsed()).max().unwrap_or(0);
        let now_tick = clock.tick_of(now).max(elapsed);
        let next = wheels
            .iter()
            .filter_map(|w| w.next_expiration().map(|e| e.deadline))
            .min();

        let (timeout, until) = match next {
            // Work is due already: do not sleep.
            Some(tick) if tick <= now_tick => (Some(Duration::ZERO), AWAKE),
            // Paused: waiting does not bring timers due. A new timer unparks the thread all
            // the same, so that it can re-park with no time-out and jump to it if the runtime
            // is idle by then.
            _ if clock.is_paused() => match requested {
                Some(d) => (Some(d), FOREVER),
                None if next.is_none() => (None, FOREVER),
                None => match clock.auto_advance(|| {
                    let mut wheels: Vec<&mut Wheel> = wheels.iter_mut().map(|w| &mut **w).collect();
                    Wheel::jump_all(&mut wheels)
                }) {
                    Some(_) => (Some(Duration::ZERO), AWAKE),
                    None => (None, FOREVER),
                },
            },
            None => match requested {
                None => (None, FOREVER),
                Some(d) => (
                    Some(d),
                    clock.deadline_tick(Instant::from_std(now).saturating_add(d)),
                ),
            },
            Some(tick) => {
                let to_next = clock.tick_instant(tick).saturating_duration_since(now);
                match requested {
                    Some(d) if d < to_next => (
                        Some(d),
                        clock.deadline_tick(Instant::from_std(now).saturating_add(d)),
                    ),
                    _ => (Some(to_next), tick),
                }
            }
        };
        shared.parked_until.store(until, Relaxed);
        drop(wheels);
        timeout
    }

    /// Fires every timer due at the clock's current time, waking their tasks (after
    /// releasing the wheel lock, in batches). Returns how many fired.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::real(), Arc::new(|| {}));
    /// assert_eq!(driver.process(), 0);
    /// ```
    pub fn process(&self) -> usize {
        self.handle.shared.process(true)
    }

    /// Shuts the driver down: every pending timer is taken out of the wheel and its task
    /// woken; polling such a `Sleep` (or a new one) before its deadline then panics with
    /// "the timer driver has shut down", as in tokio, instead of completing early or never.
    /// Returns how many timers were pending. Idempotent.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::real(), Arc::new(|| {}));
    /// assert_eq!(driver.shutdown(), 0);
    /// assert!(driver.handle().is_shutdown());
    /// ```
    pub fn shutdown(&self) -> usize {
        self.handle.shared.shutdown()
    }

    /// Number of timers registered in the wheel.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::real(), Arc::new(|| {}));
    /// assert_eq!(driver.pending_timers(), 0);
    /// ```
    pub fn pending_timers(&self) -> usize {
        self.handle.pending_timers()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("handle", &self.handle)
            .finish()
    }
}

/// `Clock::advance` fires through the driver: the clock holds only this trait object.
impl OnAdvance for Shared {
    fn on_advance(&self) {
        self.process(false);
    }
}

impl Shared {
    /// Fires everything due at the clock's time; see [`Driver::process`]. `by_driver`: the
    /// call comes from the driver's own thread, which is therefore awake (not from
    /// `Clock::advance` on another thread, while the driver's thread may be parked).
    pub(crate) fn process(&self, by_driver: bool) -> usize {
        let now_tick = self.clock.tick_of(self.clock.now_std());
        let mut fired = 0;
        for shard in self.wheels.iter() {
            fired += self.process_shard(shard, now_tick, by_driver);
        }
        fired
    }

    /// [`Shared::process`] for one shard.
    fn process_shard(&self, shard: &Mutex<Wheel>, now_tick: u64, by_driver: bool) -> usize {
        let mut fired = 0;
        loop {
            let mut wakers = WakeList::new();
            let more = {
                let mut wheel = shard.lock();
                if by_driver {
                    self.parked_until.store(AWAKE, Relaxed);
                }
                let batch_start = fired;
                let more = loop {
                    if wakers.is_full() {
                        break true;
                    }
                    let Some(entry) = wheel.poll(now_tick) else {
                        break false;
                    };
                    fired += 1;
                    if let Some(waker) = entry.fire(FIRED) {
                        wakers.push(waker);
                    }
                    // The wheel's reference. It is the last one only if the `Sleep` was
                    // dropped meanwhile, having seen FIRED (without the lock): then this
                    // frees the entry, whose slot is empty (just taken; only the `Sleep`
                    // registers), so no waker is dropped under the lock.
                    drop(entry);
                };
                if fired > batch_start {
                    // One add per batch: shards may fire on two threads at once.
                    self.fired.fetch_add((fired - batch_start) as u64, Relaxed);
                }
                more
            };
            wakers.wake_all();
            if !more {
                return fired;
            }
        }
    }

    /// Takes every timer out and wakes it as shut down; see [`Driver::shutdown`].
    pub(crate) fn shutdown(&self) -> usize {
        self.wheels
            .iter()
            .map(|shard| self.shutdown_shard(shard))
            .sum()
    }

    /// [`Shared::shutdown`] for one shard: marks the driver shut down under its lock (so a
    /// registration in it from then on sees the mark), then empties it.
    fn shutdown_shard(&self, shard: &Mutex<Wheel>) -> usize {
        let mut count = 0;
        loop {
            let mut wakers = WakeList::new();
            let more = {
                let mut wheel = shard.lock();
                self.is_shutdown.store(true, Release);
                loop {
                    if wakers.is_full() {
                        break true;
                    }
                    let Some(entry) = wheel.pop_any() else {
                        break false;
                    };
                    count += 1;
                    if let Some(waker) = entry.fire(SHUTDOWN) {
                        wakers.push(waker);
                    }
                }
            };
            wakers.wake_all();
            if !more {
                return count;
            }
        }
    }
}

/// Wakers collected under the wheel lock and woken after it is released (user code must not
/// run under the lock), in batches so that the lock is not held for long.
struct WakeList {
    wakers: [Option<Waker>; WakeList::CAPACITY],
    len: usize,
}

impl WakeList {
    const CAPACITY: usize = 32;

    fn new() -> WakeList {
        WakeList {
            wakers: [const { None }; WakeList::CAPACITY],
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == WakeList::CAPACITY
    }

    fn push(&mut self, waker: Waker) {
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    fn wake_all(&mut self) {
        for waker in self.wakers[..self.len].iter_mut() {
            if let Some(w) = waker.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}
