//! Loom models of the semaphore (`src/semaphore.rs`): two threads acquire and release while a
//! third future is granted permits and dropped without being polled again; a queued future is
//! dropped on another thread while a release grants it; a partly served waiter meets a close.
//! Under every interleaving no permit is lost or made up (the count is back to where it
//! started), and no wake-up is lost (a thread left parked for ever is a loom deadlock).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_semaphore --target-dir target/loom
//! ```
//!
//! Seeded bugs these models caught (each made a model fail, then was reverted):
//! - `Acquire::drop` giving back nothing instead of the permits it had been granted: the
//!   count came back short (`dropped_grant_is_passed_on`);
//! - `Semaphore::release` adding to the count without looking at `QUEUED` (skipping the
//!   hand-out to waiters): a queued thread was never woken
//!   (`a_big_request_collects_permits_and_passes_them_on`, deadlock);
//! - `Acquire::drop` not re-checking `granted_upto` under the lock (cancelling an entry a
//!   release had just granted and freed): "a Key outlived its entry"
//!   (`grant_racing_a_drop_neither_loses_nor_doubles_the_permit`, also
//!   `dropped_grant_is_passed_on`);
//! - `Acquire::drop` finding itself granted under the lock but giving nothing back: the
//!   third thread was never woken (`grant_racing_a_drop_neither_loses_nor_doubles_the_permit`,
//!   deadlock);
//! - `Semaphore::close` dropping the permits assigned to a partly served waiter: the count
//!   came back short (`close_gives_back_a_partial_grant`).
//!
//! At 3 preemptions the two first models explored 12,968 and 37,439 interleavings, 3.3 s in
//! all (before the tickets); the four together now take about 6 s.
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
        // Queued behind `held`, then dropped on another thread while `held`'s release
        // grants it (and frees its entry, which the third thread may then reuse).
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
fn close_gives_back_a_partial_grant() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        // Can never get both permits: it errs out, and the one it may have been handed by
        // `held`'s release comes back with the close (or to the count, after it).
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
