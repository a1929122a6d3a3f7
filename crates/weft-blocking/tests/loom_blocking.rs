//! Loom models of the blocking pool: a spawn racing the last thread going idle (and, with a
//! zero keep-alive, expiring), a spawn racing shutdown, and shutdown with idle threads. The properties: every job
//! is run exactly once or cancelled, and its `JoinHandle` resolves either way (a stranded job
//! leaves `block_on` waiting forever, which loom reports as a deadlock); shutdown ends every
//! thread (a thread left waiting is a deadlock too) and frees the pool (a leaked loom `Arc`
//! is reported).
//!
//! Loom has no clock and its timed wait never times out, so a keep-alive expires only in the
//! models that use a zero keep-alive: there an idle thread lets the lock go, takes it again
//! and counts as timed out, and every spawn can interleave with that.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-blocking --test loom_blocking --target-dir target/loom
//! ```
#![cfg(weft_loom)]

// Bookkeeping only (run counts): not part of any protocol under test. Loom runs one thread at
// a time, so these always read the latest value.
use std::sync::atomic::{AtomicUsize as StdUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;
use std::time::Duration;

use weft_blocking::{BlockingPool, Spawner};
use weft_core::loom::thread;
use weft_task::{JoinError, JoinHandle};

#[cfg(not(debug_assertions))]
compile_error!(
    "run the loom models with `-C debug-assertions`: the pool's counts must not wrap unnoticed"
);

/// Long enough never to run out during a model (loom's timed waits never time out anyway).
const LONG: Duration = Duration::from_secs(3600);

use weft_core::test_support::{block_on, model};

/// A pool whose threads are loom threads.
fn pool(max_threads: usize, keep_alive: Duration) -> BlockingPool {
    BlockingPool::new(
        Spawner::new(|f| Ok(thread::spawn(f))),
        max_threads,
        keep_alive,
    )
}

/// A job that counts its runs and returns `value`.
fn counted(pool: &BlockingPool, value: usize) -> (JoinHandle<usize>, StdArc<StdUsize>) {
    let runs = StdArc::new(StdUsize::new(0));
    let r = runs.clone();
    let handle = pool.spawn(move || {
        r.fetch_add(1, SeqCst);
        value
    });
    (handle, runs)
}

/// A job's outcome is consistent: its value after exactly one run, or cancelled unrun.
fn check(outcome: Result<usize, JoinError>, value: usize, runs: &StdUsize) {
    match outcome {
        Ok(v) => {
            assert_eq!(v, value);
            assert_eq!(runs.load(SeqCst), 1, "a job that returned ran once");
        }
        Err(e) => {
            assert!(e.is_cancelled(), "only cancellation, never a panic: {e:?}");
            assert_eq!(runs.load(SeqCst), 0, "a cancelled job never ran");
        }
    }
}

/// One thread, two jobs one after the other: the second spawn races the thread finishing the
/// first job and going idle (spinning, then sleeping, or, with a zero keep-alive, expiring).
/// The second job is run whether it queues behind the still-busy thread, claims the idle one
/// (which must then neither sleep on nor exit), or starts a new thread after the old one
/// left; it is never stranded.
fn second_job_runs(keep_alive: Duration) {
    model(move || {
        let pool = pool(1, keep_alive);
        let (first, runs) = counted(&pool, 1);
        check(Ok(block_on(first).unwrap()), 1, &runs);
        // The pool thread is now finishing its job, going idle, or expiring.
        let (second, runs) = counted(&pool, 2);
        check(Ok(block_on(second).unwrap()), 2, &runs);
        assert!(pool.shutdown(None));
        assert_eq!(pool.num_threads(), 0);
    });
}

/// See [`second_job_runs`]: with a zero keep-alive, the idle thread expires at once.
#[test]
fn a_job_spawned_as_the_last_idle_thread_expires_still_runs() {
    second_job_runs(Duration::ZERO);
}

/// See [`second_job_runs`]: the job claims the thread while it spins, is about to sleep or
/// sleeps.
#[test]
fn a_job_spawned_as_the_last_thread_goes_idle_wakes_it() {
    second_job_runs(LONG);
}

/// Two jobs spawned from another thread while the pool shuts down: each is run once or
/// cancelled, and its handle resolves either way; shutdown ends every thread.
#[test]
fn a_job_spawned_during_shutdown_is_run_or_cancelled() {
    model(|| {
        let pool = pool(1, LONG);
        let spawner = {
            let pool = pool.clone();
            thread::spawn(move || {
                let (a, a_runs) = counted(&pool, 1);
                let (b, b_runs) = counted(&pool, 2);
                check(block_on(a), 1, &a_runs);
                check(block_on(b), 2, &b_runs);
            })
        };
        assert!(pool.shutdown(None));
        spawner.join().unwrap();
        // Every thread that started has exited (a spawn after shutdown starts none).
        assert_eq!(pool.num_threads(), 0);
    });
}

/// A job queued (at the thread limit) when shutdown comes is cancelled or run, never left
/// in the queue; the job already running is waited for.
#[test]
fn shutdown_cancels_or_runs_a_queued_job() {
    model(|| {
        let pool = pool(1, LONG);
        let (a, a_runs) = counted(&pool, 1);
        let (b, b_runs) = counted(&pool, 2);
        assert!(pool.shutdown(None));
        assert_eq!(pool.num_threads(), 0);
        check(block_on(a), 1, &a_runs);
        check(block_on(b), 2, &b_runs);
    });
}

/// Two threads that have finished their jobs (idle, or about to be) when shutdown comes:
/// shutdown wakes them and they exit.
#[test]
fn shutdown_wakes_idle_threads() {
    model(|| {
        let pool = pool(2, LONG);
        let (a, a_runs) = counted(&pool, 1);
        let (b, b_runs) = counted(&pool, 2);
        check(Ok(block_on(a).unwrap()), 1, &a_runs);
        check(Ok(block_on(b).unwrap()), 2, &b_runs);
        assert!(pool.shutdown(None));
        assert_eq!(pool.num_threads(), 0);
    });
}
