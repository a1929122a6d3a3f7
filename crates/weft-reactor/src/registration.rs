//! [`Registration`]: one file descriptor registered with a reactor, and the readiness API
//! the net types (and signals, child processes, user types) are built on.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use weft_core::coop;
use weft_core::loom::sync::Arc;

use crate::interest::{Interest, Ready};
use crate::scheduled_io::{ReadyEvent, ScheduledIo};
use crate::ReactorHandle;

/// A raw file descriptor registered with a reactor for edge-triggered readiness; it is
/// deregistered when this drops.
///
/// The registration does not own the descriptor: the caller keeps it open (and
/// non-blocking) for as long as the registration lives, and closes it only after dropping
/// the registration (put the `Registration` field *before* the descriptor's owner in a
/// struct, so it drops first).
///
/// Readiness is tracked per direction. The usual pattern is
/// [`poll_read_io`](Self::poll_read_io): try the system call while the source is known
/// ready, and on `WouldBlock` clear the readiness and wait for the next event. A reading
/// task and a writing task may wait at the same time; the async
/// [`readable`](Self::readable)/[`writable`](Self::writable) support any number of
/// concurrent waiters. Each successful readiness poll spends one unit of the task's
/// cooperative budget ([`weft_core::coop`]).
///
/// When the registration drops, tasks still waiting on it (through a waker they stored)
/// are woken; after a [`Reactor::shutdown`](crate::Reactor::shutdown) every poll fails with
/// "the weft runtime is shutting down".
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use std::pin::pin;
/// use std::task::{Context, Poll};
/// # struct Noop; impl std::task::Wake for Noop { fn wake(self: std::sync::Arc<Self>) {} }
/// # let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
/// use weft_reactor::{Interest, Reactor, Registration};
///
/// let mut reactor = Reactor::new()?;
/// let (a, mut b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let reg = Registration::with_handle(&reactor.handle(), a.as_raw_fd(), Interest::READABLE)?;
/// let mut cx = Context::from_waker(&waker);
/// let mut buf = [0; 5];
///
/// // Nothing to read yet: the first poll sees `WouldBlock` and waits.
/// assert!(reg.poll_read_io(&mut cx, || (&a).read(&mut buf)).is_pending());
/// b.write_all(b"hello")?;
/// reactor.park(None); // the readiness event arrives
/// let Poll::Ready(n) = reg.poll_read_io(&mut cx, || (&a).read(&mut buf)) else { panic!() };
/// assert_eq!((n?, &buf), (5, b"hello"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Registration {
    handle: ReactorHandle,
    io: Arc<ScheduledIo>,
    token: usize,
    fd: RawFd,
    interest: Interest,
}

impl Registration {
    /// Registers `fd` (already non-blocking) with the thread's current reactor.
    ///
    /// # Errors
    ///
    /// When the reactor is shut down, or the OS refuses (for example a regular file, which
    /// epoll cannot watch).
    ///
    /// # Panics
    ///
    /// Without a current reactor (see [`ReactorHandle::current`]).
    #[track_caller]
    pub fn new(fd: RawFd, interest: Interest) -> io::Result<Registration> {
        Registration::with_handle(&ReactorHandle::current(), fd, interest)
    }

    /// Registers `fd` (already non-blocking) with the reactor of `handle`.
    ///
    /// # Errors
    ///
    /// As [`Registration::new`].
    pub fn with_handle(
        handle: &ReactorHandle,
        fd: RawFd,
        interest: Interest,
    ) -> io::Result<Registration> {
        let (token, io) = handle.shared.add(fd, interest)?;
        Ok(Registration {
            handle: handle.clone(),
            io,
            token,
            fd,
            interest,
        })
    }

    /// The reactor this is registered with.
    pub fn handle(&self) -> &ReactorHandle {
        &self.handle
    }

    /// The interest it was registered with.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// The registered file descriptor.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    fn poll_ready(&self, cx: &mut Context<'_>, direction: Ready) -> Poll<io::Result<ReadyEvent>> {
        if !self.interest.ready().intersects(direction) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "waiting for a direction the registration's interest does not include",
            )));
        }
        let coop = ready!(coop::poll_proceed(cx));
        let ev = ready!(self.io.poll_ready(cx, direction));
        coop.made_progress();
        Poll::Ready(ev)
    }

    /// Ready when the source is readable (or hung up, or in error); otherwise the task is
    /// woken when it becomes so. Fails once the reactor is shut down.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(cx, Ready::READABLE).map_ok(|_| ())
    }

    /// Ready when the source is writable (or hung up, or in error); otherwise the task is
    /// woken when it becomes so. Fails once the reactor is shut down.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(cx, Ready::WRITABLE).map_ok(|_| ())
    }

    /// Ready with the read readiness event (and its tick).
    pub(crate) fn poll_read_event(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Ready::READABLE)
    }

    /// Ready with the write readiness event (and its tick).
    pub(crate) fn poll_write_event(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Ready::WRITABLE)
    }

    /// Clears the readiness of `ev` (after `WouldBlock`) unless an event arrived since.
    pub(crate) fn clear(&self, ev: ReadyEvent) {
        self.io.clear_readiness(ev);
    }

    /// Clears the readiness of `ev` after a short read or write, if the backend reports
    /// peer shutdowns (so the drained socket's end-of-file is not lost), unless an event
    /// arrived since.
    pub(crate) fn clear_drained(&self, ev: ReadyEvent) {
        if crate::sys::REPORTS_READ_CLOSED {
            self.io.clear_drained(ev);
        }
    }

    /// Forgets the read readiness last returned by [`poll_read_ready`](Self::poll_read_ready)
    /// (call it after a `WouldBlock`), unless an event arrived since.
    pub fn clear_read_ready(&self) {
        self.io.clear_seen(Ready::READABLE);
    }

    /// Forgets the write readiness last returned by
    /// [`poll_write_ready`](Self::poll_write_ready), unless an event arrived since.
    pub fn clear_write_ready(&self) {
        self.io.clear_seen(Ready::WRITABLE);
    }

    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Ready,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let ev = ready!(self.poll_ready(cx, direction))?;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear_readiness(ev),
                result => return Poll::Ready(result),
            }
        }
    }

    /// Runs `op` while the source is read-ready; on `WouldBlock` clears read readiness and
    /// waits again. Any other result of `op` is returned.
    pub fn poll_read_io<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io(cx, Ready::READABLE, op)
    }

    /// Runs `op` while the source is write-ready; on `WouldBlock` clears write readiness
    /// and waits again. Any other result of `op` is returned.
    pub fn poll_write_io<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io(cx, Ready::WRITABLE, op)
    }

    /// Runs `op` once if the source is known read-ready, without waiting: `WouldBlock`
    /// (also when not ready) clears the readiness and is returned.
    pub fn try_read_io<R>(&self, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.try_io(Ready::READABLE, op)
    }

    /// Runs `op` once if the source is known write-ready, without waiting: `WouldBlock`
    /// (also when not ready) clears the readiness and is returned.
    pub fn try_write_io<R>(&self, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.try_io(Ready::WRITABLE, op)
    }

    fn try_io<R>(&self, direction: Ready, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        let ev = self.io.try_ready(direction)?;
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.io.clear_readiness(ev);
                Err(e)
            }
            result => result,
        }
    }

    /// Waits until the source is readable. Any number of tasks may wait at once;
    /// cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        Readiness::new(self, Ready::READABLE).await.map(|_| ())
    }

    /// Waits until the source is writable. Any number of tasks may wait at once;
    /// cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        Readiness::new(self, Ready::WRITABLE).await.map(|_| ())
    }

    /// Changes the interest the source is registered with.
    ///
    /// # Errors
    ///
    /// When the OS refuses, or the interest is empty.
    pub fn reregister(&mut self, interest: Interest) -> io::Result<()> {
        self.handle
            .shared
            .registry
            .reregister(self.fd, self.token, interest)?;
        self.interest = interest;
        Ok(())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.handle.shared.remove(self.fd, self.token);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("fd", &self.fd)
            .field("interest", &self.interest)
            .finish_non_exhaustive()
    }
}

/// The future of `readable()`/`writable()`: an entry in the waiter list, freed on drop.
struct Readiness<'a> {
    registration: &'a Registration,
    direction: Ready,
    key: Option<usize>,
}

impl<'a> Readiness<'a> {
    fn new(registration: &'a Registration, direction: Ready) -> Readiness<'a> {
        Readiness {
            registration,
            direction,
            key: None,
        }
    }
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let reg = this.registration;
        if !reg.interest.ready().intersects(this.direction) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "waiting for a direction the registration's interest does not include",
            )));
        }
        let coop = ready!(coop::poll_proceed(cx));
        let ev = ready!(reg.io.poll_ready_listed(cx, this.direction, &mut this.key));
        coop.made_progress();
        Poll::Ready(ev)
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.registration.io.remove_listed(key);
        }
    }
}
