//! `Event`: set/clear/is_set, every waiter woken by a set (also when cleared right after),
//! dropped waiters, and set/clear races with many waiters on a 4-worker runtime.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft::sync::Event;

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn set_clear_is_set() {
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    event.set();
    assert!(event.is_set());
    assert!(poll_noop(pin!(event.wait())).is_ready());
    event.clear();
    assert!(!event.is_set());
    assert!(poll_noop(pin!(event.wait())).is_pending());
}

#[test]
fn set_then_clear_still_wakes_every_waiter() {
    let event = Event::new();
    let mut waits: Vec<_> = (0..70).map(|_| Box::pin(event.wait())).collect();
    for w in &mut waits {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    event.set();
    event.clear();
    // A waiter that arrives after the clear waits.
    let mut late = Box::pin(event.wait());
    assert!(poll_noop(late.as_mut()).is_pending());
    for w in &mut waits {
        assert!(poll_noop(w.as_mut()).is_ready());
    }
    assert!(poll_noop(late.as_mut()).is_pending());
    event.set();
    assert!(poll_noop(late.as_mut()).is_ready());
}

#[test]
fn dropped_waiter_leaves_nothing_behind() {
    let event = Event::new();
    let mut a = Box::pin(event.wait());
    let mut b = Box::pin(event.wait());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    drop(a);
    event.set();
    assert!(poll_noop(b.as_mut()).is_ready());
    // Dropped after being woken: nothing to pass on, nothing breaks.
    event.clear();
    let mut c = Box::pin(event.wait());
    assert!(poll_noop(c.as_mut()).is_pending());
    event.set();
    drop(c);
    assert!(event.is_set());
}

#[test]
fn set_clear_races_wake_every_waiter_on_four_workers() {
    const ROUNDS: usize = 20;
    const WAITERS: usize = 50;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..ROUNDS {
            let event = Arc::new(Event::new());
            let registered = Arc::new(AtomicUsize::new(0));
            let woken = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let (event, registered, woken) =
                        (event.clone(), registered.clone(), woken.clone());
                    weft::spawn(async move {
                        let mut wait = pin!(event.wait());
                        // Register (the event is clear until everyone has), then wait.
                        futures_lite::future::poll_once(wait.as_mut()).await;
                        registered.fetch_add(1, SeqCst);
                        wait.await;
                        woken.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            // Togglers racing set and clear while the waiters register.
            let togglers: Vec<_> = (0..3)
                .map(|_| {
                    let event = event.clone();
                    weft::spawn(async move {
                        for _ in 0..50 {
                            event.set();
                            event.clear();
                            weft::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for t in togglers {
                t.await.unwrap();
            }
            while registered.load(SeqCst) < WAITERS {
                weft::task::yield_now().await;
            }
            event.set();
            event.clear();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(woken.load(SeqCst), WAITERS);
        }
    });
}
