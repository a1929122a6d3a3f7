//! Shutdown: running jobs are waited for (forever, or up to a time-out that may be as long as
//! `Duration::MAX`), queued jobs are cancelled, idle threads are woken and exit.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use common::{block_on, pool};

#[test]
fn shutdown_with_a_duration_max_time_out_waits_for_the_running_job() {
    let pool = pool(2, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let job = pool.spawn(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(50));
        f.store(true, SeqCst);
        7
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    // `Instant::now() + Duration::MAX` overflows: the time-out means "wait forever".
    assert!(pool.shutdown(Some(Duration::MAX)), "every thread exited");
    assert!(
        finished.load(SeqCst),
        "shutdown returned before the job ended"
    );
    assert_eq!(block_on(job).unwrap(), 7);
    assert_eq!(pool.num_threads(), 0);
}

#[test]
fn a_duration_max_keep_alive_keeps_idle_threads_until_shutdown() {
    let pool = pool(2, Duration::MAX);
    let first = block_on(pool.spawn(|| thread::current().id())).unwrap();
    // The thread goes back to waiting, with no deadline, and is reused.
    thread::sleep(Duration::from_millis(20));
    let second = block_on(pool.spawn(|| thread::current().id())).unwrap();
    assert_eq!(first, second, "the idle thread was reused");
    assert_eq!(pool.num_threads(), 1);
    assert!(pool.shutdown(None), "shutdown wakes the idle thread");
    assert_eq!(pool.num_threads(), 0);
}

#[test]
fn queued_jobs_are_cancelled_and_the_running_one_is_waited_for() {
    let pool = pool(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let running = pool.spawn(move || {
        started_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(30));
        "ran"
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let queued: Vec<_> = (0..3)
        .map(|_| {
            let ran = ran.clone();
            pool.spawn(move || ran.store(true, SeqCst))
        })
        .collect();
    assert!(pool.shutdown(None));
    assert_eq!(block_on(running).unwrap(), "ran");
    for job in queued {
        assert!(block_on(job).unwrap_err().is_cancelled());
    }
    assert!(!ran.load(SeqCst), "a queued job never ran");
}

#[test]
fn a_job_spawned_after_shutdown_is_cancelled() {
    let pool = pool(2, Duration::from_secs(10));
    assert!(pool.shutdown(None));
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let job = pool.spawn(move || r.store(true, SeqCst));
    assert!(block_on(job).unwrap_err().is_cancelled());
    assert!(!ran.load(SeqCst));
    assert_eq!(pool.num_threads(), 0, "no thread started after shutdown");
}

#[test]
fn shutdown_with_a_time_out_leaves_a_long_job_to_finish_alone() {
    let pool = pool(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let job = pool.spawn(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        5
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let t0 = std::time::Instant::now();
    assert!(
        !pool.shutdown(Some(Duration::from_millis(50))),
        "a thread is still running"
    );
    assert!(t0.elapsed() >= Duration::from_millis(50));
    release_tx.send(()).unwrap();
    assert_eq!(
        block_on(job).unwrap(),
        5,
        "the job finishes alone with its output"
    );
    common::spin_until("the thread exited", || pool.num_threads() == 0);
}

#[test]
fn shutdown_with_a_zero_time_out_returns_at_once() {
    let pool = pool(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let _job = pool.spawn(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(Duration::from_secs(30));
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let t0 = std::time::Instant::now();
    assert!(!pool.shutdown(Some(Duration::ZERO)));
    assert!(t0.elapsed() < Duration::from_secs(5));
    release_tx.send(()).unwrap();
}

#[test]
fn a_job_can_shut_its_own_pool_down() {
    let pool = pool(2, Duration::from_secs(10));
    let p = pool.clone();
    // The job's own thread cannot be waited for; every other one is.
    assert!(block_on(pool.spawn(move || p.shutdown(None))).unwrap());
    common::spin_until("the job's thread exited", || pool.num_threads() == 0);
}

/// Shutdown joins every thread, also one that already exited on its keep-alive: a thread's
/// last steps after leaving the pool (the runtime's `on_thread_stop` hook) are over when
/// `shutdown(None)` returns.
#[test]
fn shutdown_joins_a_thread_that_exited_on_its_keep_alive() {
    let stopped = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = stopped.clone();
    let spawner = weft_blocking::Spawner::new(move |f| {
        let s = s.clone();
        thread::Builder::new().spawn(move || {
            f();
            thread::sleep(Duration::from_millis(50));
            s.fetch_add(1, SeqCst);
        })
    });
    let pool = weft_blocking::BlockingPool::new(spawner, 1, Duration::from_millis(1));
    block_on(pool.spawn(|| ())).unwrap();
    common::spin_until("the thread left the pool", || pool.num_threads() == 0);
    assert!(pool.shutdown(None));
    assert_eq!(
        stopped.load(SeqCst),
        1,
        "shutdown returned before the thread ended"
    );
}
