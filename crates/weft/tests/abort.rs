//! Aborting tasks: pending, finished, running, from another task, through `AbortHandle`.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;

use common::{for_each_runtime, pending_counting_polls, DropCounter, Flag};

#[test]
fn aborting_a_pending_task_cancels_it_and_drops_its_future() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let polls = Arc::new(AtomicUsize::new(0));
        let token = drops.token();
        let p = polls.clone();
        let handle = rt.spawn(async move {
            let _token = token;
            pending_counting_polls(p).await;
        });
        let err = rt.block_on(async {
            // Let it be polled (and park) first, so that the abort hits a waiting task.
            let p = polls.clone();
            weft::spawn(async move {
                common::yield_until("the task was polled", || p.load(SeqCst) > 0).await
            })
            .await
            .unwrap();
            handle.abort();
            handle.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "[{name}] {err:?}");
        assert!(!err.is_panic());
        assert_eq!(drops.count(), 1, "[{name}] the aborted future is dropped");
        assert!(err.to_string().contains("cancelled"), "{err}");
    });
}

#[test]
fn aborting_before_the_first_poll_cancels() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let token = drops.token();
        let handle = rt.spawn(async move {
            let _token = token;
            std::future::pending::<()>().await;
        });
        handle.abort();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "[{name}] {err:?}");
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn current_thread_abort_before_block_on_never_polls_the_future() {
    // The current-thread scheduler runs nothing outside block_on: the abort lands first.
    common::for_runtimes(&["current_thread"], |rt, _| {
        let polled = Arc::new(AtomicBool::new(false));
        let p = polled.clone();
        let handle = rt.spawn(async move { p.store(true, SeqCst) });
        handle.abort();
        assert!(rt.block_on(handle).unwrap_err().is_cancelled());
        assert!(!polled.load(SeqCst), "an aborted task must not start");
    });
}

#[test]
fn aborting_a_finished_task_keeps_its_output() {
    for_each_runtime(|rt, name| {
        let out = rt.block_on(async {
            let handle = weft::spawn(async { "finished" });
            weft::spawn(async move {
                common::yield_until("the task finished", || handle.is_finished()).await;
                handle.abort();
                handle.abort_handle().abort();
                handle.await
            })
            .await
            .unwrap()
        });
        assert_eq!(out.unwrap(), "finished", "[{name}]");
    });
}

#[test]
fn aborting_twice_is_harmless() {
    for_each_runtime(|rt, _| {
        let handle = rt.spawn(std::future::pending::<()>());
        handle.abort();
        handle.abort();
        let abort = handle.abort_handle();
        abort.abort();
        assert!(rt.block_on(handle).unwrap_err().is_cancelled());
        abort.abort();
        assert!(abort.is_finished());
    });
}

#[test]
fn a_task_aborts_another_task() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let err = rt.block_on({
            let drops = drops.clone();
            async move {
                let token = drops.token();
                let victim = weft::spawn(async move {
                    let _token = token;
                    std::future::pending::<()>().await;
                });
                let abort = victim.abort_handle();
                let killer = weft::spawn(async move {
                    weft::task::yield_now().await;
                    abort.abort();
                });
                killer.await.unwrap();
                victim.await.unwrap_err()
            }
        });
        assert!(err.is_cancelled(), "[{name}]");
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn abort_handle_clones_share_the_task() {
    for_each_runtime(|rt, _| {
        let gate = Flag::new();
        let handle = rt.spawn(gate.wait());
        let a = handle.abort_handle();
        let b = a.clone();
        assert_eq!(a.id(), handle.id());
        assert_eq!(b.id(), handle.id());
        assert!(!a.is_finished() && !b.is_finished());
        // An abort handle from another thread.
        std::thread::spawn(move || b.abort()).join().unwrap();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled());
        assert!(a.is_finished());
        assert!(format!("{a:?}").contains("AbortHandle"));
    });
}

#[test]
fn aborting_a_running_task_stops_it_at_its_next_yield() {
    for_each_runtime(|rt, name| {
        let spins = Arc::new(AtomicUsize::new(0));
        let drops = DropCounter::new();
        let s = spins.clone();
        let token = drops.token();
        let handle = rt.spawn(async move {
            let _token = token;
            loop {
                s.fetch_add(1, SeqCst);
                weft::task::yield_now().await;
            }
        });
        let err = rt.block_on(async {
            let s = spins.clone();
            weft::spawn(async move {
                common::yield_until("the spinner ran", || s.load(SeqCst) > 10).await
            })
            .await
            .unwrap();
            handle.abort();
            handle.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "[{name}]");
        assert_eq!(drops.count(), 1);
        let after = spins.load(SeqCst);
        rt.block_on(async {
            for _ in 0..100 {
                weft::spawn(weft::task::yield_now()).await.unwrap();
            }
        });
        assert_eq!(
            spins.load(SeqCst),
            after,
            "an aborted task never runs again"
        );
    });
}

#[test]
fn a_task_can_abort_itself() {
    for_each_runtime(|rt, name| {
        let (tx, rx) = std::sync::mpsc::channel();
        let reached_end = Arc::new(AtomicBool::new(false));
        let r = reached_end.clone();
        let handle = rt.spawn(async move {
            let me: weft::task::AbortHandle = rx.recv().unwrap();
            me.abort();
            // The abort takes effect at the next suspension point.
            weft::task::yield_now().await;
            r.store(true, SeqCst);
        });
        tx.send(handle.abort_handle()).unwrap();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "[{name}]");
        assert!(!reached_end.load(SeqCst));
    });
}

#[test]
fn many_aborts_race_with_completions() {
    for_each_runtime(|rt, name| {
        const N: usize = 10_000;
        let drops = DropCounter::new();
        let completed = Arc::new(AtomicUsize::new(0));
        let (ok, cancelled) = rt.block_on({
            let drops = drops.clone();
            let completed = completed.clone();
            async move {
                let handles: Vec<_> = (0..N)
                    .map(|i| {
                        let token = drops.token();
                        let completed = completed.clone();
                        weft::spawn(async move {
                            let _token = token;
                            for _ in 0..(i % 3) {
                                weft::task::yield_now().await;
                            }
                            completed.fetch_add(1, SeqCst);
                        })
                    })
                    .collect();
                for h in handles.iter().step_by(2) {
                    h.abort();
                }
                let (mut ok, mut cancelled) = (0, 0);
                for h in handles {
                    match h.await {
                        Ok(()) => ok += 1,
                        Err(e) if e.is_cancelled() => cancelled += 1,
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                }
                (ok, cancelled)
            }
        });
        assert_eq!(ok + cancelled, N, "[{name}]");
        assert_eq!(
            ok,
            completed.load(SeqCst),
            "[{name}] Ok exactly for the tasks that completed"
        );
        if common::runs_tasks_on_caller(name) {
            // Nothing runs before block_on's future yields: every abort lands first.
            assert_eq!(cancelled, N / 2, "[{name}]");
        }
        assert_eq!(drops.count(), N, "[{name}] every future dropped once");
    });
}

#[test]
fn aborted_handle_polls_ready_without_a_runtime_turn() {
    for_each_runtime(|rt, _| {
        let mut handle = rt.spawn(std::future::pending::<()>());
        rt.block_on(async {
            weft::spawn(async {}).await.unwrap();
        });
        handle.abort();
        // The abort of an idle task cancels it at once, on the aborting thread.
        match common::poll_once(&mut handle) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            Poll::Ready(Ok(())) => panic!("a pending task cannot complete"),
            Poll::Pending => {
                // Allowed only if the task was queued or running at the abort; then one turn
                // of the runtime finishes it.
                assert!(rt.block_on(handle).unwrap_err().is_cancelled());
            }
        }
    });
}

/// asyncio's `wait_for(task, t)` cancels the task on time-out: `timeout(d,
/// handle.abort_on_drop())` does the same (the task's future is dropped), while a plain
/// handle dropped by the timeout leaves its task running; `into_inner` gives that back.
#[test]
fn abort_on_drop_cancels_the_task_when_a_timeout_drops_it() {
    for_each_runtime(|rt, name| {
        rt.block_on(async {
            use std::time::Duration;
            let drops = DropCounter::new();
            let token = drops.token();
            let slow = weft::spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            });
            let watch = slow.abort_handle();
            let waited = weft::time::timeout(Duration::from_millis(5), slow.abort_on_drop()).await;
            assert!(waited.is_err(), "[{name}] the timeout fires");
            while !watch.is_finished() {
                weft::task::yield_now().await;
            }
            assert_eq!(drops.count(), 1, "[{name}] the task's future was dropped");

            // A plain handle dropped by the timeout detaches: the task runs on.
            let (tx, rx) = weft::sync::oneshot::channel();
            let detached = weft::spawn(async move {
                weft::time::sleep(Duration::from_millis(20)).await;
                tx.send("still ran").unwrap();
            });
            assert!(weft::time::timeout(Duration::from_millis(1), detached)
                .await
                .is_err());
            assert_eq!(rx.await.unwrap(), "still ran", "[{name}]");

            let guarded = weft::spawn(async { 7 }).abort_on_drop();
            let id = guarded.id();
            let plain = guarded.into_inner(); // dropping `guarded` here must not abort
            assert_eq!(plain.id(), id);
            assert_eq!(
                plain.await.unwrap(),
                7,
                "[{name}] into_inner detached the guard"
            );
        });
    });
}
