//! The signals and broadcast/watch channels on another executor: futures-lite's
//! `block_on` with plain std threads, no weft runtime anywhere.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use futures_lite::future::block_on;
use weft::sync::{broadcast, watch, Barrier, Event, Notify, OnceCell};

/// Every type here can be shared across threads (and its futures moved between them).
#[test]
fn types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Notify>();
    send_sync::<Event>();
    send_sync::<Barrier>();
    send_sync::<OnceCell<u8>>();
    send_sync::<broadcast::Sender<u8>>();
    send_sync::<broadcast::Receiver<u8>>();
    send_sync::<watch::Sender<u8>>();
    send_sync::<watch::Receiver<u8>>();
    send::<weft::sync::Notified<'static>>();
    send::<weft::sync::EventWait<'static>>();
    send::<weft::sync::BarrierWait<'static>>();
    send::<broadcast::Recv<'static, u8>>();
    send::<watch::Changed<'static, u8>>();
}

#[test]
fn notify_across_threads() {
    let notify = Arc::new(Notify::new());
    let done = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let (notify, done) = (notify.clone(), done.clone());
            thread::spawn(move || {
                block_on(notify.notified());
                done.fetch_add(1, SeqCst);
            })
        })
        .collect();
    // Permits do not add up (one is stored at most), so notify until all four are through.
    while done.load(SeqCst) < 4 {
        notify.notify_one();
        thread::yield_now();
    }
    for w in waiters {
        w.join().unwrap();
    }
}

#[test]
fn event_across_threads() {
    let event = Arc::new(Event::new());
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let event = event.clone();
            thread::spawn(move || block_on(event.wait()))
        })
        .collect();
    event.set();
    for w in waiters {
        w.join().unwrap();
    }
}

#[test]
fn barrier_across_threads() {
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || block_on(barrier.wait()).is_leader())
        })
        .collect();
    let leaders = threads
        .into_iter()
        .map(|t| t.join().unwrap() as usize)
        .sum::<usize>();
    assert_eq!(leaders, 1);
}

#[test]
fn once_cell_across_threads() {
    let cell = Arc::new(OnceCell::new());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let cell = cell.clone();
            thread::spawn(move || *block_on(cell.get_or_init(|| async move { i })))
        })
        .collect();
    let values: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(values.iter().all(|v| *v == values[0]));
}

#[test]
fn broadcast_across_threads() {
    let (tx, rx) = broadcast::channel(64);
    let receivers: Vec<_> = (0..3)
        .map(|_| {
            let mut rx = rx.resubscribe();
            thread::spawn(move || {
                block_on(async {
                    let mut sum = 0;
                    while let Ok(v) = rx.recv().await {
                        sum += v;
                    }
                    sum
                })
            })
        })
        .collect();
    drop(rx);
    for v in 1..=50 {
        tx.send(v).unwrap();
    }
    drop(tx);
    for r in receivers {
        assert_eq!(r.join().unwrap(), 1275);
    }
}

#[test]
fn watch_across_threads() {
    let (tx, mut rx) = watch::channel(0);
    let reader = thread::spawn(move || {
        block_on(async {
            while rx.changed().await.is_ok() {}
            *rx.borrow()
        })
    });
    for v in 1..=100 {
        tx.send(v).unwrap();
    }
    drop(tx);
    assert_eq!(reader.join().unwrap(), 100);
}
