//! `broadcast`: every receiver sees every value when it keeps up, exact lag counts,
//! closing, dropped recv futures, the Stream impl, and many senders/receivers on 4 workers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_lite::StreamExt;
use weft::sync::broadcast::{self, RecvError, TryRecvError};

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
#[should_panic(expected = "capacity cannot be zero")]
fn zero_capacity_panics() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
fn lag_counts_are_exact() {
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 3);
    // 10 sent, 3 kept: 7 missed, reported once.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(7)));
    assert_eq!(rx.try_recv(), Ok(7));
    tx.send(10).unwrap();
    // Still within capacity (8, 9, 10 held): no lag.
    assert_eq!(rx.try_recv(), Ok(8));
    for i in 11..16 {
        tx.send(i).unwrap();
    }
    // Next wanted: 9; held: 13, 14, 15.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(4)));
    assert_eq!(rx.try_recv(), Ok(13));
    assert_eq!(rx.try_recv(), Ok(14));
    assert_eq!(rx.try_recv(), Ok(15));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn lag_through_recv_then_continues() {
    weft::run(async {
        let (tx, mut rx) = broadcast::channel(2);
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.recv().await, Err(RecvError::Lagged(3)));
        assert_eq!(rx.recv().await, Ok(3));
        assert_eq!(rx.recv().await, Ok(4));
    });
}

#[test]
fn send_without_receivers_hands_the_value_back() {
    let (tx, rx) = broadcast::channel(1);
    drop(rx);
    assert_eq!(tx.send(5).unwrap_err().0, 5);
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(6), Ok(1));
    assert_eq!(rx.try_recv(), Ok(6));
}

#[test]
fn closed_after_every_sender_drops_and_values_drained() {
    weft::run(async {
        let (tx, mut rx) = broadcast::channel(4);
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        drop(tx);
        tx2.send(2).unwrap();
        drop(tx2);
        assert_eq!(rx.recv().await, Ok(1));
        assert_eq!(rx.recv().await, Ok(2));
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn closing_wakes_waiting_receivers() {
    let (tx, mut rx1) = broadcast::channel::<u8>(4);
    let mut rx2 = tx.subscribe();
    let mut r1 = Box::pin(rx1.recv());
    let mut r2 = Box::pin(rx2.recv());
    assert!(poll_noop(r1.as_mut()).is_pending());
    assert!(poll_noop(r2.as_mut()).is_pending());
    drop(tx);
    assert_eq!(poll_noop(r1.as_mut()), Poll::Ready(Err(RecvError::Closed)));
    assert_eq!(poll_noop(r2.as_mut()), Poll::Ready(Err(RecvError::Closed)));
}

#[test]
fn dropped_recv_future_loses_no_value() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut other = tx.subscribe();
    {
        let mut recv = Box::pin(rx.recv());
        assert!(poll_noop(recv.as_mut()).is_pending());
        let mut recv2 = Box::pin(other.recv());
        assert!(poll_noop(recv2.as_mut()).is_pending());
        tx.send(1).unwrap(); // wakes both
                             // recv is dropped after being woken but before reading.
    }
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(other.try_recv(), Ok(1));
    // The dropped futures left no waiter: a send wakes nobody stale.
    assert_eq!(tx.send(2), Ok(2));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn stream_yields_lagged_and_ends_on_close() {
    weft::run(async {
        let (tx, rx) = broadcast::channel(2);
        for i in 0..4 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let items: Vec<_> = rx.collect().await;
        assert_eq!(items, [Err(RecvError::Lagged(2)), Ok(2), Ok(3)]);
    });
}

#[test]
fn every_receiver_sees_every_value_on_four_workers() {
    const RECEIVERS: usize = 8;
    const SENDERS: usize = 4;
    const PER_SENDER: usize = 500;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        // Capacity enough for everything: nobody lags, so every value reaches everyone.
        let (tx, rx) = broadcast::channel(SENDERS * PER_SENDER);
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|i| {
                let mut rx = if i == 0 {
                    rx.resubscribe()
                } else {
                    tx.subscribe()
                };
                weft::spawn(async move {
                    let mut last = [None::<usize>; SENDERS];
                    let mut count = 0;
                    loop {
                        match rx.recv().await {
                            Ok((s, n)) => {
                                let (s, n): (usize, usize) = (s, n);
                                // Per sender, values arrive in order and none is missing.
                                assert_eq!(last[s].map_or(0, |l| l + 1), n);
                                last[s] = Some(n);
                                count += 1;
                            }
                            Err(RecvError::Closed) => return count,
                            Err(RecvError::Lagged(n)) => panic!("lagged {n}"),
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        let tx = Arc::new(tx);
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = (*tx).clone();
                weft::spawn(async move {
                    for n in 0..PER_SENDER {
                        assert_eq!(tx.send((s, n)), Ok(RECEIVERS));
                        if n % 16 == 0 {
                            weft::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for s in senders {
            s.await.unwrap();
        }
        drop(tx);
        for r in receivers {
            assert_eq!(r.await.unwrap(), SENDERS * PER_SENDER);
        }
    });
}

#[test]
fn lagging_receivers_count_every_value_once_on_four_workers() {
    // A small ring: each receiver either reads a value or is told it missed it.
    const TOTAL: u64 = 5_000;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = broadcast::channel(4);
        let receivers: Vec<_> = (0..4)
            .map(|_| {
                let mut rx = rx.resubscribe();
                weft::spawn(async move {
                    let (mut read, mut missed, mut next) = (0u64, 0u64, 0u64);
                    loop {
                        match rx.recv().await {
                            Ok(v) => {
                                assert_eq!(v, next, "no value skipped without a Lagged");
                                next = v + 1;
                                read += 1;
                            }
                            Err(RecvError::Lagged(n)) => {
                                missed += n;
                                next += n;
                            }
                            Err(RecvError::Closed) => return (read, missed),
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        for v in 0..TOTAL {
            tx.send(v).unwrap();
            if v % 64 == 0 {
                weft::task::yield_now().await;
            }
        }
        drop(tx);
        for r in receivers {
            let (read, missed) = r.await.unwrap();
            assert_eq!(read + missed, TOTAL);
        }
    });
}
