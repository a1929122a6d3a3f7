//! Shutdown: dropping a runtime cancels every task and drops its future, promptly; spawning
//! after shutdown gives cancelled handles; `shutdown_timeout` and `shutdown_background`
//! do not wait for blocking jobs that run on.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use common::{for_each_runtime, pending_counting_polls, poll_once, DropCounter};

/// Generous: shutdown is not a speed test, but it must not wait for anything unbounded.
const PROMPT: Duration = Duration::from_secs(5);

#[test]
fn dropping_a_runtime_with_ten_thousand_blocked_tasks_drops_them_all() {
    for_each_runtime(|rt, name| {
        const N: usize = 10_000;
        let drops = DropCounter::new();
        let polls = Arc::new(AtomicUsize::new(0));
        rt.block_on({
            let drops = drops.clone();
            let polls = polls.clone();
            async move {
                for _ in 0..N {
                    let token = drops.token();
                    let polls = polls.clone();
                    drop(weft::spawn(async move {
                        let _token = token;
                        pending_counting_polls(polls).await;
                    }));
                }
                // Every task is parked in its pending future before the runtime goes.
                let p = polls.clone();
                weft::spawn(async move {
                    common::yield_until("all tasks were polled", || p.load(SeqCst) >= N).await
                })
                .await
                .unwrap();
            }
        });
        assert_eq!(drops.count(), 0);
        let started = Instant::now();
        drop(rt);
        let took = started.elapsed();
        assert!(took < PROMPT, "[{name}] dropping took {took:?}");
        assert_eq!(drops.count(), N, "[{name}] every blocked future is dropped");
    });
}

#[test]
fn dropping_a_runtime_drops_tasks_that_never_ran() {
    for_each_runtime(|rt, name| {
        const N: usize = 10_000;
        let drops = DropCounter::new();
        for _ in 0..N {
            let token = drops.token();
            drop(rt.spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            }));
        }
        drop(rt);
        assert_eq!(drops.count(), N, "[{name}]");
    });
}

#[test]
fn join_handles_of_tasks_killed_by_shutdown_resolve_to_cancelled() {
    for_each_runtime(|rt, name| {
        let mut handles: Vec<_> = (0..100)
            .map(|_| rt.spawn(std::future::pending::<()>()))
            .collect();
        // Half of them get polled (and park) first.
        rt.block_on(async {
            weft::spawn(weft::task::yield_now()).await.unwrap();
        });
        drop(rt);
        for h in &mut handles {
            match poll_once(h) {
                Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "[{name}] {e:?}"),
                other => panic!("[{name}] expected a cancelled JoinError at once, got {other:?}"),
            }
            assert!(h.is_finished());
        }
    });
}

#[test]
fn spawning_after_shutdown_gives_a_cancelled_handle() {
    for_each_runtime(|rt, name| {
        let handle = rt.handle().clone();
        drop(rt);
        let drops = DropCounter::new();
        let token = drops.token();
        let mut task = handle.spawn(async move {
            let _token = token;
            1
        });
        assert_eq!(
            drops.count(),
            1,
            "[{name}] the refused future is dropped at once"
        );
        match poll_once(&mut task) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "[{name}] {e:?}"),
            other => panic!("[{name}] expected a cancelled JoinError at once, got {other:?}"),
        }
        // The same through `weft::spawn` under an enter guard, and awaited by a fresh runtime.
        let task = {
            let _guard = handle.enter();
            weft::spawn(async { 2 })
        };
        let fresh = weft::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(fresh.block_on(task).unwrap_err().is_cancelled());
        assert_eq!(handle.num_tasks(), 0);
    });
}

#[test]
fn spawn_blocking_after_shutdown_gives_a_cancelled_handle() {
    for_each_runtime(|rt, name| {
        let handle = rt.handle().clone();
        drop(rt);
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let mut job = handle.spawn_blocking(move || r.store(true, SeqCst));
        match poll_once(&mut job) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "[{name}] {e:?}"),
            other => panic!("[{name}] expected a cancelled JoinError at once, got {other:?}"),
        }
        assert!(!ran.load(SeqCst));
    });
}

#[test]
fn tasks_spawned_by_a_task_during_shutdown_are_cancelled_too() {
    // A future whose drop spawns a task (onto the runtime being shut down), and one whose
    // drop wakes another task.
    struct SpawnOnDrop(weft::runtime::Handle, DropCounter);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let token = self.1.token();
            drop(self.0.spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            }));
        }
    }
    struct WakeOnDrop(Arc<Mutex<Option<Waker>>>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            if let Some(w) = self.0.lock().unwrap().take() {
                w.wake();
            }
        }
    }
    for_each_runtime(|rt, name| {
        const N: usize = 1_000;
        let late = DropCounter::new();
        let drops = DropCounter::new();
        rt.block_on({
            let late = late.clone();
            let drops = drops.clone();
            async move {
                for _ in 0..N {
                    let slot = Arc::new(Mutex::new(None));
                    let s = slot.clone();
                    let token = drops.token();
                    // The sleeper registers its waker and waits forever.
                    drop(weft::spawn(async move {
                        let _token = token;
                        std::future::poll_fn(|cx| {
                            *s.lock().unwrap() = Some(cx.waker().clone());
                            Poll::<()>::Pending
                        })
                        .await
                    }));
                    let spawner = SpawnOnDrop(weft::runtime::Handle::current(), late.clone());
                    let waker = WakeOnDrop(slot);
                    let token = drops.token();
                    drop(weft::spawn(async move {
                        let _all = (spawner, waker, token);
                        std::future::pending::<()>().await;
                    }));
                }
                weft::spawn(async {}).await.unwrap();
            }
        });
        let started = Instant::now();
        drop(rt);
        assert!(
            started.elapsed() < PROMPT,
            "[{name}] took {:?}",
            started.elapsed()
        );
        assert_eq!(drops.count(), 2 * N, "[{name}] every future dropped");
        assert_eq!(
            late.count(),
            N,
            "[{name}] tasks spawned during shutdown are dropped too"
        );
    });
}

#[test]
fn shutdown_timeout_returns_while_a_blocking_job_runs_on() {
    for_each_runtime(|rt, name| {
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let job = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            // Far longer than the time-out; released by the test at the end.
            let _ = release_rx.recv_timeout(Duration::from_secs(30));
            f.store(true, SeqCst);
        });
        started_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the job started");
        let t0 = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(100),
            "[{name}] waited the time-out: {took:?}"
        );
        assert!(took < PROMPT, "[{name}] shutdown_timeout took {took:?}");
        assert!(!finished.load(SeqCst), "the job is still running");
        release_tx.send(()).unwrap();
        // The job finishes alone; its handle still gets the output.
        let fresh = weft::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        fresh.block_on(job).unwrap();
        assert!(finished.load(SeqCst));
    });
}

#[test]
fn shutdown_background_returns_at_once() {
    for_each_runtime(|rt, name| {
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let _job = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(Duration::from_secs(30));
        });
        started_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the job started");
        let t0 = Instant::now();
        rt.shutdown_background();
        assert!(t0.elapsed() < PROMPT, "[{name}] took {:?}", t0.elapsed());
        release_tx.send(()).unwrap();
    });
}

#[test]
fn drop_waits_for_running_blocking_jobs() {
    for_each_runtime(|rt, name| {
        let (started_tx, started_rx) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        drop(rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            f.store(true, SeqCst);
        }));
        started_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the job started");
        drop(rt);
        assert!(
            finished.load(SeqCst),
            "[{name}] drop returned before the job finished"
        );
    });
}

#[test]
fn queued_blocking_jobs_are_cancelled_by_shutdown() {
    for_each_builder_with_one_blocking_thread(|rt, name| {
        let (started_tx, started_rx) = mpsc::channel();
        let first = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        });
        started_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the job started");
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        // Queued behind the first (one blocking thread at most).
        let mut second = rt.spawn_blocking(move || r.store(true, SeqCst));
        drop(rt);
        let fresh = weft::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        fresh.block_on(first).unwrap();
        match poll_once(&mut second) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "[{name}] {e:?}"),
            other => panic!("[{name}] expected cancelled, got {other:?}"),
        }
        assert!(
            !ran.load(SeqCst),
            "[{name}] a queued job never starts after shutdown"
        );
    });
}

fn for_each_builder_with_one_blocking_thread(
    body: impl Fn(weft::Runtime, &'static str) + Send + Sync + 'static,
) {
    common::for_each_builder(move |b, name| body(b.max_blocking_threads(1).build().unwrap(), name));
}

#[test]
fn a_kept_handle_outlives_the_runtime() {
    for_each_runtime(|rt, _| {
        let handle = rt.handle().clone();
        drop(rt);
        assert_eq!(handle.num_tasks(), 0);
        assert!(format!("{handle:?}").contains("Handle"));
        // block_on with a handle of a shut-down runtime still runs plain futures.
        assert_eq!(handle.block_on(async { 3 }), 3);
    });
}

#[test]
fn dropping_a_runtime_that_was_never_used_is_prompt() {
    for name in common::SCHEDULERS {
        let t0 = Instant::now();
        drop(common::runtime(name));
        assert!(t0.elapsed() < PROMPT, "[{name}] took {:?}", t0.elapsed());
    }
}

#[test]
fn outputs_of_finished_tasks_survive_shutdown() {
    for_each_runtime(|rt, name| {
        let mut handle = rt.spawn(async { String::from("kept") });
        let abort = handle.abort_handle();
        rt.block_on(async move {
            weft::spawn(async move {
                common::yield_until("the task finished", || abort.is_finished()).await
            })
            .await
            .unwrap();
        });
        assert!(handle.is_finished(), "[{name}]");
        drop(rt);
        match poll_once(&mut handle) {
            Poll::Ready(Ok(s)) => assert_eq!(s, "kept", "[{name}]"),
            other => panic!("[{name}] the finished output was lost: {other:?}"),
        }
    });
}

#[test]
fn a_runtime_can_be_dropped_on_one_of_its_blocking_threads() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let token = drops.token();
        drop(rt.spawn(async move {
            let _token = token;
            std::future::pending::<()>().await;
        }));
        let handle = rt.handle().clone();
        let (tx, rx) = mpsc::channel();
        // The job owns the runtime and drops it: shutdown must not wait for its own thread.
        drop(handle.spawn_blocking(move || {
            let t0 = Instant::now();
            drop(rt);
            tx.send(t0.elapsed()).unwrap();
        }));
        let took = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("drop returned");
        assert!(took < PROMPT, "[{name}] took {took:?}");
        assert_eq!(drops.count(), 1, "[{name}]");
    });
}
