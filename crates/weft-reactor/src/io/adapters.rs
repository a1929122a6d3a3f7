//! [`Take`] and [`Chain`]: readers made from readers.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead};

/// A reader that yields at most `limit` bytes of another, from
/// [`AsyncReadExt::take`](super::AsyncReadExt::take).
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
///     let mut head = String::new();
///     (&b"hello world"[..]).take(5).read_to_string(&mut head).await.unwrap();
///     assert_eq!(head, "hello");
/// });
/// ```
#[derive(Debug)]
#[must_use = "readers do nothing unless read from"]
pub struct Take<R> {
    inner: R,
    limit: u64,
}

impl<R> Take<R> {
    pub(super) fn new(inner: R, limit: u64) -> Self {
        Take { inner, limit }
    }

    /// How many more bytes may be read before end of file.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Sets how many more bytes may be read.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader. Reading from it directly does not count against the limit.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn project(self: Pin<&mut Self>) -> (Pin<&mut R>, &mut u64) {
        // SAFETY: `inner` is structurally pinned: nothing moves it out of a pinned `Take`
        // (`into_inner` and `get_mut` need an unpinned one, there is no `Drop` impl, and
        // `Take` is `Unpin` only when `R` is). `limit` is never pinned.
        unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.inner), &mut this.limit)
        }
    }
}

impl<R: AsyncRead> AsyncRead for Take<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let (inner, limit) = self.project();
        if *limit == 0 {
            return Poll::Ready(Ok(0));
        }
        let max = usize::try_from(*limit).map_or(buf.len(), |l| l.min(buf.len()));
        let n = ready!(inner.poll_read(cx, &mut buf[..max]))?;
        *limit -= n as u64;
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncBufRead> AsyncBufRead for Take<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let (inner, limit) = self.project();
        if *limit == 0 {
            return Poll::Ready(Ok(&[]));
        }
        let buf = ready!(inner.poll_fill_buf(cx))?;
        let cap = usize::try_from(*limit).map_or(buf.len(), |l| l.min(buf.len()));
        Poll::Ready(Ok(&buf[..cap]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let (inner, limit) = self.project();
        let amt = usize::try_from(*limit).map_or(amt, |l| l.min(amt));
        *limit -= amt as u64;
        inner.consume(amt);
    }
}

/// A reader that yields one reader to its end, then another, from
/// [`AsyncReadExt::chain`](super::AsyncReadExt::chain).
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
///     let mut both = Vec::new();
///     (&b"hello "[..]).chain(&b"world"[..]).read_to_end(&mut both).await.unwrap();
///     assert_eq!(both, b"hello world");
/// });
/// ```
#[derive(Debug)]
#[must_use = "readers do nothing unless read from"]
pub struct Chain<A, B> {
    first: A,
    second: B,
    done_first: bool,
}

impl<A, B> Chain<A, B> {
    pub(super) fn new(first: A, second: B) -> Self {
        Chain {
            first,
            second,
            done_first: false,
        }
    }

    /// The two readers.
    pub fn get_ref(&self) -> (&A, &B) {
        (&self.first, &self.second)
    }

    /// The two readers. Reading from them directly may confuse the chain.
    pub fn get_mut(&mut self) -> (&mut A, &mut B) {
        (&mut self.first, &mut self.second)
    }

    /// The two readers back.
    pub fn into_inner(self) -> (A, B) {
        (self.first, self.second)
    }

    fn project(self: Pin<&mut Self>) -> (Pin<&mut A>, Pin<&mut B>, &mut bool) {
        // SAFETY: `first` and `second` are structurally pinned: nothing moves them out of a
        // pinned `Chain` (`into_inner` and `get_mut` need an unpinned one, there is no
        // `Drop` impl, and `Chain` is `Unpin` only when both are). `done_first` is not
        // pinned.
        unsafe {
            let this = self.get_unchecked_mut();
            (
                Pin::new_unchecked(&mut this.first),
                Pin::new_unchecked(&mut this.second),
                &mut this.done_first,
            )
        }
    }
}

impl<A: AsyncRead, B: AsyncRead> AsyncRead for Chain<A, B> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let (first, second, done_first) = self.project();
        if !*done_first {
            match ready!(first.poll_read(cx, buf))? {
                0 if !buf.is_empty() => *done_first = true,
                n => return Poll::Ready(Ok(n)),
            }
        }
        second.poll_read(cx, buf)
    }
}

impl<A: AsyncBufRead, B: AsyncBufRead> AsyncBufRead for Chain<A, B> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let (first, second, done_first) = self.project();
        if !*done_first {
            match ready!(first.poll_fill_buf(cx))? {
                [] => *done_first = true,
                buf => return Poll::Ready(Ok(buf)),
            }
        }
        second.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let (first, second, done_first) = self.project();
        if *done_first {
            second.consume(amt)
        } else {
            first.consume(amt)
        }
    }
}
