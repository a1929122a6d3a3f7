//! Loom models of asyncio's `Queue` (`src/queue/`): `put`, `get`, `task_done` and `join`
//! from several threads, and `get`/`put` futures dropped just after they were woken. Under
//! every interleaving: every item is taken exactly once, `join` never returns while an item
//! is unfinished and never misses the last `task_done` (a missed wake-up leaves `block_on`
//! parked for ever, which loom reports as a deadlock), a waiting putter gets the slot a
//! `get` frees, and a woken waiter that is dropped passes its wake-up on.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_queue --target-dir target/loom
//! ```
//!
//! Teeth (each seeded in `src/queue/`, seen to fail, then restored):
//! - `task_done` not waking the joiners when the count reaches zero: `join_waits_for_the_last_task_done`
//!   deadlocks.
//! - `Get::drop` not passing a wake-up it had received on: `a_woken_get_dropped_passes_the_item_on`
//!   deadlocks (the item waits in the queue while the other getter sleeps).
//! - `Put::drop` not passing a wake-up it had received on: `a_woken_put_dropped_passes_the_slot_on`
//!   deadlocks.
//! - `get` not waking a putter when it frees a slot: `bounded_put_waits_for_a_get` deadlocks.
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_core::test_support::{block_on, model};
use weft_sync::queue::GetError;
use weft_sync::Queue;

/// Polls `f` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn join_waits_for_the_last_task_done() {
    model(|| {
        let q = Queue::unbounded();
        q.try_put(1).unwrap();
        q.try_put(2).unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (q, done) = (q.clone(), done.clone());
                thread::spawn(move || {
                    let item = block_on(q.get()).unwrap();
                    done.fetch_add(item, SeqCst);
                    q.task_done();
                })
            })
            .collect();
        block_on(q.join());
        assert_eq!(done.load(SeqCst), 3, "join returned before every task_done");
        assert_eq!(q.unfinished_tasks(), 0);
        for w in workers {
            w.join().unwrap();
        }
    });
}

#[test]
fn getters_each_take_one_item_put_from_another_thread() {
    model(|| {
        let q = Queue::unbounded();
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || block_on(q.get()).unwrap())
            })
            .collect();
        q.try_put(1).unwrap();
        q.try_put(2).unwrap();
        let mut got: Vec<i32> = getters.into_iter().map(|g| g.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert!(q.is_empty());
    });
}

#[test]
fn bounded_put_waits_for_a_get() {
    model(|| {
        let q = Queue::bounded(1);
        let producer = {
            let q = q.clone();
            thread::spawn(move || {
                block_on(q.put(1)).unwrap();
                block_on(q.put(2)).unwrap(); // waits for the slot
            })
        };
        assert_eq!(block_on(q.get()), Ok(1));
        assert_eq!(block_on(q.get()), Ok(2));
        producer.join().unwrap();
    });
}

#[test]
fn a_woken_get_dropped_passes_the_item_on() {
    model(|| {
        let q = Queue::unbounded();
        // A registers, may be woken by the put, and is dropped: it never takes the item
        // unless its one poll found it there.
        let a = {
            let q = q.clone();
            thread::spawn(move || {
                let mut get = q.get();
                let got = poll_once(&mut get);
                thread::yield_now();
                drop(get);
                got
            })
        };
        let b = {
            let q = q.clone();
            thread::spawn(move || block_on(q.get()))
        };
        q.try_put(1).unwrap();
        if let Poll::Ready(item) = a.join().unwrap() {
            assert_eq!(item, Ok(1));
            q.try_put(2).unwrap(); // B still needs one
        }
        assert!(b.join().unwrap().is_ok());
        assert!(q.is_empty());
    });
}

#[test]
fn a_woken_put_dropped_passes_the_slot_on() {
    model(|| {
        let q = Queue::bounded(1);
        q.try_put(0).unwrap();
        let a = {
            let q = q.clone();
            thread::spawn(move || {
                let mut put = q.put(10);
                let done = poll_once(&mut put).is_ready();
                thread::yield_now();
                drop(put);
                done
            })
        };
        let b = {
            let q = q.clone();
            thread::spawn(move || block_on(q.put(20)))
        };
        assert_eq!(q.try_get(), Ok(0));
        if a.join().unwrap() {
            // A got the slot on its one poll: free another for B.
            assert_eq!(block_on(q.get()), Ok(10));
        }
        assert!(b.join().unwrap().is_ok());
        assert_eq!(q.try_get(), Ok(20));
    });
}

#[test]
fn close_wakes_a_waiting_getter_and_putter() {
    model(|| {
        let empty = Queue::<i32>::unbounded();
        let full = Queue::bounded(1);
        full.try_put(0).unwrap();
        let getter = {
            let q = empty.clone();
            thread::spawn(move || block_on(q.get()))
        };
        let putter = {
            let q = full.clone();
            thread::spawn(move || block_on(q.put(1)).map_err(|e| e.into_inner()))
        };
        empty.close();
        full.close();
        assert_eq!(getter.join().unwrap(), Err(GetError));
        assert_eq!(putter.join().unwrap(), Err(1), "the item comes back");
        assert_eq!(
            full.try_get(),
            Ok(0),
            "queued before close: still handed out"
        );
    });
}
