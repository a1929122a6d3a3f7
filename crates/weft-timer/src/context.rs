//! The thread's current timer: the [`TimerHandle`] that [`sleep`](crate::sleep()),
//! [`timeout`](crate::timeout()), [`interval`](crate::interval()) and [`Instant::now`] use.
//!
//! The runtime sets it wherever it enters its context (worker threads, `block_on`, blocking
//! threads) and restores the previous one when the guard drops, so nested and sibling
//! runtimes each see their own timer.
//!
//! ```
//! use std::sync::Arc;
//! use weft_timer::{context, Clock, Driver, TimerHandle};
//!
//! let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
//! assert!(context::current().is_none());
//! {
//!     let _guard = context::set_current(Some(driver.handle()));
//!     assert!(TimerHandle::current().ptr_eq(&driver.handle()));
//! }
//! assert!(context::current().is_none());
//! ```

use weft_core::context::{self, ScopeGuard, Slot};

use crate::{Instant, TimerHandle};

/// Makes `handle` the current timer of this thread (`None`: no timer) until the returned
/// guard drops, which restores the previous one. Guards must be dropped in the reverse
/// order of their creation (they are not `Send`; an out-of-order drop panics).
///
/// ```
/// use std::sync::Arc;
/// use weft_timer::{context, Clock, Driver};
///
/// let driver = Driver::new(Clock::real(), Arc::new(|| {}));
/// let guard = context::set_current(Some(driver.handle()));
/// let inner = context::set_current(None);
/// assert!(context::current().is_none());
/// drop(inner);
/// assert!(context::current().is_some());
/// drop(guard);
/// ```
pub fn set_current(handle: Option<TimerHandle>) -> CurrentGuard {
    context::set(Slot::Timer, handle)
}

/// The current timer of this thread, if any.
///
/// ```
/// assert!(weft_timer::context::current().is_none());
/// ```
pub fn current() -> Option<TimerHandle> {
    context::get(Slot::Timer)
}

/// The current clock's time, or the real time without a current timer.
pub(crate) fn now() -> Instant {
    context::with(Slot::Timer, |handle: Option<&TimerHandle>| {
        handle.map(TimerHandle::now)
    })
    .unwrap_or_else(|| Instant::from_std(std::time::Instant::now()))
}

/// Returned by [`set_current`]; restores the previous timer on drop (not `Send`).
pub type CurrentGuard = ScopeGuard;
