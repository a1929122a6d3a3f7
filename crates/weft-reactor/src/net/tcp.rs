//! [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::panic::Location;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use super::{each_addr, socket, split, Source};

/// A TCP socket server, listening for connections.
///
/// ```
/// # use weft_reactor::{context, Reactor};
/// # let reactor = Reactor::new()?;
/// # let _ctx = context::set_current(Some(reactor.handle()));
/// use weft_reactor::net::TcpListener;
///
/// let listener = TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0")?)?;
/// assert!(listener.local_addr()?.port() != 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    source: Source<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to `addr` (each resolved address in turn, until one binds), with
    /// `SO_REUSEADDR` and a backlog of 4096 (capped by the kernel's `somaxconn`).
    ///
    /// # Errors
    ///
    /// When no address resolves or binds (the last error).
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> impl Future<Output = io::Result<TcpListener>> {
        let location = Location::caller();
        async move {
            each_addr(addr, |addr| async move {
                TcpListener::from_nonblocking(socket::listen_tcp(&addr)?, location)
            })
            .await
        }
    }

    /// `location`: the call that made it (for the wait records of the `poll_*` paths).
    fn from_nonblocking(
        listener: std::net::TcpListener,
        location: &'static Location<'static>,
    ) -> io::Result<TcpListener> {
        Ok(TcpListener {
            source: Source::new_at(listener, location)?,
        })
    }

    /// Wraps a std listener, setting it non-blocking.
    ///
    /// # Errors
    ///
    /// When it cannot be set non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_nonblocking(listener, Location::caller())
    }

    /// Deregisters the listener and hands it back, still non-blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.source.into_inner())
    }

    /// Accepts a connection, waiting for one. Cancel-safe: no connection is lost.
    ///
    /// An error (such as `EMFILE`, out of file descriptors) leaves the pending connections
    /// queued: back off, then call `accept` again.
    ///
    /// Any number of tasks may accept on one listener at once: each waits in its own entry
    /// (see [`Registration::read_io`](crate::Registration::read_io)), so cancelling one
    /// never keeps a connection from the others.
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + '_ {
        let location = Location::caller();
        let listener = self.source.get();
        let reg = self.source.registration();
        let accept = reg.read_io(move || socket::accept_tcp(listener.as_fd()));
        async move {
            let (stream, addr) = accept.await?;
            let stream = Source::with_handle_at(reg.handle(), stream, location)?;
            Ok((TcpStream { source: stream }, addr))
        }
    }

    /// Polls for a connection; see [`accept`](Self::accept). This keeps one waker (the
    /// last task's to poll it): tasks that accept concurrently should use `accept`.
    #[track_caller]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let listener = self.source.get();
        let (stream, addr) = ready!(self
            .source
            .registration()
            .poll_read_io(cx, || socket::accept_tcp(listener.as_fd())))?;
        let stream = Source::with_handle(self.source.registration().handle(), stream)?;
        Poll::Ready(Ok((TcpStream { source: stream }, addr)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().local_addr()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get().set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get().ttl()
    }
}

/// A TCP connection.
///
/// Implements [`AsyncRead`](futures_io::AsyncRead) and [`AsyncWrite`](futures_io::AsyncWrite), also on `&TcpStream`; `poll_close` shuts
/// the write direction down. Split it with [`split`](Self::split) (borrowed halves) or
/// [`into_split`](Self::into_split) (owned halves, for two tasks).
pub struct TcpStream {
    source: Source<std::net::TcpStream>,
}

/// The owned read half of a [`TcpStream`].
pub type OwnedReadHalf = split::OwnedReadHalf<TcpStream>;
/// The owned write half of a [`TcpStream`]; dropping it shuts the write direction down.
pub type OwnedWriteHalf = split::OwnedWriteHalf<TcpStream>;
/// The borrowed read half of a [`TcpStream`].
pub type ReadHalf<'a> = split::ReadHalf<'a, TcpStream>;
/// The borrowed write half of a [`TcpStream`].
pub type WriteHalf<'a> = split::WriteHalf<'a, TcpStream>;
/// Two owned halves of different [`TcpStream`]s.
pub type ReuniteError = split::ReuniteError<TcpStream>;

impl TcpStream {
    /// Connects to `addr` (each resolved address in turn, until one accepts): a
    /// non-blocking connect, a wait for writability, then the socket's error. Connecting to
    /// a closed port fails with the OS error, `ErrorKind::ConnectionRefused`.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn connect(addr: impl ToSocketAddrs) -> impl Future<Output = io::Result<TcpStream>> {
        let location = Location::caller();
        async move {
            each_addr(addr, |addr| async move {
                let stream = TcpStream::from_nonblocking(socket::connect_tcp(&addr)?, location)?;
                stream.finish_connect().await?;
                Ok(stream)
            })
            .await
        }
    }

    async fn finish_connect(&self) -> io::Result<()> {
        let reg = self.source.registration();
        loop {
            poll_fn(|cx| reg.poll_write_ready(cx)).await?;
            if let Some(e) = self.source.get().take_error()? {
                return Err(e);
            }
            match self.source.get().peer_addr() {
                Ok(_) => return Ok(()),
                // Woken before the handshake finished: wait for the next event.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => reg.clear_write_ready(),
                Err(e) => return Err(e),
            }
        }
    }

    /// `location`: the call that made it (for the wait records of its `poll_*` paths and
    /// its `AsyncRead`/`AsyncWrite`).
    fn from_nonblocking(
        stream: std::net::TcpStream,
        location: &'static Location<'static>,
    ) -> io::Result<TcpStream> {
        Ok(TcpStream {
            source: Source::new_at(stream, location)?,
        })
    }

    /// Wraps a std stream (connected), setting it non-blocking.
    ///
    /// # Errors
    ///
    /// When it cannot be set non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_nonblocking(stream, Location::caller())
    }

    /// Deregisters the stream and hands it back, still non-blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.source.into_inner())
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().local_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.source.get().set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.source.get().nodelay()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get().set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get().ttl()
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes closing the socket reset the
    /// connection (the peer sees `ConnectionReset`) instead of finishing it cleanly.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket::set_linger(self.as_fd(), linger)
    }

    /// Reads `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket::linger(self.as_fd())
    }

    /// Shuts down the read, write or both directions. After `Shutdown::Write` the peer
    /// reads end-of-file, and this side can still read what the peer sends.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get().shutdown(how)
    }

    /// Reads into `buf` without removing the data from the socket's queue, waiting for
    /// data. Returns 0 at end-of-file.
    #[track_caller]
    pub fn peek<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let stream = self.source.get();
        self.source.registration().read_io(move || stream.peek(buf))
    }

    /// Polls [`peek`](Self::peek).
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let stream = self.source.get();
        self.source
            .registration()
            .poll_read_io(cx, || stream.peek(buf))
    }
}

super::stream_io!(TcpStream);

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get().as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get().as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.get().fmt(f)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.get().fmt(f)
    }
}
