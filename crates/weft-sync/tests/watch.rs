//! `watch`: coalescing of changes, `changed` after the sender drops, `has_changed`,
//! `mark_*`, `closed`, dropped `changed` futures, Stream semantics, and racing senders and
//! receivers on 4 workers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_lite::StreamExt;
use weft::sync::watch;

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn changes_coalesce() {
    weft::run(async {
        let (tx, mut rx) = watch::channel(0);
        for i in 1..=5 {
            tx.send(i).unwrap();
        }
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 5);
        let mut next = Box::pin(rx.changed());
        assert!(
            poll_noop(next.as_mut()).is_pending(),
            "one change reported once"
        );
    });
}

#[test]
fn changed_after_sender_drop() {
    weft::run(async {
        let (tx, mut rx) = watch::channel("a");
        tx.send("b").unwrap();
        drop(tx);
        // has_changed errs once closed (as tokio) ...
        assert!(rx.has_changed().is_err());
        // ... but changed still reports the unseen change, then the error.
        assert!(rx.changed().await.is_ok());
        assert_eq!(*rx.borrow(), "b");
        assert!(rx.changed().await.is_err());
        assert!(rx.changed().await.is_err());
    });
}

#[test]
fn sender_drop_wakes_a_waiting_receiver() {
    let (tx, mut rx) = watch::channel(());
    let mut rx2 = rx.clone();
    let mut a = Box::pin(rx.changed());
    let mut b = Box::pin(rx2.changed());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    drop(tx);
    assert!(matches!(poll_noop(a.as_mut()), Poll::Ready(Err(_))));
    assert!(matches!(poll_noop(b.as_mut()), Poll::Ready(Err(_))));
}

#[test]
fn dropped_changed_future_loses_no_change() {
    let (tx, mut rx) = watch::channel(0);
    {
        let mut changed = Box::pin(rx.changed());
        assert!(poll_noop(changed.as_mut()).is_pending());
        tx.send(1).unwrap(); // notifies it; it is dropped before seeing that
    }
    assert_eq!(rx.has_changed(), Ok(true));
    let mut changed = Box::pin(rx.changed());
    assert_eq!(poll_noop(changed.as_mut()), Poll::Ready(Ok(())));
}

#[test]
fn send_variants_and_marks() {
    let (tx, mut rx) = watch::channel(1);
    assert_eq!(tx.send_replace(2), 1);
    assert_eq!(rx.has_changed(), Ok(true));
    rx.mark_unchanged();
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send_modify(|v| *v += 10);
    assert_eq!(*tx.borrow(), 12);
    {
        let r = rx.borrow_and_update();
        assert!(r.has_changed());
        assert_eq!(*r, 12);
    }
    assert!(!rx.borrow().has_changed());
    rx.mark_changed();
    assert_eq!(rx.has_changed(), Ok(true));
    // A subscriber starts with the current value seen.
    let late = tx.subscribe();
    assert_eq!(late.has_changed(), Ok(false));
    assert_eq!(tx.receiver_count(), 2);
}

#[test]
fn send_without_receivers_hands_the_value_back() {
    let (tx, rx) = watch::channel(0);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(7).unwrap_err().0, 7);
    assert_eq!(*tx.borrow(), 0);
    // send_replace stores regardless.
    tx.send_replace(8);
    assert_eq!(*tx.borrow(), 8);
}

#[test]
fn closed_waits_for_the_last_receiver() {
    let (tx, rx) = watch::channel(());
    let rx2 = rx.clone();
    let mut closed = Box::pin(tx.closed());
    assert!(poll_noop(closed.as_mut()).is_pending());
    drop(rx);
    assert!(poll_noop(closed.as_mut()).is_pending());
    drop(rx2);
    assert!(poll_noop(closed.as_mut()).is_ready());
}

#[test]
fn stream_yields_current_then_each_change_then_ends() {
    weft::run(async {
        let (tx, mut rx) = watch::channel(0);
        assert_eq!(rx.next().await, Some(0), "first poll: the current value");
        let mut next = Box::pin(rx.next());
        assert!(poll_noop(next.as_mut()).is_pending());
        drop(next);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(rx.next().await, Some(2), "changes in between coalesce");
        tx.send(3).unwrap();
        drop(tx);
        assert_eq!(rx.next().await, Some(3));
        assert_eq!(rx.next().await, None);
    });
}

#[test]
fn stream_of_a_closed_channel_yields_the_current_value_once() {
    weft::run(async {
        let (tx, rx) = watch::channel(5);
        drop(tx);
        let items: Vec<_> = rx.collect().await;
        assert_eq!(items, [5]);
    });
}

#[test]
fn receivers_see_the_final_value_on_four_workers() {
    const RECEIVERS: usize = 16;
    const CHANGES: u64 = 2_000;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = watch::channel(0u64);
        let tx = Arc::new(tx);
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let mut rx = rx.clone();
                weft::spawn(async move {
                    let mut last = *rx.borrow_and_update();
                    while rx.changed().await.is_ok() {
                        let v = *rx.borrow_and_update();
                        assert!(v > last, "values only move forward");
                        last = v;
                    }
                    last
                })
            })
            .collect();
        drop(rx);
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let tx = (*tx).clone();
                weft::spawn(async move {
                    for i in 0..CHANGES / 2 {
                        tx.send_modify(|v| *v += 1);
                        if i % 32 == 0 {
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
            assert_eq!(
                r.await.unwrap(),
                CHANGES,
                "every receiver ends on the final value"
            );
        }
    });
}

/// Several borrows of one channel may live at once on one thread (a sender's and two
/// receivers'): they share a read lock. (With a plain mutex under the value, the second
/// borrow deadlocked; the check runs on a thread so that a regression fails instead of
/// hanging the suite.)
#[test]
fn borrows_on_one_thread_do_not_block_each_other() {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (tx, rx) = watch::channel(String::from("v1"));
        let rx2 = rx.clone();
        let (a, b, c) = (tx.borrow(), rx.borrow(), rx2.borrow());
        let joined = format!("{} {} {}", *a, *b, *c);
        drop((a, b, c));
        tx.send("v2".into()).unwrap();
        done_tx.send((joined, rx.borrow().clone())).unwrap();
    });
    let (joined, latest) = done_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("two borrows of one watch channel deadlocked");
    assert_eq!(joined, "v1 v1 v1");
    assert_eq!(latest, "v2");
}
