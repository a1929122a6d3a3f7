//! Spawning jobs: results and panics, the threads they run on, the thread limit, reuse
//! within the keep-alive and exit after it, abort before start.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::{block_on, pool, spin_until};
use weft_blocking::{BlockingPool, Spawner};

#[test]
fn the_result_is_returned() {
    let pool = pool(2, Duration::from_secs(10));
    assert_eq!(
        block_on(pool.spawn(|| (1..=100u64).sum::<u64>())).unwrap(),
        5050
    );
    pool.shutdown(None);
}

#[test]
fn a_panicking_job_gives_a_panic_join_error_and_the_pool_goes_on() {
    let pool = pool(1, Duration::from_secs(10));
    let err = block_on(pool.spawn(|| panic!("blocking boom"))).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        block_on(pool.spawn(|| 3)).unwrap(),
        3,
        "the thread survived"
    );
    pool.shutdown(None);
}

#[test]
fn jobs_run_on_threads_made_by_the_spawner() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let spawner = Spawner::new(move |f| {
        s.fetch_add(1, SeqCst);
        thread::Builder::new().name("custom-pool".into()).spawn(f)
    });
    let pool = BlockingPool::new(spawner, 2, Duration::from_secs(10));
    let name = block_on(pool.spawn(|| thread::current().name().map(str::to_owned))).unwrap();
    assert_eq!(name.as_deref(), Some("custom-pool"));
    assert_eq!(started.load(SeqCst), 1);
    pool.shutdown(None);
}

#[test]
fn threads_start_on_demand_and_never_exceed_the_limit() {
    const CAP: usize = 2;
    const JOBS: usize = 8;
    let pool = pool(CAP, Duration::from_secs(10));
    assert_eq!(pool.num_threads(), 0);
    let running = Arc::new(AtomicUsize::new(0));
    let high = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..JOBS)
        .map(|_| {
            let running = running.clone();
            let high = high.clone();
            pool.spawn(move || {
                let now = running.fetch_add(1, SeqCst) + 1;
                high.fetch_max(now, SeqCst);
                // Stay until the cap is reached (so the jobs overlap), then a bit longer.
                let deadline = Instant::now() + Duration::from_secs(5);
                while high.load(SeqCst) < CAP && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
                thread::sleep(Duration::from_millis(2));
                running.fetch_sub(1, SeqCst);
                thread::current().id()
            })
        })
        .collect();
    let threads: HashSet<_> = handles.into_iter().map(|h| block_on(h).unwrap()).collect();
    assert_eq!(
        high.load(SeqCst),
        CAP,
        "at most {CAP} at once, and {CAP} reached"
    );
    assert!(threads.len() <= CAP, "{} threads ran jobs", threads.len());
    assert!(pool.num_threads() <= CAP);
    pool.shutdown(None);
}

/// A job never waits in the queue while the pool could start a thread for it: `N` jobs that
/// each wait for all `N` to be running (a barrier) always get `N` threads. Repeated on fresh
/// pools, where every job starts a new thread, because that is where the race is.
#[test]
fn a_new_thread_is_not_claimed_by_a_second_job() {
    const ROUNDS: usize = 200;
    const JOBS: usize = 4;
    for round in 0..ROUNDS {
        let pool = pool(JOBS, Duration::from_secs(10));
        let arrived = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..JOBS)
            .map(|_| {
                let arrived = arrived.clone();
                pool.spawn(move || {
                    arrived.fetch_add(1, SeqCst);
                    let deadline = Instant::now() + Duration::from_millis(500);
                    while arrived.load(SeqCst) < JOBS {
                        if Instant::now() > deadline {
                            return false;
                        }
                        thread::yield_now();
                    }
                    true
                })
            })
            .collect();
        for h in handles {
            assert!(block_on(h).unwrap(), "round {round}: a job was left queued");
        }
        pool.shutdown(None);
    }
}

#[test]
fn a_thread_is_reused_within_the_keep_alive() {
    let pool = pool(4, Duration::from_secs(10));
    let mut ids = HashSet::new();
    for _ in 0..10 {
        ids.insert(block_on(pool.spawn(|| thread::current().id())).unwrap());
        // Let the thread go back to waiting before the next job.
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(
        ids.len(),
        1,
        "10 sequential jobs used {} threads",
        ids.len()
    );
    pool.shutdown(None);
}

#[test]
fn idle_threads_exit_after_the_keep_alive_and_start_again_on_demand() {
    let pool = pool(4, Duration::from_millis(20));
    let arrived = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let arrived = arrived.clone();
            pool.spawn(move || {
                arrived.fetch_add(1, SeqCst);
                spin_until("all three jobs run at once", || arrived.load(SeqCst) == 3);
            })
        })
        .collect();
    for h in handles {
        block_on(h).unwrap();
    }
    assert_eq!(pool.num_threads(), 3);
    spin_until("the idle threads exited", || pool.num_threads() == 0);
    assert_eq!(
        block_on(pool.spawn(|| 1)).unwrap(),
        1,
        "a thread starts again"
    );
    pool.shutdown(None);
}

#[test]
fn a_zero_keep_alive_retires_a_thread_as_soon_as_it_is_idle() {
    let pool = pool(2, Duration::ZERO);
    for i in 0..20 {
        assert_eq!(block_on(pool.spawn(move || i)).unwrap(), i);
    }
    spin_until("the thread exited", || pool.num_threads() == 0);
    pool.shutdown(None);
}

#[test]
fn aborting_a_job_before_it_starts_cancels_it() {
    let pool = pool(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = pool.spawn(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        "first"
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let second = pool.spawn(move || r.store(true, SeqCst));
    second.abort();
    release_tx.send(()).unwrap();
    assert_eq!(block_on(first).unwrap(), "first");
    assert!(block_on(second).unwrap_err().is_cancelled());
    assert!(!ran.load(SeqCst), "an aborted job never runs");
    assert_eq!(block_on(pool.spawn(|| 2)).unwrap(), 2, "the pool goes on");
    pool.shutdown(None);
}

#[test]
fn many_short_jobs_from_several_threads_all_complete() {
    let pool = pool(8, Duration::from_millis(5));
    let spawners: Vec<_> = (0..4u64)
        .map(|t| {
            let pool = pool.clone();
            thread::spawn(move || {
                let handles: Vec<_> = (0..250u64)
                    .map(|i| pool.spawn(move || t * 1000 + i))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| block_on(h).unwrap())
                    .sum::<u64>()
            })
        })
        .collect();
    let sum: u64 = spawners.into_iter().map(|s| s.join().unwrap()).sum();
    let want: u64 = (0..4u64)
        .map(|t| (0..250u64).map(|i| t * 1000 + i).sum::<u64>())
        .sum();
    assert_eq!(sum, want);
    pool.shutdown(None);
}
