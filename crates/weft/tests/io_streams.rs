//! The io streams on a multi-thread runtime: `duplex`, `copy` and `split` with their ends in
//! tasks on several threads, waking each other. The tests that need no runtime are
//! weft-reactor's unit tests (`crates/weft-reactor/src/io/tests_streams.rs`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weft::io::{copy, duplex, split, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use weft::runtime::Builder;

/// Runs `f` on a 4-worker multi-thread runtime, failing (not hanging) after 60 s.
fn multi<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        weft::time::timeout(Duration::from_secs(60), f)
            .await
            .expect("timed out: a wake-up was lost")
    })
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn duplex_wakes_the_waiting_reader_and_writer() {
    multi(async {
        let (mut a, mut b) = duplex(1);
        let reader = weft::spawn(async move {
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.unwrap();
            got
        });
        let data = pattern(10_000);
        a.write_all(&data).await.unwrap();
        drop(a);
        assert_eq!(reader.await.unwrap(), data);
    });
}

#[test]
fn copy_a_megabyte_through_a_small_duplex() {
    let copied = multi(async {
        let data = Arc::new(pattern(1 << 20));
        let (mut tx, mut rx) = duplex(100); // far smaller than the copy buffer
        let source = data.clone();
        let writer = weft::spawn(async move {
            let mut src: &[u8] = &source;
            let n = copy(&mut src, &mut tx).await.unwrap();
            tx.close().await.unwrap();
            n
        });
        let mut got = Vec::new();
        let n = copy(&mut rx, &mut got).await.unwrap();
        assert_eq!(writer.await.unwrap(), n);
        assert!(got == *data, "bytes differ");
        n
    });
    assert_eq!(copied, 1 << 20);
}

#[test]
fn split_halves_in_two_tasks_on_many_threads() {
    // An echo server on one end; the client's halves run in two tasks at once, through a
    // pipe far smaller than the data, so both halves wait again and again.
    multi(async {
        let (client, server) = duplex(16);
        let echo = weft::spawn(async move {
            let (mut r, mut w) = split(server);
            copy(&mut r, &mut w).await.unwrap();
            w.close().await.unwrap();
        });
        let (mut rx, mut tx) = split(client);
        let data = pattern(120_000);
        let expected = data.clone();
        let writer = weft::spawn(async move {
            tx.write_all(&data).await.unwrap();
            tx.close().await.unwrap();
            tx
        });
        let reader = weft::spawn(async move {
            let mut got = Vec::new();
            rx.read_to_end(&mut got).await.unwrap();
            (rx, got)
        });
        let (rx, got) = reader.await.unwrap();
        let tx = writer.await.unwrap();
        assert!(got == expected, "echo differs");
        echo.await.unwrap();
        assert!(rx.is_pair_of(&tx));
        rx.reunite(tx).unwrap();
    });
}

/// A stream with one waker slot for both directions, fed by an outside "driver": a split
/// that passed each half's own waker would let the reader's registration overwrite the
/// writer's (or the reverse) and hang.
#[derive(Clone)]
struct OneSlot(Arc<Mutex<OneSlotState>>);

#[derive(Default)]
struct OneSlotState {
    readable: usize,
    room: usize,
    waker: Option<Waker>,
}

impl OneSlot {
    fn feed(&self) {
        let w = {
            let mut s = self.0.lock().unwrap();
            s.readable += 1;
            s.room += 1;
            s.waker.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }
}

impl AsyncRead for OneSlot {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut s = self.0.lock().unwrap();
        if s.readable == 0 {
            s.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        s.readable -= 1;
        buf[0] = b'r';
        Poll::Ready(Ok(1))
    }
}

impl AsyncWrite for OneSlot {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        let mut s = self.0.lock().unwrap();
        if s.room == 0 {
            s.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        s.room -= 1;
        Poll::Ready(Ok(1))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn split_loses_no_wake_even_with_a_single_waker_stream() {
    multi(async {
        const N: usize = 2_000;
        let stream = OneSlot(Arc::default());
        let driver = stream.clone();
        let (mut rx, mut tx) = split(stream);
        let reader = weft::spawn(async move {
            let mut buf = vec![0u8; N];
            rx.read_exact(&mut buf).await.unwrap();
        });
        let writer = weft::spawn(async move {
            tx.write_all(&[0u8; N]).await.unwrap();
        });
        let feeder = std::thread::spawn(move || {
            for _ in 0..N {
                driver.feed();
                std::thread::yield_now();
            }
        });
        reader.await.unwrap();
        writer.await.unwrap();
        feeder.join().unwrap();
    });
}
