//! `Condition`: a wait is registered before the mutex is released (no lost notification),
//! `notify(n)` wakes the oldest `n`, a notification reaching a dropped waiter (before or
//! while it re-locks) is passed on, and a ping-pong between tasks never hangs.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft::sync::{Condition, Mutex};

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn wait_registers_before_it_releases_the_lock() {
    let m = Mutex::new(false);
    let cond = Condition::new();
    let mut wait = pin!(async { cond.wait(m.try_lock().unwrap()).await });
    assert!(poll_noop(wait.as_mut()).is_pending());
    // The first moment another task can take the lock, the waiter is already registered:
    // a notifier that changes the state under the lock and notifies always reaches it.
    let mut g = m.try_lock().expect("wait released the lock");
    *g = true;
    assert_eq!(cond.notify(1), 1, "the waiter was not registered yet");
    drop(g);
    let Poll::Ready(g) = poll_noop(wait.as_mut()) else {
        panic!("the notified waiter did not re-lock")
    };
    assert!(*g);
}

#[test]
fn notify_wakes_the_oldest_waiters() {
    let m = Mutex::new(());
    let cond = Condition::new();
    let mut waits: Vec<_> = (0..4)
        .map(|_| Box::pin(async { drop(cond.wait(m.lock().await).await) }))
        .collect();
    for w in &mut waits {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    assert_eq!(cond.notify(2), 2);
    assert!(poll_noop(waits[3].as_mut()).is_pending());
    assert!(poll_noop(waits[2].as_mut()).is_pending());
    assert!(poll_noop(waits[0].as_mut()).is_ready());
    assert!(poll_noop(waits[1].as_mut()).is_ready());
    cond.notify_all();
    assert!(poll_noop(waits[2].as_mut()).is_ready());
    assert!(poll_noop(waits[3].as_mut()).is_ready());
    assert_eq!(cond.notify(5), 0);
}

#[test]
fn a_notification_reaching_a_dropped_waiter_is_passed_on() {
    let m = Mutex::new(());
    let cond = Condition::new();
    let mut first = Box::pin(async { drop(cond.wait(m.lock().await).await) });
    let mut second = pin!(async { drop(cond.wait(m.lock().await).await) });
    assert!(poll_noop(first.as_mut()).is_pending());
    assert!(poll_noop(second.as_mut()).is_pending());
    cond.notify_one();
    drop(first);
    assert!(poll_noop(second.as_mut()).is_ready());
}

#[test]
fn a_waiter_dropped_while_relocking_passes_the_notification_on() {
    let m = Mutex::new(());
    let cond = Condition::new();
    let mut first = Box::pin(async { drop(cond.wait(m.lock().await).await) });
    let mut second = pin!(async { drop(cond.wait(m.lock().await).await) });
    assert!(poll_noop(first.as_mut()).is_pending());
    assert!(poll_noop(second.as_mut()).is_pending());
    let held = m.try_lock().unwrap();
    cond.notify_one();
    assert!(
        poll_noop(first.as_mut()).is_pending(),
        "re-locking a held mutex"
    );
    drop(first);
    drop(held);
    assert!(poll_noop(second.as_mut()).is_ready());
}

#[test]
fn wait_while_checks_before_waiting() {
    weft::run(async {
        let m = Mutex::new(5);
        let cond = Condition::new();
        // Already false: returns without waiting.
        let g = cond.wait_while(m.lock().await, |n| *n < 5).await;
        assert_eq!(*g, 5);
    });
}

#[test]
fn ping_pong_between_tasks_never_loses_a_notification() {
    const ROUNDS: usize = 2_000;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        // (turn, round): the two tasks take turns, each waiting for the other's notify.
        let shared = Arc::new((Mutex::new((0u8, 0usize)), Condition::new()));
        let players: Vec<_> = (0..2u8)
            .map(|me| {
                let shared = shared.clone();
                weft::spawn(async move {
                    let (lock, cond) = &*shared;
                    loop {
                        let mut g = cond
                            .wait_while(lock.lock().await, |(turn, round)| {
                                *turn != me && *round < ROUNDS
                            })
                            .await;
                        if g.1 >= ROUNDS {
                            cond.notify_all();
                            return;
                        }
                        g.0 = 1 - me;
                        g.1 += 1;
                        drop(g);
                        cond.notify_one();
                    }
                })
            })
            .collect();
        for p in players {
            p.await.unwrap();
        }
        assert_eq!(shared.0.lock().await.1, ROUNDS);
    });
}
