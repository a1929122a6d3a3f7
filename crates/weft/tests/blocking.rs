//! `spawn_blocking`: results, threads, panics, the thread cap, parallelism, keep-alive,
//! abort before start.

mod common;

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::{expect_panic, for_each_builder, for_each_runtime, join_panic_message, spin_until};

#[test]
fn the_result_is_returned() {
    for_each_runtime(|rt, _| {
        let out = rt.block_on(async { weft::spawn_blocking(|| (1..=100u64).sum::<u64>()).await });
        assert_eq!(out.unwrap(), 5050);
        let s = rt.block_on(rt.spawn_blocking(|| "from the pool".to_owned()));
        assert_eq!(s.unwrap(), "from the pool");
    });
}

#[test]
fn jobs_run_on_another_thread_than_the_caller() {
    for_each_runtime(|rt, name| {
        let (caller, job, task_thread) = rt.block_on(async {
            let caller = thread::current().id();
            let job = weft::spawn_blocking(|| thread::current().id())
                .await
                .unwrap();
            let (task_thread, job_from_task) = weft::spawn(async {
                let me = thread::current().id();
                (
                    me,
                    weft::spawn_blocking(|| thread::current().id())
                        .await
                        .unwrap(),
                )
            })
            .await
            .unwrap();
            assert_ne!(task_thread, job_from_task, "[{name}] not the task's thread");
            (caller, job, task_thread)
        });
        assert_ne!(caller, job, "[{name}] not block_on's thread");
        let _ = task_thread;
    });
}

#[test]
fn a_panicking_job_gives_a_panic_join_error() {
    for_each_runtime(|rt, name| {
        let err = rt.block_on(async {
            weft::spawn_blocking(|| panic!("blocking boom"))
                .await
                .unwrap_err()
        });
        assert_eq!(join_panic_message(err), "blocking boom", "[{name}]");
        // The pool still works.
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
    });
}

#[test]
fn max_blocking_threads_caps_how_many_run_at_once() {
    for_each_builder(|builder, name| {
        const CAP: usize = 2;
        const JOBS: usize = 8;
        let rt = builder.max_blocking_threads(CAP).build().unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let high = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..JOBS)
            .map(|_| {
                let running = running.clone();
                let high = high.clone();
                rt.spawn_blocking(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    high.fetch_max(now, SeqCst);
                    // Stay until the cap is reached (so the jobs overlap), then a bit longer.
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while high.load(SeqCst) < CAP && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(1));
                    }
                    thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, SeqCst);
                    thread::current().id()
                })
            })
            .collect();
        let threads: HashSet<_> = rt.block_on(async move {
            let mut ids = HashSet::new();
            for h in handles {
                ids.insert(h.await.unwrap());
            }
            ids
        });
        assert_eq!(
            high.load(SeqCst),
            CAP,
            "[{name}] at most {CAP} at once, and {CAP} reached"
        );
        assert!(
            threads.len() <= CAP,
            "[{name}] {} threads ran jobs",
            threads.len()
        );
    });
}

#[test]
fn jobs_run_in_parallel() {
    for_each_runtime(|rt, name| {
        const JOBS: usize = 4;
        let arrived = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..JOBS)
            .map(|_| {
                let arrived = arrived.clone();
                rt.spawn_blocking(move || {
                    arrived.fetch_add(1, SeqCst);
                    // A barrier: each job waits for all the others to be running.
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while arrived.load(SeqCst) < JOBS {
                        assert!(
                            Instant::now() < deadline,
                            "the jobs did not all run at once"
                        );
                        thread::sleep(Duration::from_millis(1));
                    }
                })
            })
            .collect();
        rt.block_on(async move {
            for h in handles {
                h.await.unwrap();
            }
        });
        assert_eq!(arrived.load(SeqCst), JOBS, "[{name}]");
    });
}

thread_local! {
    /// Set on threads that ran a blocking job, read by `on_thread_stop`.
    static RAN_A_JOB: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn idle_pool_threads_exit_after_the_keep_alive() {
    for_each_builder(|builder, name| {
        const JOBS: usize = 3;
        let pool_stops = Arc::new(AtomicUsize::new(0));
        let ps = pool_stops.clone();
        let rt = builder
            .thread_keep_alive(Duration::from_millis(50))
            .on_thread_stop(move || {
                if RAN_A_JOB.with(Cell::get) {
                    ps.fetch_add(1, SeqCst);
                }
            })
            .build()
            .unwrap();
        let arrived = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..JOBS)
            .map(|_| {
                let arrived = arrived.clone();
                rt.spawn_blocking(move || {
                    RAN_A_JOB.with(|c| c.set(true));
                    arrived.fetch_add(1, SeqCst);
                    // All three at once, so three threads exist.
                    spin_until("all jobs run at once", || arrived.load(SeqCst) == JOBS);
                })
            })
            .collect();
        rt.block_on(async move {
            for h in handles {
                h.await.unwrap();
            }
        });
        // Idle now: every pool thread exits after ~50 ms, with the runtime still alive.
        spin_until("the idle pool threads exited", || {
            pool_stops.load(SeqCst) == JOBS
        });
        // The pool starts threads again on demand.
        let again = rt.spawn_blocking(|| {
            RAN_A_JOB.with(|c| c.set(true));
            1
        });
        assert_eq!(rt.block_on(again).unwrap(), 1, "[{name}]");
        spin_until("the new pool thread exited", || {
            pool_stops.load(SeqCst) == JOBS + 1
        });
    });
}

#[test]
fn a_pool_thread_is_reused_within_the_keep_alive() {
    for_each_runtime(|rt, name| {
        let mut ids = HashSet::new();
        for _ in 0..10 {
            ids.insert(
                rt.block_on(rt.spawn_blocking(|| thread::current().id()))
                    .unwrap(),
            );
            // Let the thread go back to waiting before the next job.
            thread::sleep(Duration::from_millis(5));
        }
        assert!(
            ids.len() <= 2,
            "[{name}] 10 sequential jobs used {} threads",
            ids.len()
        );
    });
}

#[test]
fn aborting_a_job_before_it_starts_cancels_it() {
    for_each_builder(|builder, name| {
        let rt = builder.max_blocking_threads(1).build().unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let first = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            "first"
        });
        started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let second = rt.spawn_blocking(move || r.store(true, SeqCst));
        second.abort();
        release_tx.send(()).unwrap();
        let (first, second) = rt.block_on(async move { (first.await, second.await) });
        assert_eq!(first.unwrap(), "first");
        assert!(second.unwrap_err().is_cancelled(), "[{name}]");
        assert!(!ran.load(SeqCst), "[{name}] an aborted job never runs");
        // The pool goes on.
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 2)).unwrap(), 2);
    });
}

#[test]
fn aborting_a_running_job_lets_it_finish() {
    for_each_runtime(|rt, name| {
        let (started_tx, started_rx) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let job = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(30));
            f.store(true, SeqCst);
            5
        });
        started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
        job.abort();
        let out = rt.block_on(job);
        assert!(
            finished.load(SeqCst),
            "[{name}] a running job cannot be interrupted"
        );
        // Like tokio: the job ran to its end, so its output is kept.
        assert_eq!(out.unwrap(), 5, "[{name}]");
    });
}

#[test]
fn spawn_blocking_from_a_foreign_thread_through_a_handle() {
    for_each_runtime(|rt, _| {
        let handle = rt.handle().clone();
        let job = thread::spawn(move || handle.spawn_blocking(|| 9))
            .join()
            .unwrap();
        assert_eq!(rt.block_on(job).unwrap(), 9);
    });
}

#[test]
fn spawn_blocking_outside_a_runtime_panics() {
    let message = expect_panic(|| weft::spawn_blocking(|| ()));
    assert!(message.contains("outside a weft runtime"), "{message}");
}

#[test]
fn many_short_jobs_all_complete() {
    for_each_runtime(|rt, name| {
        let sum = rt.block_on(async {
            let handles: Vec<_> = (0..1_000u64)
                .map(|i| weft::spawn_blocking(move || i))
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..1_000).sum::<u64>(), "[{name}]");
    });
}

/// A job never waits in the queue while the pool could start a thread for it: `N` jobs that
/// each wait for all `N` to be running (a barrier) always get `N` threads. Repeated on fresh
/// runtimes, where every job starts a new pool thread, because that is where the race is.
#[test]
fn a_new_pool_thread_is_not_claimed_by_a_second_job() {
    const ROUNDS: usize = 200;
    const JOBS: usize = 4;
    let mut stuck = 0;
    for _ in 0..ROUNDS {
        let rt = common::runtime("multi_thread(1)");
        let arrived = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..JOBS)
            .map(|_| {
                let arrived = arrived.clone();
                rt.spawn_blocking(move || {
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
        let all_at_once = rt.block_on(async move {
            let mut ok = true;
            for h in handles {
                ok &= h.await.unwrap();
            }
            ok
        });
        stuck += usize::from(!all_at_once);
    }
    assert_eq!(
        stuck, 0,
        "{stuck} of {ROUNDS} rounds left a job queued with no thread for it"
    );
}
