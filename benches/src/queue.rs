//! weft's local run queue (`weft_queue::{Local, Steal}`) against crossbeam-deque's
//! `Worker`/`Stealer` (FIFO flavour: weft's owner pops in FIFO order too), on plain `usize`
//! items (a scheduler queues one pointer per task).
//!
//! - `push_pop`: one thread pushes a batch of 128 then pops 128, over and over; the time per
//!   item (one push plus one pop). 128 stays under weft's fixed 256 slots, so neither queue
//!   overflows or grows.
//! - `steal`: an owner thread pushes `items` items and never pops (it waits while its queue
//!   holds 3/4 of weft's capacity, so weft's ring never overflows); a thief thread steals
//!   batches (weft: `steal_into`, half the queue; crossbeam: `steal_batch_and_pop`) into its
//!   own queue and pops them. The time per item until the thief has them all: the
//!   throughput of stealing.

use std::hint::{black_box, spin_loop};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;

use crate::sample::{measure, Sample, Stopwatch};

const BATCH: usize = 128;
const CAPACITY: usize = weft_queue::LOCAL_QUEUE_CAPACITY;
const HIGH_WATER: usize = CAPACITY * 3 / 4;

/// Which queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// `weft_queue::{Local, Steal}`.
    Weft,
    /// `crossbeam_deque::{Worker, Stealer}` (FIFO).
    Crossbeam,
}

impl Queue {
    /// Both, in column order.
    pub const ALL: [Queue; 2] = [Queue::Weft, Queue::Crossbeam];

    /// The report's name.
    pub fn name(self) -> &'static str {
        match self {
            Queue::Weft => "weft_queue",
            Queue::Crossbeam => "crossbeam-deque",
        }
    }
}

/// `ops` items pushed and popped by one thread (rounded down to whole batches of 128).
pub fn push_pop(queue: Queue, ops: usize) -> Sample {
    let rounds = (ops / BATCH).max(1);
    let (sample, sum) = match queue {
        Queue::Weft => {
            let inject = weft_queue::Inject::new();
            let (mut local, _steal) = weft_queue::local::<usize>();
            measure(|| {
                let mut sum = 0usize;
                for _ in 0..rounds {
                    for i in 0..BATCH {
                        local.push_back(black_box(i), &inject);
                    }
                    for _ in 0..BATCH {
                        sum = sum.wrapping_add(local.pop().expect("push_pop: empty"));
                    }
                }
                assert!(inject.is_empty(), "push_pop: the weft queue overflowed");
                sum
            })
        }
        Queue::Crossbeam => {
            let worker = crossbeam_deque::Worker::<usize>::new_fifo();
            let _stealer = worker.stealer();
            measure(|| {
                let mut sum = 0usize;
                for _ in 0..rounds {
                    for i in 0..BATCH {
                        worker.push(black_box(i));
                    }
                    for _ in 0..BATCH {
                        sum = sum.wrapping_add(worker.pop().expect("push_pop: empty"));
                    }
                }
                sum
            })
        }
    };
    assert_eq!(
        sum,
        rounds * (BATCH * (BATCH - 1) / 2),
        "push_pop: lost items"
    );
    sample
}

/// The owner pushes `items` items, never popping, and waits while its queue holds 3/4 of
/// weft's capacity; the thief steals them all. The time until the thief has every item.
pub fn steal(queue: Queue, items: usize) -> Sample {
    match queue {
        Queue::Weft => steal_weft(items),
        Queue::Crossbeam => steal_crossbeam(items),
    }
}

fn steal_weft(items: usize) -> Sample {
    let inject = weft_queue::Inject::new();
    let (mut owner, stealer) = weft_queue::local::<usize>();
    let done = AtomicBool::new(false);
    let start = Barrier::new(2);
    let (sample, stolen) = thread::scope(|s| {
        let thief = s.spawn(|| {
            let (mut mine, _mine_steal) = weft_queue::local::<usize>();
            let mut got = 0usize;
            start.wait();
            loop {
                if let Some(item) = stealer.steal_into(&mut mine) {
                    black_box(item);
                    got += 1;
                    while let Some(item) = mine.pop() {
                        black_box(item);
                        got += 1;
                    }
                } else if done.load(Ordering::Acquire) && stealer.is_empty() {
                    return got;
                } else {
                    spin_loop();
                }
            }
        });
        start.wait();
        let watch = Stopwatch::start();
        for i in 0..items {
            // Counts the slots a thief is still copying out too (`len` does not).
            while owner.remaining_slots() <= CAPACITY - HIGH_WATER {
                spin_loop();
            }
            owner.push_back(i, &inject);
        }
        done.store(true, Ordering::Release);
        let stolen = thief.join().expect("steal: thief panicked");
        (watch.stop(), stolen)
    });
    assert!(inject.is_empty(), "steal: the weft queue overflowed");
    assert_eq!(stolen, items, "steal: lost items (weft)");
    sample
}

fn steal_crossbeam(items: usize) -> Sample {
    use crossbeam_deque::Steal;

    let owner = crossbeam_deque::Worker::<usize>::new_fifo();
    let stealer = owner.stealer();
    let done = AtomicBool::new(false);
    let start = Barrier::new(2);
    let (sample, stolen) = thread::scope(|s| {
        let thief = s.spawn(|| {
            let mine = crossbeam_deque::Worker::<usize>::new_fifo();
            let mut got = 0usize;
            start.wait();
            loop {
                match stealer.steal_batch_and_pop(&mine) {
                    Steal::Success(item) => {
                        black_box(item);
                        got += 1;
                        while let Some(item) = mine.pop() {
                            black_box(item);
                            got += 1;
                        }
                    }
                    Steal::Retry => spin_loop(),
                    Steal::Empty if done.load(Ordering::Acquire) && stealer.is_empty() => {
                        return got;
                    }
                    Steal::Empty => spin_loop(),
                }
            }
        });
        start.wait();
        let watch = Stopwatch::start();
        for i in 0..items {
            while owner.len() >= HIGH_WATER {
                spin_loop();
            }
            owner.push(i);
        }
        done.store(true, Ordering::Release);
        let stolen = thief.join().expect("steal: thief panicked");
        (watch.stop(), stolen)
    });
    assert_eq!(stolen, items, "steal: lost items (crossbeam)");
    sample
}
