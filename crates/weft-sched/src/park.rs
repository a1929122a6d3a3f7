//! Parking: how an idle thread sleeps, and the seam through which the runtime's driver (I/O
//! and timers) is driven by whichever thread is idle.

use std::fmt;
use std::time::Duration;

use weft_core::loom::sync::{Condvar, Mutex};

/// Something an idle thread can block in: the runtime's driver (I/O readiness and timers)
/// implements it, and so does the plain [`ThreadPark`] when a runtime has no driver.
///
/// A scheduler never knows what is behind it: it parks here when it has nothing to do and
/// calls [`Park::unpark`] when work arrives. That is the whole contract between the
/// scheduler and the I/O and timer machinery.
///
/// Contract:
/// - at most one thread is inside [`Park::park`] at a time (schedulers guarantee this);
/// - `unpark` is a token: an `unpark` before `park` makes the next `park` return at once;
/// - `park` may return early (spuriously); it fires whatever wakers are due (ready I/O,
///   expired timers) before returning.
///
/// ```
/// use std::time::Duration;
/// use weft_sched::{Park, ThreadPark};
///
/// let park = ThreadPark::new();
/// park.unpark();
/// park.park(None); // returns at once: the token was set
/// park.park(Some(Duration::from_millis(1))); // times out
/// ```
pub trait Park: Send + Sync + 'static {
    /// Blocks until [`Park::unpark`] is called or `timeout` passes (`None`: no limit),
    /// driving I/O and timers meanwhile. `Some(Duration::ZERO)` polls without blocking.
    fn park(&self, timeout: Option<Duration>);

    /// Wakes the thread in [`Park::park`], or makes the next `park` return at once.
    fn unpark(&self);
}

/// A [`Park`] with nothing to drive: a mutex, a condition variable and a token.
#[derive(Default)]
pub struct ThreadPark {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl ThreadPark {
    /// Creates a parker with no token.
    pub fn new() -> ThreadPark {
        ThreadPark {
            notified: Mutex::new(false),
            condvar: Condvar::new(),
        }
    }
}

impl Park for ThreadPark {
    fn park(&self, timeout: Option<Duration>) {
        let mut notified = self.notified.lock();
        if !*notified {
            match timeout {
                Some(d) if d.is_zero() => {}
                Some(d) => notified = self.condvar.wait_timeout(notified, d).0,
                None => {
                    while !*notified {
                        notified = self.condvar.wait(notified);
                    }
                }
            }
        }
        *notified = false;
    }

    fn unpark(&self) {
        *self.notified.lock() = true;
        self.condvar.notify_one();
    }
}

impl fmt::Debug for ThreadPark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPark").finish_non_exhaustive()
    }
}
