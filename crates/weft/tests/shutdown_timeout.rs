//! `Runtime::shutdown_timeout` with time-outs and keep-alives too long for an `Instant`
//! (`Duration::MAX`): they mean "no limit", never an overflow panic.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use common::{for_each_builder, for_each_runtime};

#[test]
fn shutdown_timeout_of_duration_max_returns_after_the_running_blocking_job_ends() {
    for_each_runtime(|rt, name| {
        let (started_tx, started_rx) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let _job = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(50));
            f.store(true, SeqCst);
        });
        started_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the job started");
        rt.shutdown_timeout(Duration::MAX);
        assert!(
            finished.load(SeqCst),
            "[{name}] shutdown_timeout(Duration::MAX) waits for the job"
        );
    });
}

#[test]
fn a_duration_max_keep_alive_works_and_shuts_down() {
    for_each_builder(|builder, name| {
        let rt = builder.thread_keep_alive(Duration::MAX).build().unwrap();
        let first = rt
            .block_on(rt.spawn_blocking(|| thread::current().id()))
            .unwrap();
        // Idle with no deadline, then reused.
        thread::sleep(Duration::from_millis(20));
        let second = rt
            .block_on(rt.spawn_blocking(|| thread::current().id()))
            .unwrap();
        assert_eq!(first, second, "[{name}] the idle pool thread was reused");
        // Shutdown wakes the idle thread (which would otherwise wait forever).
        drop(rt);
    });
}
