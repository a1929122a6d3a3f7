//! `TimerHandle`: the shared side of a timer driver, through which `Sleep`s register.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::AtomicU64 as StatU64;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc as StdArc;

use weft_core::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use weft_core::loom::sync::{Arc, Mutex};
use weft_core::CachePadded;

use crate::entry::{Entry, FIRED, NO_SHARD, SHUTDOWN};
use crate::wheel::Wheel;
use crate::{Clock, Instant};

/// A handle to a timer driver: creates timers on it and reads its clock. Cheap to clone
/// (one `Arc`), `Send + Sync`.
///
/// [`sleep`](crate::sleep()) and friends use the thread's current handle
/// ([`TimerHandle::current`]); [`TimerHandle::sleep`] uses this one explicitly.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use weft_timer::{Clock, Driver};
///
/// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
/// let handle = driver.handle();
/// let sleep = handle.sleep(Duration::from_secs(1));
/// assert_eq!(sleep.deadline(), handle.now() + Duration::from_secs(1));
/// assert_eq!(handle.pending_timers(), 0); // registered lazily, at the first poll
/// ```
#[derive(Clone)]
pub struct TimerHandle {
    pub(crate) shared: StdArc<Shared>,
}

/// Everything a driver and its handles share.
pub(crate) struct Shared {
    pub(crate) clock: Clock,
    /// The wheel, in shards: a timer registers in the shard of the thread that first
    /// registers it (about one shard per worker thread, see `Shared::shard_hint`), so that
    /// workers registering at once do not queue on one lock. Each shard's lock also orders
    /// the `parked_until` and `is_shutdown` accesses made under it.
    pub(crate) wheels: Box<[CachePadded<Mutex<Wheel>>]>,
    /// The tick by which the parked driver will process timers on its own: a timer
    /// registered with an earlier tick unparks it (and resets this to 0, "not parked", so
    /// that only the first such timer pays for the wake-up). `u64::MAX`: parked with no
    /// time-out. Written by the driver while it holds *every* shard's lock, and read by a
    /// registration under its shard's lock: so each registration either comes before the
    /// driver's look at its shard or sees what the driver stored.
    pub(crate) parked_until: AtomicU64,
    /// Set by `Driver::shutdown` under each shard's lock before it empties that shard.
    pub(crate) is_shutdown: AtomicBool,
    /// Wakes the thread parked on the driver.
    pub(crate) unpark: StdArc<dyn Fn() + Send + Sync>,
    /// Timers fired so far (metrics): one add per batch (shards fire independently), read
    /// without a lock. A plain `std` atomic also under loom: a statistic, not part of any
    /// protocol.
    pub(crate) fired: StatU64,
    /// The next shard hint to hand a thread (`Shared::shard_hint`); a plain
    /// `std` atomic also under loom, outside the protocol.
    pub(crate) next_shard: StdAtomicUsize,
}

/// What registering an entry did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Registered {
    /// Linked in the wheel: it will fire.
    Pending,
    /// Its tick was reached already: marked fired.
    Elapsed,
    /// The driver is shut down: marked so.
    Shutdown,
}

impl Shared {
    /// Links `entry` at deadline tick `tick`, unlinking it first if it is linked (a reset).
    pub(crate) fn register(&self, entry: &Arc<Entry>, tick: u64) -> Registered {
        let mut unpark = false;
        let shard = match entry.shard() {
            NO_SHARD => {
                let shard = self.shard_hint() % self.wheels.len();
                entry.set_shard(shard);
                shard
            }
            shard => shard,
        };
        let (result, _released) = {
            let mut wheel = self.wheels[shard].lock();
            // The wheel's old reference, if linked, is reused as the new one.
            let old = wheel.remove(entry);
            if self.is_shutdown.load(Relaxed) {
                entry.set_state(SHUTDOWN);
                (Registered::Shutdown, old)
            } else {
                entry.set_state(tick);
                let wheel_ref = old.unwrap_or_else(|| entry.clone());
                match wheel.insert(wheel_ref, tick) {
                    Ok(()) => {
                        if tick < self.parked_until.load(Relaxed) {
                            self.parked_until.store(0, Relaxed);
                            unpark = true;
                        }
                        (Registered::Pending, None)
                    }
                    Err(wheel_ref) => {
                        entry.set_state(FIRED);
                        (Registered::Elapsed, Some(wheel_ref))
                    }
                }
            }
        };
        // `_released` (a reference the wheel no longer holds) drops after the lock.
        if unpark {
            (self.unpark)();
        }
        result
    }

    /// This thread's shard hint: the first time a thread registers a timer it takes the
    /// next number from the driver it registers with, so a runtime's workers, which all
    /// register timers soon after they start, mostly land on different shards.
    fn shard_hint(&self) -> usize {
        SHARD_HINT
            .try_with(|hint| {
                if hint.get() == NO_SHARD {
                    hint.set(self.next_shard.fetch_add(1, Relaxed));
                }
                hint.get()
            })
            .unwrap_or(0)
    }

    /// Unlinks `entry` if it is linked: after this, it can neither fire nor be woken by
    /// this wheel.
    pub(crate) fn deregister(&self, entry: &Entry) {
        let shard = entry.shard();
        if shard == NO_SHARD {
            return; // never registered
        }
        let released = self.wheels[shard].lock().remove(entry);
        drop(released);
    }
}

impl TimerHandle {
    /// The driver's clock.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// assert!(driver.handle().clock().is_paused());
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The driver's clock's current time.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let h = driver.handle();
    /// assert_eq!(h.now(), h.clock().now());
    /// ```
    pub fn now(&self) -> Instant {
        self.shared.clock.now()
    }

    /// Number of timers registered in the wheel (waiting to fire).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// assert_eq!(driver.handle().pending_timers(), 0);
    /// ```
    pub fn pending_timers(&self) -> usize {
        self.shared.wheels.iter().map(|w| w.lock().len()).sum()
    }

    /// Whether the driver has shut down (its timers then never complete; polling one panics).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let handle = driver.handle();
    /// drop(driver);
    /// assert!(handle.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shared.is_shutdown.load(Acquire)
    }

    /// How many timers the driver has fired since it was created: entries that reached their
    /// deadline in the wheel (a `Sleep` that completes when first polled, its deadline passed
    /// already, never enters the wheel and is not counted; nor are timers cancelled or woken
    /// by shutdown). For metrics.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::sync::Arc;
    /// use std::task::{Context, Waker};
    /// use std::time::Duration;
    /// use weft_timer::{Clock, Driver};
    ///
    /// let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let handle = driver.handle();
    /// let mut sleep = std::pin::pin!(handle.sleep(Duration::from_millis(5)));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(sleep.as_mut().poll(&mut cx).is_pending()); // registered in the wheel
    /// assert_eq!(handle.timers_fired(), 0);
    /// driver.clock().advance(Duration::from_millis(5));
    /// assert_eq!(handle.timers_fired(), 1);
    /// ```
    pub fn timers_fired(&self) -> u64 {
        self.shared.fired.load(Relaxed)
    }

    /// Whether both handles belong to the same driver.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use weft_timer::{Clock, Driver};
    /// let a = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// let b = Driver::new(Clock::paused(), Arc::new(|| {}));
    /// assert!(a.handle().ptr_eq(&a.handle()));
    /// assert!(!a.handle().ptr_eq(&b.handle()));
    /// ```
    pub fn ptr_eq(&self, other: &TimerHandle) -> bool {
        StdArc::ptr_eq(&self.shared, &other.shared)
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("clock", &self.shared.clock)
            .field("shutdown", &self.is_shutdown())
            .finish_non_exhaustive()
    }
}

weft_core::loom::thread_local_const! {
    /// This thread's pick among the wheel shards, modulo their count ([`NO_SHARD`]: not
    /// taken yet). Only a hint: any shard is correct.
    static SHARD_HINT: Cell<usize> = Cell::new(NO_SHARD);
}
