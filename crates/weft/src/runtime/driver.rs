//! The runtime's driver: what an idle thread parks in. It fires timers (and, with the
//! reactor, will poll I/O); the scheduler only sees it as a `weft_sched::Park`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use weft_sched::{Park, ThreadPark};
use weft_timer::{Clock, TimerHandle};

/// The timer (if enabled) in front of the thread parker.
pub(crate) struct Driver {
    timer: Option<weft_timer::Driver>,
    park: Arc<ThreadPark>,
    /// Whether the paused clock may be used: only when the scheduler runs every task on the
    /// thread that parks (current-thread), so that "the driver is parked with no timeout"
    /// means "every task is idle" and the clock may jump to the next deadline.
    pausable: bool,
}

impl Driver {
    pub(crate) fn new(enable_time: bool, start_paused: bool, pausable: bool) -> Driver {
        let park = Arc::new(ThreadPark::new());
        let timer = enable_time.then(|| {
            let clock = if start_paused {
                Clock::paused()
            } else {
                Clock::real()
            };
            // The callback holds the inner parker, not the driver: no reference cycle.
            let target = park.clone();
            weft_timer::Driver::new(clock, Arc::new(move || target.unpark()))
        });
        Driver {
            timer,
            park,
            pausable,
        }
    }

    pub(crate) fn timer_handle(&self) -> Option<TimerHandle> {
        self.timer.as_ref().map(weft_timer::Driver::handle)
    }

    pub(crate) fn clock(&self) -> Option<&Clock> {
        self.timer.as_ref().map(weft_timer::Driver::clock)
    }

    pub(crate) fn is_pausable(&self) -> bool {
        self.pausable
    }

    /// Fires every pending timer as shut down (their `Sleep`s complete or panic when polled
    /// again, as documented in `weft::time`).
    pub(crate) fn shutdown(&self) {
        if let Some(timer) = &self.timer {
            timer.shutdown();
        }
    }
}

impl Park for Driver {
    fn park(&self, timeout: Option<Duration>) {
        match &self.timer {
            Some(timer) => {
                let timeout = timer.park_timeout(timeout);
                self.park.park(timeout);
                timer.process();
            }
            None => self.park.park(timeout),
        }
    }

    fn unpark(&self) {
        self.park.unpark();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("time", &self.timer.is_some())
            .field("pausable", &self.pausable)
            .finish()
    }
}
