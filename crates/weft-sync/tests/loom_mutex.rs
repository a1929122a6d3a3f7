//! Loom models of the mutex (`src/mutex.rs`): lockers on several threads increment a
//! counter inside the lock (the data cell is loom's, so two guards at once would be reported
//! as a data race); one model forces the barging and hand-off path (the lock freed while a
//! waiter is woken, another thread taking it first), one drops a lock future that may have
//! been woken or handed the lock. Under every interleaving the count is exact and no thread
//! stays parked (a lost wake-up or a lock left held is a loom deadlock).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_mutex --target-dir target/loom
//! ```
//!
//! Seeded bugs these models caught (each made a model fail, then was reverted):
//! - a woken waiter that lost the race re-queuing at the front without clearing `WOKEN` or
//!   setting `HANDOFF`: every later unlock believed a waiter was on its way, and the waiter
//!   parked for ever (`barging_and_hand_off`, deadlock);
//! - a dropped woken future not passing its wake-up on (`RawMutex::cancel` returning no
//!   waker for `Turn::Woken`): the other locker parked for ever
//!   (`dropped_woken_lock_future`, deadlock).
//!
//! At 3 preemptions the four models explore 20 to 1,527 interleavings, 0.1 s in all.
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_core::test_support::{block_on, model};
use weft_sync::Mutex;

fn add_one(m: &Mutex<usize>) {
    let mut guard = block_on(m.lock());
    *guard += 1;
}

#[test]
fn two_lockers_count_exactly() {
    model(|| {
        let m = Arc::new(Mutex::new(0));
        let m1 = m.clone();
        let t = thread::spawn(move || add_one(&m1));
        add_one(&m);
        t.join().unwrap();
        assert_eq!(*m.try_lock().unwrap(), 2);
    });
}

#[test]
fn barging_and_hand_off() {
    model(|| {
        let m = Arc::new(Mutex::new(0));
        // Held at the start, so the lockers queue, and its unlock wakes one of them while
        // the other may barge.
        let held = m.try_lock().unwrap();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || add_one(&m))
            })
            .collect();
        drop(held);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*m.try_lock().unwrap(), 2);
    });
}

#[test]
fn dropped_woken_lock_future() {
    model(|| {
        let m = Arc::new(Mutex::new(0));
        let held = m.try_lock().unwrap();
        let m1 = m.clone();
        let t = thread::spawn(move || add_one(&m1));
        {
            let mut dropped = pin!(m.lock());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(dropped.as_mut().poll(&mut cx).is_pending());
            // If it is first in line, this unlock wakes it; it is dropped without another
            // poll and must pass the wake-up on to the other locker.
            drop(held);
        }
        t.join().unwrap();
        assert_eq!(*m.try_lock().unwrap(), 1);
    });
}

#[test]
fn dropped_lock_future() {
    model(|| {
        let m = Arc::new(Mutex::new(0));
        let held = m.try_lock().unwrap();
        let m1 = m.clone();
        let t = thread::spawn(move || add_one(&m1));
        {
            let mut dropped = pin!(m.lock());
            let mut cx = Context::from_waker(Waker::noop());
            let first = dropped.as_mut().poll(&mut cx);
            assert!(first.is_pending());
            drop(held);
            // Polled again maybe after being woken or handed the lock, then dropped.
            if let Poll::Ready(mut guard) = dropped.as_mut().poll(&mut cx) {
                *guard += 10;
            }
        }
        t.join().unwrap();
        let n = *m.try_lock().unwrap();
        assert!(n == 1 || n == 11, "{n}");
    });
}
