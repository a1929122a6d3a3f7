//! weft's timers: a hierarchical timer wheel behind one lock per driver, a real or paused
//! clock, and the [`sleep()`], [`timeout()`] and [`interval()`] futures that `weft::time`
//! re-exports.
//!
//! The crate stands alone: it knows nothing of the scheduler. A runtime creates a
//! [`Driver`] (with the callback that unparks its parked thread), makes its
//! [`TimerHandle`] current on its threads ([`context::set_current`]), and wraps its parker:
//!
//! ```text
//! park(timeout):
//!     let t = driver.park_timeout(timeout); // min(timeout, next timer); paused+idle: jump
//!     inner.park(t);
//!     driver.process();                      // fire what is due, wake outside the lock
//! ```
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::sync::Arc;
//! use std::task::{Context, Poll, Waker};
//! # let noop = Waker::noop();
//! use std::time::Duration;
//! use weft_timer::{context, sleep, timeout, Clock, Driver, Instant};
//!
//! // A driver on a paused clock, current on this thread.
//! let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
//! let _ctx = context::set_current(Some(driver.handle()));
//! let start = Instant::now();
//!
//! let mut task = pin!(async {
//!     sleep(Duration::from_secs(3600)).await;
//!     timeout(Duration::from_millis(10), std::future::pending::<()>()).await
//! });
//! let mut cx = Context::from_waker(&noop);
//!
//! // What a runtime does when every task is idle: the clock jumps to the next deadline.
//! let result = loop {
//!     if let Poll::Ready(r) = task.as_mut().poll(&mut cx) {
//!         break r;
//!     }
//!     let t = driver.park_timeout(None);
//!     assert_eq!(t, Some(Duration::ZERO));
//!     driver.process();
//! };
//! assert!(result.is_err()); // the timeout elapsed
//! assert_eq!(Instant::now() - start, Duration::from_millis(3_600_010));
//! ```
//!
//! # The wheel
//!
//! Timers live in a hierarchical timing wheel (as tokio's and the Linux kernel's): 6 levels
//! of 64 slots, 1 ms per tick, so 64^6 ms (about 2.2 years) fit before the top level wraps:
//!
//! | level | one slot   | whole level |
//! |-------|------------|-------------|
//! | 0     | 1 ms       | 64 ms       |
//! | 1     | 64 ms      | ~4.1 s      |
//! | 2     | ~4.1 s     | ~4.5 min    |
//! | 3     | ~4.5 min   | ~4.8 h      |
//! | 4     | ~4.8 h     | ~12.7 days  |
//! | 5     | ~12.7 days | ~2.2 years  |
//!
//! A timer goes in the lowest level whose slots still tell its deadline apart from the
//! wheel's current tick; each slot is an intrusive doubly linked list, so insert and cancel
//! are O(1), and each level has a 64-bit occupancy bitmap, so the next expiring slot is found
//! in O(levels). As time advances, a level-0 slot fires whole, and a higher slot is cascaded:
//! each of its timers moves down to a finer level (or fires if due). Deadlines beyond the
//! horizon (up to `Duration::MAX`) are filed in the top level and re-filed each time their
//! slot comes round, so nothing overflows (a deadline more than about 146 years after the
//! clock's creation, beyond what a clock shows, never fires). Deadlines are rounded *up* to
//! the next millisecond: a timer never fires early. A runtime's parked driver then wakes at
//! that tick itself (its reactor's wait is not rounded up a second time, see
//! `weft-reactor`'s `sys/mio.rs`), so a lone timer fires within a millisecond of its
//! deadline, half a millisecond late on average (7 ms to 17 ms sleeps, one at a time:
//! 0.59 ms at the median, 0.97 ms at the 90th percentile; 1.26 and 1.89 ms before the
//! reactor's wait was made exact).
//!
//! # Entries, and the cross-thread path
//!
//! A [`Sleep`] allocates its timer entry (an `Arc`) only at its first poll that has to wait,
//! so a [`timeout()`] around a future that is ready at once costs no allocation and no lock.
//! The wheel's list holds a second reference while the entry is linked. The entry's state
//! word (deadline tick, or fired) is written under the wheel lock and read without it; its
//! waker is an `AtomicWaker`, so re-polling a pending `Sleep` takes no lock either. Firing
//! takes the due entries out under the lock, marks them fired, collects their wakers, and
//! wakes them after releasing it (in batches of 32). Dropping a registered `Sleep` unlinks
//! its entry under the lock (no wake-up and no memory left behind); [`Sleep::reset`] moves
//! the same entry. `Sleep` is `Unpin` (the entry is on the heap), so it can be stored and
//! reset without pinning.
//!
//! # One wheel per driver, behind one lock
//!
//! Measured with `examples/timer_cost.rs` (`cargo run --release -p weft-timer --example
//! timer_cost`; best of 5 runs of 10^6 operations, on the 2-core development VM, whose two
//! threads each run about 2x slower than one even on pure arithmetic):
//!
//! | per operation, per thread                 | 1 thread | 2 threads, one driver | 2 threads, a driver each |
//! |-------------------------------------------|----------|-----------------------|--------------------------|
//! | insert + cancel (allocate, link, unlink)  | 74-81 ns | 153-261 ns            | 155-229 ns               |
//! | the same with ~150 ns of work in between  | 225-250 ns | 449-832 ns          | 447-685 ns               |
//! | reset (unlink + link, no allocation)      | 18-35 ns | 34-81 ns              | 34-56 ns                 |
//!
//! On a quiet machine the shared driver and a driver per thread (what per-worker wheels
//! would give) are within 3% of each other; on a busy one the shared lock costs up to ~25%
//! more in the insert/cancel-only loops, less once a task does anything between timer
//! operations. Per-worker wheels would add a shard lookup to every cancel, a lock per shard
//! to every park and `process`, and a subtler park protocol (the parked deadline can no
//! longer be recorded under the one lock that registrations take), for no gain measurable
//! here: weft keeps one wheel per driver. The critical section is a few pointer writes; the
//! allocation, the `Arc` traffic and the clock read happen outside it. To revisit on a
//! many-core machine, where a single lock can convoy.
//!
//! # Shutdown
//!
//! [`Driver::shutdown`] (also run when the driver is dropped) takes every pending timer out
//! and wakes its task. As in tokio, a `Sleep` polled after that before its deadline panics
//! with "the timer driver has shut down": waiting would never end, and completing would
//! claim a deadline that has not passed. (A runtime cancels its tasks before shutting its driver down, so only a
//! timer polled from outside the runtime can see this.)

mod clock;
pub mod context;
mod current;
mod driver;
mod entry;
#[doc(hidden)]
pub mod entry_seam;
mod handle;
mod instant;
mod interval;
#[cfg(doctest)]
mod must_use;
mod sleep;
mod timeout;
mod waker;
mod wheel;

pub use clock::{AutoAdvanceInhibit, Clock};
pub use driver::Driver;
pub use handle::TimerHandle;
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
