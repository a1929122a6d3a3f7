//! The mio backend (the default): epoll on Linux, kqueue on the BSDs and macOS.
//!
//! mio rounds a wait's time-out *up* to whole milliseconds (that is what `epoll_wait`
//! takes), so a worker parked until a timer 2.3 ms away would wake at 3 ms. On Linux the
//! selector also owns a `timerfd`, registered under [`TIMER_TOKEN`]: a wait whose time-out
//! is not a whole number of milliseconds arms it (one `timerfd_settime`) and wakes when it
//! expires, to the nanosecond. Setting it again resets its expiry count, so it is never
//! read: the next wait re-arms it, or disarms it if it was left armed (a wait that ended
//! early, on an event), and an expiry left from an earlier wait is then not reported (epoll
//! re-checks readiness before it reports an edge). Where arming fails, the wait falls back
//! to mio's rounding.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::Token;

use super::{TIMER_TOKEN, WAKE_TOKEN};
use crate::interest::{Interest, Ready};

/// Owns the `mio::Poll` (and, on Linux, the timer that makes its time-outs exact).
pub(crate) struct Selector {
    poll: mio::Poll,
    #[cfg(target_os = "linux")]
    exact: timerfd::ExactTimeout,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let poll = mio::Poll::new()?;
        Ok(Selector {
            #[cfg(target_os = "linux")]
            exact: timerfd::ExactTimeout::new(poll.registry())?,
            poll,
        })
    }

    pub(crate) fn registry(&self) -> io::Result<Registry> {
        Ok(Registry {
            inner: self.poll.registry().try_clone()?,
        })
    }

    pub(crate) fn select(
        &mut self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        self.exact.before_wait(timeout);
        match self.poll.poll(&mut events.inner, timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                events.inner.clear();
                Ok(())
            }
            other => other,
        }
    }
}

/// A clone of the poll's `mio::Registry` (its own file descriptor onto the same epoll set).
pub(crate) struct Registry {
    inner: mio::Registry,
}

fn to_mio(interest: Interest) -> io::Result<mio::Interest> {
    match (interest.is_readable(), interest.is_writable()) {
        (true, true) => Ok(mio::Interest::READABLE | mio::Interest::WRITABLE),
        (true, false) => Ok(mio::Interest::READABLE),
        (false, true) => Ok(mio::Interest::WRITABLE),
        (false, false) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an interest must include READABLE or WRITABLE",
        )),
    }
}

impl Registry {
    pub(crate) fn register(
        &self,
        fd: BorrowedFd<'_>,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        debug_assert!(token != WAKE_TOKEN && token != TIMER_TOKEN);
        self.inner.register(
            &mut SourceFd(&fd.as_raw_fd()),
            Token(token),
            to_mio(interest)?,
        )
    }

    pub(crate) fn reregister(
        &self,
        fd: BorrowedFd<'_>,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        debug_assert!(token != WAKE_TOKEN && token != TIMER_TOKEN);
        self.inner.reregister(
            &mut SourceFd(&fd.as_raw_fd()),
            Token(token),
            to_mio(interest)?,
        )
    }

    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.inner.deregister(&mut SourceFd(&fd.as_raw_fd()))
    }

    pub(crate) fn waker(&self) -> io::Result<Waker> {
        Ok(Waker {
            inner: mio::Waker::new(&self.inner, Token(WAKE_TOKEN))?,
        })
    }
}

/// An eventfd (or pipe) registered under [`WAKE_TOKEN`].
pub(crate) struct Waker {
    inner: mio::Waker,
}

impl Waker {
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}

/// `mio::Events`.
pub(crate) struct Events {
    inner: mio::Events,
}

impl Events {
    pub(crate) fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: mio::Events::with_capacity(capacity),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, Ready)> + '_ {
        self.inner
            .iter()
            .filter(|e| e.token() != Token(WAKE_TOKEN) && e.token() != Token(TIMER_TOKEN))
            .map(|e| {
                let ready = Ready::from_flags(
                    e.is_readable(),
                    e.is_writable(),
                    e.is_read_closed(),
                    e.is_write_closed(),
                    e.is_error(),
                );
                (e.token().0, ready)
            })
    }
}

#[cfg(target_os = "linux")]
mod timerfd {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::ptr;
    use std::time::Duration;

    use mio::unix::SourceFd;
    use mio::Token;

    use super::TIMER_TOKEN;

    /// A one-shot `CLOCK_MONOTONIC` timerfd (the clock `std::time::Instant` reads),
    /// registered under [`TIMER_TOKEN`], that wakes a wait at its exact time-out.
    pub(super) struct ExactTimeout {
        fd: OwnedFd,
        /// Whether the timer may still be armed by an earlier wait.
        armed: bool,
    }

    impl ExactTimeout {
        pub(super) fn new(registry: &mio::Registry) -> io::Result<ExactTimeout> {
            // SAFETY: a plain system call with constant arguments.
            let fd = unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
                )
            };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `fd` was just returned by `timerfd_create`, open, and owned by no one else.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            registry.register(
                &mut SourceFd(&fd.as_raw_fd()),
                Token(TIMER_TOKEN),
                mio::Interest::READABLE,
            )?;
            Ok(ExactTimeout { fd, armed: false })
        }

        /// Arms the timer for a wait of `timeout` that mio would round up, or disarms it if an
        /// earlier wait left it armed. If it cannot be set, the rounded wait is still a
        /// correct (later) wake-up.
        pub(super) fn before_wait(&mut self, timeout: Option<Duration>) {
            let exact = timeout.filter(|t| t.subsec_nanos() % 1_000_000 != 0);
            if exact.is_some() || self.armed {
                let set = self.set(exact.unwrap_or(Duration::ZERO));
                self.armed = exact.is_some() || set.is_err();
            }
        }

        /// Expires once, `after` from now, or never for `Duration::ZERO`. Replaces any
        /// earlier setting and its expiry count.
        fn set(&self, after: Duration) -> io::Result<()> {
            let spec = libc::itimerspec {
                it_interval: libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: libc::timespec {
                    tv_sec: libc::time_t::try_from(after.as_secs()).unwrap_or(libc::time_t::MAX),
                    // Below 10^9: fits every `c_long`.
                    tv_nsec: after.subsec_nanos() as libc::c_long,
                },
            };
            let fd = self.fd.as_raw_fd();
            // SAFETY: `fd` is open (owned by `self`), `spec` is a valid `itimerspec` that
            // outlives the call, and a null old-value pointer is allowed.
            let r = unsafe { libc::timerfd_settime(fd, 0, &spec, ptr::null_mut()) };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }
    }
}
