//! [`split`]: one stream, two owned halves.

use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_io::{AsyncRead, AsyncWrite};

/// Splits a stream into a reading half and a writing half that can move to different
/// tasks: asyncio's `(reader, writer)` pair from `open_connection`.
///
/// The halves share the stream behind a small lock that is held only for the duration of
/// one `poll_read` / `poll_write` call (never across an `.await`), so neither half ever
/// waits for the other to finish an operation.
///
/// Wake-ups: each half registers its own task's waker with the pair, and the stream is
/// polled with a waker of the pair that wakes whichever halves are waiting. So even a
/// stream that keeps a single waker slot for both directions (or a TLS-like stream whose
/// read may wait for write readiness) cannot make a waiting reader lose the wake-up meant
/// for a waiting writer, or the other way round. The price is at most one spurious poll of
/// a half that is waiting when the other direction becomes ready.
///
/// The stream must be [`Unpin`]; pin a stream that is not with `Box::pin(stream)`.
/// [`ReadHalf::reunite`] puts the halves back together.
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
/// use weft_reactor::io::{AsyncReadExt, AsyncWriteExt};
///
/// block_on(async {
///     let (client, mut server) = weft_reactor::io::duplex(64);
///     let (mut rx, mut tx) = weft_reactor::io::split(client);
///     tx.write_all(b"request").await.unwrap(); // the halves may go to different tasks
///     let mut req = [0u8; 7];
///     server.read_exact(&mut req).await.unwrap();
///     server.write_all(b"reply").await.unwrap();
///     let mut reply = [0u8; 5];
///     rx.read_exact(&mut reply).await.unwrap();
///     assert_eq!((&req, &reply), (b"request", b"reply"));
///     let client = rx.reunite(tx).unwrap();
///     # drop(client);
/// });
/// ```
pub fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let wakers = Arc::new(Wakers::default());
    let inner = Arc::new(Inner {
        stream: Mutex::new(stream),
        waker: Waker::from(wakers.clone()),
        wakers,
    });
    (
        ReadHalf {
            inner: inner.clone(),
        },
        WriteHalf { inner },
    )
}

struct Inner<T> {
    stream: Mutex<T>,
    /// The waker the stream is polled with: `Waker::from(wakers)`, made once.
    waker: Waker,
    wakers: Arc<Wakers>,
}

/// The wakers of the halves' tasks, each set by its half before it polls the stream and
/// taken by the first wake-up after that.
///
/// No wake-up is lost: a half stores its waker *before* it polls the stream, so a readiness
/// event from that poll on finds it here. This is a separate lock from the stream's,
/// because a stream may wake the pair's waker from inside the poll that holds the stream's
/// lock (the cooperative budget does).
#[derive(Default)]
struct Wakers {
    slots: Mutex<[Option<Waker>; 2]>,
}

const READ: usize = 0;
const WRITE: usize = 1;

impl Wakers {
    fn slots(&self) -> MutexGuard<'_, [Option<Waker>; 2]> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, half: usize, waker: &Waker) {
        let mut slots = self.slots();
        match &slots[half] {
            Some(w) if w.will_wake(waker) => {}
            _ => slots[half] = Some(waker.clone()),
        }
    }

    fn clear(&self, half: usize) {
        let old = self.slots()[half].take();
        // Dropped outside the lock: dropping a waker may run arbitrary code.
        drop(old);
    }
}

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let [r, w] = {
            let mut slots = self.slots();
            [slots[READ].take(), slots[WRITE].take()]
        };
        r.into_iter().chain(w).for_each(Waker::wake);
    }
}

impl<T: Unpin> Inner<T> {
    /// Polls the stream for `half`: registers the half's waker, then runs `op` on the
    /// locked stream with the pair's waker. A half that got its answer needs no wake-up.
    fn poll<R>(
        &self,
        half: usize,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        self.wakers.register(half, cx.waker());
        let res = {
            // A panic inside the stream's poll leaves it as the stream left it; the halves
            // add no invariants of their own.
            let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
            op(
                Pin::new(&mut *stream),
                &mut Context::from_waker(&self.waker),
            )
        };
        if res.is_ready() {
            self.wakers.clear(half);
        }
        res
    }
}

/// The reading half of a stream, from [`split`].
pub struct ReadHalf<T> {
    inner: Arc<Inner<T>>,
}

/// The writing half of a stream, from [`split`].
pub struct WriteHalf<T> {
    inner: Arc<Inner<T>>,
}

impl<T> ReadHalf<T> {
    /// Whether `other` is the other half of the same stream.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Puts the stream back together.
    ///
    /// # Errors
    ///
    /// If `other` is the half of another stream: both halves are handed back.
    pub fn reunite(self, other: WriteHalf<T>) -> Result<T, ReuniteError<T>> {
        if !self.is_pair_of(&other) {
            return Err(ReuniteError(self, other));
        }
        drop(other);
        let inner = Arc::try_unwrap(self.inner)
            .ok()
            .expect("weft::io::split: only the two halves hold the stream");
        Ok(inner
            .stream
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner))
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is the other half of the same stream.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.is_pair_of(self)
    }

    /// Puts the stream back together; see [`ReadHalf::reunite`].
    ///
    /// # Errors
    ///
    /// If `other` is the half of another stream.
    pub fn reunite(self, other: ReadHalf<T>) -> Result<T, ReuniteError<T>> {
        other.reunite(self)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll(READ, cx, |s, cx| s.poll_read(cx, buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner
            .poll(READ, cx, |s, cx| s.poll_read_vectored(cx, bufs))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll(WRITE, cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner
            .poll(WRITE, cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll(WRITE, cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll(WRITE, cx, |s, cx| s.poll_close(cx))
    }
}

impl<T> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}

/// The two halves given to [`ReadHalf::reunite`] came from different streams; they are
/// handed back.
pub struct ReuniteError<T>(pub ReadHalf<T>, pub WriteHalf<T>);

impl<T> fmt::Debug for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<T> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<T> Error for ReuniteError<T> {}
