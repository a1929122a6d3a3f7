//! `Mutex`: FIFO order of waiters, the fairness bound (at most 16 barges ahead of a woken
//! waiter, then hand-off once it lost a race), the lock and the wake-up passed on by dropped
//! futures, exact counts under a 4-worker runtime, owned guards across tasks, blocking_lock.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Wake, Waker};

use weft::sync::Mutex;

/// The documented bound: lock calls that may barge ahead of a woken waiter.
const BARGE_LIMIT: usize = 16;

fn runtime(workers: usize) -> weft::Runtime {
    weft::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap()
}

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

fn flag() -> (Arc<Flag>, Waker) {
    let f = Arc::new(Flag::default());
    (f.clone(), Waker::from(f))
}

fn poll_with<F: Future>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

#[test]
fn waiters_get_the_lock_in_arrival_order() {
    let m = Mutex::new(Vec::new());
    let held = m.try_lock().unwrap();
    let mut waiters: Vec<_> = (0..5).map(|_| Box::pin(m.lock())).collect();
    for w in &mut waiters {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    drop(held);
    for i in 0..5 {
        for j in (i + 1..5).rev() {
            assert!(
                poll_noop(waiters[j].as_mut()).is_pending(),
                "{j} overtook {i}"
            );
        }
        let Poll::Ready(mut guard) = poll_noop(waiters[i].as_mut()) else {
            panic!("waiter {i} did not get the lock");
        };
        guard.push(i);
    }
    drop(waiters);
    assert_eq!(m.into_inner(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn spawned_waiters_lock_in_spawn_order() {
    let rt = weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let m = Arc::new(Mutex::new(Vec::new()));
        let held = m.lock().await;
        let mut tasks = Vec::new();
        for i in 0..10 {
            let m = m.clone();
            tasks.push(weft::spawn(async move { m.lock().await.push(i) }));
            for _ in 0..3 {
                weft::task::yield_now().await;
            }
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*m.lock().await, (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn exact_count_under_contention() {
    for workers in [2, 4] {
        runtime(workers).block_on(async {
            let m = Arc::new(Mutex::new(0usize));
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let m = m.clone();
                    weft::spawn(async move {
                        for i in 0..1_000 {
                            *m.lock().await += 1;
                            if i % 100 == 0 {
                                weft::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(*m.lock().await, 100_000);
        });
    }
}

#[test]
fn a_woken_waiter_is_overtaken_at_most_barge_limit_times() {
    let m = Mutex::new(());
    let held = m.try_lock().unwrap();
    let mut waiter = pin!(m.lock());
    assert!(poll_noop(waiter.as_mut()).is_pending());
    drop(held); // wakes `waiter`, leaves the lock free
    let mut barges = 0;
    while let Ok(guard) = m.try_lock() {
        barges += 1;
        drop(guard);
        assert!(barges <= BARGE_LIMIT, "barged more than the bound");
    }
    assert_eq!(barges, BARGE_LIMIT);
    // The lock is free but kept for the woken waiter: a newcomer queues behind it.
    let mut newcomer = pin!(m.lock());
    assert!(poll_noop(newcomer.as_mut()).is_pending());
    assert!(poll_noop(waiter.as_mut()).is_ready());
    assert!(poll_noop(newcomer.as_mut()).is_ready());
}

#[test]
fn a_waiter_that_lost_a_race_is_handed_the_lock() {
    let m = Mutex::new(0);
    let held = m.try_lock().unwrap();
    let (woke, waker) = flag();
    let mut waiter = pin!(m.lock());
    assert!(poll_with(waiter.as_mut(), &waker).is_pending());
    drop(held);
    assert!(woke.0.swap(false, SeqCst));
    // A running task takes the free lock before the woken waiter is polled.
    let barger = m.try_lock().unwrap();
    assert!(poll_with(waiter.as_mut(), &waker).is_pending());
    // The next unlock hands the lock straight to the waiter: nobody can barge any more.
    drop(barger);
    assert!(woke.0.load(SeqCst));
    assert!(m.try_lock().is_err());
    let Poll::Ready(mut guard) = poll_with(waiter.as_mut(), &waker) else {
        panic!("the waiter was not handed the lock")
    };
    *guard += 1;
    drop(guard);
    assert_eq!(*m.try_lock().unwrap(), 1);
}

#[test]
fn a_dropped_future_that_was_handed_the_lock_passes_it_on() {
    let m = Mutex::new(());
    let held = m.try_lock().unwrap();
    let mut first = Box::pin(m.lock());
    let mut second = pin!(m.lock());
    assert!(poll_noop(first.as_mut()).is_pending());
    assert!(poll_noop(second.as_mut()).is_pending());
    drop(held);
    let barger = m.try_lock().unwrap();
    assert!(poll_noop(first.as_mut()).is_pending()); // lost the race: hand-off is due
    drop(barger); // the lock now belongs to `first`
    assert!(m.try_lock().is_err());
    drop(first);
    assert!(poll_noop(second.as_mut()).is_ready());
}

#[test]
fn a_dropped_woken_future_passes_the_wake_up_on() {
    let m = Mutex::new(());
    let held = m.try_lock().unwrap();
    let (woke2, waker2) = flag();
    let mut first = Box::pin(m.lock());
    let mut second = pin!(m.lock());
    assert!(poll_noop(first.as_mut()).is_pending());
    assert!(poll_with(second.as_mut(), &waker2).is_pending());
    drop(held); // wakes `first` only
    assert!(!woke2.0.load(SeqCst));
    drop(first);
    assert!(woke2.0.load(SeqCst), "the wake-up was swallowed");
    assert!(poll_with(second.as_mut(), &waker2).is_ready());
}

#[test]
fn a_dropped_queued_future_leaves_no_trace() {
    let m = Mutex::new(());
    let held = m.try_lock().unwrap();
    let mut w = Box::pin(m.lock());
    assert!(poll_noop(w.as_mut()).is_pending());
    drop(w);
    drop(held);
    // Nobody waits: the lock is plain free, not kept for anyone.
    for _ in 0..BARGE_LIMIT * 2 {
        drop(m.try_lock().unwrap());
    }
}

#[test]
fn owned_guards_move_across_tasks() {
    runtime(4).block_on(async {
        let m = Arc::new(Mutex::new(0));
        let guard = m.clone().lock_owned().await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let m = m.clone();
                weft::spawn(async move {
                    let mut g = m.lock_owned().await;
                    *g += 1;
                })
            })
            .collect();
        let holder = weft::spawn(async move {
            let mut guard = guard;
            weft::task::yield_now().await;
            *guard += 100;
        });
        holder.await.unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*m.clone().try_lock_owned().unwrap(), 110);
    });
}

#[test]
fn blocking_lock_from_plain_threads() {
    let m = Arc::new(Mutex::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..1_000 {
                    *m.blocking_lock() += 1;
                }
            })
        })
        .collect();
    runtime(2).block_on(async {
        for _ in 0..1_000 {
            *m.lock().await += 1;
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*m.blocking_lock(), 5_000);
}

#[test]
fn blocking_lock_inside_a_runtime_panics() {
    let m = Mutex::new(0);
    let caught = weft::run(async {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(m.blocking_lock())))
    });
    let message = caught.unwrap_err();
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("Mutex::blocking_lock"), "{text}");
}

#[test]
fn get_mut_into_inner_debug() {
    let mut m = Mutex::new(StdMutex::new(1).into_inner().unwrap());
    *m.get_mut() += 1;
    assert_eq!(format!("{m:?}"), "Mutex { data: 2 }");
    let g = m.try_lock().unwrap();
    assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
    assert_eq!(format!("{g:?}"), "2");
    assert!(m.try_lock().unwrap_err().to_string().contains("held"));
    drop(g);
    assert_eq!(m.into_inner(), 2);
}
