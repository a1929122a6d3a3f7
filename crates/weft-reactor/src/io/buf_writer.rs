//! [`BufWriter`]: fewer, larger writes.

use std::fmt;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::DEFAULT_BUF_SIZE;

/// Adds a buffer to a writer: many small writes become a few large ones.
///
/// Writes collect in the buffer; when the next one does not fit, the buffer is written out
/// first, and a write at least as large as the buffer goes straight through. [`flush`],
/// [`close`] and seeking write the buffer out (then flush, close or seek the inner writer).
///
/// **Flush before dropping**: dropping a `BufWriter` (or [`into_inner`](BufWriter::into_inner))
/// discards what is still buffered, since writing it out would need to wait. This is
/// tokio's rule too; asyncio's `StreamWriter` has no buffer of its own to lose.
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
/// use weft_reactor::io::{AsyncWriteExt, BufWriter};
///
/// block_on(async {
///     let mut out = BufWriter::with_capacity(16, Vec::new());
///     out.write_all(b"small").await.unwrap();
///     assert!(out.get_ref().is_empty()); // still in the buffer
///     out.flush().await.unwrap();
///     assert_eq!(out.get_ref(), b"small");
/// });
/// ```
///
/// [`flush`]: super::AsyncWriteExt::flush
/// [`close`]: super::AsyncWriteExt::close
pub struct BufWriter<W> {
    inner: W,
    buf: Vec<u8>,
    capacity: usize,
    /// `buf[..written]` has been written to `inner` already (a flush in progress).
    written: usize,
}

struct Projection<'a, W> {
    inner: Pin<&'a mut W>,
    buf: &'a mut Vec<u8>,
    capacity: usize,
    written: &'a mut usize,
}

impl<W> BufWriter<W> {
    /// A `BufWriter` with the default 8 KiB buffer.
    pub fn new(inner: W) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufWriter` with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: W) -> Self {
        BufWriter {
            inner,
            buf: Vec::with_capacity(capacity),
            capacity,
            written: 0,
        }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer. Writing to it directly jumps ahead of the buffered data.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// The inner writer back. **What is still buffered is lost**: flush first.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The data buffered and not yet written.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// The size of the buffer.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn project(self: Pin<&mut Self>) -> Projection<'_, W> {
        // SAFETY: `inner` is structurally pinned: nothing moves it out of a pinned
        // `BufWriter` (`into_inner` and `get_mut` need an unpinned one, there is no `Drop`
        // impl, and `BufWriter` is `Unpin` only when `W` is). The buffer and the counters
        // are never pinned.
        unsafe {
            let this = self.get_unchecked_mut();
            Projection {
                inner: Pin::new_unchecked(&mut this.inner),
                buf: &mut this.buf,
                capacity: this.capacity,
                written: &mut this.written,
            }
        }
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// Writes the whole buffer to the inner writer (not flushing that).
    fn poll_flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut p = self.project();
        let mut ret = Ok(());
        while *p.written < p.buf.len() {
            match ready!(p.inner.as_mut().poll_write(cx, &p.buf[*p.written..])) {
                Ok(0) => {
                    ret = Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "BufWriter: the inner writer took none of the buffered data",
                    ));
                    break;
                }
                Ok(n) => *p.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    ret = Err(e);
                    break;
                }
            }
        }
        // Written bytes leave the buffer even on error, so they are never written twice.
        p.buf.drain(..*p.written);
        *p.written = 0;
        Poll::Ready(ret)
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.buf.len() + buf.len() > self.capacity {
            ready!(self.as_mut().poll_flush_buf(cx))?;
        }
        let p = self.project();
        if buf.len() >= p.capacity {
            p.inner.poll_write(cx, buf)
        } else {
            p.buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.get_pin_mut().poll_close(cx)
    }
}

impl<W: AsyncWrite + AsyncSeek> AsyncSeek for BufWriter<W> {
    /// Writes the buffer out, then seeks the inner writer.
    fn poll_seek(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.get_pin_mut().poll_seek(cx, pos)
    }
}

impl<W: AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_read(cx, buf)
    }
}

impl<W: AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

impl<W: fmt::Debug> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("inner", &self.inner)
            .field(
                "buffered",
                &format_args!("{}/{}", self.buf.len() - self.written, self.capacity),
            )
            .finish()
    }
}
