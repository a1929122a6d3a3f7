//! The [`Reactor`]: the selector, and the park that turns its events into wake-ups.
//!
//! # Park and unpark
//!
//! `park(timeout)` waits in the selector (epoll/kqueue) for at most `timeout`, then, under
//! the slab lock, sets each event's readiness on its registration and collects the wakers
//! it concerns; it wakes them only after releasing every lock, so a waker that re-enters the
//! reactor (registers, unparks) cannot deadlock.
//!
//! `unpark()` (also on every [`ReactorHandle`]) sets a flag and, if it was not set already,
//! wakes the selector's waker (an eventfd on Linux). The wake-up is a token: if no thread is
//! parked, the next `park` returns at once. `park` clears the flag after its select, so a
//! burst of wake-ups while the runtime is busy costs one system call, and an unpark that
//! comes after the clear wakes the selector again: none is lost.

use std::fmt;
use std::io;
use std::sync::Arc as StdArc;
use std::task::Waker;
use std::time::Duration;

use crate::handle::{ReactorHandle, Shared};
use crate::sys;

/// Events read from the selector per park (more wait for the next park).
const EVENTS_CAPACITY: usize = 1024;

/// The I/O driver: owns the OS selector, and is driven by the thread that parks on behalf
/// of the runtime. Create one per runtime, hand [`Reactor::handle`] to the runtime's
/// context ([`context::set_current`](crate::context::set_current)), and call
/// [`Reactor::park`] where the runtime would sleep.
///
/// Dropping the reactor shuts it down ([`Reactor::shutdown`]).
///
/// ```
/// use std::time::Duration;
/// use weft_reactor::Reactor;
///
/// let mut reactor = Reactor::new()?;
/// reactor.unpark();
/// reactor.park(None); // returns at once: the unpark came first
/// reactor.park(Some(Duration::from_millis(1))); // nothing registered: times out
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Reactor {
    selector: sys::Selector,
    events: sys::Events,
    wakers: Vec<Waker>,
    handle: ReactorHandle,
}

impl Reactor {
    /// A reactor on the compiled backend (mio by default, polling with the feature
    /// `backend-polling`).
    ///
    /// # Errors
    ///
    /// When the OS refuses the selector or its waker (out of file descriptors).
    pub fn new() -> io::Result<Reactor> {
        let selector = sys::Selector::new()?;
        let shared = Shared::new(selector.registry()?)?;
        Ok(Reactor {
            selector,
            events: sys::Events::with_capacity(EVENTS_CAPACITY),
            wakers: Vec::new(),
            handle: ReactorHandle {
                shared: StdArc::new(shared),
            },
        })
    }

    /// A handle to this reactor, for the runtime's context and its unparker.
    pub fn handle(&self) -> ReactorHandle {
        self.handle.clone()
    }

    /// Waits for I/O events for at most `timeout` (`None`: until an event or an
    /// [`unpark`](Self::unpark)), then marks their registrations ready and wakes the tasks
    /// waiting on them. Returns the number of events dispatched.
    ///
    /// Returns at once if an unpark came since the last park, or if the reactor is shut
    /// down.
    ///
    /// # Panics
    ///
    /// If the selector fails with anything but `EINTR` (which only a bug can cause).
    pub fn park(&mut self, timeout: Option<Duration>) -> usize {
        let shared = &self.handle.shared;
        let timeout = if shared.is_shutdown() {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        if let Err(e) = self.selector.select(&mut self.events, timeout) {
            panic!("weft-reactor: the {} selector failed: {e}", sys::BACKEND);
        }
        shared.clear_notified();
        let n = shared.dispatch(self.events.iter(), &mut self.wakers);
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
        n
    }

    /// Makes the current [`park`](Self::park) return, or the next one return at once;
    /// the same as [`ReactorHandle::unpark`].
    pub fn unpark(&self) {
        self.handle.unpark();
    }

    /// Shuts the reactor down: every registration's waiters are woken, and every pending and
    /// later operation on them fails with an `io::Error` of kind `Other`, "the weft runtime
    /// is shutting down"; so do new registrations. Idempotent.
    ///
    /// ```
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_nonblocking(true)?;
    /// reactor.shutdown();
    /// let err = Registration::with_handle(&reactor.handle(), socket, Interest::READABLE)
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "the weft runtime is shutting down");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.handle.shared.shutdown();
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
