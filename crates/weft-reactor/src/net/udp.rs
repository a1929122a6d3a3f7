//! [`UdpSocket`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::panic::Location;
use std::task::{Context, Poll};

use super::{each_addr, Source};
use crate::interest::Ready;

/// A UDP socket.
///
/// Unconnected, it sends to and receives from any address ([`send_to`](Self::send_to),
/// [`recv_from`](Self::recv_from)); after [`connect`](Self::connect) it exchanges datagrams
/// with one peer ([`send`](Self::send), [`recv`](Self::recv)). All methods take `&self`, so
/// one socket can be shared (in an `Arc`) by a sending task and a receiving task, or by
/// several of each: every waiting `async` operation has its own waiter entry (a cancelled
/// one strands no other). The `poll_*` methods keep one waker per direction instead.
///
/// ```
/// # use weft_reactor::{context, Reactor};
/// # let reactor = Reactor::new()?;
/// # let _ctx = context::set_current(Some(reactor.handle()));
/// use weft_reactor::net::UdpSocket;
///
/// let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
/// socket.try_send_to(b"ping", socket.local_addr()?)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    source: Source<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr` (each resolved address in turn, until one binds).
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> impl Future<Output = io::Result<UdpSocket>> {
        let location = Location::caller();
        async move {
            each_addr(addr, |addr| async move {
                UdpSocket::from_std_at(std::net::UdpSocket::bind(addr)?, location)
            })
            .await
        }
    }

    /// Wraps a std socket, setting it non-blocking.
    ///
    /// # Errors
    ///
    /// When it cannot be set non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Without a current reactor.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std_at(socket, Location::caller())
    }

    /// `location`: the call that made it (for the wait records of its `poll_*` paths).
    #[track_caller]
    fn from_std_at(
        socket: std::net::UdpSocket,
        location: &'static Location<'static>,
    ) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: Source::new_at(socket, location)?,
        })
    }

    /// Deregisters the socket and hands it back, still non-blocking.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.source.into_inner())
    }

    /// Sets the default peer (the first resolved address that works): `send` goes there
    /// and `recv` only receives from there.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let socket = self.source.get();
        each_addr(addr, |addr| async move { socket.connect(addr) }).await
    }

    /// Sends `buf` to the connected peer, waiting for room in the send buffer.
    #[track_caller]
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let socket = self.source.get();
        self.source
            .registration()
            .write_io(move || socket.send(buf))
    }

    /// Polls [`send`](Self::send).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let socket = self.source.get();
        self.source
            .registration()
            .poll_write_io(cx, || socket.send(buf))
    }

    /// Sends without waiting: `WouldBlock` when the send buffer is full.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        let socket = self.source.get();
        self.source.registration().try_write_io(|| socket.send(buf))
    }

    /// Receives a datagram from the connected peer into `buf`, waiting for one. Bytes
    /// beyond `buf.len()` are discarded.
    #[track_caller]
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let socket = self.source.get();
        self.source.registration().read_io(move || socket.recv(buf))
    }

    /// Polls [`recv`](Self::recv).
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let socket = self.source.get();
        self.source
            .registration()
            .poll_read_io(cx, || socket.recv(buf))
    }

    /// Receives without waiting: `WouldBlock` when no datagram is queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let socket = self.source.get();
        self.source.registration().try_read_io(|| socket.recv(buf))
    }

    /// Sends `buf` to `target` (resolved first; the first address is used).
    #[track_caller]
    pub fn send_to<'a, A: ToSocketAddrs>(
        &'a self,
        buf: &'a [u8],
        target: A,
    ) -> impl Future<Output = io::Result<usize>> + use<'a, A> {
        let location = Location::caller();
        async move {
            let target = first_addr(target)?;
            let socket = self.source.get();
            let send = || socket.send_to(buf, target);
            self.source
                .registration()
                .io_at(Ready::WRITABLE, send, location)
                .await
        }
    }

    /// Polls [`send_to`](Self::send_to).
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        let socket = self.source.get();
        self.source
            .registration()
            .poll_write_io(cx, || socket.send_to(buf, target))
    }

    /// Sends to `target` without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let socket = self.source.get();
        self.source
            .registration()
            .try_write_io(|| socket.send_to(buf, target))
    }

    /// Receives a datagram and its sender's address, waiting for one.
    #[track_caller]
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        let socket = self.source.get();
        self.source
            .registration()
            .read_io(move || socket.recv_from(buf))
    }

    /// Polls [`recv_from`](Self::recv_from).
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        let socket = self.source.get();
        self.source
            .registration()
            .poll_read_io(cx, || socket.recv_from(buf))
    }

    /// Receives a datagram and its sender's address without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let socket = self.source.get();
        self.source
            .registration()
            .try_read_io(|| socket.recv_from(buf))
    }

    /// Like [`recv_from`](Self::recv_from), leaving the datagram queued.
    #[track_caller]
    pub fn peek_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        let socket = self.source.get();
        self.source
            .registration()
            .read_io(move || socket.peek_from(buf))
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

    /// The connected peer's address (`NotConnected` if none).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.source.get().set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.source.get().broadcast()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get().set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get().take_error()
    }
}

fn first_addr(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    })
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get().as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.get().fmt(f)
    }
}
