//! `block_on`: outputs, wake-ups from other threads, many threads at once, and the panic
//! that explains why `block_on` inside a runtime is refused.

mod common;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{expect_panic, for_each_runtime, join_panic_message, Flag};
use weft::runtime::Handle;

/// The start of the message `block_on` panics with inside a runtime (runtime/context.rs).
const REFUSAL: &str = "Cannot block_on inside a weft runtime thread";

#[test]
fn block_on_returns_the_output() {
    for_each_runtime(|rt, _| {
        assert_eq!(rt.block_on(async { 1 + 1 }), 2);
        assert_eq!(rt.handle().block_on(async { "via handle" }), "via handle");
        let v = rt.block_on(async { vec![1, 2, 3] });
        assert_eq!(v, [1, 2, 3]);
    });
}

#[test]
fn block_on_inside_a_task_panics_with_the_explanation() {
    for_each_runtime(|rt, name| {
        let err = rt.block_on(async {
            weft::spawn(async { Handle::current().block_on(async { 1 }) })
                .await
                .unwrap_err()
        });
        let message = join_panic_message(err);
        assert!(message.starts_with(REFUSAL), "[{name}] {message}");
        assert!(
            message.contains(".await"),
            "the message says what to do: {message}"
        );
        assert!(message.contains("spawn_blocking"), "{message}");
        // The worker survived.
        assert_eq!(
            rt.block_on(async { weft::spawn(async { 2 }).await.unwrap() }),
            2
        );
    });
}

#[test]
fn block_on_of_another_runtime_inside_a_task_panics_too() {
    for_each_runtime(|rt, name| {
        let other = Arc::new(
            weft::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        );
        let o = other.clone();
        let err = rt.block_on(async move {
            weft::spawn(async move { o.block_on(async {}) })
                .await
                .unwrap_err()
        });
        let message = join_panic_message(err);
        assert!(message.starts_with(REFUSAL), "[{name}] {message}");
        // `other` is dropped here, outside any runtime.
        drop(other);
    });
}

#[test]
fn nested_block_on_panics_and_the_outer_one_carries_on() {
    for_each_runtime(|rt, name| {
        let out = rt.block_on(async {
            let caught = panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(async { 1 })));
            let message = common::payload_message(&*caught.unwrap_err());
            assert!(message.starts_with(REFUSAL), "[{name}] {message}");
            // Still inside the outer block_on, which goes on working.
            weft::spawn(async { 41 }).await.unwrap() + 1
        });
        assert_eq!(out, 42);
        // And block_on works again once the outer one returned.
        assert_eq!(rt.block_on(async { 7 }), 7);
    });
}

#[test]
fn block_on_is_allowed_on_blocking_pool_threads() {
    for_each_runtime(|rt, name| {
        let out = rt.block_on(async {
            weft::spawn_blocking(|| {
                let handle = Handle::current();
                handle.block_on(async { weft::spawn(async { 20 }).await.unwrap() + 1 })
            })
            .await
        });
        assert_eq!(out.unwrap(), 21, "[{name}]");
    });
}

#[test]
fn block_on_wakes_when_a_foreign_thread_wakes_it() {
    for_each_runtime(|rt, _| {
        let flag = Flag::new();
        let f = flag.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            f.set();
        });
        rt.block_on(flag.wait());
        t.join().unwrap();
    });
}

#[test]
fn block_on_from_many_threads_at_once() {
    for_each_runtime(|rt, name| {
        const THREADS: usize = 4;
        let rt = Arc::new(rt);
        let total = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let rt = rt.clone();
                let total = total.clone();
                thread::spawn(move || {
                    rt.block_on(async move {
                        for i in 0..200 {
                            let v = weft::spawn(async move { t * 1000 + i }).await.unwrap();
                            total.fetch_add(v, SeqCst);
                            if i % 50 == 0 {
                                weft::spawn(weft::task::yield_now()).await.unwrap();
                            }
                        }
                    })
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let expected: usize = (0..THREADS)
            .flat_map(|t| (0..200).map(move |i| t * 1000 + i))
            .sum();
        assert_eq!(total.load(SeqCst), expected, "[{name}]");
        // Dropped on this thread, outside any runtime.
        drop(Arc::into_inner(rt).expect("every thread is done with the runtime"));
    });
}

#[test]
fn block_on_runs_tasks_spawned_before_it_on_current_thread() {
    common::for_runtimes(&["current_thread"], |rt, _| {
        let ran = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let ran = ran.clone();
                rt.spawn(async move {
                    ran.fetch_add(1, SeqCst);
                })
            })
            .collect();
        assert_eq!(ran.load(SeqCst), 0, "nothing runs outside block_on");
        rt.block_on(async move {
            for h in handles {
                h.await.unwrap();
            }
        });
        assert_eq!(ran.load(SeqCst), 100);
    });
}

#[test]
fn weft_run_inside_a_runtime_panics() {
    for_each_runtime(|rt, name| {
        let err = rt.block_on(async {
            weft::spawn(async { weft::run(async {}) })
                .await
                .unwrap_err()
        });
        let message = join_panic_message(err);
        assert!(message.starts_with(REFUSAL), "[{name}] {message}");
    });
    let message = expect_panic(|| weft::run(async { weft::run(async {}) }));
    assert!(message.starts_with(REFUSAL), "{message}");
}

/// A `block_on` future that keeps waking itself (here with `yield_now`) while spawned tasks
/// wait to run must let them run, as tokio's current-thread scheduler does. (Regression: the
/// current-thread scheduler used to leave its task loop whenever the main future was woken,
/// so such a future starved every task.)
#[test]
fn a_yielding_block_on_future_does_not_starve_tasks() {
    for_each_runtime(|rt, name| {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        rt.block_on(async move {
            for _ in 0..10 {
                let r = r.clone();
                drop(weft::spawn(async move {
                    r.fetch_add(1, SeqCst);
                }));
            }
            // Spin with yield_now until the tasks ran (bounded, so a failure is not a hang).
            for _ in 0..100_000 {
                if r.load(SeqCst) == 10 {
                    return;
                }
                weft::task::yield_now().await;
            }
            panic!("[{name}] the spawned tasks never ran while block_on's future yielded");
        });
        assert_eq!(ran.load(SeqCst), 10);
    });
}
