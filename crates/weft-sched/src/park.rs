//! Parking: how an idle thread sleeps, and the seam through which the runtime's driver (I/O
//! and timers) is driven by whichever thread is idle.

use std::fmt;
use std::time::Duration;

use std::sync::Arc as StdArc;
use weft_core::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};

use weft_core::loom::sync::{Arc, Condvar, Mutex};

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

/// The runtime's driver, shared by a scheduler's threads: whoever parks first drives it,
/// the others sleep on their own condition variables.
pub(crate) struct DriverSlot {
    park: StdArc<dyn Park>,
    locked: AtomicBool,
}

impl DriverSlot {
    pub(crate) fn new(park: StdArc<dyn Park>) -> Arc<DriverSlot> {
        Arc::new(DriverSlot {
            park,
            locked: AtomicBool::new(false),
        })
    }

    fn try_lock(&self) -> Option<DriverGuard<'_>> {
        if self.locked.swap(true, Acquire) {
            None
        } else {
            Some(DriverGuard(self))
        }
    }

    /// Fires what is ready without blocking, unless another thread is driving.
    pub(crate) fn poll_ready(&self) {
        if let Some(guard) = self.try_lock() {
            guard.0.park.park(Some(Duration::ZERO));
        }
    }

    pub(crate) fn unpark(&self) {
        self.park.unpark();
    }
}

struct DriverGuard<'a>(&'a DriverSlot);

impl Drop for DriverGuard<'_> {
    fn drop(&mut self) {
        self.0.locked.store(false, Release);
    }
}

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// A worker's parker: blocks in the driver if it is free, else on its own condvar.
/// Token semantics: `unpark` before `park` makes `park` return at once.
pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
    driver: Arc<DriverSlot>,
}

impl Parker {
    pub(crate) fn new(driver: Arc<DriverSlot>) -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
            driver,
        }
    }

    pub(crate) fn park(&self) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        match self.driver.try_lock() {
            Some(guard) => self.park_driver(&guard),
            None => self.park_condvar(),
        }
    }

    fn park_condvar(&self) {
        let mut m = self.mutex.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => panic!("inconsistent park state: {actual}"),
        }
        loop {
            m = self.condvar.wait(m);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wake-up: sleep again.
        }
    }

    fn park_driver(&self, guard: &DriverGuard<'_>) {
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => panic!("inconsistent park state: {actual}"),
        }
        guard.0.park.park(None);
        // Woken by our `unpark` (NOTIFIED), or early by the driver itself (I/O, a timer, or a
        // token meant for a previous holder): either way, back to the scheduler to look.
        self.state.swap(EMPTY, SeqCst);
    }

    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the lock orders this notify after the parker's wait began.
                drop(self.mutex.lock());
                self.condvar.notify_one();
            }
            PARKED_DRIVER => self.driver.unpark(),
            actual => panic!("inconsistent park state: {actual}"),
        }
    }
}
