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
    assert!(finished.load(SeqCst), "shutdown returned before the job ended");
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
