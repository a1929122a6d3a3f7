//! Time: sleeping, timeouts, periodic ticks, and a clock you can pause in tests.
//!
//! | asyncio | weft |
//! |---|---|
//! | `await asyncio.sleep(1.5)` | `weft::time::sleep(Duration::from_millis(1500)).await` |
//! | `await asyncio.wait_for(aw, timeout=2)` | `weft::time::timeout(Duration::from_secs(2), aw).await` (`Err(Elapsed)` on time-out) |
//! | `asyncio.timeout(2)` block | [`timeout`] around an `async` block |
//! | a `while True: ...; await asyncio.sleep(p)` loop | [`interval`] and `tick().await` (no drift) |
//! | `loop.time()` | [`Instant::now()`] |
//!
//! Timers live in one hierarchical wheel per runtime (1 ms resolution; a sleep never ends
//! before its deadline), fired by whichever worker is idle. Every runtime has them unless its
//! builder called [`disable_time`](crate::runtime::Builder::disable_time). A `sleep`,
//! `timeout` or `interval` made outside any runtime binds to the runtime that first polls
//! it (its time starts then), so `rt.block_on(sleep(d))` works.
//!
//! ```
//! use std::time::Duration;
//! use weft::time::{interval, sleep, timeout, Instant};
//!
//! weft::run(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(20)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(20));
//!
//!     // wait_for: the slow future loses.
//!     let slow = sleep(Duration::from_secs(10));
//!     assert!(timeout(Duration::from_millis(10), slow).await.is_err());
//!
//!     // A periodic task: ticks at 0, 5, 10 ms.
//!     let mut every = interval(Duration::from_millis(5));
//!     for _ in 0..3 {
//!         every.tick().await;
//!     }
//! });
//! ```
//!
//! # Testing without waiting
//!
//! On a current-thread runtime built with
//! [`start_paused(true)`](crate::runtime::Builder::start_paused) (or after [`pause`]), the
//! clock stands still and jumps straight to the next deadline whenever every task is idle:
//!
//! ```
//! use std::time::Duration;
//!
//! let rt = weft::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
//! let wall = std::time::Instant::now();
//! rt.block_on(async {
//!     let hour = weft::time::timeout(Duration::from_secs(3600), std::future::pending::<()>());
//!     assert!(hour.await.is_err());
//! });
//! assert!(wall.elapsed() < Duration::from_secs(5)); // an hour of virtual time, at once
//! ```

pub use weft_timer::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Duration, Elapsed, Instant,
    Interval, MissedTickBehavior, Sleep, Timeout,
};

use crate::runtime::Handle;

/// Errors of this module.
pub mod error {
    pub use weft_timer::Elapsed;
}

/// The current runtime's clock, checking it may be paused.
#[track_caller]
fn pausable_clock(what: &str) -> weft_timer::Clock {
    let Some(handle) = Handle::try_current() else {
        panic!("weft::time::{what}() called outside a weft runtime");
    };
    let driver = &handle.shared.driver;
    let Some(clock) = driver.clock() else {
        panic!("weft::time::{what}(): this runtime was built with `Builder::disable_time()`");
    };
    if !driver.is_pausable() {
        panic!(
            "weft::time::{what}() needs the current-thread runtime \
             (`Builder::new_current_thread()`): only there does an idle thread mean that \
             every task is idle"
        );
    }
    clock.clone()
}

/// Pauses the current runtime's clock: [`Instant::now`] stands still, and while every task
/// is idle the clock jumps to the next timer's deadline.
///
/// ```
/// let rt = weft::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// rt.block_on(async {
///     weft::time::pause();
///     let t = weft::time::Instant::now();
///     weft::time::sleep(std::time::Duration::from_secs(60)).await; // returns at once
///     // (deadlines are rounded up to the clock's next millisecond tick)
///     let waited = t.elapsed();
///     assert!(waited >= std::time::Duration::from_secs(60));
///     assert!(waited <= std::time::Duration::from_millis(60_001));
///     weft::time::resume();
/// });
/// ```
///
/// # Panics
///
/// Outside a runtime, on a runtime without time, on a multi-thread runtime (the paused clock
/// needs the current-thread scheduler), or if the clock is already paused.
#[track_caller]
pub fn pause() {
    pausable_clock("pause").pause();
}

/// Resumes the current runtime's clock where [`pause`] (or
/// [`start_paused`](crate::runtime::Builder::start_paused)) stopped it.
///
/// # Panics
///
/// As [`pause`], or if the clock is not paused.
#[track_caller]
pub fn resume() {
    pausable_clock("resume").resume();
}

/// Moves the paused clock forward by `duration`, firing the timers that fall due, then
/// yields so that the tasks they woke get to run.
///
/// ```
/// use std::time::Duration;
/// let rt = weft::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = weft::time::Instant::now();
///     weft::time::advance(Duration::from_millis(1500)).await;
///     assert_eq!(start.elapsed(), Duration::from_millis(1500));
/// });
/// ```
///
/// # Panics
///
/// As [`pause`], or if the clock is not paused.
#[track_caller]
pub fn advance(duration: Duration) -> impl std::future::Future<Output = ()> {
    // Checked (and the clock moved) at the call, so a misuse panics where it is written.
    pausable_clock("advance").advance(duration);
    crate::task::yield_now()
}
