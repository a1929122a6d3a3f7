//! Loom models of the local queue: under every interleaving loom explores, each item pushed comes
//! out exactly once (popped by the owner, stolen by a thief, or overflowed to the inject queue),
//! and nothing left in a queue leaks.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-queue --test loom_queue --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::Arc;
use weft_core::loom::{model, thread};
use weft_queue::{local, Inject, Local, Steal, LOCAL_QUEUE_CAPACITY};

#[cfg(not(debug_assertions))]
compile_error!(
    "run the loom models with `-C debug-assertions`: the queue's invariants are debug_asserts"
);

/// Pops everything left in `q`.
fn drain(q: &mut Local<Box<usize>>) -> Vec<usize> {
    std::iter::from_fn(|| q.pop()).map(|b| *b).collect()
}

/// Pops everything left in `inject`.
fn drain_inject(inject: &Inject<Box<usize>>) -> Vec<usize> {
    std::iter::from_fn(|| inject.pop()).map(|b| *b).collect()
}

/// A thief: `attempts` times, one `steal_into` its own fresh queue, then running (popping) all
/// it got; returns every item it got, whether returned or landed in its queue.
fn thief(steal: Steal<Box<usize>>, attempts: usize) -> thread::JoinHandle<Vec<usize>> {
    thread::spawn(move || {
        let (mut mine, _) = local();
        let mut got = Vec::new();
        for _ in 0..attempts {
            got.extend(steal.steal_into(&mut mine).map(|b| *b));
            got.extend(drain(&mut mine));
        }
        got
    })
}

/// A thief that makes one steal attempt.
fn steal_once(steal: Steal<Box<usize>>) -> thread::JoinHandle<Vec<usize>> {
    thief(steal, 1)
}

/// Asserts that `seen` holds each of `0..n` exactly once.
fn assert_exactly_once(mut seen: Vec<usize>, n: usize) {
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..n).collect::<Vec<_>>(),
        "an item was lost or duplicated"
    );
}

/// (a) The owner pushes and pops while one thief steals twice: the thief may see any prefix of
/// the pushes, and may claim a batch while the owner pops from it.
#[test]
fn push_pop_racing_steal() {
    model(|| {
        let (mut q, steal) = local();
        let inject = Inject::new();
        let stealer = thief(steal, 2);

        let mut seen = Vec::new();
        for i in 0..3 {
            q.push_back(Box::new(i), &inject);
        }
        seen.extend(q.pop().map(|b| *b));
        q.push_back(Box::new(3), &inject);
        seen.extend(drain(&mut q));

        seen.extend(stealer.join().unwrap());
        assert!(
            inject.is_empty(),
            "four items never fill a ring of {LOCAL_QUEUE_CAPACITY}"
        );
        assert_exactly_once(seen, 4);
    });
}

/// (b) The owner fills the ring and overflows while a thief steals from it: the push sees a
/// full ring or a steal in flight (the pushed item goes to the inject queue, the ring keeps
/// the rest), or room the steal made.
#[test]
fn overflow_racing_steal() {
    model(|| {
        let (mut q, steal) = local();
        let inject = Inject::new();
        let thief = steal_once(steal);

        for i in 0..=LOCAL_QUEUE_CAPACITY {
            q.push_back(Box::new(i), &inject);
        }
        let mut seen = drain(&mut q);

        seen.extend(thief.join().unwrap());
        let overflowed = drain_inject(&inject);
        assert!(
            overflowed.is_empty() || overflowed == [LOCAL_QUEUE_CAPACITY],
            "overflow moved {overflowed:?}"
        );
        seen.extend(overflowed);
        assert_exactly_once(seen, LOCAL_QUEUE_CAPACITY + 1);
    });
}

/// (b2) A worker refills its ring from the inject queue in one batch while another thread
/// pushes to the inject queue and a thief steals from the ring: the batch stops where the ring
/// is full (a steal in flight counts as full), and the rest stays queued in order. (Under
/// loom the queue's length is read under its lock; the lock-free mirror is not modelled.)
#[test]
fn batch_refill_racing_push_and_steal() {
    model(|| {
        let (mut q, steal) = local();
        let inject = Arc::new(Inject::new());
        for i in 0..LOCAL_QUEUE_CAPACITY - 1 {
            q.push_back(Box::new(i), &inject);
        }
        inject.push_batch((LOCAL_QUEUE_CAPACITY - 1..LOCAL_QUEUE_CAPACITY + 1).map(Box::new));
        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || inject.push(Box::new(LOCAL_QUEUE_CAPACITY + 1)))
        };
        let thief = steal_once(steal);

        let mut seen: Vec<usize> = inject
            .pop_batch_into(&mut q, 2)
            .map(|b| *b)
            .into_iter()
            .collect();
        seen.extend(drain(&mut q));
        pusher.join().unwrap();
        seen.extend(thief.join().unwrap());
        let left = drain_inject(&inject);
        let mut sorted = left.clone();
        sorted.sort_unstable();
        assert_eq!(left, sorted, "the inject queue lost its order: {left:?}");
        seen.extend(left);
        assert_exactly_once(seen, LOCAL_QUEUE_CAPACITY + 2);
    });
}

/// (c) Two thieves steal from one queue while its owner pushes the last item and pops.
#[test]
fn two_thieves_and_popping_owner() {
    model(|| {
        let (mut q, steal) = local();
        let inject = Inject::new();
        for i in 0..3 {
            q.push_back(Box::new(i), &inject);
        }
        let thieves = [steal_once(steal.clone()), steal_once(steal)];

        q.push_back(Box::new(3), &inject);
        let mut seen: Vec<usize> = q.pop().map(|b| *b).into_iter().collect();
        seen.extend(drain(&mut q));

        for thief in thieves {
            seen.extend(thief.join().unwrap());
        }
        assert!(inject.is_empty());
        assert_exactly_once(seen, 4);
    });
}

/// (c') Worker B steals from A into its own queue while a thief is stealing from B: B may only
/// reuse the slots the thief has finished copying out.
#[test]
fn steal_into_a_queue_being_stolen_from() {
    model(|| {
        let inject = Inject::new();
        let (mut a, steal_a) = local();
        let (mut b, steal_b) = local();
        // A has a full ring, B has 3 of 4 slots taken: B has room to steal only after the
        // thief took some of its items, and then B's new items land in slots the thief used.
        for i in 0..LOCAL_QUEUE_CAPACITY {
            a.push_back(Box::new(i), &inject);
        }
        for i in 0..3 {
            b.push_back(Box::new(LOCAL_QUEUE_CAPACITY + i), &inject);
        }
        let thief = steal_once(steal_b);
        let worker_b = thread::spawn(move || {
            let mut got: Vec<usize> = steal_a.steal_into(&mut b).map(|x| *x).into_iter().collect();
            got.extend(drain(&mut b));
            got
        });

        let mut seen = worker_b.join().unwrap();
        seen.extend(thief.join().unwrap());
        seen.extend(drain(&mut a));
        assert!(inject.is_empty());
        assert_exactly_once(seen, LOCAL_QUEUE_CAPACITY + 3);
    });
}

/// An item that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// (d) Queues dropped with items still in them, while a steal may be in flight: every item is
/// dropped exactly once and no `Arc` leaks (loom checks that).
#[test]
fn drop_with_items_left() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut q, steal) = local();
        let inject = Inject::new();
        let n = LOCAL_QUEUE_CAPACITY + 1;
        for _ in 0..n {
            q.push_back(Counted(drops.clone()), &inject);
        }
        let thief = thread::spawn(move || {
            let (mut mine, _) = local();
            // The returned item and the thief's queue (with anything left in it) drop here.
            drop(steal.steal_into(&mut mine));
        });
        // The owner drops its queue with items left, perhaps mid-steal.
        drop(q);
        thief.join().unwrap();
        drop(inject);
        assert_eq!(drops.load(Ordering::Relaxed), n);
    });
}
