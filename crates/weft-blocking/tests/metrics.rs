//! `BlockingPool::metrics`: threads busy and idle, and the jobs waiting for one.
#![cfg(not(weft_loom))]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{block_on, pool, spin_until};

#[test]
fn busy_idle_and_queued_follow_the_jobs() {
    let pool = pool(2, Duration::from_secs(60));
    let m = pool.metrics();
    assert_eq!((m.threads, m.busy, m.idle, m.queue_depth), (0, 0, 0, 0));

    // Two jobs hold both threads; a third waits in the queue.
    let (release, wait) = mpsc::channel::<()>();
    let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
    let (started, running) = mpsc::channel();
    let blocked: Vec<_> = (0..2)
        .map(|_| {
            let (wait, started) = (wait.clone(), started.clone());
            pool.spawn(move || {
                started.send(()).unwrap();
                let _ = wait.lock().unwrap().recv();
            })
        })
        .collect();
    running.recv().unwrap();
    running.recv().unwrap();
    let queued = pool.spawn(|| 7);
    let m = pool.metrics();
    assert_eq!((m.threads, m.busy, m.idle, m.queue_depth), (2, 2, 0, 1));

    // Released: every job runs, then both threads idle within their keep-alive.
    drop(release);
    for job in blocked {
        block_on(job).unwrap();
    }
    assert_eq!(block_on(queued).unwrap(), 7);
    spin_until("both threads idle", || pool.metrics().idle == 2);
    let m = pool.metrics();
    assert_eq!((m.threads, m.busy, m.idle, m.queue_depth), (2, 0, 2, 0));
    pool.shutdown(None);
    assert_eq!(pool.metrics().threads, 0);
}

#[test]
fn threads_leave_the_counts_when_their_keep_alive_ends() {
    let pool = pool(1, Duration::from_millis(10));
    block_on(pool.spawn(|| ())).unwrap();
    spin_until("the thread exited", || pool.metrics().threads == 0);
    let m = pool.metrics();
    assert_eq!((m.busy, m.idle, m.queue_depth), (0, 0, 0));
    pool.shutdown(None);
}
