//! `Semaphore`: FIFO order, bounded barging past a woken waiter, `acquire_many` keeping its
//! place against later small requests, permits and wake-ups passed on by dropped futures
//! (woken, granted or never served), close with waiters, and exact counts under a 4-worker
//! runtime.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use weft::sync::{AcquireError, Semaphore, TryAcquireError};

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
fn waiters_are_served_in_arrival_order() {
    let sem = Semaphore::new(0);
    let mut waiters: Vec<_> = (0..5).map(|_| Box::pin(sem.acquire())).collect();
    for w in &mut waiters {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    for i in 0..5 {
        sem.add_permits(1);
        // Only waiter `i` got the permit, whatever order they are polled in.
        for j in (i + 1..5).rev() {
            assert!(
                poll_noop(waiters[j].as_mut()).is_pending(),
                "{j} overtook {i}"
            );
        }
        let Poll::Ready(Ok(permit)) = poll_noop(waiters[i].as_mut()) else {
            panic!("waiter {i} was not served");
        };
        permit.forget();
    }
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn spawned_waiters_get_permits_in_spawn_order() {
    let rt = weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let sem = Arc::new(Semaphore::new(0));
        let order = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (sem, order) = (sem.clone(), order.clone());
            tasks.push(weft::spawn(async move {
                let permit = sem.acquire().await.unwrap();
                order.lock().unwrap().push(i);
                permit.forget();
            }));
            for _ in 0..3 {
                weft::task::yield_now().await;
            }
        }
        for _ in 0..10 {
            sem.add_permits(1);
            weft::task::yield_now().await;
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn acquire_many_blocks_later_smaller_requests() {
    let sem = Semaphore::new(1);
    let mut big = pin!(sem.acquire_many(3));
    let mut small = pin!(sem.acquire());
    assert!(poll_noop(big.as_mut()).is_pending());
    // The free permit stays counted, set aside for the big request, which misses two.
    assert_eq!(sem.available_permits(), 1);
    assert!(poll_noop(small.as_mut()).is_pending());
    sem.add_permits(1);
    assert!(
        poll_noop(small.as_mut()).is_pending(),
        "a small request overtook"
    );
    assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::NoPermits));
    sem.add_permits(1);
    let Poll::Ready(Ok(big)) = poll_noop(big.as_mut()) else {
        panic!("the big request was not served")
    };
    assert_eq!(big.num_permits(), 3);
    assert!(poll_noop(small.as_mut()).is_pending());
    drop(big);
    assert!(poll_noop(small.as_mut()).is_ready());
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn granted_then_dropped_passes_permits_on() {
    let sem = Semaphore::new(0);
    let mut first = Box::pin(sem.acquire());
    let mut second = pin!(sem.acquire());
    assert!(poll_noop(first.as_mut()).is_pending());
    assert!(poll_noop(second.as_mut()).is_pending());
    sem.add_permits(1); // granted to `first`, which is never polled again
    drop(first);
    let Poll::Ready(Ok(permit)) = poll_noop(second.as_mut()) else {
        panic!("the dropped waiter's permit was lost")
    };
    assert_eq!(sem.available_permits(), 0);
    drop(permit);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn a_granted_waiter_dropped_unpolled_gives_its_permits_back() {
    let sem = Semaphore::new(0);
    let mut woken = pin!(sem.acquire());
    let mut granted = Box::pin(sem.acquire_many(2));
    assert!(poll_noop(woken.as_mut()).is_pending());
    assert!(poll_noop(granted.as_mut()).is_pending());
    // One permit stays counted for `woken`; the two after it are taken for `granted`.
    sem.add_permits(3);
    assert_eq!(sem.available_permits(), 1);
    drop(granted);
    assert_eq!(sem.available_permits(), 3);
    let Poll::Ready(Ok(permit)) = poll_noop(woken.as_mut()) else {
        panic!("the woken waiter was not served")
    };
    drop(permit);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn partly_served_then_dropped_gives_back_what_it_collected() {
    let sem = Semaphore::new(2);
    let mut big = Box::pin(sem.acquire_many(5));
    let mut small = pin!(sem.acquire());
    assert!(poll_noop(big.as_mut()).is_pending());
    assert!(poll_noop(small.as_mut()).is_pending());
    drop(big);
    assert!(poll_noop(small.as_mut()).is_ready());
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn dropped_waiter_that_was_never_served_leaves_no_trace() {
    let sem = Semaphore::new(0);
    let mut w = Box::pin(sem.acquire());
    assert!(poll_noop(w.as_mut()).is_pending());
    drop(w);
    // Nobody queued: released permits go straight to the count again.
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 2);
    assert!(sem.try_acquire_many(2).is_ok());
}

#[test]
fn close_wakes_waiters_with_an_error() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut a = pin!(sem.acquire());
    let mut b = pin!(sem.acquire_many(2));
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    sem.close();
    assert!(sem.is_closed());
    assert!(matches!(
        poll_noop(a.as_mut()),
        Poll::Ready(Err(AcquireError { .. }))
    ));
    assert!(matches!(poll_noop(b.as_mut()), Poll::Ready(Err(_))));
    assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::Closed));
    // Permits held across the close still come back.
    drop(held);
    assert_eq!(sem.available_permits(), 1);
    assert!(weft::run(async { sem.acquire().await.is_err() }));
}

#[test]
fn close_returns_permits_assigned_to_a_partly_served_waiter() {
    let sem = Semaphore::new(2);
    let mut big = pin!(sem.acquire_many(3));
    assert!(poll_noop(big.as_mut()).is_pending());
    sem.close();
    assert!(matches!(poll_noop(big.as_mut()), Poll::Ready(Err(_))));
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn granted_before_close_keeps_its_permits() {
    let sem = Semaphore::new(0);
    let mut woken = pin!(sem.acquire());
    let mut granted = pin!(sem.acquire());
    let mut waiting = pin!(sem.acquire_many(2));
    assert!(poll_noop(woken.as_mut()).is_pending());
    assert!(poll_noop(granted.as_mut()).is_pending());
    assert!(poll_noop(waiting.as_mut()).is_pending());
    // Wakes `woken` (its permit stays counted until it comes back) and grants `granted` the
    // other one; `waiting` misses two.
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 1);
    sem.close();
    assert!(
        matches!(poll_noop(woken.as_mut()), Poll::Ready(Err(_))),
        "a waiter that had not taken its permit before the close got one"
    );
    let Poll::Ready(Ok(permit)) = poll_noop(granted.as_mut()) else {
        panic!("a waiter granted before the close lost its permit")
    };
    assert!(matches!(poll_noop(waiting.as_mut()), Poll::Ready(Err(_))));
    // The woken waiter's permit is still counted; the granted one comes back on drop.
    assert_eq!(sem.available_permits(), 1);
    drop(permit);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn a_newcomer_barges_past_a_woken_waiter_which_is_then_served_first() {
    let sem = Semaphore::new(0);
    let mut first = pin!(sem.acquire());
    assert!(poll_noop(first.as_mut()).is_pending());
    // Wakes `first`; before it comes back, a newcomer takes the permit.
    sem.add_permits(1);
    let barger = sem.try_acquire().expect("no barging past a woken waiter");
    assert!(
        poll_noop(first.as_mut()).is_pending(),
        "served without a permit"
    );
    // `first` lost once: the next permit is its own, nobody barges now.
    drop(barger);
    assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::NoPermits));
    let mut later = pin!(sem.acquire());
    assert!(poll_noop(later.as_mut()).is_pending());
    let Poll::Ready(Ok(permit)) = poll_noop(first.as_mut()) else {
        panic!("the waiter that lost to a barger was not served next")
    };
    assert!(poll_noop(later.as_mut()).is_pending());
    drop(permit);
    assert!(poll_noop(later.as_mut()).is_ready());
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn barging_past_one_woken_waiter_is_bounded() {
    let sem = Semaphore::new(0);
    let mut waiter = pin!(sem.acquire());
    assert!(poll_noop(waiter.as_mut()).is_pending());
    sem.add_permits(1);
    // Each barge takes the permit and gives it back while the waiter is on its way.
    let mut barges = 0;
    while let Ok(permit) = sem.try_acquire() {
        drop(permit);
        barges += 1;
        assert!(barges <= 16, "barging is not bounded");
    }
    assert_eq!(barges, 16);
    let Poll::Ready(Ok(permit)) = poll_noop(waiter.as_mut()) else {
        panic!("the woken waiter lost its permit after the barges stopped")
    };
    drop(permit);
    // Nobody waits: acquires are free again.
    assert!(sem.try_acquire().is_ok());
}

/// A waker that records, at each wake, whether the wake was deferred
/// (`weft_core::context::defer_wakes`).
struct DeferredProbe(StdMutex<Vec<bool>>);

impl std::task::Wake for DeferredProbe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let deferred = weft_core::context::wakes_deferred();
        self.0.lock().unwrap().push(deferred);
    }
}

#[test]
fn the_woken_waiter_is_woken_deferred_so_it_runs_after_the_releasers() {
    // A released permit wakes the first waiter to compete for it, and the releaser may take
    // it back at once: run next, the waiter would find it gone every time.
    let sem = Semaphore::new(1);
    let probe = Arc::new(DeferredProbe(StdMutex::new(Vec::new())));
    let waker = Waker::from(probe.clone());
    let held = sem.try_acquire().unwrap();
    let mut waiter = pin!(sem.acquire());
    let mut cx = Context::from_waker(&waker);
    assert!(waiter.as_mut().poll(&mut cx).is_pending());
    drop(held);
    assert_eq!(*probe.0.lock().unwrap(), [true], "woken once, deferred");
    assert!(
        !weft_core::context::wakes_deferred(),
        "the mark was cleared"
    );
    // `add_permits(3)` with three waiters wakes the first and grants the two after it:
    // the grants are woken deferred too.
    probe.0.lock().unwrap().clear();
    let sem = Semaphore::new(0);
    let mut many: Vec<_> = (0..3).map(|_| Box::pin(sem.acquire())).collect();
    for w in &mut many {
        assert!(w.as_mut().poll(&mut cx).is_pending());
    }
    sem.add_permits(3);
    assert_eq!(*probe.0.lock().unwrap(), [true, true, true]);
    for w in &mut many {
        assert!(w.as_mut().poll(&mut cx).is_ready());
    }
}

#[test]
fn releases_while_a_waiter_is_woken_are_passed_on_when_it_comes_back() {
    let sem = Semaphore::new(0);
    let mut a = pin!(sem.acquire());
    let mut b = pin!(sem.acquire());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    sem.add_permits(1); // wakes `a`
    sem.add_permits(1); // only counted: `a` is on its way
    assert!(poll_noop(b.as_mut()).is_pending());
    let Poll::Ready(Ok(pa)) = poll_noop(a.as_mut()) else {
        panic!("a not served")
    };
    // `a` came back with two permits counted: it took one and woke `b` for the other.
    let Poll::Ready(Ok(pb)) = poll_noop(b.as_mut()) else {
        panic!("the second permit was stranded in the count")
    };
    pa.forget();
    pb.forget();
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn exact_counts_under_contention() {
    const TASKS: usize = 200;
    const LIMIT: usize = 3;
    runtime().block_on(async {
        let sem = Arc::new(Semaphore::new(LIMIT));
        let inside = Arc::new(AtomicUsize::new(0));
        let max_inside = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let (sem, inside, max_inside, done) = (
                    sem.clone(),
                    inside.clone(),
                    max_inside.clone(),
                    done.clone(),
                );
                weft::spawn(async move {
                    for _ in 0..20 {
                        let n = (i % 2 + 1) as u32;
                        let _p = sem.acquire_many(n).await.unwrap();
                        let now = inside.fetch_add(n as usize, SeqCst) + n as usize;
                        max_inside.fetch_max(now, SeqCst);
                        weft::task::yield_now().await;
                        inside.fetch_sub(n as usize, SeqCst);
                        done.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(done.load(SeqCst), TASKS * 20);
        assert!(max_inside.load(SeqCst) <= LIMIT);
        assert_eq!(sem.available_permits(), LIMIT);
    });
}

#[test]
fn owned_permits_move_into_spawned_tasks() {
    runtime().block_on(async {
        let sem = Arc::new(Semaphore::new(2));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let permit = sem.clone().acquire_owned().await.unwrap();
            tasks.push(weft::spawn(async move {
                weft::task::yield_now().await;
                drop(permit);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(sem.available_permits(), 2);
        let many = sem.clone().acquire_many_owned(2).await.unwrap();
        assert!(sem.clone().try_acquire_owned().is_err());
        drop(many);
        assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    });
}

#[test]
fn permits_forget_merge_split() {
    let sem = Semaphore::new(5);
    let mut a = sem.try_acquire_many(3).unwrap();
    let b = a.split(2).unwrap();
    assert!(a.split(2).is_none());
    assert_eq!((a.num_permits(), b.num_permits()), (1, 2));
    a.merge(b);
    assert_eq!(a.num_permits(), 3);
    a.forget();
    assert_eq!(sem.available_permits(), 2);
    assert_eq!(sem.forget_permits(10), 2);
    assert_eq!(sem.available_permits(), 0);
    // Zero permits are always there (until closed).
    assert!(sem.try_acquire_many(0).is_ok());
}

#[test]
fn add_permits_serves_many_waiters_at_once() {
    // More waiters than one batch of wake-ups (32) holds.
    let sem = Semaphore::new(0);
    let mut waiters: Vec<_> = (0..50).map(|_| Box::pin(sem.acquire())).collect();
    for w in &mut waiters {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    sem.add_permits(60);
    for w in &mut waiters {
        assert!(poll_noop(w.as_mut()).is_ready());
    }
    drop(waiters);
    assert_eq!(sem.available_permits(), 60);
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn too_many_permits_panic() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    sem.add_permits(1);
}

#[test]
fn errors_say_what_happened() {
    assert_eq!(
        TryAcquireError::Closed.to_string(),
        "the semaphore was closed"
    );
    assert!(TryAcquireError::NoPermits
        .to_string()
        .contains("not enough permits"));
    let closed = Semaphore::new(0);
    closed.close();
    let err = weft::run(async { closed.acquire().await.unwrap_err() });
    assert!(err.to_string().contains("closed"));
    assert!(format!("{:?}", Semaphore::new(1)).contains("permits: 1"));
}

/// Under contention the permits keep moving without a wasted poll per pass: 100 tasks x 10
/// passes through 10 permits, each holding its permit across a yield (so the others
/// queue), on one thread. A pass needs one poll (the yield's); a woken waiter that finds
/// its permit barged away costs one more, and while it waits for the next one nobody may
/// barge, so every holder that releases meanwhile queues too. That waiter used to be woken
/// again to take the permit, and the holders all queued behind it: 1.64 polls a pass; it
/// is now handed the permit: 1.29.
#[test]
fn contended_passes_take_few_polls() {
    let (tasks, passes) = (100, 10);
    let rt = weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let before = rt.handle().metrics().total_polls();
    rt.block_on(async {
        let sem = Arc::new(Semaphore::new(10));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let sem = sem.clone();
                weft::spawn(async move {
                    for _ in 0..passes {
                        let _permit = sem.acquire().await.unwrap();
                        weft::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    let polls = rt.handle().metrics().total_polls() - before;
    let per_pass = polls as f64 / (tasks * passes) as f64;
    assert!(
        per_pass < 1.4,
        "{polls} polls for {} passes: {per_pass:.2} a pass",
        tasks * passes
    );
}
