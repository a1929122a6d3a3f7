//! `Notify`: permits, FIFO order of `notify_one`, `notify_waiters` waking exactly the
//! futures that existed at the call, and the pass-on of a chosen future that is dropped.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_lite::future::poll_once;
use weft::sync::Notify;

fn runtime() -> weft::Runtime {
    weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap()
}

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn notify_before_wait_is_not_lost() {
    weft::run(async {
        let notify = Notify::new();
        notify.notify_one();
        notify.notified().await;
        // Only one permit is stored, however many calls.
        notify.notify_one();
        notify.notify_one();
        notify.notified().await;
        let mut second = pin!(notify.notified());
        assert!(poll_once(second.as_mut()).await.is_none());
    });
}

#[test]
fn notify_waiters_stores_no_permit() {
    weft::run(async {
        let notify = Notify::new();
        notify.notify_waiters();
        let mut wait = pin!(notify.notified());
        assert!(poll_once(wait.as_mut()).await.is_none());
    });
}

#[test]
fn notify_one_is_fifo() {
    let notify = Notify::new();
    let mut futs: Vec<_> = (0..5).map(|_| Box::pin(notify.notified())).collect();
    for f in &mut futs {
        assert!(poll_noop(f.as_mut()).is_pending());
    }
    for i in 0..5 {
        notify.notify_one();
        for (j, f) in futs.iter_mut().enumerate() {
            let ready = poll_noop(f.as_mut()).is_ready();
            // Once ready, a Notified stays ready; only the first `i + 1` are.
            assert_eq!(ready, j <= i, "after {} notify_one, future {j}", i + 1);
        }
    }
}

#[test]
fn enable_registers_without_polling() {
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    assert!(!b.as_mut().enable());
    assert!(!a.as_mut().enable());
    notify.notify_one();
    // b enabled first, so b is chosen.
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_ready());
}

#[test]
fn notify_waiters_wakes_exactly_those_registered() {
    let notify = Notify::new();
    let mut polled = Box::pin(notify.notified());
    assert!(poll_noop(polled.as_mut()).is_pending());
    // Created but never polled: it counts too (as tokio).
    let mut created = Box::pin(notify.notified());
    notify.notify_waiters();
    let mut after = Box::pin(notify.notified());
    assert!(poll_noop(polled.as_mut()).is_ready());
    assert!(poll_noop(created.as_mut()).is_ready());
    assert!(poll_noop(after.as_mut()).is_pending());
    // No permit was stored either: `after` still waits for the next notification.
    notify.notify_one();
    assert!(poll_noop(after.as_mut()).is_ready());
}

#[test]
fn notify_waiters_over_many_batches() {
    // More than one WakeList batch (32), with latecomers registering in between.
    let notify = Notify::new();
    let mut futs: Vec<_> = (0..100).map(|_| Box::pin(notify.notified())).collect();
    for f in &mut futs {
        assert!(poll_noop(f.as_mut()).is_pending());
    }
    notify.notify_waiters();
    for f in &mut futs {
        assert!(poll_noop(f.as_mut()).is_ready());
    }
}

#[test]
fn dropped_chosen_future_passes_the_notification_on() {
    let notify = Notify::new();
    let mut a = Box::pin(notify.notified());
    let mut b = Box::pin(notify.notified());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    notify.notify_one(); // chooses a
    drop(a); // never saw it: b gets it
    assert!(poll_noop(b.as_mut()).is_ready());

    // With nobody else waiting, it goes back as the permit.
    let mut c = Box::pin(notify.notified());
    assert!(poll_noop(c.as_mut()).is_pending());
    notify.notify_one();
    drop(c);
    let mut d = pin!(notify.notified());
    assert!(poll_noop(d.as_mut()).is_ready());
}

#[test]
fn dropped_future_chosen_by_notify_waiters_passes_nothing_on() {
    let notify = Notify::new();
    let mut a = Box::pin(notify.notified());
    assert!(poll_noop(a.as_mut()).is_pending());
    notify.notify_waiters();
    drop(a);
    let mut b = pin!(notify.notified());
    assert!(poll_noop(b.as_mut()).is_pending());
}

#[test]
fn dropped_waiting_future_leaves_no_waiter() {
    let notify = Notify::new();
    let mut a = Box::pin(notify.notified());
    assert!(poll_noop(a.as_mut()).is_pending());
    drop(a);
    // The notification is not swallowed by the gone waiter: stored as the permit.
    notify.notify_one();
    let mut b = pin!(notify.notified());
    assert!(poll_noop(b.as_mut()).is_ready());
}

#[test]
fn every_notify_one_wakes_exactly_one_task_on_four_workers() {
    const TASKS: usize = 200;
    runtime().block_on(async {
        let notify = Arc::new(Notify::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (notify, woken) = (notify.clone(), woken.clone());
                weft::spawn(async move {
                    notify.notified().await;
                    woken.fetch_add(1, SeqCst);
                })
            })
            .collect();
        // Each notify_one either wakes a waiter or stores the permit one consumes later;
        // wait for each wake before the next call so no two permits coalesce.
        for i in 0..TASKS {
            notify.notify_one();
            while woken.load(SeqCst) <= i {
                weft::task::yield_now().await;
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(woken.load(SeqCst), TASKS);
    });
}

#[test]
fn notify_waiters_racing_registrations_on_four_workers() {
    // Tasks register, then signal `ready`; once all have, one notify_waiters wakes all.
    const TASKS: usize = 100;
    runtime().block_on(async {
        let notify = Arc::new(Notify::new());
        let ready = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (notify, ready) = (notify.clone(), ready.clone());
                weft::spawn(async move {
                    let wait = notify.notified();
                    ready.fetch_add(1, SeqCst);
                    wait.await;
                })
            })
            .collect();
        while ready.load(SeqCst) < TASKS {
            weft::task::yield_now().await;
        }
        notify.notify_waiters();
        for t in tasks {
            t.await.unwrap();
        }
    });
}
