//! The mio backend (the default): epoll on Linux, kqueue on the BSDs and macOS.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::Token;

use super::WAKE_TOKEN;
use crate::interest::{Interest, Ready};

/// Owns the `mio::Poll`.
pub(crate) struct Selector {
    poll: mio::Poll,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            poll: mio::Poll::new()?,
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
        debug_assert_ne!(token, WAKE_TOKEN);
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
        debug_assert_ne!(token, WAKE_TOKEN);
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
            .filter(|e| e.token() != Token(WAKE_TOKEN))
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
