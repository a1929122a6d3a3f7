//! [`copy`] and [`copy_buf`]: pump a reader into a writer.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use weft_core::coop;
use weft_core::introspect::{self, WaitKind};

use super::DEFAULT_BUF_SIZE;

/// Copies everything `reader` yields into `writer`, through an 8 KiB buffer, then flushes
/// `writer`; returns the number of bytes copied. asyncio has no twin: it is the loop of
/// `data = await reader.read(n)`, `writer.write(data)`, `await writer.drain()`.
///
/// It does not close `writer` (call [`close`](super::AsyncWriteExt::close) for that).
/// While the reader has nothing, what was written so far is flushed, so data never sits in
/// a buffered writer waiting for the next read. One buffer of data is in flight at a time,
/// so a slow writer slows the reading down (backpressure).
///
/// # Errors
///
/// The first error of either side, or [`ErrorKind::WriteZero`](io::ErrorKind::WriteZero)
/// if the writer takes no bytes.
///
/// # Cancellation
///
/// Not cancellation safe: dropping the future mid-way loses the bytes already read into the
/// internal buffer and not yet written (up to 8 KiB).
///
/// ```
/// # // A minimal executor; inside weft, use `weft::run` or `Runtime::block_on`.
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::future::Future;
/// #     struct Unpark(std::thread::Thread);
/// #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let (mut f, mut cx) = (std::pin::pin!(f), std::task::Context::from_waker(&waker));
/// #     loop {
/// #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         std::thread::park();
/// #     }
/// # }
/// use weft_reactor::io::AsyncReadExt;
///
/// block_on(async {
///     let (mut a, mut b) = weft_reactor::io::duplex(1024);
///     let mut source: &[u8] = &[7u8; 1000];
///     let n = weft_reactor::io::copy(&mut source, &mut a).await.unwrap();
///     drop(a); // `b` reads end of file after the 1000 bytes
///     let mut got = Vec::new();
///     b.read_to_end(&mut got).await.unwrap();
///     assert_eq!((n, got.len()), (1000, 1000));
/// });
/// ```
#[track_caller]
pub fn copy<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> Copy<'a, R, W>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    Copy {
        reader,
        writer,
        buf: vec![0; DEFAULT_BUF_SIZE].into_boxed_slice(),
        pos: 0,
        cap: 0,
        amt: 0,
        read_done: false,
        need_flush: false,
        location: Location::caller(),
    }
}

/// Future of [`copy`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Copy<'a, R: ?Sized, W: ?Sized> {
    reader: &'a mut R,
    writer: &'a mut W,
    buf: Box<[u8]>,
    /// `buf[pos..cap]` is read and not yet written.
    pos: usize,
    cap: usize,
    amt: u64,
    read_done: bool,
    /// Something was written since the last flush.
    need_flush: bool,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<R, W> Future for Copy<'_, R, W>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    type Output = io::Result<u64>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            let kinds = [WaitKind::Readable, WaitKind::Writable];
            introspect::relocate_current_wait(self.location, &kinds);
        }
        poll
    }
}

impl<R, W> Copy<'_, R, W>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = &mut *self;
        loop {
            if this.pos == this.cap && !this.read_done {
                // One unit of the task's budget per read, so that two always-ready ends
                // still let the task yield.
                let coop = ready!(coop::poll_proceed(cx));
                match Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf) {
                    Poll::Pending => {
                        if this.need_flush {
                            ready!(Pin::new(&mut *this.writer).poll_flush(cx))?;
                            this.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(0)) => this.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        this.pos = 0;
                        this.cap = n;
                    }
                }
                coop.made_progress();
            }
            while this.pos < this.cap {
                let n = ready!(
                    Pin::new(&mut *this.writer).poll_write(cx, &this.buf[this.pos..this.cap])
                )?;
                if n == 0 {
                    return Poll::Ready(Err(write_zero()));
                }
                this.pos += n;
                this.amt += n as u64;
                this.need_flush = true;
            }
            if this.read_done {
                ready!(Pin::new(&mut *this.writer).poll_flush(cx))?;
                this.need_flush = false;
                return Poll::Ready(Ok(this.amt));
            }
        }
    }
}

fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "copy: the writer took no bytes")
}

/// Like [`copy`], from an [`AsyncBufRead`] (a [`BufReader`](super::BufReader), `&[u8]`)
/// through the reader's own buffer instead of a new one.
///
/// Cancellation safe in the sense that no data is lost: what was not written stays in the
/// reader's buffer.
///
/// ```
/// # // A minimal executor; inside weft, use `weft::run` or `Runtime::block_on`.
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::future::Future;
/// #     struct Unpark(std::thread::Thread);
/// #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let (mut f, mut cx) = (std::pin::pin!(f), std::task::Context::from_waker(&waker));
/// #     loop {
/// #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         std::thread::park();
/// #     }
/// # }
/// block_on(async {
///     let mut source: &[u8] = b"buffered";
///     let mut sink = Vec::new();
///     let n = weft_reactor::io::copy_buf(&mut source, &mut sink).await.unwrap();
///     assert_eq!((n, sink.as_slice()), (8, &b"buffered"[..]));
/// });
/// ```
#[track_caller]
pub fn copy_buf<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> CopyBuf<'a, R, W>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    CopyBuf {
        reader,
        writer,
        amt: 0,
        need_flush: false,
        location: Location::caller(),
    }
}

/// Future of [`copy_buf`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CopyBuf<'a, R: ?Sized, W: ?Sized> {
    reader: &'a mut R,
    writer: &'a mut W,
    amt: u64,
    need_flush: bool,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<R, W> Future for CopyBuf<'_, R, W>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    type Output = io::Result<u64>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            let kinds = [WaitKind::Readable, WaitKind::Writable];
            introspect::relocate_current_wait(self.location, &kinds);
        }
        poll
    }
}

impl<R, W> CopyBuf<'_, R, W>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = &mut *self;
        loop {
            let coop = ready!(coop::poll_proceed(cx));
            let buf = match Pin::new(&mut *this.reader).poll_fill_buf(cx) {
                Poll::Pending => {
                    if this.need_flush {
                        ready!(Pin::new(&mut *this.writer).poll_flush(cx))?;
                        this.need_flush = false;
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(buf)) => buf,
            };
            if buf.is_empty() {
                ready!(Pin::new(&mut *this.writer).poll_flush(cx))?;
                this.need_flush = false;
                return Poll::Ready(Ok(this.amt));
            }
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, buf))?;
            if n == 0 {
                return Poll::Ready(Err(write_zero()));
            }
            coop.made_progress();
            Pin::new(&mut *this.reader).consume(n);
            this.amt += n as u64;
            this.need_flush = true;
        }
    }
}

impl<R: ?Sized, W: ?Sized> fmt::Debug for Copy<'_, R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Copy")
            .field("copied", &self.amt)
            .field("buffered", &(self.cap - self.pos))
            .finish_non_exhaustive()
    }
}

impl<R: ?Sized, W: ?Sized> fmt::Debug for CopyBuf<'_, R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CopyBuf")
            .field("copied", &self.amt)
            .finish_non_exhaustive()
    }
}
