//! [`empty`], [`sink`] and [`repeat`]: the trivial readers and writers.
//!
//! They are always ready, so each operation spends one unit of the task's cooperative
//! budget: `copy(&mut repeat(0), &mut sink())` yields to other tasks now and then instead
//! of hogging its worker forever.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use weft_core::coop;

/// Spends one unit of budget (or yields) for an always-ready operation.
fn proceed(cx: &mut Context<'_>) -> Poll<()> {
    ready!(coop::poll_proceed(cx)).made_progress();
    Poll::Ready(())
}

/// A reader that is always at end of file: `/dev/null` to read from.
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
///     let mut buf = Vec::new();
///     assert_eq!(weft_reactor::io::empty().read_to_end(&mut buf).await.unwrap(), 0);
/// });
/// ```
pub fn empty() -> Empty {
    Empty { _p: () }
}

/// The reader from [`empty`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty {
    _p: (),
}

impl AsyncRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(0))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(&[]))
    }

    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

/// A writer that takes every byte and throws it away: `/dev/null` to write to.
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
/// use weft_reactor::io::AsyncWriteExt;
///
/// block_on(async {
///     let mut sink = weft_reactor::io::sink();
///     assert_eq!(sink.write(b"gone").await.unwrap(), 4);
/// });
/// ```
pub fn sink() -> Sink {
    Sink { _p: () }
}

/// The writer from [`sink`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Sink {
    _p: (),
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(()))
    }
}

/// A reader that yields `byte` forever.
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
///     let mut three = [0u8; 3];
///     weft_reactor::io::repeat(b'z').read_exact(&mut three).await.unwrap();
///     assert_eq!(&three, b"zzz");
/// });
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

/// The reader from [`repeat`].
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    byte: u8,
}

impl AsyncRead for Repeat {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(proceed(cx));
        buf.fill(self.byte);
        Poll::Ready(Ok(buf.len()))
    }
}
