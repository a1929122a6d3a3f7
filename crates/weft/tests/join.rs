//! Waiting for several futures: `join!`, `try_join!`, `future::join_all`,
//! `future::try_join_all` (asyncio's `gather`), on every scheduler.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use common::{for_each_runtime, in_task, DropCounter, Flag};
use weft::future::{join_all, try_join_all};
use weft::task::yield_now;

async fn after(yields: usize, value: u32) -> u32 {
    for _ in 0..yields {
        yield_now().await;
    }
    value
}

#[test]
fn join_macro_gives_outputs_in_argument_order() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            weft::join!(after(5, 1), async { "two" }, after(1, 3), async {
                vec![4u8]
            })
        });
        assert_eq!(out, (1, "two", 3, vec![4]), "[{name}]");
        in_task(&rt, async {
            let () = weft::join!();
        });
    });
}

#[test]
fn join_macro_runs_its_futures_concurrently() {
    for_each_runtime(|rt, name| {
        // Each future needs the other to make progress: only concurrent polling finishes.
        let out = in_task(&rt, async {
            let (ping, pong) = (Flag::new(), Flag::new());
            let (p1, p2) = (ping.clone(), pong.clone());
            weft::join!(
                async move {
                    p1.set();
                    pong.wait().await;
                    "a"
                },
                async move {
                    ping.wait().await;
                    p2.set();
                    "b"
                },
            )
        });
        assert_eq!(out, ("a", "b"), "[{name}]");
    });
}

#[test]
fn join_macro_of_spawned_handles() {
    for_each_runtime(|rt, name| {
        let (a, b) = in_task(&rt, async {
            weft::join!(weft::spawn(after(10, 1)), weft::spawn(after(1, 2)))
        });
        assert_eq!((a.unwrap(), b.unwrap()), (1, 2), "[{name}]");
    });
}

#[test]
fn try_join_macro_succeeds_or_stops_at_the_first_error() {
    for_each_runtime(|rt, name| {
        let ok: Result<(u32, &str), String> = in_task(&rt, async {
            weft::try_join!(async { Ok(1) }, async { Ok("x") })
        });
        assert_eq!(ok, Ok((1, "x")), "[{name}]");

        let drops = DropCounter::new();
        let token = drops.token();
        let err: Result<(u32, u32), String> = in_task(&rt, async move {
            weft::try_join!(
                async move {
                    let _token = token;
                    std::future::pending::<Result<u32, String>>().await
                },
                async {
                    yield_now().await;
                    Err::<u32, String>("failed".into())
                },
            )
        });
        assert_eq!(err, Err("failed".to_owned()), "[{name}]");
        assert_eq!(drops.count(), 1, "[{name}] the pending future was dropped");
    });
}

#[test]
fn join_all_keeps_input_order_whatever_the_completion_order() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            join_all((0..20u32).map(|i| after(20 - i as usize, i))).await
        });
        assert_eq!(out, (0..20).collect::<Vec<_>>(), "[{name}]");
        let empty: Vec<u32> = in_task(&rt, async {
            join_all(Vec::<std::future::Ready<u32>>::new()).await
        });
        assert!(empty.is_empty());
    });
}

#[test]
fn join_all_of_ten_thousand_spawned_tasks() {
    for_each_runtime(|rt, name| {
        const N: u64 = 10_000;
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let out = in_task(&rt, async move {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let r = r.clone();
                    weft::spawn(async move {
                        yield_now().await;
                        r.fetch_add(1, SeqCst);
                        i
                    })
                })
                .collect();
            join_all(handles).await
        });
        let out: Vec<u64> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(out, (0..N).collect::<Vec<_>>(), "[{name}]");
        assert_eq!(ran.load(SeqCst), N as usize);
    });
}

#[test]
fn join_all_of_a_hundred_thousand_futures_in_one_task() {
    for_each_runtime(|rt, name| {
        const N: usize = 100_000;
        let out = in_task(&rt, async {
            join_all((0..N).map(|i| async move {
                if i % 3 == 0 {
                    yield_now().await;
                }
                i
            }))
            .await
        });
        assert_eq!(out.len(), N, "[{name}]");
        assert!(out.iter().enumerate().all(|(i, &v)| i == v));
    });
}

#[test]
fn try_join_all_collects_or_returns_the_first_error() {
    for_each_runtime(|rt, name| {
        let ok: Result<Vec<u32>, String> = in_task(&rt, async {
            try_join_all((0..10).map(|i| async move { Ok(after(i, i as u32).await) })).await
        });
        assert_eq!(ok, Ok((0..10).collect()), "[{name}]");

        let drops = DropCounter::new();
        let d = drops.clone();
        let err: Result<Vec<u32>, String> = in_task(&rt, async move {
            try_join_all((0..10u32).map(|i| {
                let token = d.token();
                async move {
                    let _token = token;
                    if i == 3 {
                        yield_now().await;
                        return Err(format!("item {i} failed"));
                    }
                    std::future::pending::<Result<u32, String>>().await
                }
            }))
            .await
        });
        assert_eq!(err, Err("item 3 failed".to_owned()), "[{name}]");
        assert_eq!(
            drops.count(),
            10,
            "[{name}] every future dropped once the error came"
        );
    });
}
