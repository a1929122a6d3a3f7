//! Spawning tasks: many of them, from tasks, from foreign threads, through `Handle::enter`,
//! with `Handle::current()`, with `task::Builder`; on every scheduler.

mod common;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use common::{expect_panic, for_each_runtime};
use weft::runtime::Handle;

#[test]
fn hundred_thousand_tasks_each_count_once() {
    for_each_runtime(|rt, name| {
        const N: usize = 100_000;
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        let sum = rt.block_on(async move {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let c = c.clone();
                    weft::spawn(async move {
                        c.fetch_add(1, SeqCst);
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(
            counter.load(SeqCst),
            N,
            "[{name}] every task ran exactly once"
        );
        assert_eq!(sum, N * (N - 1) / 2, "[{name}] every output arrived");
    });
}

#[test]
fn detached_tasks_all_run_without_awaiting_handles() {
    for_each_runtime(|rt, _| {
        const N: usize = 10_000;
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        rt.block_on(async move {
            for _ in 0..N {
                let c = c.clone();
                drop(weft::spawn(async move {
                    c.fetch_add(1, SeqCst);
                }));
            }
            weft::spawn(async move {
                common::yield_until("all detached tasks ran", || c.load(SeqCst) == N).await
            })
            .await
            .unwrap();
        });
        assert_eq!(counter.load(SeqCst), N);
    });
}

/// Spawns a tree of `fanout`^`depth` leaves from inside tasks; returns the number of nodes.
fn tree(
    depth: u32,
    fanout: usize,
    nodes: Arc<AtomicUsize>,
) -> Pin<Box<dyn Future<Output = usize> + Send>> {
    Box::pin(async move {
        nodes.fetch_add(1, SeqCst);
        if depth == 0 {
            return 1;
        }
        let children: Vec<_> = (0..fanout)
            .map(|_| weft::spawn(tree(depth - 1, fanout, nodes.clone())))
            .collect();
        let mut total = 1;
        for c in children {
            total += c.await.unwrap();
        }
        total
    })
}

#[test]
fn tasks_spawn_trees_of_tasks() {
    for_each_runtime(|rt, _| {
        let nodes = Arc::new(AtomicUsize::new(0));
        // 1 + 6 + 36 + 216 + 1296 + 7776 nodes.
        let total = rt.block_on(rt.spawn(tree(5, 6, nodes.clone()))).unwrap();
        let expected = (0..=5).map(|d| 6usize.pow(d)).sum::<usize>();
        assert_eq!(total, expected);
        assert_eq!(nodes.load(SeqCst), expected);
    });
}

#[test]
fn spawn_from_foreign_threads_through_cloned_handles() {
    for_each_runtime(|rt, _| {
        const THREADS: usize = 4;
        const PER_THREAD: usize = 2_000;
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let handle = rt.handle().clone();
                thread::spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| handle.spawn(async move { t * PER_THREAD + i }))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let handles: Vec<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let outputs: HashSet<usize> = rt.block_on(async move {
            let mut out = HashSet::new();
            for h in handles {
                out.insert(h.await.unwrap());
            }
            out
        });
        assert_eq!(outputs, (0..THREADS * PER_THREAD).collect());
    });
}

#[test]
fn spawn_with_weft_spawn_under_an_enter_guard() {
    for_each_runtime(|rt, _| {
        let handles: Vec<_> = {
            let _guard = rt.handle().enter();
            assert!(Handle::try_current().is_some());
            (0..100)
                .map(|i| weft::spawn(async move { i * 2 }))
                .collect()
        };
        assert!(
            Handle::try_current().is_none(),
            "dropping the guard leaves the runtime context"
        );
        let sum: usize = rt.block_on(async move {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..100).map(|i| i * 2).sum());
    });
}

#[test]
fn enter_guard_works_on_a_foreign_thread() {
    for_each_runtime(|rt, _| {
        let handle = rt.handle().clone();
        let task = thread::spawn(move || {
            let _guard = handle.enter();
            weft::spawn(async { "spawned under a guard on another thread" })
        })
        .join()
        .unwrap();
        assert_eq!(
            rt.block_on(task).unwrap(),
            "spawned under a guard on another thread"
        );
    });
}

#[test]
fn handle_current_inside_tasks_spawns_on_the_same_runtime() {
    for_each_runtime(|rt, _| {
        let outer = rt.handle().clone();
        let out = rt.block_on(async move {
            weft::spawn(async move {
                let current = Handle::current();
                assert_eq!(current.num_workers(), outer.num_workers());
                // A task spawned through the current handle, and its own child.
                let child = current.spawn(async {
                    let h = Handle::current();
                    h.spawn(async { 40 }).await.unwrap() + 2
                });
                child.await.unwrap()
            })
            .await
            .unwrap()
        });
        assert_eq!(out, 42);
    });
}

#[test]
fn handle_current_inside_block_on_and_blocking_jobs() {
    for_each_runtime(|rt, _| {
        assert!(Handle::try_current().is_none());
        rt.block_on(async {
            assert!(
                Handle::try_current().is_some(),
                "block_on makes the runtime current"
            );
            let inside = weft::spawn_blocking(|| Handle::try_current().is_some())
                .await
                .unwrap();
            assert!(
                inside,
                "blocking-pool threads run inside the runtime context"
            );
        });
        assert!(
            Handle::try_current().is_none(),
            "the context is left when block_on returns"
        );
    });
}

#[test]
fn spawn_outside_a_runtime_panics_with_advice() {
    let message = expect_panic(|| weft::spawn(async {}));
    assert!(
        message.contains("outside a weft runtime") && message.contains("Handle::spawn"),
        "unexpected message: {message}"
    );
    let message = expect_panic(Handle::current);
    assert!(
        message.contains("no weft runtime"),
        "unexpected message: {message}"
    );
}

#[test]
fn outputs_are_moved_out_intact() {
    for_each_runtime(|rt, _| {
        let (s, v) = rt.block_on(async {
            let s = weft::spawn(async { "a string built in a task".to_owned() });
            let v = weft::spawn(async { (0..1000u32).collect::<Vec<_>>() });
            (s.await.unwrap(), v.await.unwrap())
        });
        assert_eq!(s, "a string built in a task");
        assert_eq!(v, (0..1000).collect::<Vec<_>>());
    });
}

#[test]
fn task_builder_names_and_spawns_on_a_handle() {
    for_each_runtime(|rt, _| {
        let handle = rt.handle().clone();
        let on = weft::task::Builder::new()
            .name("spawned-on")
            .spawn_on(async { 1 }, &handle);
        let out = rt.block_on(async move {
            let named = weft::task::Builder::new().name("named").spawn(async { 2 });
            on.await.unwrap() + named.await.unwrap()
        });
        assert_eq!(out, 3);
    });
}

#[test]
fn runtime_spawn_and_run_convenience() {
    for_each_runtime(|rt, _| {
        let h = rt.spawn(async { 5 });
        assert_eq!(rt.block_on(h).unwrap(), 5);
    });
    assert_eq!(
        weft::run(async { weft::spawn(async { 6 }).await.unwrap() }),
        6
    );
}

#[test]
fn num_tasks_counts_live_tasks() {
    for_each_runtime(|rt, name| {
        let gate = common::Flag::new();
        let handles: Vec<_> = (0..10).map(|_| rt.spawn(gate.wait())).collect();
        assert_eq!(rt.handle().num_tasks(), 10, "[{name}] ten tasks are alive");
        gate.set();
        rt.block_on(async move {
            for h in handles {
                h.await.unwrap();
            }
        });
        common::spin_until("finished tasks leave the task list", || {
            rt.handle().num_tasks() == 0
        });
    });
}

#[test]
fn a_foreign_spawn_wakes_an_idle_runtime() {
    for_each_runtime(|rt, name| {
        let handle = rt.handle().clone();
        let out = rt.block_on(async move {
            // block_on waits (idle) for a task that a foreign thread spawns 20 ms later.
            let (tx, rx) = std::sync::mpsc::channel();
            let t = thread::spawn(move || {
                thread::sleep(std::time::Duration::from_millis(20));
                tx.send(handle.spawn(async { "spawned while idle" }))
                    .unwrap();
            });
            let flag = common::Flag::new();
            let f = flag.clone();
            let waiter = thread::spawn(move || {
                let task = rx.recv().unwrap();
                f.set();
                task
            });
            flag.wait().await;
            t.join().unwrap();
            waiter.join().unwrap().await.unwrap()
        });
        assert_eq!(out, "spawned while idle", "[{name}]");
    });
}
