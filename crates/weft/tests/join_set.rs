//! `task::JoinSet` (asyncio's `TaskGroup` / `as_completed` over tasks): completion order,
//! errors, abort, detach, drop, on every scheduler.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use common::{for_each_runtime, in_task, join_panic_message, DropCounter, Flag};
use weft::task::{yield_now, JoinSet};

#[test]
fn tasks_come_out_in_completion_order() {
    for_each_runtime(|rt, name| {
        let order = in_task(&rt, async {
            let gates: Vec<Flag> = (0..5).map(|_| Flag::new()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let gate = gate.clone();
                set.spawn(async move {
                    gate.wait().await;
                    i
                });
            }
            assert_eq!(set.len(), 5);
            let mut order = Vec::new();
            // Release them in the order 3, 0, 4, 1, 2, one at a time.
            for i in [3, 0, 4, 1, 2] {
                gates[i].set();
                order.push(set.join_next().await.unwrap().unwrap());
            }
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            order
        });
        assert_eq!(order, [3, 0, 4, 1, 2], "[{name}]");
    });
}

#[test]
fn ten_thousand_tasks_all_join_once() {
    for_each_runtime(|rt, name| {
        const N: usize = 10_000;
        let seen = in_task(&rt, async {
            let mut set = JoinSet::new();
            for i in 0..N {
                set.spawn(async move {
                    if i % 2 == 0 {
                        yield_now().await;
                    }
                    i
                });
            }
            let mut seen = HashSet::new();
            while let Some(res) = set.join_next().await {
                assert!(seen.insert(res.unwrap()), "joined twice");
            }
            seen
        });
        assert_eq!(seen.len(), N, "[{name}]");
    });
}

#[test]
fn panics_and_aborts_come_out_as_join_errors() {
    for_each_runtime(|rt, name| {
        let (oks, panics, cancels) = in_task(&rt, async {
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            set.spawn(async { panic!("set member panics") });
            let abort = set.spawn(std::future::pending::<u32>());
            abort.abort();
            let (mut oks, mut panics, mut cancels) = (0, 0, 0);
            while let Some(res) = set.join_next().await {
                match res {
                    Ok(v) => oks += v,
                    Err(e) if e.is_cancelled() => {
                        assert_eq!(e.id(), abort.id());
                        cancels += 1
                    }
                    Err(e) => {
                        assert_eq!(join_panic_message(e), "set member panics");
                        panics += 1
                    }
                }
            }
            (oks, panics, cancels)
        });
        assert_eq!((oks, panics, cancels), (1, 1, 1), "[{name}]");
    });
}

#[test]
fn join_next_with_id_matches_the_abort_handles() {
    for_each_runtime(|rt, _| {
        in_task(&rt, async {
            let mut set = JoinSet::new();
            let ids: HashSet<_> = (0..10).map(|i| set.spawn(async move { i }).id()).collect();
            let mut joined = HashSet::new();
            while let Some(res) = set.join_next_with_id().await {
                let (id, _) = res.unwrap();
                joined.insert(id);
            }
            assert_eq!(ids, joined);
        });
    });
}

#[test]
fn abort_all_cancels_the_tasks_still_running() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (ok, cancelled) = in_task(&rt, async move {
            let mut set = JoinSet::new();
            set.spawn(async { true });
            // Let the quick one finish first.
            while set.try_join_next().is_none() {
                yield_now().await;
            }
            set.spawn(async { true });
            for _ in 0..10 {
                let token = d.token();
                set.spawn(async move {
                    let _token = token;
                    std::future::pending::<bool>().await
                });
            }
            set.abort_all();
            let (mut ok, mut cancelled) = (0, 0);
            while let Some(res) = set.join_next().await {
                match res {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        assert!(e.is_cancelled());
                        cancelled += 1
                    }
                }
            }
            (ok, cancelled)
        });
        assert!(
            cancelled >= 10 && ok + cancelled == 11,
            "[{name}] ok {ok}, cancelled {cancelled}"
        );
        assert_eq!(drops.count(), 10);
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        in_task(&rt, async move {
            let mut set = JoinSet::new();
            for _ in 0..100 {
                let token = d.token();
                set.spawn(async move {
                    let _token = token;
                    std::future::pending::<()>().await
                });
            }
            yield_now().await;
            drop(set);
            common::yield_until("the aborted futures are dropped", || d.count() == 100).await;
        });
        assert_eq!(drops.count(), 100, "[{name}]");
    });
}

#[test]
fn detach_all_lets_the_tasks_run_on() {
    for_each_runtime(|rt, name| {
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        in_task(&rt, async move {
            let gate = Flag::new();
            let mut set = JoinSet::new();
            for _ in 0..10 {
                let (gate, d) = (gate.clone(), d.clone());
                set.spawn(async move {
                    gate.wait().await;
                    d.fetch_add(1, SeqCst);
                });
            }
            set.detach_all();
            assert!(set.is_empty());
            drop(set);
            gate.set();
            common::yield_until("the detached tasks finished", || d.load(SeqCst) == 10).await;
        });
        assert_eq!(done.load(SeqCst), 10, "[{name}]");
    });
}

#[test]
fn join_all_collects_every_output_and_resumes_a_panic() {
    for_each_runtime(|rt, name| {
        let mut outs = in_task(&rt, async {
            let mut set: JoinSet<u32> = (0..5u32).map(|i| async move { i }).collect();
            set.spawn_blocking(|| 5);
            set.extend([async { 6 }]);
            set.join_all().await
        });
        outs.sort();
        assert_eq!(outs, [0, 1, 2, 3, 4, 5, 6], "[{name}]");

        let err = rt.block_on(async {
            weft::spawn(async {
                let mut set = JoinSet::new();
                set.spawn(async { 1 });
                set.spawn(async { panic!("resumed by join_all") });
                set.join_all().await
            })
            .await
            .unwrap_err()
        });
        assert_eq!(join_panic_message(err), "resumed by join_all", "[{name}]");
    });
}

#[test]
fn shutdown_aborts_and_waits() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        in_task(&rt, async move {
            let mut set = JoinSet::new();
            for _ in 0..20 {
                let token = d.token();
                set.spawn(async move {
                    let _token = token;
                    std::future::pending::<()>().await
                });
            }
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(d.count(), 20, "every task stopped when shutdown returns");
        });
        assert_eq!(drops.count(), 20, "[{name}]");
    });
}

#[test]
fn spawn_on_a_handle_from_outside_the_runtime() {
    for_each_runtime(|rt, name| {
        let mut set = JoinSet::new();
        set.spawn_on(async { 1 }, rt.handle());
        set.spawn_blocking_on(|| 2, rt.handle());
        let sum = rt.block_on(async move {
            let mut sum = 0;
            while let Some(res) = set.join_next().await {
                sum += res.unwrap();
            }
            sum
        });
        assert_eq!(sum, 3, "[{name}]");
    });
}
