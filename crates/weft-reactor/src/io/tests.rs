//! Tests of the extension traits, `Take`/`Chain` and `empty`/`sink`/`repeat`; shared test
//! helpers. Streams (duplex, split, copy, buffering) are in `tests_streams.rs`. The tests
//! that need weft's runtime (spawned tasks, `join!`) are the facade's
//! `tests/io_helpers.rs` and `tests/io_streams.rs`.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind, IoSlice, IoSliceMut};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;

use super::*;

pub(super) use weft_core::test_support::block_on;

struct NoopWake;
impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

pub(crate) fn noop_waker() -> Waker {
    Waker::from(Arc::new(NoopWake))
}

/// Polls `f` once with a waker that does nothing.
pub(crate) fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(&noop_waker()))
}

/// A reader that hands out its data `chunk` bytes at a time and returns `Pending` (waking
/// itself at once) before every chunk: exercises every `Pending` path of the futures.
pub(super) struct Chunked {
    data: VecDeque<u8>,
    chunk: usize,
    ready: bool,
}

impl Chunked {
    pub(super) fn new(data: &[u8], chunk: usize) -> Chunked {
        Chunked {
            data: data.iter().copied().collect(),
            chunk,
            ready: false,
        }
    }
}

impl AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !std::mem::replace(&mut self.ready, false) {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = self.chunk.min(buf.len()).min(self.data.len());
        for (dst, src) in buf.iter_mut().zip(self.data.drain(..n)) {
            *dst = src;
        }
        Poll::Ready(Ok(n))
    }
}

/// A writer that takes nothing.
struct ZeroWriter;

impl AsyncWrite for ZeroWriter {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A reader that fails.
struct Failing;

impl AsyncRead for Failing {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::new(ErrorKind::ConnectionReset, "boom")))
    }
}

pub(super) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn read_returns_what_is_there_then_zero_at_eof() {
    block_on(async {
        let mut r: &[u8] = b"abc";
        let mut buf = [0u8; 2];
        assert_eq!(r.read(&mut buf).await.unwrap(), 2);
        assert_eq!(&buf, b"ab");
        assert_eq!(r.read(&mut buf).await.unwrap(), 1);
        assert_eq!(r.read(&mut buf).await.unwrap(), 0);

        let mut c = Chunked::new(b"hello", 3);
        assert_eq!(c.read(&mut buf).await.unwrap(), 2);
    });
}

#[test]
fn read_vectored_fills_in_order() {
    block_on(async {
        let mut r: &[u8] = b"abcdef";
        let (mut a, mut b) = ([0u8; 2], [0u8; 4]);
        let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
        assert_eq!(r.read_vectored(&mut bufs).await.unwrap(), 6);
        assert_eq!((&a, &b), (b"ab", b"cdef"));
    });
}

#[test]
fn read_exact_fills_across_chunks_and_pendings() {
    block_on(async {
        let data = pattern(100);
        let mut c = Chunked::new(&data, 7);
        let mut buf = [0u8; 60];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf[..], &data[..60]);
        let mut rest = [0u8; 40];
        c.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest[..], &data[60..]);
    });
}

#[test]
fn read_exact_short_input_is_unexpected_eof() {
    block_on(async {
        let mut c = Chunked::new(b"short", 2);
        let mut buf = [0u8; 10];
        let err = c.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        // An empty buffer needs no data.
        let mut none = [0u8; 0];
        empty().read_exact(&mut none).await.unwrap();
    });
}

#[test]
fn read_to_end_appends_and_counts() {
    block_on(async {
        let data = pattern(200_000);
        let mut c = Chunked::new(&data, 4096);
        let mut buf = b"head".to_vec();
        assert_eq!(c.read_to_end(&mut buf).await.unwrap(), data.len());
        assert_eq!(&buf[..4], b"head");
        assert_eq!(&buf[4..], &data[..]);
    });
}

#[test]
fn read_to_end_error_keeps_what_was_read() {
    block_on(async {
        let mut r = (&b"kept"[..]).chain(Failing);
        let mut buf = Vec::new();
        let err = r.read_to_end(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        assert_eq!(buf, b"kept");
    });
}

#[test]
fn read_to_end_dropped_midway_loses_nothing() {
    block_on(async {
        let (mut a, mut b) = duplex(64);
        a.write_all(b"first part").await.unwrap();
        let mut buf = Vec::new();
        {
            let mut fut = pin!(b.read_to_end(&mut buf));
            // Reads what is there, then waits for more: drop it then.
            assert!(poll_once(fut.as_mut()).is_pending());
        }
        assert_eq!(buf, b"first part");
        a.write_all(b", second").await.unwrap();
        drop(a);
        assert_eq!(b.read_to_end(&mut buf).await.unwrap(), 8);
        assert_eq!(buf, b"first part, second");
    });
}

#[test]
fn read_to_string_appends_valid_utf8() {
    block_on(async {
        let mut c = Chunked::new("grüße, 世界".as_bytes(), 1); // split inside characters
        let mut s = String::from(">");
        let n = c.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, ">grüße, 世界");
        assert_eq!(n, "grüße, 世界".len());
    });
}

#[test]
fn read_to_string_invalid_utf8_leaves_the_string_alone() {
    block_on(async {
        let mut r: &[u8] = b"ok \xff\xfe bad";
        let mut s = String::from("before");
        let err = r.read_to_string(&mut s).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(s, "before");
    });
}

#[test]
fn read_to_string_dropped_midway_restores_the_string() {
    block_on(async {
        let (mut a, mut b) = duplex(64);
        a.write_all("half of é".as_bytes().split_last().unwrap().1)
            .await
            .unwrap();
        let mut s = String::from("kept");
        {
            let mut fut = pin!(b.read_to_string(&mut s));
            assert!(poll_once(fut.as_mut()).is_pending());
        }
        assert_eq!(s, "kept");
    });
}

#[test]
fn take_limits_and_chain_concatenates() {
    block_on(async {
        let mut t = (&b"0123456789"[..]).take(4);
        let mut out = Vec::new();
        t.read_to_end(&mut out).await.unwrap();
        assert_eq!((out.as_slice(), t.limit()), (&b"0123"[..], 0));
        t.set_limit(2);
        let mut more = String::new();
        t.read_to_string(&mut more).await.unwrap();
        assert_eq!(more, "45");
        assert_eq!(t.into_inner(), b"6789");

        // As AsyncBufRead too.
        let mut line = String::new();
        (&b"abc\ndef"[..])
            .take(2)
            .read_line(&mut line)
            .await
            .unwrap();
        assert_eq!(line, "ab");

        let mut c = Chunked::new(b"one ", 2).chain(&b"two"[..]);
        let mut s = String::new();
        c.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "one two");
        let mut lines = (&b"a\nb"[..]).chain(&b"c\nd\n"[..]).lines();
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().await.unwrap() {
            got.push(l);
        }
        assert_eq!(got, ["a", "bc", "d"]);
    });
}

#[test]
fn write_write_vectored_flush_close() {
    block_on(async {
        let mut out = Vec::new();
        assert_eq!(out.write(b"abc").await.unwrap(), 3);
        let bufs = [IoSlice::new(b"de"), IoSlice::new(b"f")];
        let n = out.write_vectored(&bufs).await.unwrap();
        assert!(n >= 2);
        out.flush().await.unwrap();
        out.close().await.unwrap();
        assert!(out.starts_with(b"abcde"));
    });
}

#[test]
fn write_all_zero_write_is_write_zero() {
    block_on(async {
        let err = ZeroWriter.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        // Nothing to write: never asks the writer.
        ZeroWriter.write_all(b"").await.unwrap();
    });
}

#[test]
fn fill_buf_and_consume() {
    block_on(async {
        let mut r = BufReader::with_capacity(4, Chunked::new(b"abcdef", 8));
        assert_eq!(r.fill_buf().await.unwrap(), b"abcd");
        r.consume(3);
        assert_eq!(r.fill_buf().await.unwrap(), b"d");
        r.consume(1);
        assert_eq!(r.fill_buf().await.unwrap(), b"ef");
        r.consume(2);
        assert_eq!(r.fill_buf().await.unwrap(), b"");
    });
}

#[test]
fn read_until_across_buffer_refills() {
    block_on(async {
        let mut r = BufReader::with_capacity(3, Chunked::new(b"key=value;next;", 2));
        let mut buf = Vec::new();
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 10);
        assert_eq!(buf, b"key=value;");
        buf.clear();
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 5);
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 0);
        assert_eq!(buf, b"next;");
    });
}

#[test]
fn read_until_dropped_midway_keeps_the_partial_record() {
    block_on(async {
        let (mut a, b) = duplex(64);
        let mut r = BufReader::new(b);
        a.write_all(b"par").await.unwrap();
        let mut buf = Vec::new();
        {
            let mut fut = pin!(r.read_until(b'\n', &mut buf));
            assert!(poll_once(fut.as_mut()).is_pending());
        }
        assert_eq!(buf, b"par");
        a.write_all(b"tial\n").await.unwrap();
        r.read_until(b'\n', &mut buf).await.unwrap();
        assert_eq!(buf, b"partial\n");
    });
}

#[test]
fn read_line_ok_eof_and_invalid_utf8() {
    block_on(async {
        let mut r = BufReader::with_capacity(2, Chunked::new(b"one\ntwo", 1));
        let mut s = String::new();
        assert_eq!(r.read_line(&mut s).await.unwrap(), 4);
        assert_eq!(r.read_line(&mut s).await.unwrap(), 3);
        assert_eq!(r.read_line(&mut s).await.unwrap(), 0);
        assert_eq!(s, "one\ntwo");

        let mut bad: &[u8] = b"\xc3\x28\nfine\n";
        let mut s = String::from("x");
        let err = bad.read_line(&mut s).await.unwrap_err();
        assert_eq!((err.kind(), s.as_str()), (ErrorKind::InvalidData, "x"));
        assert_eq!(bad.read_line(&mut s).await.unwrap(), 5);
        assert_eq!(s, "xfine\n");
    });
}

#[test]
fn read_line_dropped_midway_leaves_the_string_alone() {
    block_on(async {
        let (mut a, b) = duplex(64);
        let mut r = BufReader::new(b);
        a.write_all(b"no newline yet").await.unwrap();
        let mut s = String::from("prefix");
        {
            let mut fut = pin!(r.read_line(&mut s));
            assert!(poll_once(fut.as_mut()).is_pending());
        }
        assert_eq!(s, "prefix");
    });
}

#[test]
fn lines_strip_endings_and_go_on_after_bad_utf8() {
    block_on(async {
        let input: &[u8] = b"a\r\nb\n\xff\n\nlast";
        let mut lines = BufReader::with_capacity(2, input).lines();
        let mut got = Vec::new();
        loop {
            match lines.next_line().await {
                Ok(Some(l)) => got.push(Ok(l)),
                Ok(None) => break,
                Err(e) => got.push(Err(e.kind())),
            }
        }
        let want: Vec<std::result::Result<String, ErrorKind>> = vec![
            Ok("a".into()),
            Ok("b".into()),
            Err(ErrorKind::InvalidData),
            Ok("".into()),
            Ok("last".into()),
        ];
        assert_eq!(got, want);
        // Ended: stays ended.
        assert!(lines.next_line().await.unwrap().is_none());
    });
}

#[test]
fn lines_is_a_stream_and_keeps_partial_lines() {
    block_on(async {
        let (mut a, b) = duplex(64);
        let mut lines = BufReader::new(b).lines();
        a.write_all(b"hel").await.unwrap();
        {
            let mut fut = pin!(lines.next_line());
            assert!(poll_once(fut.as_mut()).is_pending());
        }
        a.write_all(b"lo\nwor").await.unwrap();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("hello"));
        a.write_all(b"ld").await.unwrap();
        drop(a);
        let mut lines = pin!(lines);
        let next = std::future::poll_fn(|cx| lines.as_mut().poll_next(cx)).await;
        assert_eq!(next.unwrap().unwrap(), "world");
        let end = std::future::poll_fn(|cx| lines.as_mut().poll_next(cx)).await;
        assert!(end.is_none());
    });
}

#[test]
fn empty_sink_repeat() {
    block_on(async {
        let mut buf = [1u8; 4];
        assert_eq!(empty().read(&mut buf).await.unwrap(), 0);
        assert_eq!(empty().fill_buf().await.unwrap(), b"");
        let mut s = sink();
        assert_eq!(s.write(&buf).await.unwrap(), 4);
        s.flush().await.unwrap();
        s.close().await.unwrap();
        repeat(9).read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [9; 4]);
        let n = copy(&mut repeat(1).take(100_000), &mut sink())
            .await
            .unwrap();
        assert_eq!(n, 100_000);
    });
}

#[test]
fn debug_impls_name_the_types() {
    let (a, _b) = duplex(4);
    assert!(format!("{a:?}").contains("DuplexStream"));
    assert!(format!("{:?}", BufReader::new(empty())).contains("BufReader"));
    assert!(format!("{:?}", BufWriter::new(sink())).contains("BufWriter"));
    let (r, w) = split(a);
    assert!(format!("{r:?}{w:?}").contains("ReadHalf"));
}
