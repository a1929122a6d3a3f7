//! [`Registration`]: an I/O source registered with a reactor, and the readiness API the net
//! types (and signals, child processes, user types) are built on.
//!
//! # Ownership of the descriptor (I/O safety)
//!
//! A registration *owns* its source (any [`AsFd`] type: a socket, a pipe, an `OwnedFd`).
//! The selector refers to the descriptor by number until it is deregistered, so the
//! descriptor must stay open that long; owning the source is how the type system says so.
//! The registration deregisters in its `Drop`, before the source it holds is dropped (and
//! closed), and [`Registration::into_inner`] deregisters before handing the source back.
//! Sources must be `'static` (no borrowed descriptor whose owner could close it while the
//! registration, perhaps leaked with `mem::forget`, still names it), and there is no
//! `get_mut`, so the source cannot be swapped for another while registered.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::panic::Location;
use std::task::{ready, Context, Poll};

use weft_core::coop;
use weft_core::introspect;
use weft_core::loom::sync::Arc;

use crate::interest::{Interest, Ready};
use crate::readiness::{wait_kind, AsyncIo, Readiness};
use crate::scheduled_io::{ReadyEvent, ScheduledIo};
use crate::ReactorHandle;

/// An I/O source (a non-blocking file descriptor, owned) registered with a reactor for
/// edge-triggered readiness; it is deregistered when this drops, before the source closes.
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
/// use std::os::unix::net::UnixStream;
/// use std::task::{Context, Poll};
/// # struct Noop; impl std::task::Wake for Noop { fn wake(self: std::sync::Arc<Self>) {} }
/// # let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
/// use weft_reactor::{Interest, Reactor, Registration};
///
/// let mut reactor = Reactor::new()?;
/// let (a, mut b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE)?;
/// let mut cx = Context::from_waker(&waker);
/// let mut buf = [0; 5];
///
/// // Nothing to read yet: the first poll sees `WouldBlock` and waits.
/// assert!(reg.poll_read_io(&mut cx, || reg.get_ref().read(&mut buf)).is_pending());
/// b.write_all(b"hello")?;
/// reactor.park(None); // the readiness event arrives
/// let Poll::Ready(n) = reg.poll_read_io(&mut cx, || reg.get_ref().read(&mut buf)) else {
///     panic!()
/// };
/// assert_eq!((n?, &buf), (5, b"hello"));
/// let a: UnixStream = reg.into_inner(); // deregistered, still open
/// # drop(a);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A raw descriptor is not a source (the registration could outlive it):
///
/// ```compile_fail,E0277
/// # use std::os::fd::AsRawFd;
/// # use weft_reactor::{Interest, Reactor, Registration};
/// let reactor = Reactor::new()?;
/// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let reg = Registration::with_handle(&reactor.handle(), socket.as_raw_fd(), Interest::READABLE)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// nor is a borrowed one (its owner could close it while it is registered):
///
/// ```compile_fail,E0597
/// # use weft_reactor::{Interest, Reactor, Registration};
/// let reactor = Reactor::new()?;
/// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let reg = Registration::with_handle(&reactor.handle(), &socket, Interest::READABLE)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Registration<S: AsFd> {
    handle: ReactorHandle,
    io: Arc<ScheduledIo>,
    token: usize,
    interest: Interest,
    /// `Some` until [`into_inner`](Self::into_inner) takes it; otherwise dropped (closed)
    /// right after `Drop` deregisters it.
    source: Option<S>,
    /// The call that registered it: where the task's wait record says a `poll_*` caller
    /// waits (those have no call of their own to name).
    location: &'static Location<'static>,
}

impl<S: AsFd + 'static> Registration<S> {
    /// Registers `source` (already non-blocking) with the thread's current reactor.
    ///
    /// # Errors
    ///
    /// When the reactor is shut down, or the OS refuses (for example a regular file, which
    /// epoll cannot watch). The source is dropped then.
    ///
    /// # Panics
    ///
    /// Without a current reactor (see [`ReactorHandle::current`]).
    #[track_caller]
    pub fn new(source: S, interest: Interest) -> io::Result<Registration<S>> {
        Registration::with_handle(&ReactorHandle::current(), source, interest)
    }

    /// Registers `source` (already non-blocking) with the reactor of `handle`.
    ///
    /// # Errors
    ///
    /// As [`Registration::new`].
    #[track_caller]
    pub fn with_handle(
        handle: &ReactorHandle,
        source: S,
        interest: Interest,
    ) -> io::Result<Registration<S>> {
        Registration::with_handle_at(handle, source, interest, Location::caller())
    }

    /// [`with_handle`](Self::with_handle), naming the call that made the source.
    pub(crate) fn with_handle_at(
        handle: &ReactorHandle,
        source: S,
        interest: Interest,
        location: &'static Location<'static>,
    ) -> io::Result<Registration<S>> {
        let (token, io) = handle.shared.add(source.as_fd(), interest)?;
        Ok(Registration {
            handle: handle.clone(),
            io,
            token,
            interest,
            source: Some(source),
            location,
        })
    }
}

/// Registers `source` with the thread's current reactor, or fails (rather than panic) when
/// none is current: for signals and child processes, whose errors say so.
#[track_caller]
pub(crate) fn register_current<S: AsFd + 'static>(
    source: S,
    interest: Interest,
) -> io::Result<Registration<S>> {
    register_current_at(source, interest, Location::caller())
}

/// [`register_current`], naming the call that made the source (for wait records).
pub(crate) fn register_current_at<S: AsFd + 'static>(
    source: S,
    interest: Interest,
    location: &'static Location<'static>,
) -> io::Result<Registration<S>> {
    match crate::context::current() {
        Some(handle) => Registration::with_handle_at(&handle, source, interest, location),
        None => Err(io::Error::other(
            "no weft reactor is current: signals and child processes must be used inside a weft runtime",
        )),
    }
}

impl<S: AsFd> Registration<S> {
    /// The registered source.
    pub fn get_ref(&self) -> &S {
        self.source
            .as_ref()
            .expect("a registration holds its source until into_inner")
    }

    /// Deregisters the source and hands it back (still open, still non-blocking).
    pub fn into_inner(mut self) -> S {
        let source = self
            .source
            .take()
            .expect("a registration holds its source until into_inner");
        self.handle.shared.remove(source.as_fd(), self.token);
        source
    }

    /// The reactor this is registered with.
    pub fn handle(&self) -> &ReactorHandle {
        &self.handle
    }

    /// The interest it was registered with.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    fn poll_ready(&self, cx: &mut Context<'_>, direction: Ready) -> Poll<io::Result<ReadyEvent>> {
        if !self.interest.ready().intersects(direction) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "waiting for a direction the registration's interest does not include",
            )));
        }
        let coop = ready!(coop::poll_proceed(cx));
        let Poll::Ready(ev) = self.io.poll_ready(cx, direction) else {
            let kind = wait_kind(direction);
            introspect::waiting_on(kind, self.location, None, self.fd());
            return Poll::Pending;
        };
        coop.made_progress();
        Poll::Ready(ev)
    }

    /// The descriptor, as the wait record's argument.
    fn fd(&self) -> u64 {
        u64::try_from(self.get_ref().as_fd().as_raw_fd()).unwrap_or(0)
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

    /// A wait for `direction` in an entry of the waiter list, made by the call at
    /// `location`.
    fn wait(&self, direction: Ready, location: &'static Location<'static>) -> Readiness<'_> {
        let allowed = self.interest.ready().intersects(direction);
        Readiness::at(&self.io, direction, allowed, self.fd(), location)
    }

    /// Waits until the source is readable. Any number of tasks may wait at once;
    /// cancel-safe.
    #[track_caller]
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.readable_at(Location::caller())
    }

    /// [`readable`](Self::readable), naming the call that waits.
    pub(crate) fn readable_at(
        &self,
        location: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<()>> + '_ {
        let wait = self.wait(Ready::READABLE, location);
        async move { wait.await.map(|_| ()) }
    }

    /// Waits until the source is writable. Any number of tasks may wait at once;
    /// cancel-safe.
    #[track_caller]
    pub fn writable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.writable_at(Location::caller())
    }

    /// [`writable`](Self::writable), naming the call that waits.
    pub(crate) fn writable_at(
        &self,
        location: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<()>> + '_ {
        let wait = self.wait(Ready::WRITABLE, location);
        async move { wait.await.map(|_| ()) }
    }

    /// Runs `op` whenever the source is read-ready, until it returns anything but
    /// `WouldBlock` (which clears the readiness and waits for the next event), and
    /// resolves to that. Unlike [`poll_read_io`](Self::poll_read_io), which keeps one
    /// waker per direction, any number of tasks may await this at once (several acceptors
    /// on one listener): each waits in its own entry, freed when its future is dropped;
    /// each event gives one waiter (the oldest) a turn at `op`, and a turn that ends with
    /// the source still ready, or whose future is dropped after its wake, passes to the
    /// next. Cancelling one never strands the others. Cancel-safe if `op` is.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// # use std::future::Future;
    /// # use std::task::{Context, Poll};
    /// # struct Noop; impl std::task::Wake for Noop { fn wake(self: std::sync::Arc<Self>) {} }
    /// # let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let (a, b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE)?;
    /// let mut buf = [0; 8];
    /// let mut read = std::pin::pin!(reg.read_io(|| reg.get_ref().read(&mut buf)));
    /// std::io::Write::write_all(&mut &b, b"ping")?;
    /// let Poll::Ready(n) = read.as_mut().poll(&mut Context::from_waker(&waker)) else {
    ///     panic!() // (a new registration tries its first read at once)
    /// };
    /// assert_eq!(n?, 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn read_io<R, F>(&self, op: F) -> AsyncIo<'_, F>
    where
        F: FnMut() -> io::Result<R> + Unpin,
    {
        self.io_at(Ready::READABLE, op, Location::caller())
    }

    /// Like [`read_io`](Self::read_io), for the write direction.
    #[track_caller]
    pub fn write_io<R, F>(&self, op: F) -> AsyncIo<'_, F>
    where
        F: FnMut() -> io::Result<R> + Unpin,
    {
        self.io_at(Ready::WRITABLE, op, Location::caller())
    }

    /// [`read_io`](Self::read_io) or [`write_io`](Self::write_io), naming the call that
    /// waits.
    pub(crate) fn io_at<R, F>(
        &self,
        direction: Ready,
        op: F,
        location: &'static Location<'static>,
    ) -> AsyncIo<'_, F>
    where
        F: FnMut() -> io::Result<R> + Unpin,
    {
        let allowed = self.interest.ready().intersects(direction);
        AsyncIo::at(&self.io, direction, allowed, op, self.fd(), location)
    }

    /// Changes the interest the source is registered with.
    ///
    /// # Errors
    ///
    /// When the OS refuses, or the interest is empty.
    pub fn reregister(&mut self, interest: Interest) -> io::Result<()> {
        let fd = self.get_ref().as_fd();
        self.handle
            .shared
            .registry
            .reregister(fd, self.token, interest)?;
        self.interest = interest;
        Ok(())
    }
}

impl<S: AsFd> Drop for Registration<S> {
    fn drop(&mut self) {
        // Deregister while the source is still open; it closes when the field drops next.
        if let Some(source) = &self.source {
            self.handle.shared.remove(source.as_fd(), self.token);
        }
    }
}

impl<S: AsFd> AsFd for Registration<S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<S: AsFd + fmt::Debug> fmt::Debug for Registration<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("source", &self.source)
            .field("interest", &self.interest)
            .finish_non_exhaustive()
    }
}
