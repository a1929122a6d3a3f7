//! [`BufReader`]: fewer, larger reads.

use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::DEFAULT_BUF_SIZE;

/// Adds a buffer to a reader: many small reads become a few large ones, and the reader
/// gains [`AsyncBufRead`] (so [`read_line`](super::AsyncBufReadExt::read_line),
/// [`read_until`](super::AsyncBufReadExt::read_until) and
/// [`lines`](super::AsyncBufReadExt::lines) work on it). asyncio's `StreamReader` is
/// always buffered; in weft you choose.
///
/// Reads at least as large as the buffer skip it when it is empty. Seeking discards the
/// buffer (a [`SeekFrom::Current`] offset counts from the position the caller has read
/// to, not from where the inner reader is). Writes, if the inner type is a writer too, go
/// straight through.
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
/// use weft_reactor::io::{AsyncBufReadExt, BufReader};
///
/// block_on(async {
///     let mut reader = BufReader::with_capacity(8, &b"key: value\nnext"[..]);
///     let mut key = Vec::new();
///     reader.read_until(b':', &mut key).await.unwrap();
///     assert_eq!(key, b"key:");
///     assert_eq!(reader.buffer(), b" val"); // the rest of the first 8-byte fill
/// });
/// ```
pub struct BufReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// `buf[pos..cap]` is the data not yet handed out.
    pos: usize,
    cap: usize,
}

struct Projection<'a, R> {
    inner: Pin<&'a mut R>,
    buf: &'a mut [u8],
    pos: &'a mut usize,
    cap: &'a mut usize,
}

impl<R> BufReader<R> {
    /// A `BufReader` with the default 8 KiB buffer.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufReader` with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        BufReader {
            inner,
            buf: vec![0; capacity].into_boxed_slice(),
            pos: 0,
            cap: 0,
        }
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader. Reading from it directly skips the buffered data.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// The inner reader back; the buffered data is lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The data read from the inner reader and not yet handed out.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.cap]
    }

    /// The size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    fn project(self: Pin<&mut Self>) -> Projection<'_, R> {
        // SAFETY: `inner` is structurally pinned: nothing moves it out of a pinned
        // `BufReader` (`into_inner` and `get_mut` need an unpinned one, there is no `Drop`
        // impl, and `BufReader` is `Unpin` only when `R` is). The buffer and the indices
        // are never pinned.
        unsafe {
            let this = self.get_unchecked_mut();
            Projection {
                inner: Pin::new_unchecked(&mut this.inner),
                buf: &mut this.buf,
                pos: &mut this.pos,
                cap: &mut this.cap,
            }
        }
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // A read at least as large as our buffer gains nothing from it.
        if self.pos == self.cap && buf.len() >= self.buf.len() {
            let res = ready!(self.as_mut().get_pin_mut().poll_read(cx, buf));
            return Poll::Ready(res);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let p = self.project();
        if *p.pos >= *p.cap {
            *p.cap = ready!(p.inner.poll_read(cx, p.buf))?;
            *p.pos = 0;
        }
        Poll::Ready(Ok(&p.buf[*p.pos..*p.cap]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let p = self.project();
        *p.pos = (*p.pos + amt).min(*p.cap);
    }
}

impl<R: AsyncRead + AsyncSeek> AsyncSeek for BufReader<R> {
    /// Seeks the inner reader and discards the buffer. For [`SeekFrom::Current`], the
    /// offset is taken from the caller's position (the inner reader is ahead of it by the
    /// buffered bytes).
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let p = self.project();
        let pos = match pos {
            SeekFrom::Current(n) => {
                let buffered = (*p.cap - *p.pos) as i64;
                match n.checked_sub(buffered) {
                    Some(n) => SeekFrom::Current(n),
                    None => {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "seek offset overflows once the buffered bytes are counted",
                        )))
                    }
                }
            }
            pos => pos,
        };
        let res = ready!(p.inner.poll_seek(cx, pos));
        // Only now: a `Pending` seek is polled again with the same buffered count.
        *p.pos = 0;
        *p.cap = 0;
        Poll::Ready(res)
    }
}

impl<R: AsyncWrite> AsyncWrite for BufReader<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_close(cx)
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("inner", &self.inner)
            .field(
                "buffered",
                &format_args!("{}/{}", self.cap - self.pos, self.buf.len()),
            )
            .finish()
    }
}
