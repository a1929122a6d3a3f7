//! `mpsc`, bounded and unbounded: order per sender, exact counts under races on a
//! multi-thread runtime, closing (receiver close, every sender gone, receiver dropped with
//! buffered values), capacity, `recv_many`, the `Stream` impl, the blocking calls and the
//! cooperative budget.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_lite::StreamExt;
use weft::sync::mpsc::{self, error::TryRecvError, error::TrySendError};

fn multi_thread() -> weft::Runtime {
    weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap()
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

const SENDERS: usize = 8;
const EACH: usize = 5_000;

/// Checks every sender's messages came in its order, and all of them.
fn check_per_sender_order(got: &[(usize, usize)]) {
    assert_eq!(got.len(), SENDERS * EACH);
    let mut next: HashMap<usize, usize> = HashMap::new();
    for &(sender, i) in got {
        let n = next.entry(sender).or_default();
        assert_eq!(*n, i, "sender {sender} out of order");
        *n += 1;
    }
    assert!(next.values().all(|&n| n == EACH));
}

#[test]
fn bounded_eight_senders_exact_count_and_order() {
    for cap in [1, 7, 100] {
        multi_thread().block_on(async move {
            let (tx, mut rx) = mpsc::channel(cap);
            for s in 0..SENDERS {
                let tx = tx.clone();
                weft::spawn(async move {
                    for i in 0..EACH {
                        tx.send((s, i)).await.unwrap();
                    }
                });
            }
            drop(tx);
            let mut got = Vec::new();
            while let Some(m) = rx.recv().await {
                got.push(m);
            }
            check_per_sender_order(&got);
        });
    }
}

#[test]
fn unbounded_eight_senders_exact_count_and_order() {
    multi_thread().block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for s in 0..SENDERS {
            let tx = tx.clone();
            weft::spawn(async move {
                for i in 0..EACH {
                    tx.send((s, i)).unwrap();
                    if i % 64 == 0 {
                        weft::task::yield_now().await;
                    }
                }
            });
        }
        drop(tx);
        let mut got = Vec::new();
        let mut buf = Vec::new();
        while rx.recv_many(&mut buf, 37).await > 0 {
            assert!(buf.len() <= 37);
            got.append(&mut buf);
        }
        check_per_sender_order(&got);
    });
}

#[test]
fn try_send_is_full_exactly_at_capacity() {
    let (tx, mut rx) = mpsc::channel(3);
    assert_eq!(tx.max_capacity(), 3);
    for i in 0..3 {
        assert_eq!(tx.capacity(), 3 - i);
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
    // A message in the receiver's batch still holds its slot until it is taken.
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(tx.capacity(), 1);
    tx.try_send(3).unwrap();
    assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
    assert_eq!(rx.len(), 3);
    assert_eq!(
        (0..3).map(|_| rx.try_recv().unwrap()).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
}

#[test]
#[should_panic(expected = "the capacity must be at least 1")]
fn capacity_zero_panics() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn close_fails_waiting_senders_and_keeps_buffered_messages() {
    multi_thread().block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        let waiting: Vec<_> = (0..4)
            .map(|i| {
                let tx = tx.clone();
                weft::spawn(async move { tx.send(10 + i).await.map_err(|e| e.0) })
            })
            .collect();
        // Let them queue (the channel is full).
        while tx.capacity() != 0 {
            weft::task::yield_now().await;
        }
        for _ in 0..10 {
            weft::task::yield_now().await;
        }
        rx.close();
        assert!(tx.is_closed());
        tx.closed().await;
        let mut refused = Vec::new();
        for w in waiting {
            if let Err(v) = w.await.unwrap() {
                refused.push(v);
            }
        }
        assert!(matches!(tx.try_send(0), Err(TrySendError::Closed(0))));
        assert_eq!(tx.send(5).await.unwrap_err().0, 5);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        assert_eq!(&got[..2], [1, 2]);
        // Every value is either received or handed back.
        assert_eq!(got.len() - 2 + refused.len(), 4);
    });
}

#[test]
fn all_senders_dropped_ends_the_stream_after_the_buffer() {
    multi_thread().block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        let waiter = weft::spawn(async move {
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            (got, rx.is_closed(), rx.try_recv())
        });
        let tx2 = tx.clone();
        tx.send(1).await.unwrap();
        drop(tx);
        tx2.send(2).await.unwrap();
        drop(tx2);
        let (got, closed, last) = waiter.await.unwrap();
        assert_eq!(got, [1, 2]);
        assert!(closed);
        assert_eq!(last, Err(TryRecvError::Disconnected));
    });
}

#[test]
fn receiver_dropped_sends_fail_and_buffered_values_drop_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::channel(8);
    for _ in 0..5 {
        tx.try_send(Counted(drops.clone())).unwrap();
    }
    // One message in the receiver's batch, the others moved along with it.
    drop(rx.try_recv().unwrap());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    let back = tx.try_send(Counted(drops.clone())).unwrap_err();
    assert!(matches!(back, TrySendError::Closed(_)));
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 6);
    let back = futures_lite::future::block_on(tx.send(Counted(drops.clone()))).unwrap_err();
    drop(back.0);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 7);

    let (tx, rx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 10);
    let back = tx.send(Counted(drops.clone())).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 10);
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 11);
}

#[test]
fn recv_many_limits() {
    futures_lite::future::block_on(async {
        let (tx, mut rx) = mpsc::channel(10);
        for i in 0..7 {
            tx.send(i).await.unwrap();
        }
        let mut buf = vec![100];
        assert_eq!(rx.recv_many(&mut buf, 0).await, 0);
        assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
        assert_eq!(buf, [100, 0, 1, 2]);
        assert_eq!(tx.capacity(), 10 - 4);
        assert_eq!(rx.recv_many(&mut buf, 100).await, 4);
        assert_eq!(buf, [100, 0, 1, 2, 3, 4, 5, 6]);
        drop(tx);
        assert_eq!(rx.recv_many(&mut buf, 100).await, 0);
    });
}

#[test]
fn receivers_are_streams() {
    futures_lite::future::block_on(async {
        let (tx, rx) = mpsc::channel(10);
        for i in 0..5 {
            tx.send(i).await.unwrap();
        }
        drop(tx);
        assert_eq!(rx.collect::<Vec<_>>().await, [0, 1, 2, 3, 4]);

        let (tx, rx) = mpsc::unbounded_channel();
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let doubled: Vec<i32> = rx.map(|x| x * 2).collect().await;
        assert_eq!(doubled, [0, 2, 4, 6, 8]);
    });
}

#[test]
fn blocking_send_from_a_std_thread_feeds_an_async_receiver() {
    let (tx, mut rx) = mpsc::channel(2);
    let producer = std::thread::spawn(move || {
        for i in 0..1_000 {
            tx.blocking_send(i).unwrap();
        }
    });
    let got = multi_thread().block_on(async move {
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    producer.join().unwrap();
    assert_eq!(got, (0..1_000).collect::<Vec<_>>());
}

#[test]
fn blocking_recv_in_a_std_thread() {
    let (tx, mut rx) = mpsc::channel(2);
    let (utx, mut urx) = mpsc::unbounded_channel();
    let consumer = std::thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(v) = rx.blocking_recv() {
            got.push(v);
        }
        while let Some(v) = urx.blocking_recv() {
            got.push(v);
        }
        got
    });
    multi_thread().block_on(async move {
        for i in 0..500 {
            tx.send(i).await.unwrap();
        }
        drop(tx);
        for i in 500..1_000 {
            utx.send(i).unwrap();
        }
    });
    assert_eq!(consumer.join().unwrap(), (0..1_000).collect::<Vec<_>>());
}

#[test]
#[should_panic(expected = "`mpsc::Sender::blocking_send` was called inside a runtime")]
fn blocking_send_inside_a_runtime_panics() {
    weft::run(async {
        let (tx, _rx) = mpsc::channel(1);
        let _ = tx.blocking_send(1);
    });
}

#[test]
#[should_panic(expected = "`mpsc::Receiver::blocking_recv` was called inside a runtime")]
fn blocking_recv_inside_a_runtime_panics() {
    weft::run(async {
        let (_tx, mut rx) = mpsc::channel::<u8>(1);
        let _ = rx.blocking_recv();
    });
}

#[test]
#[should_panic(expected = "`mpsc::UnboundedReceiver::blocking_recv` was called inside a runtime")]
fn unbounded_blocking_recv_inside_a_runtime_panics() {
    weft::run(async {
        let (_tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let _ = rx.blocking_recv();
    });
}

#[test]
fn a_receiver_that_never_runs_dry_still_yields() {
    // Inside a task's budget, the receiver returns Pending (and wakes itself) after the
    // budget is spent, though messages are still there.
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..1_000 {
        tx.send(i).unwrap();
    }
    let mut cx = Context::from_waker(Waker::noop());
    let taken = weft_core_budget(|| {
        let mut n = 0;
        while let Poll::Ready(Some(_)) = rx.poll_recv(&mut cx) {
            n += 1;
        }
        n
    });
    assert!(taken < 1_000, "the budget stopped the receiver ({taken})");
    assert!(taken > 0);
    // Outside a budget nothing stops it.
    let rest = (0..).take_while(|_| rx.try_recv().is_ok()).count();
    assert_eq!(taken + rest, 1_000);

    // And on a runtime, a task draining a channel that a busy producer keeps full lets a
    // neighbour on the same (single) worker run.
    weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let (tx, mut rx) = mpsc::unbounded_channel();
            for i in 0..10_000 {
                tx.send(i).unwrap();
            }
            let flag = Arc::new(AtomicUsize::new(0));
            let f = flag.clone();
            let neighbour = weft::spawn(async move { f.store(1, Ordering::SeqCst) });
            let mut seen_before_done = false;
            for _ in 0..10_000 {
                rx.recv().await.unwrap();
                if flag.load(Ordering::SeqCst) == 1 {
                    seen_before_done = true;
                }
            }
            neighbour.await.unwrap();
            assert!(seen_before_done, "the receiver yielded to its neighbour");
        });
}

/// Runs `f` inside a task-poll budget, as a runtime does.
fn weft_core_budget<R>(f: impl FnOnce() -> R) -> R {
    let rt = weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // `block_on` polls with a budget: run `f` inside one poll.
    let mut f = Some(f);
    rt.block_on(std::future::poll_fn(move |_| {
        Poll::Ready((f.take().unwrap())())
    }))
}
