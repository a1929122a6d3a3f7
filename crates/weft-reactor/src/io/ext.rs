//! The extension traits: `async` methods on every [`AsyncRead`], [`AsyncWrite`],
//! [`AsyncBufRead`] and [`AsyncSeek`].

use std::io::{IoSlice, IoSliceMut, SeekFrom};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::adapters::{Chain, Take};
use super::buf_read::{FillBuf, Lines, ReadLine, ReadUntil};
use super::read::{Read, ReadExact, ReadToEnd, ReadToString, ReadVectored};
use super::write::{Close, Flush, Seek, Write, WriteAll, WriteVectored};

/// `async` reading methods for every [`AsyncRead`]: asyncio's `StreamReader`.
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
///     let mut input: &[u8] = b"hello world";
///     let mut word = [0u8; 5];
///     input.read_exact(&mut word).await.unwrap();
///     let mut rest = String::new();
///     input.read_to_string(&mut rest).await.unwrap();
///     assert_eq!((&word, rest.as_str()), (b"hello", " world"));
/// });
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes into `buf` and returns how many: `0` means end of file (or an
    /// empty `buf`). asyncio's `reader.read(n)`.
    ///
    /// Cancellation safe: if the future is dropped before it completes, no data was read.
    #[track_caller]
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        Read::new(self, buf)
    }

    /// Like [`read`](AsyncReadExt::read), into several buffers filled in order.
    ///
    /// Cancellation safe, like `read`.
    #[track_caller]
    fn read_vectored<'a>(&'a mut self, bufs: &'a mut [IoSliceMut<'a>]) -> ReadVectored<'a, Self>
    where
        Self: Unpin,
    {
        ReadVectored::new(self, bufs)
    }

    /// Fills all of `buf`, reading as often as needed: asyncio's `readexactly(n)`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) if the reader ends first
    /// (the contents of `buf` are then unspecified), or the reader's own error.
    ///
    /// # Cancellation
    ///
    /// Not cancellation safe: if the future is dropped mid-way, the bytes it has read so
    /// far are consumed from the reader and sit at the start of `buf`, but how many is not
    /// known. Keep the future alive (pin it outside the `select!` loop) if you need them.
    #[track_caller]
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact::new(self, buf)
    }

    /// Reads until end of file, appending to `buf`, and returns how many bytes it appended.
    ///
    /// # Cancellation
    ///
    /// Nothing is lost if the future is dropped mid-way: every byte read so far has been
    /// appended to `buf` already, and calling `read_to_end` again goes on from there (only
    /// the count is lost).
    #[track_caller]
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        ReadToEnd::new(self, buf)
    }

    /// Reads until end of file, appending to `buf` if all of it is valid UTF-8, and returns
    /// how many bytes it appended.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`](std::io::ErrorKind::InvalidData) if the data is not UTF-8, or
    /// the reader's error. Either way `buf` is left as it was (and the bytes read are lost).
    ///
    /// # Cancellation
    ///
    /// Not cancellation safe: if the future is dropped mid-way, `buf` is left as it was and
    /// the bytes read so far are lost (half a multi-byte character cannot go into a
    /// `String`). Use [`read_to_end`](AsyncReadExt::read_to_end) to keep them.
    #[track_caller]
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        ReadToString::new(self, buf)
    }

    /// A reader that yields at most `limit` bytes of this one, then end of file.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, limit)
    }

    /// A reader that yields this one to its end, then `next`.
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        Chain::new(self, next)
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// `async` writing methods for every [`AsyncWrite`]: asyncio's `StreamWriter`.
///
/// Unlike asyncio's `write()` + `drain()`, each write waits for room itself, so a slow peer
/// slows the writer down instead of filling memory.
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
///     let mut out = Vec::new();
///     out.write_all(b"hello ").await.unwrap();
///     out.write_all(b"world").await.unwrap();
///     out.flush().await.unwrap();
///     assert_eq!(out, b"hello world");
/// });
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf` and returns how many bytes were taken (possibly fewer than
    /// `buf.len()`; `0` usually means the writer cannot take more, ever).
    ///
    /// Cancellation safe: if the future is dropped before it completes, nothing was written.
    #[track_caller]
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write::new(self, buf)
    }

    /// Like [`write`](AsyncWriteExt::write), from several buffers in order.
    ///
    /// Cancellation safe, like `write`.
    #[track_caller]
    fn write_vectored<'a>(&'a mut self, bufs: &'a [IoSlice<'a>]) -> WriteVectored<'a, Self>
    where
        Self: Unpin,
    {
        WriteVectored::new(self, bufs)
    }

    /// Writes all of `buf`, as many writes as it takes: asyncio's `write(data)` followed by
    /// `await drain()`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WriteZero`](std::io::ErrorKind::WriteZero) if a write takes no bytes, or
    /// the writer's own error.
    ///
    /// # Cancellation
    ///
    /// Not cancellation safe: if the future is dropped mid-way, some prefix of `buf` may
    /// have been written, and how much is not known.
    #[track_caller]
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll::new(self, buf)
    }

    /// Flushes buffered data down to the underlying object.
    ///
    /// Cancellation safe: dropping the future leaves the data buffered (or partly flushed);
    /// flushing again goes on from there.
    #[track_caller]
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush::new(self)
    }

    /// Flushes, then closes the writing side: asyncio's `writer.close()` +
    /// `await writer.wait_closed()`. For a stream, the peer reads end of file; further
    /// writes fail.
    ///
    /// Cancellation safe in the same sense as [`flush`](AsyncWriteExt::flush): call it
    /// again to finish.
    #[track_caller]
    fn close(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        Close::new(self)
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// `async` methods for every [`AsyncBufRead`] (a [`BufReader`](super::BufReader), or
/// `&[u8]`): lines and delimited records.
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
/// use weft_reactor::io::AsyncBufReadExt;
///
/// block_on(async {
///     let mut input: &[u8] = b"name=weft\nkind=runtime\n";
///     let mut line = String::new();
///     input.read_line(&mut line).await.unwrap();
///     assert_eq!(line, "name=weft\n");
///     let rest: Vec<String> = {
///         let mut lines = input.lines();
///         let mut v = Vec::new();
///         while let Some(l) = lines.next_line().await.unwrap() {
///             v.push(l);
///         }
///         v
///     };
///     assert_eq!(rest, ["kind=runtime"]);
/// });
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Returns the buffered data, reading more first if the buffer is empty; an empty slice
    /// means end of file. Mark what you used with [`consume`](AsyncBufReadExt::consume).
    ///
    /// Cancellation safe.
    #[track_caller]
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        FillBuf::new(self)
    }

    /// Marks `amt` bytes of the buffer returned by [`fill_buf`](AsyncBufReadExt::fill_buf)
    /// as used, so they are not returned again.
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        std::pin::Pin::new(self).consume(amt)
    }

    /// Reads up to and including the first `byte` (or to end of file), appending to `buf`,
    /// and returns how many bytes it appended (`0`: end of file). asyncio's
    /// `readuntil(separator)`, except that end of file is not an error.
    ///
    /// # Cancellation
    ///
    /// Cancellation safe: the bytes read so far are in `buf` already; calling `read_until`
    /// again goes on until the delimiter.
    #[track_caller]
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        ReadUntil::new(self, byte, buf)
    }

    /// Reads one line, `\n` included, appending to `buf`, and returns how many bytes it
    /// appended (`0`: end of file). asyncio's `readline()`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidData`](std::io::ErrorKind::InvalidData) if the line is not UTF-8
    /// (`buf` is then left as it was), or the reader's error.
    ///
    /// # Cancellation
    ///
    /// Not cancellation safe: if the future is dropped mid-line, `buf` is left as it was
    /// and the part of the line read so far is lost. [`lines`](AsyncBufReadExt::lines) and
    /// [`read_until`](AsyncBufReadExt::read_until) keep partial lines.
    #[track_caller]
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        ReadLine::new(self, buf)
    }

    /// The lines of this reader, without their `\n` or `\r\n`: asyncio's
    /// `async for line in reader`. A [`Stream`](futures_core::Stream) of
    /// `io::Result<String>`, also usable with [`Lines::next_line`].
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// `async` methods for every [`AsyncSeek`].
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
/// # use std::io;
/// # use std::pin::Pin;
/// # use std::task::{Context, Poll};
/// # // An in-memory seekable reader, standing in for a `weft::fs::File`.
/// # struct File(io::Cursor<Vec<u8>>);
/// # impl weft_reactor::io::AsyncRead for File {
/// #     fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
/// #         Poll::Ready(io::Read::read(&mut self.0, buf))
/// #     }
/// # }
/// # impl weft_reactor::io::AsyncSeek for File {
/// #     fn poll_seek(mut self: Pin<&mut Self>, _: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
/// #         Poll::Ready(io::Seek::seek(&mut self.0, pos))
/// #     }
/// # }
/// use weft_reactor::io::{AsyncReadExt, AsyncSeekExt, SeekFrom};
///
/// block_on(async {
///     // Any `AsyncRead + AsyncSeek`: here a stand-in for `weft::fs::File::open(..).await?`.
///     # let mut file = File(io::Cursor::new(b"[package]".to_vec()));
///     let len = file.seek(SeekFrom::End(0)).await.unwrap();
///     file.rewind().await.unwrap();
///     let mut all = Vec::new();
///     assert_eq!(file.read_to_end(&mut all).await.unwrap() as u64, len);
/// });
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the cursor and returns the new position from the start.
    ///
    /// Not cancellation safe for types that seek in the background (like
    /// `weft::fs::File`): a dropped seek may still move the cursor.
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek::new(self, pos)
    }

    /// Moves the cursor back to the start.
    fn rewind(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek::new(self, SeekFrom::Start(0))
    }

    /// The cursor's position from the start (a `seek(SeekFrom::Current(0))`).
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek::new(self, SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}
