//! A worker's parker: it sleeps in the runtime's driver if no other worker is in it, else
//! on its own condition variable; `unpark` loses no token either way.

use std::sync::{Arc as StdArc, OnceLock};
use std::time::Duration;

use weft_core::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use weft_core::loom::sync::{Arc, Condvar, Mutex};

use crate::park::Park;

/// The runtime's driver, shared by a scheduler's threads: whoever parks first drives it,
/// the others sleep on their own condition variables.
pub(crate) struct DriverSlot {
    /// Set by `MultiThread::start`; nobody parks before.
    park: OnceLock<StdArc<dyn Park>>,
    locked: AtomicBool,
}

impl DriverSlot {
    pub(crate) fn new() -> Arc<DriverSlot> {
        Arc::new(DriverSlot {
            park: OnceLock::new(),
            locked: AtomicBool::new(false),
        })
    }

    /// Installs the driver; `false` if one was installed already.
    pub(crate) fn set(&self, park: StdArc<dyn Park>) -> bool {
        self.park.set(park).is_ok()
    }

    fn park(&self) -> &dyn Park {
        &**self
            .park
            .get()
            .expect("a worker parked before MultiThread::start")
    }

    fn try_lock(&self) -> Option<DriverGuard<'_>> {
        // A compare-and-swap, not a `swap`: a failed attempt writes nothing. (Same
        // semantics, and loom needs it: it lets a holder's unlocking store slip between the
        // read and the write of a concurrent failed `swap`, so the holder's next `try_lock`
        // read that `swap`'s stale `true` and nobody could drive the driver again, loom
        // issues #254 and #389.)
        if self
            .locked
            .compare_exchange(false, true, Acquire, Relaxed)
            .is_err()
        {
            None
        } else {
            Some(DriverGuard(self))
        }
    }

    /// Fires what is ready without blocking, unless another thread is driving.
    pub(crate) fn poll_ready(&self) {
        if let Some(guard) = self.try_lock() {
            guard.0.park().park(Some(Duration::ZERO));
        }
    }

    pub(crate) fn unpark(&self) {
        if let Some(park) = self.park.get() {
            park.unpark();
        }
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

    /// Sleeps until `unpark`, or until `timeout` passes (`None`: no limit).
    pub(crate) fn park(&self, timeout: Option<Duration>) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        match self.driver.try_lock() {
            Some(guard) => self.park_driver(&guard, timeout),
            None => self.park_condvar(timeout),
        }
    }

    fn park_condvar(&self, timeout: Option<Duration>) {
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
        let Some(timeout) = timeout else {
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
        };
        // One wait: woken, timed out or spurious, the caller looks for work either way.
        // Under the lock an `unpark` cannot be between its swap and its notify.
        drop(self.condvar.wait_timeout(m, timeout).0);
        self.state.swap(EMPTY, SeqCst);
    }

    fn park_driver(&self, guard: &DriverGuard<'_>, timeout: Option<Duration>) {
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
        guard.0.park().park(timeout);
        // Woken by our `unpark` (NOTIFIED), timed out, or early by the driver itself (I/O, a
        // timer, or a token meant for a previous holder): either way, back to the scheduler
        // to look.
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
