//! The futures of [`AsyncWriteExt`](super::AsyncWriteExt) and
//! [`AsyncSeekExt`](super::AsyncSeekExt).

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, SeekFrom};
use std::mem;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncSeek, AsyncWrite};
use weft_core::introspect::{self, WaitKind};

use super::read::debug_future;

/// Future of [`AsyncWriteExt::write`](super::AsyncWriteExt::write).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Write<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, W: ?Sized> Write<'a, W> {
    #[track_caller]
    pub(super) fn new(writer: &'a mut W, buf: &'a [u8]) -> Self {
        Write {
            writer,
            buf,
            location: Location::caller(),
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Write<'_, W> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Writable]);
        }
        poll
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Write<'_, W> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        Pin::new(&mut *this.writer).poll_write(cx, this.buf)
    }
}

/// Future of [`AsyncWriteExt::write_vectored`](super::AsyncWriteExt::write_vectored).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteVectored<'a, W: ?Sized> {
    writer: &'a mut W,
    bufs: &'a [IoSlice<'a>],
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, W: ?Sized> WriteVectored<'a, W> {
    #[track_caller]
    pub(super) fn new(writer: &'a mut W, bufs: &'a [IoSlice<'a>]) -> Self {
        WriteVectored {
            writer,
            bufs,
            location: Location::caller(),
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteVectored<'_, W> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Writable]);
        }
        poll
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> WriteVectored<'_, W> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        Pin::new(&mut *this.writer).poll_write_vectored(cx, this.bufs)
    }
}

/// Future of [`AsyncWriteExt::write_all`](super::AsyncWriteExt::write_all).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WriteAll<'a, W: ?Sized> {
    writer: &'a mut W,
    /// What is still to be written.
    buf: &'a [u8],
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, W: ?Sized> WriteAll<'a, W> {
    #[track_caller]
    pub(super) fn new(writer: &'a mut W, buf: &'a [u8]) -> Self {
        WriteAll {
            writer,
            buf,
            location: Location::caller(),
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Writable]);
        }
        poll
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> WriteAll<'_, W> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while !this.buf.is_empty() {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, this.buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "write_all: the writer took no bytes",
                )));
            }
            this.buf = &mem::take(&mut this.buf)[n..];
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncWriteExt::flush`](super::AsyncWriteExt::flush).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Flush<'a, W: ?Sized> {
    writer: &'a mut W,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, W: ?Sized> Flush<'a, W> {
    #[track_caller]
    pub(super) fn new(writer: &'a mut W) -> Self {
        Flush {
            writer,
            location: Location::caller(),
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Flush<'_, W> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Writable]);
        }
        poll
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Flush<'_, W> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.writer).poll_flush(cx)
    }
}

/// Future of [`AsyncWriteExt::close`](super::AsyncWriteExt::close).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Close<'a, W: ?Sized> {
    writer: &'a mut W,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, W: ?Sized> Close<'a, W> {
    #[track_caller]
    pub(super) fn new(writer: &'a mut W) -> Self {
        Close {
            writer,
            location: Location::caller(),
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Close<'_, W> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Writable]);
        }
        poll
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Close<'_, W> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.writer).poll_close(cx)
    }
}

/// Future of [`AsyncSeekExt::seek`](super::AsyncSeekExt::seek) and its relatives.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Seek<'a, S: ?Sized> {
    seeker: &'a mut S,
    pos: SeekFrom,
}

impl<'a, S: ?Sized> Seek<'a, S> {
    pub(super) fn new(seeker: &'a mut S, pos: SeekFrom) -> Self {
        Seek { seeker, pos }
    }
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let pos = self.pos;
        Pin::new(&mut *self.seeker).poll_seek(cx, pos)
    }
}

debug_future!(Write, WriteVectored, WriteAll, Flush, Close, Seek);
