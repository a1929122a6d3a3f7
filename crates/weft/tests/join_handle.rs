//! `JoinHandle`: awaiting, detaching by drop, `is_finished`, ids and locations, awaiting from
//! another task, thread or runtime; outputs nobody reads are dropped.

mod common;

use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use common::{for_each_runtime, DropCounter, Flag};

#[test]
fn awaiting_gives_the_output() {
    for_each_runtime(|rt, _| {
        let out = rt.block_on(async { weft::spawn(async { 6 * 7 }).await });
        assert_eq!(out.unwrap(), 42);
    });
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    for_each_runtime(|rt, name| {
        let (tx, rx) = mpsc::channel();
        let gate = Flag::new();
        let g = gate.clone();
        // The handle is dropped before the task can finish (it waits for the gate).
        drop(rt.spawn(async move {
            g.wait().await;
            tx.send("sent by a detached task").unwrap();
        }));
        gate.set();
        // Let the runtime run (the current-thread one runs tasks only inside block_on).
        let got = rt.block_on(async move {
            weft::spawn(async move {
                loop {
                    if let Ok(got) = rx.try_recv() {
                        break got;
                    }
                    weft::task::yield_now().await;
                }
            })
            .await
            .unwrap()
        });
        assert_eq!(got, "sent by a detached task", "[{name}]");
    });
}

#[test]
fn detached_task_runs_while_nobody_waits_on_threaded_schedulers() {
    // On schedulers with threads of their own, a detached task runs without any block_on.
    common::for_runtimes(&common::THREADED, |rt, _| {
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn(async move { tx.send(7).unwrap() }));
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), 7);
    });
}

#[test]
fn is_finished_follows_the_task() {
    for_each_runtime(|rt, _| {
        let gate = Flag::new();
        let handle = rt.spawn(gate.wait());
        assert!(
            !handle.is_finished(),
            "a task waiting on a gate is not finished"
        );
        gate.set();
        let finished = Flag::new();
        let f = finished.clone();
        let h = rt.spawn(async move {
            common::yield_until("the task finished", || handle.is_finished()).await;
            f.set();
            // Finished: the output is there without waiting.
            let mut handle = handle;
            matches!(common::poll_once(&mut handle), Poll::Ready(Ok(())))
        });
        assert!(
            rt.block_on(h).unwrap(),
            "a finished handle is ready at once"
        );
        assert!(finished.is_set());
    });
}

#[test]
fn location_is_the_spawn_site() {
    for_each_runtime(|rt, _| {
        let handle = rt.spawn(async {});
        assert_eq!(handle.location().file(), file!());
        let inner = {
            let _guard = rt.enter();
            weft::spawn(async {})
        };
        assert_eq!(inner.location().file(), file!());
        assert!(inner.location().line() > handle.location().line());
    });
}

#[test]
fn a_handle_can_be_awaited_in_another_task() {
    for_each_runtime(|rt, _| {
        let out = rt.block_on(async {
            let gate = Flag::new();
            let producer = weft::spawn({
                let gate = gate.clone();
                async move {
                    gate.wait().await;
                    "produced"
                }
            });
            let consumer = weft::spawn(async move { producer.await.unwrap() });
            gate.set();
            consumer.await.unwrap()
        });
        assert_eq!(out, "produced");
    });
}

#[test]
fn a_handle_can_be_awaited_from_another_runtime_and_thread() {
    for_each_runtime(|rt, name| {
        let gate = Flag::new();
        let g = gate.clone();
        let handle = rt.spawn(async move {
            g.wait().await;
            11
        });
        // Another runtime, on another thread, awaits it while `rt` runs it.
        let done = Flag::new();
        let d = done.clone();
        let waiter = thread::spawn(move || {
            let out = weft::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(handle);
            d.set();
            out
        });
        gate.set();
        // The current-thread runtime only runs its tasks inside block_on: drive it until the
        // waiter is done.
        rt.block_on(async {
            weft::spawn(async move {
                common::yield_until("the waiter finished", || done.is_set()).await
            })
            .await
            .unwrap()
        });
        assert_eq!(waiter.join().unwrap().unwrap(), 11, "[{name}]");
    });
}

#[test]
fn outputs_nobody_reads_are_dropped() {
    for_each_runtime(|rt, name| {
        const N: usize = 1_000;
        let outputs = DropCounter::new();
        // Detached: the output is dropped when the task finishes.
        for _ in 0..N {
            let token = outputs.token();
            drop(rt.spawn(async move { token }));
        }
        // Finished but never awaited: the output is dropped with the handle.
        let kept: Vec<_> = (0..N)
            .map(|_| {
                let token = outputs.token();
                rt.spawn(async move { token })
            })
            .collect();
        let o = outputs.clone();
        rt.block_on(async move {
            weft::spawn(async move {
                common::yield_until("the detached outputs are dropped", || {
                    kept.iter().all(|h| h.is_finished()) && o.count() >= N
                })
                .await;
                assert_eq!(o.count(), N, "finished outputs are held for their handles");
                drop(kept);
                assert_eq!(o.count(), 2 * N);
            })
            .await
            .unwrap()
        });
        assert_eq!(outputs.count(), 2 * N, "[{name}]");
    });
}

#[test]
fn await_after_finish_and_the_id_survive_the_task() {
    for_each_runtime(|rt, _| {
        let mut handle = rt.spawn(async { "early" });
        let id = handle.id();
        rt.block_on(async {
            weft::spawn(async {}).await.unwrap();
        });
        let h = &mut handle;
        let out = rt.block_on(async move {
            weft::spawn(async {}).await.unwrap();
            std::future::poll_fn(|_| Poll::Ready(())).await;
            h.await
        });
        assert_eq!(out.unwrap(), "early");
        assert_eq!(handle.id(), id);
        assert!(handle.is_finished());
    });
}

#[test]
fn debug_output_names_the_task() {
    for_each_runtime(|rt, _| {
        let handle = rt.spawn(async {});
        let text = format!("{handle:?}");
        assert!(text.contains("JoinHandle") && text.contains(&format!("{:?}", handle.id())));
        rt.block_on(handle).unwrap();
    });
}
