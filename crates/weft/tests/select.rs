//! `select!` and `future::select`: the first to complete wins and the others are dropped
//! (asyncio's `wait(FIRST_COMPLETED)`), on every scheduler.

mod common;

use std::thread;
use std::time::Duration;

use common::{for_each_runtime, in_task, DropCounter, Flag};
use weft::future::Either;
use weft::task::yield_now;

async fn after(yields: usize, value: u32) -> u32 {
    for _ in 0..yields {
        yield_now().await;
    }
    value
}

#[test]
fn the_first_to_complete_wins_and_the_losers_are_dropped() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let winner = in_task(&rt, async move {
            let (t1, t2) = (d.token(), d.token());
            weft::select! {
                v = async move { let _t = t1; std::future::pending::<u32>().await } => v,
                v = after(3, 7) => v * 10,
                v = async move { let _t = t2; after(1_000, 1).await } => v,
            }
        });
        assert_eq!(winner, 70, "[{name}]");
        assert_eq!(drops.count(), 2, "[{name}] both losers dropped");
    });
}

#[test]
fn biased_polls_in_written_order() {
    for_each_runtime(|rt, _| {
        let firsts = in_task(&rt, async {
            let mut firsts = Vec::new();
            for _ in 0..20 {
                firsts.push(weft::select! {
                    biased;
                    a = async { 'a' } => a,
                    b = async { 'b' } => b,
                });
            }
            firsts
        });
        assert!(firsts.iter().all(|&c| c == 'a'));
    });
}

#[test]
fn preconditions_patterns_and_else() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            let enabled = false;
            let a = weft::select! {
                v = after(0, 1), if enabled => v,
                v = after(2, 2) => v,
            };
            let b = weft::select! {
                Some(v) = async { None::<u32> } => v,
                v = after(3, 3) => v,
            };
            let c = weft::select! {
                Some(v) = async { None::<u32> } => v,
                else => 4,
            };
            (a, b, c)
        });
        assert_eq!(out, (2, 3, 4), "[{name}]");
    });
}

#[test]
fn all_branches_disabled_without_else_panics() {
    for_each_runtime(|rt, name| {
        let err = rt.block_on(async {
            weft::spawn(async {
                weft::select! {
                    Some(v) = async { None::<u32> } => v,
                }
            })
            .await
            .unwrap_err()
        });
        let message = common::join_panic_message(err);
        assert!(
            message.contains("all branches are disabled"),
            "[{name}] {message}"
        );
    });
}

#[test]
fn select_in_a_loop_keeps_a_future_alive_across_iterations() {
    for_each_runtime(|rt, name| {
        let (value, ticks) = in_task(&rt, async {
            let mut ticks = 0;
            let mut slow = std::pin::pin!(after(10, 99));
            let value = loop {
                weft::select! {
                    biased;
                    v = &mut slow => break v,
                    _ = yield_now() => ticks += 1,
                }
            };
            (value, ticks)
        });
        assert_eq!(value, 99, "[{name}]");
        assert!(ticks >= 1);
    });
}

#[test]
fn a_wake_from_a_foreign_thread_completes_the_select() {
    for_each_runtime(|rt, name| {
        let flag = Flag::new();
        let f = flag.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            f.set();
        });
        let out = in_task(&rt, async move {
            weft::select! {
                _ = flag.wait() => "woken from outside",
                _ = std::future::pending::<()>() => "never",
            }
        });
        t.join().unwrap();
        assert_eq!(out, "woken from outside", "[{name}]");
    });
}

#[test]
fn select_on_join_handles() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            let slow = weft::spawn(std::future::pending::<u32>());
            let fast = weft::spawn(after(2, 5));
            let abort = slow.abort_handle();
            let v = weft::select! {
                r = slow => r.unwrap(),
                r = fast => r.unwrap(),
            };
            abort.abort(); // the dropped JoinHandle detached the slow task
            v
        });
        assert_eq!(out, 5, "[{name}]");
    });
}

#[test]
fn the_select_function_returns_either() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            match weft::future::select(Box::pin(after(10, 1)), Box::pin(after(1, 2))).await {
                Either::Left((v, _)) => ("left", v),
                Either::Right((v, _)) => ("right", v),
            }
        });
        assert_eq!(out, ("right", 2), "[{name}]");
    });
}
