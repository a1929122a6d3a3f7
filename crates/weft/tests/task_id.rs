//! Task ids: unique, equal inside and out (`weft::task::id()` == `JoinHandle::id()`), carried
//! by `JoinError`, absent outside tasks.

mod common;

use std::collections::HashSet;

use common::{expect_panic, for_each_runtime};

#[test]
fn ids_are_unique_across_ten_thousand_tasks() {
    for_each_runtime(|rt, name| {
        const N: usize = 10_000;
        let (inside, outside) = rt.block_on(async {
            let handles: Vec<_> = (0..N)
                .map(|_| weft::spawn(async { weft::task::id() }))
                .collect();
            let outside: Vec<_> = handles.iter().map(|h| h.id()).collect();
            let mut inside = Vec::with_capacity(N);
            for h in handles {
                inside.push(h.await.unwrap());
            }
            (inside, outside)
        });
        assert_eq!(
            inside, outside,
            "[{name}] id() inside equals the handle's id"
        );
        let unique: HashSet<_> = inside.iter().collect();
        assert_eq!(unique.len(), N, "[{name}] ids are unique");
    });
}

#[test]
fn ids_are_unique_across_runtimes_and_threads() {
    let ids: Vec<_> = std::thread::scope(|s| {
        let threads: Vec<_> = common::SCHEDULERS
            .iter()
            .map(|&name| {
                s.spawn(move || {
                    let rt = common::runtime(name);
                    (0..1_000)
                        .map(|_| rt.spawn(async {}).id())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
}

#[test]
fn the_id_is_stable_across_yields_and_moves_between_workers() {
    for_each_runtime(|rt, name| {
        let ok = rt.block_on(async {
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    weft::spawn(async {
                        let first = weft::task::id();
                        for _ in 0..20 {
                            weft::task::yield_now().await;
                            if weft::task::id() != first {
                                return false;
                            }
                        }
                        true
                    })
                })
                .collect();
            let mut ok = true;
            for h in handles {
                ok &= h.await.unwrap();
            }
            ok
        });
        assert!(ok, "[{name}]");
    });
}

#[test]
fn a_parent_keeps_its_id_around_its_children() {
    for_each_runtime(|rt, name| {
        rt.block_on(async {
            weft::spawn(async move {
                let parent = weft::task::id();
                let child = weft::spawn(async { weft::task::id() });
                let child_id = child.id();
                assert_ne!(child_id, parent);
                assert_eq!(weft::task::id(), parent);
                assert_eq!(child.await.unwrap(), child_id);
                assert_eq!(
                    weft::task::id(),
                    parent,
                    "[{name}] restored after awaiting a child"
                );
            })
            .await
            .unwrap();
        });
    });
}

#[test]
fn try_id_is_none_outside_tasks_and_the_main_future_has_its_own() {
    assert_eq!(weft::task::try_id(), None);
    for_each_runtime(|rt, name| {
        assert_eq!(weft::task::try_id(), None);
        rt.block_on(async {
            // The block_on future is asyncio's main task: an id of its own, kept across
            // polls, and not any spawned task's.
            let main = weft::task::try_id().unwrap_or_else(|| panic!("[{name}] main has an id"));
            let child = weft::spawn(async { weft::task::id() }).await.unwrap();
            assert_ne!(child, main, "[{name}]");
            weft::task::yield_now().await;
            assert_eq!(
                weft::task::try_id(),
                Some(main),
                "[{name}] same id after a yield"
            );
        });
        assert_eq!(weft::task::try_id(), None);
    });
    let message = expect_panic(weft::task::id);
    assert!(message.contains("outside of a task"), "{message}");
}

#[test]
fn a_blocking_job_sees_its_own_id() {
    for_each_runtime(|rt, name| {
        let job = rt.spawn_blocking(weft::task::try_id);
        let id = job.id();
        assert_eq!(rt.block_on(job).unwrap(), Some(id), "[{name}]");
    });
}

#[test]
fn join_errors_carry_the_task_id() {
    for_each_runtime(|rt, _| {
        let (panic_id, err_panic, cancel_id, err_cancel) = rt.block_on(async {
            let p = weft::spawn(async { panic!("with an id") });
            let pid = p.id();
            let c = weft::spawn(std::future::pending::<()>());
            let cid = c.id();
            c.abort();
            (pid, p.await.unwrap_err(), cid, c.await.unwrap_err())
        });
        assert_eq!(err_panic.id(), panic_id);
        assert_eq!(err_cancel.id(), cancel_id);
        assert!(err_panic.to_string().contains(&panic_id.to_string()));
        assert!(err_cancel.to_string().contains(&cancel_id.to_string()));
    });
}

#[test]
fn id_display_is_its_number() {
    for_each_runtime(|rt, _| {
        let h = rt.spawn(async {});
        let id = h.id();
        assert_eq!(id.to_string(), id.as_u64().to_string());
        assert!(id.as_u64() > 0);
        assert_eq!(h.abort_handle().id(), id);
        rt.block_on(h).unwrap();
    });
}
