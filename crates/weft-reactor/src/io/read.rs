//! The futures of [`AsyncReadExt`](super::AsyncReadExt).

use std::fmt;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::mem;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncRead;
use weft_core::introspect::{self, WaitKind};

/// How many bytes [`read_to_end_internal`] zero-fills and offers to the reader at once:
/// large enough for one [`File`](crate::fs::File) chunk, small enough that re-offering the
/// window after a `Pending` costs little.
const READ_WINDOW: usize = 64 * 1024;

/// Future of [`AsyncReadExt::read`](super::AsyncReadExt::read).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Read<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> Read<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> Self {
        Read {
            reader,
            buf,
            location: Location::caller(),
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Read<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        Pin::new(&mut *this.reader).poll_read(cx, this.buf)
    }
}

/// Future of [`AsyncReadExt::read_vectored`](super::AsyncReadExt::read_vectored).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadVectored<'a, R: ?Sized> {
    reader: &'a mut R,
    bufs: &'a mut [IoSliceMut<'a>],
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> ReadVectored<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, bufs: &'a mut [IoSliceMut<'a>]) -> Self {
        ReadVectored {
            reader,
            bufs,
            location: Location::caller(),
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadVectored<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncRead + Unpin + ?Sized> ReadVectored<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        Pin::new(&mut *this.reader).poll_read_vectored(cx, this.bufs)
    }
}

/// Future of [`AsyncReadExt::read_exact`](super::AsyncReadExt::read_exact).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadExact<'a, R: ?Sized> {
    reader: &'a mut R,
    /// The part of the caller's buffer still to fill.
    buf: &'a mut [u8],
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> ReadExact<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, buf: &'a mut [u8]) -> Self {
        ReadExact {
            reader,
            buf,
            location: Location::caller(),
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncRead + Unpin + ?Sized> ReadExact<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while !this.buf.is_empty() {
            let n = ready!(Pin::new(&mut *this.reader).poll_read(cx, this.buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "read_exact: the reader ended before the buffer was full",
                )));
            }
            let rest = mem::take(&mut this.buf);
            this.buf = &mut rest[n..];
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncReadExt::read_to_end`](super::AsyncReadExt::read_to_end).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToEnd<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
    start_len: usize,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> ReadToEnd<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, buf: &'a mut Vec<u8>) -> Self {
        let start_len = buf.len();
        ReadToEnd {
            reader,
            buf,
            start_len,
            location: Location::caller(),
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncRead + Unpin + ?Sized> ReadToEnd<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let start = this.start_len;
        read_to_end_internal(Pin::new(&mut *this.reader), cx, this.buf, start)
    }
}

/// Truncates the vector back to the bytes actually read when dropped, so the zero-filled
/// window offered to the reader never shows, whichever way the poll ends.
struct Guard<'a> {
    buf: &'a mut Vec<u8>,
    len: usize,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.buf.truncate(self.len);
    }
}

/// Reads into `buf` until end of file; returns the bytes appended since `start_len`.
/// Everything read stays in `buf`, also when this returns `Pending` or an error.
pub(super) fn read_to_end_internal<R: AsyncRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    start_len: usize,
) -> Poll<io::Result<usize>> {
    let mut g = Guard {
        len: buf.len(),
        buf,
    };
    loop {
        if g.buf.capacity() == g.len {
            // Amortized doubling (at least 32 bytes).
            g.buf.reserve(32);
        }
        // Offer at most a window of the spare capacity: it must be initialized (zeroed)
        // first, and is zeroed again after every `Pending`.
        let window = (g.buf.capacity() - g.len).min(READ_WINDOW);
        g.buf.resize(g.len + window, 0);
        match reader.as_mut().poll_read(cx, &mut g.buf[g.len..]) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Ok(g.len - start_len)),
            Poll::Ready(Ok(n)) => {
                assert!(
                    n <= window,
                    "poll_read claimed more bytes than it was given"
                );
                g.len += n;
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
}

/// Future of [`AsyncReadExt::read_to_string`](super::AsyncReadExt::read_to_string).
///
/// While it runs, the string's bytes are moved into a `Vec` and the new bytes are appended
/// there (no copy); they are checked once at the end. On error or when dropped early, the
/// vector is cut back to the original string, so the caller's `String` is never left with
/// invalid UTF-8 or a partial result.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    output: &'a mut String,
    /// The original contents of `output`, then what has been read.
    bytes: Vec<u8>,
    start_len: usize,
    /// Set once `output` holds the result.
    done: bool,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> ReadToString<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, output: &'a mut String) -> Self {
        let bytes = mem::take(output).into_bytes();
        let start_len = bytes.len();
        ReadToString {
            reader,
            output,
            bytes,
            start_len,
            done: false,
            location: Location::caller(),
        }
    }
}

/// Puts `bytes` back into `output`: all of them if the part after `start_len` is valid
/// UTF-8 (returning how many that is), else only the original `start_len` bytes.
pub(super) fn finish_string(
    output: &mut String,
    bytes: &mut Vec<u8>,
    start_len: usize,
) -> io::Result<usize> {
    let added = bytes.len() - start_len;
    let valid = std::str::from_utf8(&bytes[start_len..]).is_ok();
    if !valid {
        bytes.truncate(start_len);
    }
    // The first `start_len` bytes came from a `String`, and the rest was just checked.
    *output = String::from_utf8(mem::take(bytes)).expect("checked UTF-8");
    if valid {
        Ok(added)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncRead + Unpin + ?Sized> ReadToString<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let res = ready!(read_to_end_internal(
            Pin::new(&mut *this.reader),
            cx,
            &mut this.bytes,
            this.start_len
        ));
        this.done = true;
        if let Err(e) = res {
            this.bytes.truncate(this.start_len);
            finish_string(this.output, &mut this.bytes, this.start_len)?;
            return Poll::Ready(Err(e));
        }
        Poll::Ready(finish_string(this.output, &mut this.bytes, this.start_len))
    }
}

impl<R: ?Sized> Drop for ReadToString<'_, R> {
    fn drop(&mut self) {
        if !self.done {
            // Dropped before completion: give the original string back.
            self.bytes.truncate(self.start_len);
            let _ = finish_string(self.output, &mut self.bytes, self.start_len);
        }
    }
}

macro_rules! debug_future {
    ($($name:ident),*) => {$(
        impl<R: ?Sized> fmt::Debug for $name<'_, R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}
pub(super) use debug_future;

debug_future!(Read, ReadVectored, ReadExact, ReadToEnd, ReadToString);
