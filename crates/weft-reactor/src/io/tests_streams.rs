//! Tests of the streams: `duplex`, `split`, `copy`, `BufReader`, `BufWriter`. Those that
//! need tasks on several threads are the facade's `tests/io_streams.rs`.

use std::io::{self, ErrorKind};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use weft_core::coop;

use super::tests::{block_on, noop_waker, pattern, poll_once, Chunked};
use super::*;

#[test]
fn duplex_eof_after_the_peer_drops_with_data_buffered() {
    block_on(async {
        let (mut a, mut b) = duplex(16);
        a.write_all(b"last words").await.unwrap();
        drop(a);
        let mut got = String::new();
        b.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "last words");
        let mut buf = [0u8; 4];
        assert_eq!(b.read(&mut buf).await.unwrap(), 0);
        // Writing towards the dropped end fails.
        assert_eq!(
            b.write(b"x").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
    });
}

#[test]
fn duplex_close_ends_one_direction_only() {
    block_on(async {
        let (mut a, mut b) = duplex(16);
        a.write_all(b"req").await.unwrap();
        a.close().await.unwrap();
        assert_eq!(
            a.write(b"more").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        let mut req = Vec::new();
        b.read_to_end(&mut req).await.unwrap(); // ends: `a` closed
        assert_eq!(req, b"req");
        // The other direction still works.
        b.write_all(b"resp").await.unwrap();
        let mut resp = [0u8; 4];
        a.read_exact(&mut resp).await.unwrap();
        assert_eq!(&resp, b"resp");
    });
}

#[test]
fn duplex_backpressure_at_capacity() {
    block_on(async {
        let (mut a, mut b) = duplex(4);
        assert_eq!(a.write(b"abcdef").await.unwrap(), 4);
        {
            let mut w = pin!(a.write(b"g"));
            assert!(
                poll_once(w.as_mut()).is_pending(),
                "full: the writer must wait"
            );
        }
        let mut two = [0u8; 2];
        b.read_exact(&mut two).await.unwrap();
        assert_eq!(a.write(b"ghi").await.unwrap(), 2);
        let mut rest = [0u8; 4];
        b.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"cdgh");
        // Empty reads and writes complete at once.
        assert_eq!(a.write(b"").await.unwrap(), 0);
        assert_eq!(b.read(&mut []).await.unwrap(), 0);
    });
}

#[test]
#[should_panic(expected = "max_buf_size must be at least 1")]
fn duplex_of_zero_capacity_panics() {
    let _ = duplex(0);
}

#[test]
fn duplex_spends_the_budget() {
    let (mut a, mut b) = duplex(1 << 20);
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut byte = [0u8; 1];
    assert!(Pin::new(&mut a).poll_write(&mut cx, &[0; 1000]).is_ready());
    coop::budget(|| {
        for _ in 0..coop::BUDGET {
            assert!(Pin::new(&mut b).poll_read(&mut cx, &mut byte).is_ready());
        }
        assert!(Pin::new(&mut b).poll_read(&mut cx, &mut byte).is_pending());
        assert!(Pin::new(&mut a).poll_write(&mut cx, b"x").is_pending());
    });
}

#[test]
fn copy_buf_and_copy_errors() {
    block_on(async {
        let data = pattern(50_000);
        let mut r = BufReader::with_capacity(1000, Chunked::new(&data, 333));
        let mut out = Vec::new();
        assert_eq!(copy_buf(&mut r, &mut out).await.unwrap(), 50_000);
        assert_eq!(out, data);

        struct Zero;
        impl AsyncWrite for Zero {
            fn poll_write(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                _: &[u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(Ok(0))
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
        let err = copy(&mut &b"x"[..], &mut Zero).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        let err = copy_buf(&mut &b"x"[..], &mut Zero).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
    });
}

#[test]
fn copy_flushes_while_the_reader_waits() {
    block_on(async {
        let (mut tx, mut rx) = duplex(64);
        let mut out = BufWriter::with_capacity(1024, Vec::new());
        tx.write_all(b"early").await.unwrap();
        {
            let mut fut = pin!(copy(&mut rx, &mut out));
            assert!(poll_once(fut.as_mut()).is_pending());
        }
        // The reader had nothing more: what was copied went through the BufWriter.
        assert_eq!(out.get_ref(), b"early");
    });
}

#[test]
fn buf_reader_buffers_small_reads_and_bypasses_large_ones() {
    block_on(async {
        let data = pattern(100);
        let mut r = BufReader::with_capacity(16, &data[..]);
        assert_eq!(r.capacity(), 16);
        let mut one = [0u8; 1];
        r.read_exact(&mut one).await.unwrap();
        assert_eq!(r.buffer(), &data[1..16]);
        let mut big = [0u8; 40]; // larger than the buffer, but the buffer is not empty
        assert_eq!(r.read(&mut big).await.unwrap(), 15);
        assert!(r.buffer().is_empty());
        assert_eq!(r.read(&mut big).await.unwrap(), 40); // straight from the inner reader
        assert_eq!(&big[..], &data[16..56]);
        assert!(r.buffer().is_empty());
        assert_eq!(r.get_ref().len(), 44);
        assert_eq!(r.into_inner(), &data[56..]);
    });
}

#[test]
fn buf_reader_passes_writes_through() {
    block_on(async {
        let (a, mut b) = duplex(64);
        let mut r = BufReader::new(a);
        r.write_all(b"through").await.unwrap();
        r.flush().await.unwrap();
        let mut got = [0u8; 7];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"through");
        r.close().await.unwrap();
        assert_eq!(b.read(&mut got).await.unwrap(), 0);
    });
}

#[test]
fn buf_writer_holds_until_full_and_flushes_on_flush_and_close() {
    block_on(async {
        let mut w = BufWriter::with_capacity(8, Vec::new());
        w.write_all(b"12345").await.unwrap();
        assert_eq!((w.get_ref().len(), w.buffer()), (0, &b"12345"[..]));
        w.write_all(b"678").await.unwrap(); // fits exactly
        assert!(w.get_ref().is_empty());
        w.write_all(b"9").await.unwrap(); // does not fit: the full buffer goes first
        assert_eq!(
            (w.get_ref().as_slice(), w.buffer()),
            (&b"12345678"[..], &b"9"[..])
        );
        w.write_all(b"large write!").await.unwrap(); // >= capacity: straight through after
        assert_eq!(w.get_ref().as_slice(), b"123456789large write!");
        w.write_all(b"tail").await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().as_slice(), b"123456789large write!tail");
        w.write_all(b".").await.unwrap();
        w.close().await.unwrap();
        assert!(w.buffer().is_empty());
        assert_eq!(w.into_inner(), b"123456789large write!tail.");

        // into_inner without a flush drops the buffer (documented).
        let mut w = BufWriter::new(Vec::new());
        w.write_all(b"lost").await.unwrap();
        assert!(w.into_inner().is_empty());
    });
}

#[test]
fn buf_writer_reports_a_zero_write() {
    block_on(async {
        let (a, b) = duplex(4);
        drop(b);
        let mut w = BufWriter::with_capacity(8, a);
        w.write_all(b"xy").await.unwrap();
        assert_eq!(w.flush().await.unwrap_err().kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn reunite_rejects_halves_of_different_streams() {
    let (a, b) = duplex(4);
    let (ra, wa) = split(a);
    let (rb, wb) = split(b);
    let ReuniteError(ra, wb) = ra.reunite(wb).unwrap_err();
    assert!(!ra.is_pair_of(&wb) && wb.is_pair_of(&rb));
    assert!(ra.reunite(wa).is_ok());
    assert!(wb.reunite(rb).is_ok());
    assert!(format!(
        "{}",
        ReuniteError(split(duplex(1).0).0, split(duplex(1).0).1)
    )
    .contains("not from the same stream"));
}
