//! [`duplex`]: an in-memory, bidirectional pipe pair.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, Read};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};
use weft_core::coop;

/// Two connected in-memory streams: what one writes, the other reads. A socket pair
/// without sockets, for tests and for wiring tasks together with code written against
/// [`AsyncRead`] / [`AsyncWrite`].
///
/// Each direction buffers at most `max_buf_size` bytes: a writer facing a full buffer
/// waits until the reader takes some (backpressure). When one end is closed
/// ([`close`](super::AsyncWriteExt::close)) or dropped, the other reads the rest of the
/// buffered data and then end of file (`Ok(0)`); writing towards a dropped end fails with
/// [`ErrorKind::BrokenPipe`](io::ErrorKind::BrokenPipe), as does writing after `close`.
///
/// Both ends spend the task's cooperative budget on each read and write.
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
///     let (mut left, mut right) = weft_reactor::io::duplex(8);
///     left.write_all(b"ping").await.unwrap();
///     let mut buf = [0u8; 4];
///     right.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
///     drop(left);
///     assert_eq!(right.read(&mut buf).await.unwrap(), 0); // end of file
/// });
/// ```
///
/// # Panics
///
/// If `max_buf_size` is 0 (no byte could ever go through).
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    assert!(
        max_buf_size > 0,
        "weft::io::duplex: max_buf_size must be at least 1 (no byte could go through a \
         0-byte pipe)"
    );
    let a_to_b = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let b_to_a = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    (
        DuplexStream {
            read: b_to_a.clone(),
            write: a_to_b.clone(),
        },
        DuplexStream {
            read: a_to_b,
            write: b_to_a,
        },
    )
}

/// One end of a [`duplex`] pair: an [`AsyncRead`] + [`AsyncWrite`] stream.
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

/// One direction: a bounded byte queue, its two wakers and whether it is closed.
struct Pipe {
    buf: VecDeque<u8>,
    max: usize,
    /// Set when the writing end closes or drops (the reader gets end of file once `buf`
    /// is drained) or the reading end drops (writes fail). One flag does for both since a
    /// pipe has one end of each kind.
    closed: bool,
    /// The reader waiting for data.
    read_waker: Option<Waker>,
    /// The writer waiting for room.
    write_waker: Option<Waker>,
}

impl Pipe {
    fn new(max: usize) -> Pipe {
        Pipe {
            buf: VecDeque::new(),
            max,
            closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    /// Marks the pipe closed and returns both wakers, to wake once the lock is released.
    fn close(&mut self) -> [Option<Waker>; 2] {
        self.closed = true;
        [self.read_waker.take(), self.write_waker.take()]
    }
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    // A pipe's invariants hold between statements: a panic elsewhere leaves it usable.
    pipe.lock().unwrap_or_else(PoisonError::into_inner)
}

fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

fn broken_pipe() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "duplex: the other end is gone, or this end was closed",
    )
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut pipe = lock(&self.read);
        if buf.is_empty() || (pipe.buf.is_empty() && pipe.closed) {
            coop.made_progress();
            return Poll::Ready(Ok(0));
        }
        if pipe.buf.is_empty() {
            register(&mut pipe.read_waker, cx);
            return Poll::Pending;
        }
        let n = pipe.buf.read(buf).expect("reading a VecDeque cannot fail");
        let writer = pipe.write_waker.take();
        drop(pipe);
        wake(writer);
        coop.made_progress();
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        let mut pipe = lock(&self.write);
        if pipe.closed {
            coop.made_progress();
            return Poll::Ready(Err(broken_pipe()));
        }
        if bufs.iter().all(|b| b.is_empty()) {
            coop.made_progress();
            return Poll::Ready(Ok(0));
        }
        let mut room = pipe.max - pipe.buf.len();
        if room == 0 {
            register(&mut pipe.write_waker, cx);
            return Poll::Pending;
        }
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(room);
            pipe.buf.extend(&b[..take]);
            n += take;
            room -= take;
            if room == 0 {
                break;
            }
        }
        let reader = pipe.read_waker.take();
        drop(pipe);
        wake(reader);
        coop.made_progress();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes this end's writing direction: the other end reads what is buffered, then end
    /// of file. This end can still read.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let wakers = lock(&self.write).close();
        wakers.into_iter().for_each(wake);
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        // The peer reads end of file, and its writes towards us fail.
        let w = lock(&self.write).close();
        let r = lock(&self.read).close();
        w.into_iter().chain(r).for_each(wake);
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (readable, max) = {
            let p = lock(&self.read);
            (p.buf.len(), p.max)
        };
        let writable = {
            let p = lock(&self.write);
            p.max - p.buf.len()
        };
        f.debug_struct("DuplexStream")
            .field("readable", &readable)
            .field("writable", &writable)
            .field("max_buf_size", &max)
            .finish()
    }
}
