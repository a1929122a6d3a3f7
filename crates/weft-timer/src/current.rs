//! The readers of the thread's current timer: [`TimerHandle::current`],
//! [`TimerHandle::try_current`] and [`Instant::now`].
//!
//! They sit here rather than next to their types so that the dependencies point one way:
//! `context` stores handles and reads their clocks, so `handle.rs` and `instant.rs` must not
//! call back into it.

use crate::context;
use crate::{Instant, TimerHandle};

impl TimerHandle {
    /// The thread's current timer handle.
    ///
    /// # Panics
    ///
    /// Outside of a runtime with timers enabled, with "there is no timer: this code runs
    /// outside a weft runtime, or in one built with `Builder::disable_time()`".
    ///
    /// ```should_panic
    /// let _ = weft_timer::TimerHandle::current(); // no runtime here
    /// ```
    #[track_caller]
    pub fn current() -> TimerHandle {
        match context::current() {
            Some(handle) => handle,
            None => panic!(
                "there is no timer: this code runs outside a weft runtime, or in one built \
                 with `Builder::disable_time()`"
            ),
        }
    }

    /// The thread's current timer handle, if any.
    ///
    /// ```
    /// assert!(weft_timer::TimerHandle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<TimerHandle> {
        context::current()
    }
}

impl Instant {
    /// The current time of the current runtime's clock (real or paused), or the real time
    /// outside of a runtime.
    ///
    /// ```
    /// let a = weft_timer::Instant::now();
    /// assert!(weft_timer::Instant::now() >= a);
    /// ```
    pub fn now() -> Instant {
        context::now()
    }
}
