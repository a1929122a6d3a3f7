//! The polling backend (feature `backend-polling`): epoll, kqueue, event ports or `poll(2)`
//! through the [`polling`] crate.
//!
//! polling 3 registers in oneshot mode by default. Where the OS supports it (epoll, kqueue)
//! this backend registers in [`PollMode::Edge`] instead, so it reports exactly what mio
//! does. Elsewhere it falls back to oneshot and re-arms each source's interest right after
//! delivering its event, which reports readiness at least as often as edge mode.

use std::collections::HashMap;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use polling::{Event, PollMode, Poller};
use weft_core::loom::sync::Mutex;

use super::WAKE_TOKEN;
use crate::interest::{Interest, Ready};

struct Inner {
    poller: Poller,
    mode: PollMode,
    /// Oneshot mode only: each registered token's fd and interest, to re-arm it.
    armed: Mutex<HashMap<usize, (RawFd, Interest)>>,
}

impl Inner {
    fn event(token: usize, interest: Interest) -> Event {
        Event::new(token, interest.is_readable(), interest.is_writable())
    }

    fn oneshot(&self) -> bool {
        self.mode == PollMode::Oneshot
    }
}

/// Owns the waiting side of the `Poller`.
pub(crate) struct Selector {
    inner: Arc<Inner>,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let poller = Poller::new()?;
        let mode = if poller.supports_edge() {
            PollMode::Edge
        } else {
            PollMode::Oneshot
        };
        Ok(Selector {
            inner: Arc::new(Inner {
                poller,
                mode,
                armed: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub(crate) fn registry(&self) -> io::Result<Registry> {
        Ok(Registry {
            inner: self.inner.clone(),
        })
    }

    pub(crate) fn select(
        &mut self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        events.inner.clear();
        match self.inner.poller.wait(&mut events.inner, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        if self.inner.oneshot() {
            let armed = self.inner.armed.lock();
            for event in events.inner.iter() {
                if let Some(&(fd, interest)) = armed.get(&event.key) {
                    // SAFETY: `fd` is in `armed`, so it is registered, and a registered
                    // descriptor is open until `deregister` (which removes it from `armed`
                    // under this lock): its `Registration` owns the source ('static, so not
                    // a borrow of something closable meanwhile, and without `get_mut`) and
                    // deregisters it before the source drops.
                    let source = unsafe { BorrowedFd::borrow_raw(fd) };
                    let _ = self
                        .inner
                        .poller
                        .modify(source, Inner::event(event.key, interest));
                }
            }
        }
        Ok(())
    }
}

/// The registering side of the shared `Poller`.
pub(crate) struct Registry {
    inner: Arc<Inner>,
}

fn check(interest: Interest) -> io::Result<()> {
    if interest.is_readable() || interest.is_writable() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an interest must include READABLE or WRITABLE",
        ))
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
        check(interest)?;
        let mut armed = self.inner.oneshot().then(|| self.inner.armed.lock());
        // SAFETY: polling requires the source to be deleted before it is closed. The only
        // caller is `Registration`, which owns the source ('static, no `get_mut`) and
        // deregisters it in its `Drop` (or `into_inner`) before the source can drop.
        unsafe {
            self.inner.poller.add_with_mode(
                fd.as_raw_fd(),
                Inner::event(token, interest),
                self.inner.mode,
            )?;
        }
        if let Some(armed) = armed.as_mut() {
            armed.insert(token, (fd.as_raw_fd(), interest));
        }
        Ok(())
    }

    pub(crate) fn reregister(
        &self,
        fd: BorrowedFd<'_>,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        debug_assert_ne!(token, WAKE_TOKEN);
        check(interest)?;
        let mut armed = self.inner.oneshot().then(|| self.inner.armed.lock());
        self.inner
            .poller
            .modify_with_mode(fd, Inner::event(token, interest), self.inner.mode)?;
        if let Some(armed) = armed.as_mut() {
            armed.insert(token, (fd.as_raw_fd(), interest));
        }
        Ok(())
    }

    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        let mut armed = self.inner.oneshot().then(|| self.inner.armed.lock());
        if let Some(armed) = armed.as_mut() {
            armed.retain(|_, (f, _)| *f != fd.as_raw_fd());
        }
        self.inner.poller.delete(fd)
    }

    pub(crate) fn waker(&self) -> io::Result<Waker> {
        Ok(Waker {
            inner: self.inner.clone(),
        })
    }
}

/// `Poller::notify`.
pub(crate) struct Waker {
    inner: Arc<Inner>,
}

impl Waker {
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.inner.poller.notify()
    }
}

/// `polling::Events`.
pub(crate) struct Events {
    inner: polling::Events,
}

impl Events {
    pub(crate) fn with_capacity(capacity: usize) -> Events {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Events {
            inner: polling::Events::with_capacity(capacity),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, Ready)> + '_ {
        self.inner.iter().filter(|e| e.key != WAKE_TOKEN).map(|e| {
            let hup = e.is_interrupt();
            let err = e.is_err().unwrap_or(false);
            (
                e.key,
                Ready::from_flags(e.readable, e.writable, hup, hup, err),
            )
        })
    }
}
