//! `mpsc` cancellation: a dropped `send`, `reserve` or `closed()` future leaves no waiter,
//! a slot it had been granted goes to the next sender, a dropped permit gives its slot back,
//! and a dropped `recv` loses no message.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_lite::future::poll_once;
use weft::sync::mpsc;

fn noop() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn flag() -> (Arc<Flag>, Waker) {
    let f = Arc::new(Flag(AtomicUsize::new(0)));
    (f.clone(), Waker::from(f))
}

#[test]
fn a_dropped_waiting_send_leaves_no_waiter() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    {
        let mut send = pin!(tx.send(1));
        assert!(send.as_mut().poll(&mut noop()).is_pending());
    }
    // The dropped waiter is gone: the next sender gets the slot freed by the receive.
    let (woken, waker) = flag();
    let mut second = pin!(tx.send(2));
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(woken.0.load(Ordering::SeqCst), 1);
    assert!(second.poll(&mut noop()).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn a_granted_send_dropped_passes_its_slot_on() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut first = Box::pin(tx.send(1));
    assert!(first.as_mut().poll(&mut noop()).is_pending());
    let (woken, waker) = flag();
    let mut second = pin!(tx.send(2));
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    // The receive frees the slot and grants it to `first`, which is dropped unpolled.
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(woken.0.load(Ordering::SeqCst), 0);
    drop(first);
    assert_eq!(
        woken.0.load(Ordering::SeqCst),
        1,
        "the slot went on to `second`"
    );
    assert!(second.poll(&mut noop()).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Empty));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn a_granted_reserve_dropped_passes_its_slot_on() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    tx.try_send(0).unwrap();
    let mut first = Box::pin(tx.reserve());
    assert!(first.as_mut().poll(&mut noop()).is_pending());
    let mut second = pin!(tx.reserve());
    assert!(second.as_mut().poll(&mut noop()).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    drop(first);
    let Poll::Ready(Ok(permit)) = second.poll(&mut noop()) else {
        panic!("the slot was passed on")
    };
    permit.send(7);
    assert_eq!(rx.try_recv(), Ok(7));
}

#[test]
fn a_dropped_permit_returns_its_slot() {
    futures_lite::future::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        let p1 = tx.reserve().await.unwrap();
        let p2 = tx.try_reserve().unwrap();
        assert_eq!(tx.capacity(), 0);
        assert!(tx.try_send(1).is_err());
        // A sender waiting for a slot gets the one a dropped permit gives back.
        let mut waiting = Box::pin(tx.send(3));
        assert!(poll_once(waiting.as_mut()).await.is_none());
        drop(p1);
        assert!(poll_once(waiting.as_mut()).await.is_some());
        p2.send(2);
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(tx.capacity(), 2);

        let owned = tx.clone().reserve_owned().await.unwrap();
        assert_eq!(tx.capacity(), 1);
        drop(owned);
        assert_eq!(tx.capacity(), 2);
        let tx2 = tx.clone().reserve_owned().await.unwrap().send(9);
        assert!(tx2.same_channel(&tx));
        assert_eq!(rx.recv().await, Some(9));
    });
}

#[test]
fn a_dropped_recv_loses_no_message() {
    futures_lite::future::block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        {
            let recv = rx.recv();
            assert!(poll_once(recv).await.is_none());
        }
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        {
            // Polled once (the batch moves into the receiver), then dropped unfinished.
            let mut recv = pin!(rx.recv());
            assert_eq!(recv.as_mut().await, Some(1));
        }
        assert_eq!(rx.recv().await, Some(2));

        let (utx, mut urx) = mpsc::unbounded_channel();
        assert!(poll_once(urx.recv()).await.is_none());
        utx.send(5).unwrap();
        assert_eq!(urx.recv().await, Some(5));
    });
}

#[test]
fn a_dropped_closed_future_leaves_no_waiter() {
    futures_lite::future::block_on(async {
        let (tx, rx) = mpsc::channel::<u8>(1);
        assert!(poll_once(tx.closed()).await.is_none());
        assert!(poll_once(tx.closed()).await.is_none());
        drop(rx);
        tx.closed().await;
        assert!(tx.is_closed());
    });
}

#[test]
fn racing_cancelled_sends_lose_no_slot() {
    // Many senders whose sends are cancelled at random points (select against a yield):
    // afterwards the full capacity is still there.
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<usize>(2);
        let mut tasks = Vec::new();
        for s in 0..8 {
            let tx = tx.clone();
            tasks.push(weft::spawn(async move {
                let mut sent = 0;
                for i in 0..2_000 {
                    let send = tx.send(s * 10_000 + i);
                    let yielded = weft::task::yield_now();
                    if let weft::future::Either::Left((r, _)) =
                        weft::future::select(pin!(send), pin!(yielded)).await
                    {
                        r.unwrap();
                        sent += 1;
                    }
                }
                sent
            }));
        }
        let consumer = weft::spawn(async move {
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        });
        let mut sent = 0;
        for t in tasks {
            sent += t.await.unwrap();
        }
        // The consumer drains what is left: every slot comes back.
        let mut spins = 0;
        while tx.capacity() != 2 {
            spins += 1;
            assert!(spins < 1_000_000, "a slot was lost");
            weft::task::yield_now().await;
        }
        drop(tx);
        assert_eq!(consumer.await.unwrap(), sent);
    });
}
