//! The futures and the [`Lines`] stream of [`AsyncBufReadExt`](super::AsyncBufReadExt).

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::mem;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::AsyncBufRead;
use weft_core::introspect::{self, WaitKind};

use super::read::{debug_future, finish_string};

/// Future of [`AsyncBufReadExt::fill_buf`](super::AsyncBufReadExt::fill_buf).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct FillBuf<'a, R: ?Sized> {
    /// `None` once the future has completed (the slice it returned borrows the reader).
    reader: Option<&'a mut R>,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> FillBuf<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R) -> Self {
        FillBuf {
            reader: Some(reader),
            location: Location::caller(),
        }
    }
}

impl<'a, R: AsyncBufRead + Unpin + ?Sized> Future for FillBuf<'a, R> {
    type Output = io::Result<&'a [u8]>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<'a, R: AsyncBufRead + Unpin + ?Sized> FillBuf<'a, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<<Self as Future>::Output> {
        let reader = self
            .reader
            .take()
            .expect("FillBuf polled after it completed");
        match Pin::new(&mut *reader).poll_fill_buf(cx) {
            Poll::Ready(Ok(slice)) => {
                // SAFETY: `slice` borrows `*reader`, which is a `&'a mut R` that this future
                // has just given up for good (`self.reader` stays `None`), so nothing else
                // can reach the reader for the rest of `'a` and the slice may live that
                // long. The borrow checker rejects this only because the `Pending` branch
                // puts `reader` back (the conditional-return case that Polonius accepts).
                let slice: &'a [u8] = unsafe { &*(slice as *const [u8]) };
                Poll::Ready(Ok(slice))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                self.reader = Some(reader);
                Poll::Pending
            }
        }
    }
}

/// Appends bytes from `reader` to `buf` up to and including `byte` (or to end of file) and
/// returns how many were appended in all; `read` carries that count across `Pending`s.
pub(super) fn read_until_internal<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    byte: u8,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let (done, used) = {
            let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
            match available.iter().position(|&b| b == byte) {
                Some(i) => {
                    buf.extend_from_slice(&available[..=i]);
                    (true, i + 1)
                }
                None => {
                    buf.extend_from_slice(available);
                    (false, available.len())
                }
            }
        };
        reader.as_mut().consume(used);
        *read += used;
        if done || used == 0 {
            return Poll::Ready(Ok(mem::replace(read, 0)));
        }
    }
}

/// Future of [`AsyncBufReadExt::read_until`](super::AsyncBufReadExt::read_until).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadUntil<'a, R: ?Sized> {
    reader: &'a mut R,
    byte: u8,
    buf: &'a mut Vec<u8>,
    read: usize,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> ReadUntil<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, byte: u8, buf: &'a mut Vec<u8>) -> Self {
        ReadUntil {
            reader,
            byte,
            buf,
            read: 0,
            location: Location::caller(),
        }
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> ReadUntil<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        read_until_internal(
            Pin::new(&mut *this.reader),
            cx,
            this.byte,
            this.buf,
            &mut this.read,
        )
    }
}

/// Future of [`AsyncBufReadExt::read_line`](super::AsyncBufReadExt::read_line).
///
/// Like [`ReadToString`](super::ReadToString), it works on the string's own bytes moved
/// into a `Vec`, checks the new part once, and puts the original string back on error or
/// when dropped early.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    output: &'a mut String,
    bytes: Vec<u8>,
    start_len: usize,
    read: usize,
    done: bool,
    /// The call that made this future (for the task's wait record).
    location: &'static Location<'static>,
}

impl<'a, R: ?Sized> ReadLine<'a, R> {
    #[track_caller]
    pub(super) fn new(reader: &'a mut R, output: &'a mut String) -> Self {
        let bytes = mem::take(output).into_bytes();
        ReadLine {
            reader,
            output,
            start_len: bytes.len(),
            bytes,
            read: 0,
            done: false,
            location: Location::caller(),
        }
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let poll = self.as_mut().poll_io(cx);
        if poll.is_pending() {
            introspect::relocate_current_wait(self.location, &[WaitKind::Readable]);
        }
        poll
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> ReadLine<'_, R> {
    fn poll_io(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let res = ready!(read_until_internal(
            Pin::new(&mut *this.reader),
            cx,
            b'\n',
            &mut this.bytes,
            &mut this.read,
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

impl<R: ?Sized> Drop for ReadLine<'_, R> {
    fn drop(&mut self) {
        if !self.done {
            // Dropped mid-line: give the original string back.
            self.bytes.truncate(self.start_len);
            let _ = finish_string(self.output, &mut self.bytes, self.start_len);
        }
    }
}

debug_future!(FillBuf, ReadUntil, ReadLine);

/// The lines of an [`AsyncBufRead`], from
/// [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines): a
/// [`Stream`] of `io::Result<String>` without the line endings (`\n` or `\r\n`).
///
/// A partial line stays inside `Lines` while it waits for the rest, so dropping a
/// [`next_line`](Lines::next_line) future (or stopping polling the stream) loses nothing.
/// A line that is not UTF-8 gives an [`InvalidData`](io::ErrorKind::InvalidData) error
/// and the stream goes on with the next line.
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
///     let mut lines = BufReader::new(&b"one\r\ntwo\nthree"[..]).lines();
///     let mut all = Vec::new();
///     while let Some(line) = lines.next_line().await.unwrap() {
///         all.push(line);
///     }
///     assert_eq!(all, ["one", "two", "three"]);
/// });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    read: usize,
}

impl<R> Lines<R> {
    pub(super) fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            read: 0,
        }
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader. Reading from it directly skips whatever part of a line `Lines` holds.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The reader back; a partial line held inside is lost.
    pub fn into_inner(self) -> R {
        self.reader
    }

    fn project(self: Pin<&mut Self>) -> (Pin<&mut R>, &mut Vec<u8>, &mut usize) {
        // SAFETY: `reader` is structurally pinned: nothing moves it out of a pinned `Lines`
        // (`into_inner` and `get_mut` need an unpinned `Lines`, there is no `Drop` impl, and
        // `Lines` is `Unpin` only when `R` is). `buf` and `read` are never pinned.
        unsafe {
            let this = self.get_unchecked_mut();
            (
                Pin::new_unchecked(&mut this.reader),
                &mut this.buf,
                &mut this.read,
            )
        }
    }
}

impl<R: AsyncBufRead> Lines<R> {
    /// The next line, or `None` at end of file. Cancellation safe.
    #[track_caller]
    pub fn next_line(&mut self) -> impl Future<Output = io::Result<Option<String>>> + '_
    where
        R: Unpin,
    {
        let location = Location::caller();
        poll_fn(move |cx| {
            let poll = Pin::new(&mut *self).poll_next_line(cx);
            if poll.is_pending() {
                introspect::relocate_current_wait(location, &[WaitKind::Readable]);
            }
            poll
        })
    }

    /// Polls for the next line; `Ready(Ok(None))` at end of file.
    pub fn poll_next_line(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<String>>> {
        let (reader, buf, read) = self.project();
        let n = ready!(read_until_internal(reader, cx, b'\n', buf, read))?;
        if n == 0 && buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        match String::from_utf8(mem::take(buf)) {
            Ok(line) => Poll::Ready(Ok(Some(line))),
            Err(e) => {
                // Keep the allocation for the next line.
                *buf = e.into_bytes();
                buf.clear();
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "line is not valid UTF-8",
                )))
            }
        }
    }
}

impl<R: AsyncBufRead> Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_line(cx).map(Result::transpose)
    }
}

impl<R: fmt::Debug> fmt::Debug for Lines<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("reader", &self.reader)
            .field("buffered", &self.buf.len())
            .finish()
    }
}
