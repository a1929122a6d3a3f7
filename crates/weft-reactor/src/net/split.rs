//! Splitting a stream into a read half and a write half, so that one task reads while
//! another writes.
//!
//! [`TcpStream::split`](super::TcpStream::split) borrows the stream ([`ReadHalf`],
//! [`WriteHalf`]: no allocation); [`TcpStream::into_split`](super::TcpStream::into_split)
//! moves it into an `Arc` shared by an [`OwnedReadHalf`] and an [`OwnedWriteHalf`], which
//! can go to different tasks and be put back together with [`OwnedReadHalf::reunite`]. The
//! same holds for [`UnixStream`](super::UnixStream). Both halves reach the stream's other
//! methods (addresses, options) through `AsRef`.
//!
//! Reading and writing wait on separate readiness slots of the one registration, so the two
//! halves never steal each other's wake-ups. Dropping an [`OwnedWriteHalf`] shuts the write
//! direction down (the peer reads end-of-file), as `poll_close` does.

use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// The read half of a stream split with `split` (borrowing).
#[derive(Debug)]
pub struct ReadHalf<'a, S>(pub(crate) &'a S);

/// The write half of a stream split with `split` (borrowing). Dropping it does not shut
/// the stream down; `poll_close` does.
#[derive(Debug)]
pub struct WriteHalf<'a, S>(pub(crate) &'a S);

/// The owned read half of a stream split with `into_split`.
#[derive(Debug)]
pub struct OwnedReadHalf<S> {
    inner: Arc<S>,
}

/// The owned write half of a stream split with `into_split`. Dropping it shuts the write
/// direction of the stream down.
pub struct OwnedWriteHalf<S> {
    inner: Arc<S>,
    /// Shuts the write direction down; `None` once done or after `reunite`.
    shutdown: Option<fn(&S) -> io::Result<()>>,
}

/// The halves given to [`OwnedReadHalf::reunite`] came from different streams; here they
/// are back.
pub struct ReuniteError<S>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

/// Splits `stream` into owned halves; `shutdown` shuts its write direction down.
pub(crate) fn into_split<S>(
    stream: S,
    shutdown: fn(&S) -> io::Result<()>,
) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let inner = Arc::new(stream);
    (
        OwnedReadHalf {
            inner: inner.clone(),
        },
        OwnedWriteHalf {
            inner,
            shutdown: Some(shutdown),
        },
    )
}

impl<S> OwnedReadHalf<S> {
    /// Puts the stream back together, if `write` is this half's partner.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (holding both halves) if they come from different streams.
    pub fn reunite(self, mut write: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.inner, &write.inner) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown = None;
        drop(write);
        match Arc::try_unwrap(self.inner) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("only the two halves hold the stream"),
        }
    }
}

impl<S> OwnedWriteHalf<S> {
    /// Puts the stream back together, if `read` is this half's partner.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (holding both halves) if they come from different streams.
    pub fn reunite(self, read: OwnedReadHalf<S>) -> Result<S, ReuniteError<S>> {
        read.reunite(self)
    }

    fn shutdown_now(&mut self) -> io::Result<()> {
        match self.shutdown.take() {
            Some(shutdown) => shutdown(&self.inner),
            None => Ok(()),
        }
    }
}

impl<S> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        let _ = self.shutdown_now();
    }
}

impl<S> AsRef<S> for OwnedReadHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S> AsRef<S> for OwnedWriteHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S> AsRef<S> for ReadHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S> AsRef<S> for WriteHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

fn read<S>(s: &S, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
where
    for<'a> &'a S: AsyncRead,
{
    Pin::new(&mut &*s).poll_read(cx, buf)
}

impl<S> AsyncRead for OwnedReadHalf<S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        read(&*self.inner, cx, buf)
    }
}

impl<S> AsyncRead for ReadHalf<'_, S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        read(self.0, cx, buf)
    }
}

macro_rules! write_impl {
    ($this:ident => $stream:expr) => {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let $this = self.get_mut();
            Pin::new(&mut $stream).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let $this = self.get_mut();
            Pin::new(&mut $stream).poll_write_vectored(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let $this = self.get_mut();
            Pin::new(&mut $stream).poll_flush(cx)
        }
    };
}

impl<S> AsyncWrite for OwnedWriteHalf<S>
where
    for<'a> &'a S: AsyncWrite,
{
    write_impl!(this => &*this.inner);

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().shutdown_now())
    }
}

impl<S> AsyncWrite for WriteHalf<'_, S>
where
    for<'a> &'a S: AsyncWrite,
{
    write_impl!(this => this.0);

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_close(cx)
    }
}

impl<S: fmt::Debug> fmt::Debug for OwnedWriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("inner", &self.inner)
            .field("shut_down", &self.shutdown.is_none())
            .finish()
    }
}

impl<S> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<S> Error for ReuniteError<S> {}
