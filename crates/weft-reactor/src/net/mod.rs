//! TCP, UDP and Unix-domain sockets on the reactor.
//!
//! Every type here is a std socket set non-blocking and registered with the current
//! reactor ([`ReactorHandle::current`](crate::ReactorHandle::current): constructing one
//! outside a runtime with I/O panics). All of them share one code path on both backends.
//! Streams implement [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`], also through
//! a shared reference (`&TcpStream`), whose `poll_close` shuts the write direction down.
//! Address arguments take std's [`ToSocketAddrs`](std::net::ToSocketAddrs), resolved on the
//! calling thread (a host name means a blocking DNS lookup; resolve ahead of time, or on
//! the blocking pool, where that matters).
//!
//! Each operation waits for readiness through the [`Registration`],
//! so it spends the task's cooperative budget, is woken by the reactor, and fails with the
//! shutdown error once the reactor shuts down.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::AsFd;
use std::panic::Location;
use std::task::{ready, Context, Poll};

use crate::{Interest, ReactorHandle, Registration};

/// What TCP and Unix-domain streams share, for a type with a `source: Source<std stream>`
/// field and a `shutdown(&self, Shutdown)` method: readiness, `try_read`/`try_write`, the
/// splits, and `AsyncRead`/`AsyncWrite` on `&T` (`poll_close` shuts the write side down)
/// and on `T` (through `&T`).
macro_rules! stream_io {
    ($ty:ident) => {
        impl $ty {
            /// Takes the socket's pending error (`SO_ERROR`).
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                self.source.get().take_error()
            }

            /// Waits until the stream is readable (or at end-of-file, or in error).
            #[track_caller]
            pub fn readable(&self) -> impl std::future::Future<Output = std::io::Result<()>> + '_ {
                self.source.registration().readable()
            }

            /// Waits until the stream is writable (or in error).
            #[track_caller]
            pub fn writable(&self) -> impl std::future::Future<Output = std::io::Result<()>> + '_ {
                self.source.registration().writable()
            }

            /// Polls for read readiness.
            pub fn poll_read_ready(
                &self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.source.registration().poll_read_ready(cx)
            }

            /// Polls for write readiness.
            pub fn poll_write_ready(
                &self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.source.registration().poll_write_ready(cx)
            }

            /// Reads what is there without waiting: `WouldBlock` when nothing is (which
            /// clears the readiness, so `readable` waits for the next data).
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                let mut stream = self.source.get();
                self.source
                    .registration()
                    .try_read_io(|| std::io::Read::read(&mut stream, buf))
            }

            /// Writes without waiting: `WouldBlock` when the send buffer is full.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                let mut stream = self.source.get();
                self.source
                    .registration()
                    .try_write_io(|| std::io::Write::write(&mut stream, buf))
            }

            /// Splits into borrowed halves, for reading and writing at the same time in one
            /// task.
            pub fn split(
                &mut self,
            ) -> (
                $crate::net::split::ReadHalf<'_, $ty>,
                $crate::net::split::WriteHalf<'_, $ty>,
            ) {
                (
                    $crate::net::split::ReadHalf(self),
                    $crate::net::split::WriteHalf(self),
                )
            }

            /// Splits into owned halves, for reading and writing from two tasks. Dropping
            /// the write half shuts the write direction down; `OwnedReadHalf::reunite` puts
            /// the stream back together.
            pub fn into_split(
                self,
            ) -> (
                $crate::net::split::OwnedReadHalf<$ty>,
                $crate::net::split::OwnedWriteHalf<$ty>,
            ) {
                $crate::net::split::into_split(self, |s| s.shutdown(std::net::Shutdown::Write))
            }
        }

        impl futures_io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.source.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.source.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.source.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_flush(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut &*self).poll_close(cx)
            }
        }
    };
}
use stream_io;

mod socket;
pub mod split;
mod tcp;
mod udp;
mod unix;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

/// Types of the split halves of the streams, and the error of a failed reunite.
pub mod tcp_split {
    pub use super::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
}

/// Types of the split halves of [`UnixStream`], and the error of a failed reunite.
pub mod unix_split {
    pub use super::unix::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
}

/// A non-blocking socket, owned by its registration (which deregisters it before it
/// closes).
#[derive(Debug)]
pub(crate) struct Source<S: AsFd> {
    registration: Registration<S>,
}

impl<S: AsFd + 'static> Source<S> {
    /// Registers `io` (already non-blocking) for reading and writing with the current
    /// reactor.
    #[track_caller]
    pub(crate) fn new(io: S) -> io::Result<Source<S>> {
        Source::new_at(io, Location::caller())
    }

    /// [`Source::new`], naming the call that made the socket (for the wait records of the
    /// `poll_*` paths).
    #[track_caller]
    pub(crate) fn new_at(io: S, location: &'static Location<'static>) -> io::Result<Source<S>> {
        Source::with_handle_at(&ReactorHandle::current(), io, location)
    }

    #[track_caller]
    pub(crate) fn with_handle(handle: &ReactorHandle, io: S) -> io::Result<Source<S>> {
        Source::with_handle_at(handle, io, Location::caller())
    }

    pub(crate) fn with_handle_at(
        handle: &ReactorHandle,
        io: S,
        location: &'static Location<'static>,
    ) -> io::Result<Source<S>> {
        let interest = Interest::READABLE | Interest::WRITABLE;
        let registration = Registration::with_handle_at(handle, io, interest, location)?;
        Ok(Source { registration })
    }
}

impl<S: AsFd> Source<S> {
    /// Deregisters and hands the socket back (still non-blocking).
    pub(crate) fn into_inner(self) -> S {
        self.registration.into_inner()
    }

    pub(crate) fn get(&self) -> &S {
        self.registration.get_ref()
    }

    pub(crate) fn registration(&self) -> &Registration<S> {
        &self.registration
    }

    /// Reads into `buf` once readable. A short read means the socket was drained, so the
    /// readiness is cleared at once (saving the `WouldBlock` call), unless an event came
    /// in between; the read-closed bit stays, so an end-of-file that came with the data is
    /// not lost. (Only where the backend reports peer shutdowns: with polling, which does
    /// not ask for `EPOLLRDHUP`, a FIN is just readability, and the next read must see it.)
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
    where
        for<'a> &'a S: Read,
    {
        let reg = &self.registration;
        loop {
            let ev = ready!(reg.poll_read_event(cx))?;
            match self.get().read(buf) {
                Ok(n) => {
                    if n > 0 && n < buf.len() {
                        reg.clear_drained(ev);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => reg.clear(ev),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Writes `buf` once writable; a short write clears the readiness as a short read does.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
    where
        for<'a> &'a S: Write,
    {
        self.poll_write_with(cx, buf.len(), |mut io| io.write(buf))
    }

    /// Writes `bufs` once writable.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a S: Write,
    {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.poll_write_with(cx, len, |mut io| io.write_vectored(bufs))
    }

    fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let reg = &self.registration;
        loop {
            let ev = ready!(reg.poll_write_event(cx))?;
            match op(self.get()) {
                Ok(n) => {
                    if n > 0 && n < len {
                        reg.clear_drained(ev);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => reg.clear(ev),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

/// Resolves `addr` on this thread, then tries `f` on each address in turn, returning the
/// first success or the last error.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut f: F) -> io::Result<T>
where
    A: std::net::ToSocketAddrs,
    F: FnMut(std::net::SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
