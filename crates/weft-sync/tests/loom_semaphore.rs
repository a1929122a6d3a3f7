//! Loom models of the semaphore (`src/semaphore.rs`): two threads acquire and release while a
//! third future is granted permits and dropped without being polled again. Under every
//! interleaving no permit is lost or made up (the count is back to where it started), and no
//! wake-up is lost (a thread left parked for ever is a loom deadlock).
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
//!   (`a_big_request_collects_permits_and_passes_them_on`, deadlock).
//!
//! At 3 preemptions the two models explore 12,968 and 37,439 interleavings, 3.3 s in all.
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
