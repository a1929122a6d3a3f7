//! Loom models of the semaphore (`src/semaphore.rs`): two threads acquire and release while a
//! third future is woken or granted and dropped without being polled again; a queued future
//! is dropped on another thread while a release wakes it; a big request meets a close; two
//! releases race a woken waiter's return; a woken waiter loses its permit to a barger. Under
//! every interleaving no permit is lost or made up (the count is back to where it started),
//! and no wake-up is lost (a thread left parked for ever is a loom deadlock).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_semaphore --target-dir target/loom
//! ```
//!
//! Seeded bugs these models caught in the current protocol (each made a model fail, then was
//! reverted; the earlier ticket protocol's list is in the history of this file):
//! - a woken waiter that takes its permit without settling (passing the turn on): a release
//!   that only counted while it was on its way stayed in the count, and the other waiter was
//!   never woken (`releases_racing_a_woken_waiters_return_are_passed_on`, deadlock);
//! - `release` adding to the count without the lock although waiters are queued and none is
//!   woken: nobody was woken (`a_woken_waiter_that_loses_to_a_barger_is_served`, deadlock);
//! - a woken future dropped without clearing `WOKEN`: later releases only counted, for a
//!   waiter that would never come back (`dropped_grant_is_passed_on`, deadlock).
//! - the `HANDOFF` waiter granted its permits without being woken (`settle`'s hand-over to
//!   the waiter that lost to a barger): it never came back
//!   (`a_woken_waiter_that_loses_to_a_barger_is_served`, deadlock).
//!
//! A granted future dropped without giving its permits back is caught by the unit test
//! `a_granted_waiter_dropped_unpolled_gives_its_permits_back` (grants need two waiters and
//! two permits at once, more than these models spend their preemptions on).
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_core::test_support::{block_on, model};
use weft_sync::Semaphore;

#[test]
fn dropped_grant_is_passed_on() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || {
                    let permit = block_on(sem.acquire()).unwrap();
                    drop(permit);
                })
            })
            .collect();
        {
            // A third acquirer, polled once: it may be served at once, queue, or be granted
            // by a release and then dropped without another poll.
            let mut third = pin!(sem.acquire());
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(permit) = third.as_mut().poll(&mut cx) {
                drop(permit.unwrap());
            }
            thread::yield_now();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn a_big_request_collects_permits_and_passes_them_on() {
    model(|| {
        let sem = Arc::new(Semaphore::new(2));
        let s = sem.clone();
        let big = thread::spawn(move || drop(block_on(s.acquire_many(2)).unwrap()));
        let s = sem.clone();
        let small = thread::spawn(move || drop(block_on(s.acquire()).unwrap()));
        let permit = block_on(sem.acquire()).unwrap();
        drop(permit);
        big.join().unwrap();
        small.join().unwrap();
        assert_eq!(sem.available_permits(), 2);
    });
}

#[test]
fn grant_racing_a_drop_neither_loses_nor_doubles_the_permit() {
    model(|| {
        let sem = std::sync::Arc::new(Semaphore::new(1));
        let held = sem.clone().try_acquire_owned().unwrap();
        // Queued behind `held`, then dropped on another thread while `held`'s release wakes
        // it (the wake-up must pass on to the third thread if that one queued).
        let mut waiter = Box::pin(sem.clone().acquire_owned());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(waiter.as_mut().poll(&mut cx).is_pending());
        let dropper = thread::spawn(move || drop(waiter));
        let s = sem.clone();
        let other = thread::spawn(move || drop(block_on(s.acquire()).unwrap()));
        drop(held);
        dropper.join().unwrap();
        other.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn close_leaves_the_count_whole() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        // Can never get both permits: it errs out, and the one `held` gives back stays
        // counted, whether the close comes before or after the release.
        let s = sem.clone();
        let big = thread::spawn(move || assert!(block_on(s.acquire_many(2)).is_err()));
        let s = sem.clone();
        let closer = thread::spawn(move || s.close());
        drop(held);
        big.join().unwrap();
        closer.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn releases_racing_a_woken_waiters_return_are_passed_on() {
    model(|| {
        let sem = Arc::new(Semaphore::new(2));
        let mut both = sem.try_acquire_many(2).unwrap();
        let one = both.split(1).unwrap();
        // Two waiters that keep what they get (no release of theirs can wake the other);
        // the first release wakes one of them, the second may find it on its way and only
        // count: the woken one must pass that permit on when it comes back.
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || block_on(sem.acquire()).unwrap().forget())
            })
            .collect();
        drop(one);
        drop(both);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn a_woken_waiter_that_loses_to_a_barger_is_served() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        let s = sem.clone();
        let waiter = thread::spawn(move || drop(block_on(s.acquire()).unwrap()));
        // Wakes the waiter if it queued; then this thread may take the permit back first.
        drop(held);
        drop(block_on(sem.acquire()).unwrap());
        waiter.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}
