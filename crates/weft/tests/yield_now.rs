//! `weft::task::yield_now`: a yielding task goes behind the tasks already waiting; so does a
//! task woken inside `weft_core::context::defer_wakes`, where a plain wake runs it next.

mod common;

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// Two tasks that each log and yield `ROUNDS` times, on a runtime with one worker.
fn interleaving(name: &'static str) -> Vec<char> {
    const ROUNDS: usize = 50;
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    common::for_runtimes(&[name], move |rt, _| {
        let l = l.clone();
        rt.block_on(async move {
            // Both spawned from one task, so both wait in the same local queue from the start.
            let (a, b) = weft::spawn(async move {
                let spawn_logger = |who: char| {
                    let l = l.clone();
                    weft::spawn(async move {
                        for _ in 0..ROUNDS {
                            l.lock().unwrap().push(who);
                            weft::task::yield_now().await;
                        }
                    })
                };
                (spawn_logger('a'), spawn_logger('b'))
            })
            .await
            .unwrap();
            a.await.unwrap();
            b.await.unwrap();
        });
    });
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 2 * ROUNDS);
    log
}

fn assert_alternates(name: &str, log: &[char]) {
    let text: String = log.iter().collect();
    let first_b = log.iter().position(|&c| c == 'b').unwrap();
    let last_a = log.iter().rposition(|&c| c == 'a').unwrap();
    assert!(
        first_b < last_a,
        "[{name}] one task finished before the other started: {text}"
    );
    let switches = log.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches >= log.len() / 2,
        "[{name}] yield_now should hand over at (nearly) every yield: {switches} switches in {text}"
    );
}

#[test]
fn two_yielding_tasks_interleave_on_one_worker() {
    for name in ["multi_thread(1)", "current_thread"] {
        let log = interleaving(name);
        assert_alternates(name, &log);
    }
}

#[test]
fn yielding_tasks_interleave_with_the_custom_scheduler_too() {
    // Two threads there: the log may alternate less strictly, but neither task finishes
    // before the other starts.
    let log = interleaving("fifo(2)");
    let first_b = log.iter().position(|&c| c == 'b').unwrap();
    let last_a = log.iter().rposition(|&c| c == 'a').unwrap();
    assert!(first_b < last_a, "{}", log.iter().collect::<String>());
}

#[test]
fn yield_now_completes_on_every_scheduler() {
    common::for_each_runtime(|rt, _| {
        rt.block_on(async {
            weft::spawn(async {
                for _ in 0..1_000 {
                    weft::task::yield_now().await;
                }
            })
            .await
            .unwrap()
        });
    });
}

/// On one worker: a task parks, then another task queues two loggers and wakes it (inside
/// `defer_wakes` if `deferred`). Returns the order in which the three logged.
fn wake_order(deferred: bool) -> String {
    let log = Arc::new(Mutex::new(String::new()));
    let l = log.clone();
    common::for_runtimes(&["multi_thread(1)"], move |rt, _| {
        let l = l.clone();
        rt.block_on(async move {
            weft::spawn(async move {
                let parked: Arc<Mutex<Option<Waker>>> = Arc::default();
                let (p, lw) = (parked.clone(), l.clone());
                let woken = weft::spawn(async move {
                    let mut polls = 0;
                    poll_fn(|cx| {
                        polls += 1;
                        if polls == 1 {
                            *p.lock().unwrap() = Some(cx.waker().clone());
                            return Poll::Pending;
                        }
                        Poll::Ready(())
                    })
                    .await;
                    lw.lock().unwrap().push('w');
                });
                // The spawned task runs (and parks) before this one is polled again.
                while parked.lock().unwrap().is_none() {
                    weft::task::yield_now().await;
                }
                let mut loggers = Vec::new();
                for who in ['a', 'b'] {
                    let l = l.clone();
                    loggers.push(weft::spawn(async move { l.lock().unwrap().push(who) }));
                }
                let waker = parked.lock().unwrap().take().unwrap();
                if deferred {
                    weft_core::context::defer_wakes(|| waker.wake());
                } else {
                    waker.wake();
                }
                woken.await.unwrap();
                for h in loggers {
                    h.await.unwrap();
                }
            })
            .await
            .unwrap();
        });
    });
    let log = log.lock().unwrap().clone();
    log
}

#[test]
fn a_deferred_wake_goes_behind_the_queued_tasks_where_a_plain_wake_runs_next() {
    assert_eq!(
        wake_order(false),
        "wab",
        "a plain wake runs the task next (LIFO slot)"
    );
    assert_eq!(
        wake_order(true),
        "abw",
        "a deferred wake queues it behind a and b"
    );
}

// A yield in a weft task polled with its own waker is taken by the task's runner
// (`weft_core::context::yield_current`) instead of a wake; any other waker is woken as before.

/// Logs `who` and yields, three times.
async fn log_and_yield(log: Arc<Mutex<String>>, who: char) {
    for _ in 0..3 {
        log.lock().unwrap().push(who);
        weft::task::yield_now().await;
    }
}

#[test]
fn yields_under_join_alls_child_wakers_interleave_and_finish() {
    // Inside `join_all`, `yield_now` gets the child's waker, not the task's: the wake goes
    // through it, and the task comes back to poll that child.
    common::for_each_runtime(|rt, name| {
        let log = Arc::new(Mutex::new(String::new()));
        let l = log.clone();
        rt.block_on(async move {
            weft::spawn(async move {
                let children = ['x', 'y'].map(|who| log_and_yield(l.clone(), who));
                weft::future::join_all(children).await;
            })
            .await
            .unwrap();
        });
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 6, "[{name}] {log}");
        assert!(log.starts_with("xy"), "[{name}] {log}");
    });
}

#[test]
fn a_task_that_aborts_itself_then_yields_is_cancelled_at_that_yield() {
    // The abort lands while the task runs; the yield after it is taken by the runner, which
    // must still see the abort when the poll returns.
    common::for_each_runtime(|rt, name| {
        let ran_on = Arc::new(Mutex::new(false));
        let r = ran_on.clone();
        let (tx, rx) = weft::sync::oneshot::channel::<weft::task::AbortHandle>();
        let handle = rt.spawn(async move {
            let me = rx.await.unwrap();
            me.abort();
            weft::task::yield_now().await;
            *r.lock().unwrap() = true;
        });
        tx.send(handle.abort_handle()).unwrap();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "[{name}] {err:?}");
        assert!(
            !*ran_on.lock().unwrap(),
            "[{name}] the task ran past its yield"
        );
    });
}

#[test]
fn a_block_on_future_yields_through_its_waker() {
    // Not a task's runner: `yield_now` wakes the waker, and `block_on` polls again.
    common::for_each_runtime(|rt, name| {
        let n = rt.block_on(async {
            let mut n = 0;
            for _ in 0..100 {
                weft::task::yield_now().await;
                n += 1;
            }
            n
        });
        assert_eq!(n, 100, "[{name}]");
    });
}
