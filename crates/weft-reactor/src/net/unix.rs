//! [`UnixListener`], [`UnixStream`] and [`UnixDatagram`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::panic::Location;
use std::path::Path;
use std::task::{ready, Context, Poll};

use super::{socket, split, Source};
use crate::interest::Ready;

/// A Unix-domain stream socket server.
///
/// ```
/// # use weft_reactor::{context, Reactor};
/// # let reactor = Reactor::new()?;
/// # let _ctx = context::set_current(Some(reactor.handle()));
/// use weft_reactor::net::UnixListener;
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
/// # drop(listener); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    source: Source<std_unix::UnixListener>,
}

impl UnixListener {
    /// Binds a listener to `path` (which must not exist yet).
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std_unix::UnixListener::bind(path)?)
    }

    /// Wraps a std listener, setting it non-blocking.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn from_std(listener: std_unix::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            source: Source::new(listener)?,
        })
    }

    /// Deregisters the listener and hands it back, still non-blocking.
    pub fn into_std(self) -> io::Result<std_unix::UnixListener> {
        Ok(self.source.into_inner())
    }

    /// Accepts a connection, waiting for one. Cancel-safe.
    /// Any number of tasks may accept at once (see [`TcpListener::accept`](super::TcpListener::accept)).
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(UnixStream, SocketAddr)>> + '_ {
        let location = Location::caller();
        let listener = self.source.get();
        let reg = self.source.registration();
        let accept = reg.read_io(move || listener.accept());
        async move {
            let (stream, addr) = accept.await?;
            stream.set_nonblocking(true)?;
            let source = Source::with_handle_at(reg.handle(), stream, location)?;
            Ok((UnixStream { source }, addr))
        }
    }

    /// Polls for a connection; see [`accept`](Self::accept). This keeps one waker (the
    /// last task's to poll it): tasks that accept concurrently should use `accept`.
    #[track_caller]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let listener = self.source.get();
        let (stream, addr) = ready!(self
            .source
            .registration()
            .poll_read_io(cx, || listener.accept()))?;
        stream.set_nonblocking(true)?;
        let source = Source::with_handle(self.source.registration().handle(), stream)?;
        Poll::Ready(Ok((UnixStream { source }, addr)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().local_addr()
    }
}

/// A Unix-domain stream connection: [`AsyncRead`](futures_io::AsyncRead) + [`AsyncWrite`](futures_io::AsyncWrite), also on
/// `&UnixStream`, splittable like [`TcpStream`](super::TcpStream).
pub struct UnixStream {
    source: Source<std_unix::UnixStream>,
}

/// The owned read half of a [`UnixStream`].
pub type OwnedReadHalf = split::OwnedReadHalf<UnixStream>;
/// The owned write half of a [`UnixStream`]; dropping it shuts the write direction down.
pub type OwnedWriteHalf = split::OwnedWriteHalf<UnixStream>;
/// The borrowed read half of a [`UnixStream`].
pub type ReadHalf<'a> = split::ReadHalf<'a, UnixStream>;
/// The borrowed write half of a [`UnixStream`].
pub type WriteHalf<'a> = split::WriteHalf<'a, UnixStream>;
/// Two owned halves of different [`UnixStream`]s.
pub type ReuniteError = split::ReuniteError<UnixStream>;

impl UnixStream {
    /// Connects to the socket at `path` (non-blocking connect, then a wait for writability
    /// and the socket's error). A path with no socket fails with `NotFound`, one nobody
    /// listens on with `ConnectionRefused`; when the listener's backlog is full, Linux
    /// refuses at once with `WouldBlock` (as with mio and tokio): retry later.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn connect(path: impl AsRef<Path>) -> impl Future<Output = io::Result<UnixStream>> {
        let location = Location::caller();
        async move {
            let stream = socket::connect_unix(path.as_ref())?;
            let stream = UnixStream::from_nonblocking(stream, location)?;
            let reg = stream.source.registration();
            loop {
                poll_fn(|cx| reg.poll_write_ready(cx)).await?;
                if let Some(e) = stream.source.get().take_error()? {
                    return Err(e);
                }
                match stream.source.get().peer_addr() {
                    Ok(_) => return Ok(stream),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => reg.clear_write_ready(),
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// A connected pair of streams.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std_unix::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// `location`: the call that made it (for the wait records of its `poll_*` paths and
    /// its `AsyncRead`/`AsyncWrite`).
    #[track_caller]
    fn from_nonblocking(
        stream: std_unix::UnixStream,
        location: &'static Location<'static>,
    ) -> io::Result<UnixStream> {
        Ok(UnixStream {
            source: Source::new_at(stream, location)?,
        })
    }

    /// Wraps a std stream, setting it non-blocking.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn from_std(stream: std_unix::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_nonblocking(stream, Location::caller())
    }

    /// Deregisters the stream and hands it back, still non-blocking.
    pub fn into_std(self) -> io::Result<std_unix::UnixStream> {
        Ok(self.source.into_inner())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().peer_addr()
    }

    /// Shuts down the read, write or both directions.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get().shutdown(how)
    }
}

super::stream_io!(UnixStream);

/// A Unix-domain datagram socket.
///
/// ```
/// # use weft_reactor::{context, Reactor};
/// # let reactor = Reactor::new()?;
/// # let _ctx = context::set_current(Some(reactor.handle()));
/// use weft_reactor::net::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// a.try_send(b"hi")?;
/// let mut buf = [0; 8];
/// assert_eq!(b.try_recv(&mut buf)?, 2); // a new socket is tried at once
/// assert_eq!(&buf[..2], b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    source: Source<std_unix::UnixDatagram>,
}

impl UnixDatagram {
    /// A socket bound to `path` (which must not exist yet).
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address (it can still send, and receive once connected or
    /// sent to through an address it learns).
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std_unix::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket, setting it non-blocking.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn from_std(socket: std_unix::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            source: Source::new(socket)?,
        })
    }

    /// Deregisters the socket and hands it back, still non-blocking.
    pub fn into_std(self) -> io::Result<std_unix::UnixDatagram> {
        Ok(self.source.into_inner())
    }

    /// Sets the default peer to the socket at `path`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.source.get().connect(path)
    }

    /// Sends `buf` to the connected peer, waiting for room.
    #[track_caller]
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let socket = self.source.get();
        let reg = self.source.registration();
        reg.write_io(move || socket.send(buf))
    }

    /// Sends without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        let socket = self.source.get();
        self.source.registration().try_write_io(|| socket.send(buf))
    }

    /// Receives a datagram from the connected peer, waiting for one.
    #[track_caller]
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let socket = self.source.get();
        let reg = self.source.registration();
        reg.read_io(move || socket.recv(buf))
    }

    /// Receives without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let socket = self.source.get();
        self.source.registration().try_read_io(|| socket.recv(buf))
    }

    /// Sends `buf` to the socket at `path`, waiting for room.
    #[track_caller]
    pub fn send_to<'a, P: AsRef<Path>>(
        &'a self,
        buf: &'a [u8],
        path: P,
    ) -> impl Future<Output = io::Result<usize>> + use<'a, P> {
        let location = Location::caller();
        async move {
            let socket = self.source.get();
            let reg = self.source.registration();
            let path = path.as_ref();
            reg.io_at(Ready::WRITABLE, || socket.send_to(buf, path), location)
                .await
        }
    }

    /// Receives a datagram and its sender's address, waiting for one.
    #[track_caller]
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        let socket = self.source.get();
        let reg = self.source.registration();
        reg.read_io(move || socket.recv_from(buf))
    }

    /// Waits until a datagram can be received.
    #[track_caller]
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.source.registration().readable()
    }

    /// Waits until a datagram can be sent.
    #[track_caller]
    pub fn writable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.source.registration().writable()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().peer_addr()
    }

    /// Shuts down the read, write or both directions.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get().shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get().take_error()
    }
}

macro_rules! fd_impls {
    ($($ty:ty),*) => {$(
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.source.get().as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.source.get().as_fd()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.source.get().fmt(f)
            }
        }
    )*};
}
fd_impls!(UnixListener, UnixStream, UnixDatagram);
