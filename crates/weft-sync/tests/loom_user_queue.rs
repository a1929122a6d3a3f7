//! A model written the way a *user* of weft writes one for their own code (see
//! `docs/loom-your-code.md`): the code under test is an ordinary producer/consumer over the
//! public `Queue` API, and the model body uses nothing but that API and `weft::loom`'s
//! `block_on`, `model` and `thread`, exactly as a user's crate would. It checks the user's code, not the queue: under every interleaving the
//! consumer processes every item exactly once, and `join` returns only after it has.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_user_queue --target-dir target/loom
//! ```
//!
//! `a_consumer_that_stops_on_is_empty_is_caught` runs the same model over a buggy consumer
//! (it stops when it sees the queue empty, instead of waiting for `close`): loom finds the
//! interleaving where the consumer looks before the producer has put anything, and the
//! model's assertion fails. The test expects that failure. (Had the model waited on
//! `join` before checking, the same bug would show as a loom deadlock: the jobs are never
//! marked done. Loom aborts the whole test binary on a deadlock, so a `should_panic` test
//! can only expect an assertion.)
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use weft::loom::{block_on, model, thread};
use weft::sync::Queue;

// ---- the user's code under test -------------------------------------------------------------

/// Takes jobs until the queue is closed and drained, "processing" each (its result goes to
/// `results`) before marking it done; returns how many it processed.
async fn consumer(jobs: Queue<usize>, results: Queue<usize>) -> usize {
    let mut processed = 0;
    while let Ok(job) = jobs.get().await {
        results.put(job * 10).await.unwrap();
        processed += 1;
        jobs.task_done();
    }
    processed
}

/// The bug to catch: stops as soon as the queue looks empty.
async fn buggy_consumer(jobs: Queue<usize>, results: Queue<usize>) -> usize {
    let mut processed = 0;
    while !jobs.is_empty() {
        let job = jobs.get().await.unwrap();
        results.put(job * 10).await.unwrap();
        processed += 1;
        jobs.task_done();
    }
    processed
}

/// Puts two jobs and closes the queue: the consumer's cue to finish.
async fn producer(queue: &Queue<usize>) {
    for job in [1, 2] {
        queue.put(job).await.unwrap();
    }
    queue.close();
}

// ---- the models ------------------------------------------------------------------------------

/// One model body for both consumers: a consumer thread, the producer on the model's main
/// thread, then the checks.
fn check(consume: fn(Queue<usize>, Queue<usize>) -> usize) {
    model(move || {
        let (jobs, results) = (Queue::unbounded(), Queue::unbounded());
        let worker = {
            let (jobs, results) = (jobs.clone(), results.clone());
            thread::spawn(move || consume(jobs, results))
        };
        block_on(producer(&jobs));
        let processed = worker.join().unwrap();
        assert_eq!(processed, 2, "the consumer lost a job");
        assert_eq!((results.try_get(), results.try_get()), (Ok(10), Ok(20)));
        block_on(jobs.join()); // every job was marked done: ready at once
    });
}

#[test]
fn the_consumer_processes_every_job() {
    check(|jobs, results| block_on(consumer(jobs, results)));
}

#[test]
#[should_panic(expected = "the consumer lost a job")]
fn a_consumer_that_stops_on_is_empty_is_caught() {
    check(|jobs, results| block_on(buggy_consumer(jobs, results)));
}

#[test]
fn join_returns_only_after_the_consumer_marked_every_job_done() {
    model(|| {
        // A bounded queue this time: the producer's second put waits for the consumer.
        let (jobs, results) = (Queue::bounded(1), Queue::unbounded());
        let worker = {
            let (jobs, results) = (jobs.clone(), results.clone());
            thread::spawn(move || block_on(consumer(jobs, results)))
        };
        block_on(async {
            jobs.put(1).await.unwrap();
            jobs.put(2).await.unwrap();
            jobs.join().await;
        });
        // join has returned: both jobs were processed, none twice.
        assert_eq!(results.len(), 2);
        jobs.close();
        assert_eq!(worker.join().unwrap(), 2);
    });
}
