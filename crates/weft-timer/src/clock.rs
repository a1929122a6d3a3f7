//! The clock a timer driver reads: real time, or paused (virtual) time that only moves when
//! told to (or, with an idle runtime, jumps to the next deadline).

use std::fmt;
use std::sync::{Arc as StdArc, Weak};
use std::time::Duration;

use weft_core::loom::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering::*};
use weft_core::loom::sync::Mutex;

use crate::Instant;

/// `std::time::Instant::now()`, never paused or moved: the fast path.
const REAL: u8 = 0;
/// Frozen at `frozen` (nanoseconds since the origin).
const PAUSED: u8 = 1;
/// Running again after a pause: `base` plus the real time since `resumed_at`.
const SKEWED: u8 = 2;
/// A `pause` is being recorded: readers take the lock and wait for it.
const CHANGING: u8 = 3;

/// The largest time a clock shows, in nanoseconds since its origin (about 146 years): far
/// beyond any deadline a program uses, small enough for every platform's `Instant`.
const MAX_NANOS: u64 = u64::MAX >> 2;
/// One tick of the wheel: 1 ms.
const NANOS_PER_TICK: u64 = 1_000_000;
/// The last tick a clock reaches.
pub(crate) const LAST_TICK: u64 = MAX_NANOS / NANOS_PER_TICK;
/// The tick of every deadline later than [`LAST_TICK`]: such a timer never fires (until the
/// driver shuts down). The wheel's arithmetic on it never overflows.
pub(crate) const NEVER: u64 = LAST_TICK + 1;

/// The time source of a timer driver: real time, or a paused, virtual time for tests.
///
/// A real clock reads [`std::time::Instant::now`] (no lock, no shared write). A paused clock
/// stands still until [`Clock::advance`] moves it (which also fires the timers that become
/// due, on the calling thread), or until the runtime is idle: a driver whose clock is paused
/// jumps it to the next deadline when the scheduler parks with nothing to do
/// ([`Driver::park_timeout`](crate::Driver::park_timeout)), so a test that sleeps for an
/// hour runs in microseconds and always sees the same order of events.
///
/// Cloning gives another handle to the same clock.
///
/// ```
/// use std::time::Duration;
/// use weft_timer::Clock;
///
/// let clock = Clock::paused();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(3600));
/// assert_eq!(clock.now() - start, Duration::from_secs(3600));
///
/// clock.resume(); // runs again from where it was, at real speed
/// assert!(clock.now() - start >= Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct Clock {
    inner: StdArc<Inner>,
}

struct Inner {
    /// Tick 0 of every driver on this clock.
    origin: std::time::Instant,
    /// `REAL`, `PAUSED`, `SKEWED` or `CHANGING`; changed only under `state`.
    mode: AtomicU8,
    /// While `PAUSED`: the time, in nanoseconds since `origin`; written only under `state`.
    frozen: AtomicU64,
    /// While `SKEWED`: where the clock restarted. Also serialises every mode change.
    state: Mutex<Skew>,
    /// Live `inhibit_auto_advance` guards.
    inhibit: AtomicUsize,
    /// The drivers reading this clock, told by `advance` to fire what is due.
    drivers: Mutex<Vec<Weak<dyn OnAdvance>>>,
}

/// How [`Clock::advance`] reaches the drivers that read the clock, without the clock knowing
/// what a driver is: a driver implements this and attaches itself ([`Clock::attach`]), so the
/// dependency points one way, from the driver to the clock.
pub(crate) trait OnAdvance: Send + Sync {
    /// The clock was just moved forward: fire, on this thread, every timer now due. Called
    /// with no lock of the clock held (wakers run user code, which may advance it again).
    fn on_advance(&self);
}

struct Skew {
    /// Virtual nanoseconds since `origin` at the last `resume`.
    base: u64,
    /// The real instant of the last `resume`.
    resumed_at: std::time::Instant,
}

impl Clock {
    /// A clock that follows real time.
    ///
    /// ```
    /// let clock = weft_timer::Clock::real();
    /// assert!(!clock.is_paused());
    /// ```
    pub fn real() -> Clock {
        Clock::with_mode(REAL)
    }

    /// A clock that starts paused at the current real time.
    ///
    /// ```
    /// let clock = weft_timer::Clock::paused();
    /// assert!(clock.is_paused());
    /// assert_eq!(clock.now(), clock.now());
    /// ```
    pub fn paused() -> Clock {
        Clock::with_mode(PAUSED)
    }

    fn with_mode(mode: u8) -> Clock {
        let origin = std::time::Instant::now();
        Clock {
            inner: StdArc::new(Inner {
                origin,
                mode: AtomicU8::new(mode),
                frozen: AtomicU64::new(0),
                state: Mutex::new(Skew {
                    base: 0,
                    resumed_at: origin,
                }),
                inhibit: AtomicUsize::new(0),
                drivers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The current time of this clock.
    ///
    /// ```
    /// let clock = weft_timer::Clock::real();
    /// let a = clock.now();
    /// assert!(clock.now() >= a);
    /// ```
    pub fn now(&self) -> Instant {
        Instant::from_std(self.now_std())
    }

    pub(crate) fn now_std(&self) -> std::time::Instant {
        // Read the real time *before* the mode: a reader that then sees REAL read it before
        // any `pause` switched the mode, so its time is no later than the frozen one.
        let real = std::time::Instant::now();
        match self.inner.mode.load(SeqCst) {
            REAL => real,
            PAUSED => self.at(self.inner.frozen.load(SeqCst)),
            _ => self.now_locked(),
        }
    }

    fn now_locked(&self) -> std::time::Instant {
        let skew = self.inner.state.lock();
        match self.inner.mode.load(SeqCst) {
            PAUSED => self.at(self.inner.frozen.load(SeqCst)),
            SKEWED => self.at(skew.base.saturating_add(nanos(skew.resumed_at.elapsed()))),
            _ => std::time::Instant::now(),
        }
    }

    /// The instant `nanos` after the origin.
    fn at(&self, nanos: u64) -> std::time::Instant {
        self.inner.origin + Duration::from_nanos(nanos.min(MAX_NANOS))
    }

    /// The wheel tick of `deadline`: milliseconds since the origin, rounded *up* (a timer
    /// never fires before its deadline), [`NEVER`] past [`LAST_TICK`].
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        let d = deadline
            .into_std()
            .saturating_duration_since(self.inner.origin);
        let ticks = d.as_nanos().div_ceil(u128::from(NANOS_PER_TICK));
        u64::try_from(ticks).unwrap_or(NEVER).min(NEVER)
    }

    /// The tick the clock is in: milliseconds since the origin, rounded down.
    pub(crate) fn tick_of(&self, now: std::time::Instant) -> u64 {
        let d = now.saturating_duration_since(self.inner.origin);
        (nanos(d) / NANOS_PER_TICK).min(LAST_TICK)
    }

    /// The instant at which tick `tick` starts.
    pub(crate) fn tick_instant(&self, tick: u64) -> std::time::Instant {
        self.at(tick.saturating_mul(NANOS_PER_TICK))
    }

    /// Whether the clock is paused.
    ///
    /// ```
    /// let clock = weft_timer::Clock::real();
    /// clock.pause();
    /// assert!(clock.is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.inner.mode.load(SeqCst) == PAUSED
    }

    /// Stops the clock at its current time. Does nothing if it is paused already.
    ///
    /// ```
    /// let clock = weft_timer::Clock::real();
    /// clock.pause();
    /// let t = clock.now();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert_eq!(clock.now(), t);
    /// ```
    pub fn pause(&self) {
        let skew = self.inner.state.lock();
        let now = match self.inner.mode.load(SeqCst) {
            PAUSED => return,
            REAL => {
                // Readers that see CHANGING wait on the lock; readers that saw REAL read the
                // real time before this store, so before the `now` read below.
                self.inner.mode.store(CHANGING, SeqCst);
                nanos(self.inner.origin.elapsed())
            }
            _ => skew.base.saturating_add(nanos(skew.resumed_at.elapsed())),
        };
        self.inner.frozen.store(now.min(MAX_NANOS), SeqCst);
        self.inner.mode.store(PAUSED, SeqCst);
    }

    /// Lets a paused clock run again, at real speed, from the time it shows: it never
    /// jumps back to the real time. Does nothing if it is not paused.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = weft_timer::Clock::paused();
    /// let t = clock.now();
    /// clock.advance(Duration::from_secs(10));
    /// clock.resume();
    /// assert!(clock.now() >= t + Duration::from_secs(10));
    /// ```
    pub fn resume(&self) {
        let mut skew = self.inner.state.lock();
        if self.inner.mode.load(SeqCst) != PAUSED {
            return;
        }
        skew.base = self.inner.frozen.load(SeqCst);
        skew.resumed_at = std::time::Instant::now();
        self.inner.mode.store(SKEWED, SeqCst);
    }

    /// Moves a paused clock forward by `duration`, then fires, on this thread, every timer
    /// of this clock's drivers that is due at the new time. Huge durations saturate (at
    /// about 146 years after the clock was created).
    ///
    /// # Panics
    ///
    /// If the clock is not paused.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = weft_timer::Clock::paused();
    /// let t = clock.now();
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.now().duration_since(t), Duration::from_millis(1500));
    /// clock.advance(Duration::MAX); // saturates, never overflows
    /// ```
    #[track_caller]
    pub fn advance(&self, duration: Duration) {
        {
            let _skew = self.inner.state.lock();
            if self.inner.mode.load(SeqCst) != PAUSED {
                drop(_skew);
                panic!(
                    "`Clock::advance` needs a paused clock: call `Clock::pause()` first \
                     (or build the runtime with `start_paused`)"
                );
            }
            let t = self
                .inner
                .frozen
                .load(SeqCst)
                .saturating_add(nanos(duration));
            self.inner.frozen.store(t.min(MAX_NANOS), SeqCst);
        }
        // Fire outside of every clock lock (wakers run user code, which may advance again).
        let mut i = 0;
        while let Some(driver) = self.driver(i) {
            driver.on_advance();
            i += 1;
        }
    }

    /// Auto-advance, under the driver's wheel lock: if the clock is paused and not
    /// inhibited, asks `target` for the tick to jump to and moves the clock there.
    /// Returns the tick it moved to.
    pub(crate) fn auto_advance(&self, target: impl FnOnce() -> Option<u64>) -> Option<u64> {
        // Held across `target` so that the clock cannot be resumed between the wheel moving
        // ahead and the clock following it.
        let _skew = self.inner.state.lock();
        if self.inner.mode.load(SeqCst) != PAUSED || self.inner.inhibit.load(SeqCst) != 0 {
            return None;
        }
        let tick = target()?;
        debug_assert!(tick <= LAST_TICK);
        let t = tick.saturating_mul(NANOS_PER_TICK).min(MAX_NANOS);
        if t > self.inner.frozen.load(SeqCst) {
            self.inner.frozen.store(t, SeqCst);
        }
        Some(tick)
    }

    /// Keeps the clock from jumping to the next deadline while the guard lives (the
    /// facade takes one for each running blocking task: an idle scheduler is then not
    /// really idle). [`Clock::advance`] still works.
    ///
    /// ```
    /// let clock = weft_timer::Clock::paused();
    /// let guard = clock.inhibit_auto_advance();
    /// drop(guard);
    /// ```
    pub fn inhibit_auto_advance(&self) -> AutoAdvanceInhibit {
        self.inner.inhibit.fetch_add(1, SeqCst);
        AutoAdvanceInhibit {
            clock: self.clone(),
        }
    }

    /// Makes `advance` tell `driver` (held weakly: a dropped driver is skipped, then
    /// forgotten at the next `attach`).
    pub(crate) fn attach(&self, driver: Weak<dyn OnAdvance>) {
        let mut drivers = self.inner.drivers.lock();
        drivers.retain(|d| d.strong_count() > 0);
        drivers.push(driver);
    }

    /// The `i`-th attached driver still alive (there is usually one: no allocation).
    fn driver(&self, i: usize) -> Option<StdArc<dyn OnAdvance>> {
        let drivers = self.inner.drivers.lock();
        drivers.iter().filter_map(Weak::upgrade).nth(i)
    }
}

impl Default for Clock {
    /// [`Clock::real`].
    fn default() -> Clock {
        Clock::real()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("paused", &self.is_paused())
            .field("now", &self.now())
            .finish()
    }
}

/// Returned by [`Clock::inhibit_auto_advance`]; lets the clock auto-advance again on drop.
#[must_use = "auto-advance is inhibited only while the guard lives"]
#[derive(Debug)]
pub struct AutoAdvanceInhibit {
    clock: Clock,
}

impl Drop for AutoAdvanceInhibit {
    fn drop(&mut self) {
        self.clock.inner.inhibit.fetch_sub(1, SeqCst);
    }
}

/// `d` in nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
