//! The runtime's driver: what an idle thread parks in. It fires timers and polls I/O; the
//! scheduler only sees it as a `weft_sched::Park`.
//!
//! ```text
//! park(timeout):
//!     let t = timer.park_timeout(timeout);  // no later than the next timer
//!     io.park(t);                           // the reactor's select, or a condvar without I/O
//!     timer.process();                      // fire what fell due
//! ```

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use weft_reactor::{Reactor, ReactorHandle};
use weft_sched::{Park, ThreadPark};
use weft_timer::{Clock, TimerHandle};

/// The timer (if enabled) in front of the reactor (if enabled) or a thread parker.
pub(crate) struct Driver {
    timer: Option<weft_timer::Driver>,
    io: Io,
    /// Whether the paused clock may be used: only when the scheduler runs every task on the
    /// thread that parks (current-thread), so that "the driver is parked with no timeout"
    /// means "every task is idle" and the clock may jump to the next deadline.
    pausable: bool,
}

/// What blocks under the timer.
enum Io {
    /// Only one thread parks at a time (the `Park` contract), so the lock is uncontended;
    /// unparking goes through the handle and never takes it.
    Reactor(Mutex<Reactor>, ReactorHandle),
    Thread(Arc<ThreadPark>),
}

impl Io {
    fn park(&self, timeout: Option<Duration>) {
        match self {
            Io::Reactor(reactor, _) => {
                reactor
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .park(timeout);
            }
            Io::Thread(park) => park.park(timeout),
        }
    }

    fn unpark(&self) {
        match self {
            Io::Reactor(_, handle) => handle.unpark(),
            Io::Thread(park) => park.unpark(),
        }
    }

    /// An unparker that does not keep the driver alive (for the timer's callback).
    fn unparker(&self) -> Arc<dyn Fn() + Send + Sync> {
        match self {
            Io::Reactor(_, handle) => {
                let handle = handle.clone();
                Arc::new(move || handle.unpark())
            }
            Io::Thread(park) => {
                let park = park.clone();
                Arc::new(move || park.unpark())
            }
        }
    }
}

impl Driver {
    /// `timer_shards`: the timer wheel's shards, one per thread that runs tasks (see
    /// `weft_timer::Driver::with_shards`).
    pub(crate) fn new(
        enable_time: bool,
        start_paused: bool,
        pausable: bool,
        enable_io: bool,
        timer_shards: usize,
    ) -> io::Result<Driver> {
        let io = if enable_io {
            let reactor = Reactor::new()?;
            let handle = reactor.handle();
            Io::Reactor(Mutex::new(reactor), handle)
        } else {
            Io::Thread(Arc::new(ThreadPark::new()))
        };
        let timer = enable_time.then(|| {
            let clock = if start_paused {
                Clock::paused()
            } else {
                Clock::real()
            };
            weft_timer::Driver::with_shards(clock, io.unparker(), timer_shards)
        });
        Ok(Driver {
            timer,
            io,
            pausable,
        })
    }

    pub(crate) fn reactor_handle(&self) -> Option<ReactorHandle> {
        match &self.io {
            Io::Reactor(_, handle) => Some(handle.clone()),
            Io::Thread(_) => None,
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
    /// again, as documented in `weft::time`), and fails every I/O registration.
    pub(crate) fn shutdown(&self) {
        if let Some(timer) = &self.timer {
            timer.shutdown();
        }
        if let Io::Reactor(_, handle) = &self.io {
            // Through the handle, never the lock: a thread may still be parked in the reactor
            // holding it (one left in `Handle::block_on` on a current-thread runtime), and
            // this shutdown is what wakes it.
            handle.shutdown();
        }
    }
}

impl Park for Driver {
    fn park(&self, timeout: Option<Duration>) {
        match &self.timer {
            Some(timer) => {
                let timeout = timer.park_timeout(timeout);
                self.io.park(timeout);
                timer.process();
            }
            None => self.io.park(timeout),
        }
    }

    fn unpark(&self) {
        self.io.unpark();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("time", &self.timer.is_some())
            .field("io", &matches!(self.io, Io::Reactor(..)))
            .field("pausable", &self.pausable)
            .finish()
    }
}
