//! `oneshot`: every path of the one value: sent before or after the receiver is polled,
//! sender dropped with a receiver waiting, receiver dropped or closed (the value comes back,
//! or is dropped exactly once), `closed()`, `try_recv`, the blocking receive, and a
//! multi-thread ping-pong.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft::sync::oneshot::{self, RecvError, TryRecvError};

fn multi_thread() -> weft::Runtime {
    weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap()
}

/// Counts how many times it is dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn send_before_the_receiver_is_polled() {
    let (tx, rx) = oneshot::channel();
    tx.send(1).unwrap();
    assert_eq!(futures_lite::future::block_on(rx), Ok(1));
}

#[test]
fn send_after_the_receiver_is_polled_wakes_it() {
    let (tx, rx) = oneshot::channel();
    let mut rx = pin!(rx);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(rx.as_mut().poll(&mut cx).is_pending());
    // Polled again with the same waker: still pending, nothing lost.
    assert!(rx.as_mut().poll(&mut cx).is_pending());
    tx.send("v").unwrap();
    assert_eq!(rx.poll(&mut cx), Poll::Ready(Ok("v")));
}

#[test]
fn sender_dropped_while_the_receiver_waits() {
    multi_thread().block_on(async {
        let (tx, rx) = oneshot::channel::<u32>();
        let waiter = weft::spawn(rx);
        weft::spawn(async move { drop(tx) });
        let err: RecvError = waiter.await.unwrap().unwrap_err();
        assert!(err.to_string().contains("dropped"));
    });
}

#[test]
fn sender_dropped_before_poll() {
    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    assert!(futures_lite::future::block_on(rx).is_err());
}

#[test]
fn send_after_receiver_dropped_gives_the_value_back() {
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(String::from("back")), Err(String::from("back")));
}

#[test]
fn value_sent_then_receiver_dropped_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel();
    assert!(tx.send(Counted(drops.clone())).is_ok());
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn value_refused_after_close_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = oneshot::channel();
    rx.close();
    let back = tx.send(Counted(drops.clone())).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(back);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn close_keeps_a_value_sent_before() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(5).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(5));
}

#[test]
fn try_recv_every_state() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (_tx, mut rx) = oneshot::channel::<u8>();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn closed_resolves_when_the_receiver_drops_or_closes() {
    multi_thread().block_on(async {
        let (mut tx, rx) = oneshot::channel::<u8>();
        weft::spawn(async move {
            weft::task::yield_now().await;
            drop(rx);
        });
        tx.closed().await;
        assert!(tx.is_closed());

        let (mut tx, mut rx) = oneshot::channel::<u8>();
        // The receiver comes back in a tuple: a bare `Receiver` is itself a future, and
        // clippy rightly asks whether the task meant to await it.
        let closer = weft::spawn(async move {
            rx.close();
            (rx,)
        });
        tx.closed().await;
        drop(closer.await.unwrap());
    });
}

#[test]
fn poll_closed_replaces_its_waker() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let woken = Arc::new(AtomicUsize::new(0));
    let waker = counting_waker(woken.clone());
    let mut noop = Context::from_waker(Waker::noop());
    assert!(tx.poll_closed(&mut noop).is_pending());
    let mut cx = Context::from_waker(&waker);
    assert!(tx.poll_closed(&mut cx).is_pending());
    drop(rx);
    assert_eq!(woken.load(Ordering::SeqCst), 1, "the newest waker is woken");
    assert!(tx.poll_closed(&mut cx).is_ready());
}

#[test]
fn the_newest_receiver_waker_is_woken() {
    let (tx, rx) = oneshot::channel::<u8>();
    let mut rx = pin!(rx);
    let woken = Arc::new(AtomicUsize::new(0));
    let waker = counting_waker(woken.clone());
    assert!(rx
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_pending());
    assert!(rx
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    tx.send(1).unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), 1);
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_after_completion_panics() {
    let (tx, rx) = oneshot::channel();
    tx.send(1).unwrap();
    let mut rx = pin!(rx);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(rx.as_mut().poll(&mut cx).is_ready());
    let _ = rx.as_mut().poll(&mut cx);
}

#[test]
fn blocking_recv_from_a_std_thread() {
    let (tx, rx) = oneshot::channel();
    let t = std::thread::spawn(move || rx.blocking_recv());
    multi_thread().block_on(async move { tx.send(42).unwrap() });
    assert_eq!(t.join().unwrap(), Ok(42));
}

#[test]
#[should_panic(expected = "`oneshot::Receiver::blocking_recv` was called inside a runtime")]
fn blocking_recv_inside_a_runtime_panics() {
    weft::run(async {
        let (_tx, rx) = oneshot::channel::<u8>();
        let _ = rx.blocking_recv();
    });
}

#[test]
fn ping_pong_across_workers() {
    multi_thread().block_on(async {
        let (to_pong, mut pongs) = weft::sync::mpsc::unbounded_channel::<oneshot::Sender<u64>>();
        let ponger = weft::spawn(async move {
            let mut n = 0;
            while let Some(reply) = pongs.recv().await {
                reply.send(n).unwrap();
                n += 1;
            }
            n
        });
        for i in 0..10_000u64 {
            let (tx, rx) = oneshot::channel();
            to_pong.send(tx).unwrap();
            assert_eq!(rx.await, Ok(i));
        }
        drop(to_pong);
        assert_eq!(ponger.await.unwrap(), 10_000);
    });
}

#[test]
fn send_races_receiver_drop() {
    // Every value is either received, or handed back, or dropped with the channel: once.
    let drops = Arc::new(AtomicUsize::new(0));
    for _ in 0..2_000 {
        let (tx, rx) = oneshot::channel();
        let value = Counted(drops.clone());
        let t = std::thread::spawn(move || match tx.send(value) {
            Ok(()) => 0,
            Err(back) => {
                drop(back);
                1
            }
        });
        drop(rx);
        t.join().unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2_000);
}

fn counting_waker(count: Arc<AtomicUsize>) -> Waker {
    struct W(Arc<AtomicUsize>);
    impl std::task::Wake for W {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    Waker::from(Arc::new(W(count)))
}
