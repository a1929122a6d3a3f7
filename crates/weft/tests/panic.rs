//! Panicking tasks: the panic becomes a `JoinError` carrying its payload; the other tasks, the
//! worker and the runtime carry on.

mod common;

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use common::{for_each_runtime, join_panic_message, DropCounter};

#[test]
fn a_panic_becomes_a_join_error_with_its_payload() {
    for_each_runtime(|rt, name| {
        let err = rt.block_on(async { weft::spawn(async { panic!("boom") }).await.unwrap_err() });
        assert!(err.is_panic(), "[{name}] {err:?}");
        assert!(!err.is_cancelled());
        assert!(
            err.to_string().contains("boom"),
            "Display shows the message: {err}"
        );
        assert!(
            format!("{err:?}").contains("boom"),
            "Debug shows the message: {err:?}"
        );
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    });
}

#[test]
fn a_formatted_panic_carries_a_string() {
    for_each_runtime(|rt, _| {
        let err = rt.block_on(async {
            let code = 7;
            weft::spawn(async move { panic!("failed with code {code}") })
                .await
                .unwrap_err()
        });
        let payload = err.into_panic();
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("failed with code 7")
        );
    });
}

#[test]
fn a_custom_payload_survives_and_can_be_resumed() {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    for_each_runtime(|rt, _| {
        let err = rt.block_on(async {
            weft::spawn(async { panic::panic_any(Custom(9)) })
                .await
                .unwrap_err()
        });
        assert!(err.to_string().contains("panicked"), "{err}");
        let id = err.id();
        let payload = err.try_into_panic().expect("a panic");
        let resumed =
            panic::catch_unwind(panic::AssertUnwindSafe(|| panic::resume_unwind(payload)));
        let payload = resumed.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<Custom>(),
            Some(&Custom(9)),
            "task {id}"
        );
    });
}

#[test]
fn other_tasks_run_on_and_the_runtime_keeps_working() {
    for_each_runtime(|rt, name| {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let (panics, oks) = rt.block_on(async move {
            let handles: Vec<_> = (0..1_000)
                .map(|i| {
                    let r = r.clone();
                    weft::spawn(async move {
                        weft::task::yield_now().await;
                        if i % 2 == 0 {
                            panic!("task {i} panics");
                        }
                        r.fetch_add(1, SeqCst);
                        i
                    })
                })
                .collect();
            let (mut panics, mut oks) = (0, 0);
            for (i, h) in handles.into_iter().enumerate() {
                match h.await {
                    Ok(out) => {
                        assert_eq!(out, i);
                        oks += 1;
                    }
                    Err(e) => {
                        assert_eq!(join_panic_message(e), format!("task {i} panics"));
                        panics += 1;
                    }
                }
            }
            (panics, oks)
        });
        assert_eq!((panics, oks), (500, 500), "[{name}]");
        // The runtime still works: 1,000 more tasks.
        let more = rt.block_on(async {
            let handles: Vec<_> = (0..1_000).map(|i| weft::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(more, (0..1_000).sum::<usize>(), "[{name}]");
        assert_eq!(ran.load(SeqCst), 500);
    });
}

#[test]
fn a_panic_does_not_kill_the_worker_thread() {
    common::for_runtimes(&["multi_thread(1)", "current_thread"], |rt, name| {
        let (before, after) = rt.block_on(async {
            let before = weft::spawn(async { std::thread::current().id() })
                .await
                .unwrap();
            assert!(weft::spawn(async { panic!("x") })
                .await
                .unwrap_err()
                .is_panic());
            let after = weft::spawn(async { std::thread::current().id() })
                .await
                .unwrap();
            (before, after)
        });
        assert_eq!(
            before, after,
            "[{name}] the same (single) worker thread runs on"
        );
    });
}

#[test]
fn a_panicking_task_drops_its_locals() {
    for_each_runtime(|rt, _| {
        let drops = DropCounter::new();
        let token = drops.token();
        let err = rt.block_on(async move {
            weft::spawn(async move {
                let _token = token;
                weft::task::yield_now().await;
                panic!("unwinding drops what the task held");
            })
            .await
            .unwrap_err()
        });
        assert!(err.is_panic());
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn a_panic_in_a_block_on_future_propagates_and_the_runtime_survives() {
    for_each_runtime(|rt, name| {
        let background = rt.spawn(async { 5 });
        let caught = panic::catch_unwind(panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                weft::task::yield_now().await;
                panic!("the main future panics");
            })
        }));
        let message = common::payload_message(&*caught.unwrap_err());
        assert_eq!(message, "the main future panics");
        // The runtime (the current-thread core included) is usable afterwards.
        let out = rt.block_on(async {
            weft::spawn(async { 1 }).await.unwrap() + background.await.unwrap()
        });
        assert_eq!(out, 6, "[{name}]");
    });
}

#[test]
fn a_panicking_drop_of_an_aborted_future_is_contained() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("panic in drop");
            }
        }
    }
    for_each_runtime(|rt, name| {
        let handle = rt.spawn(async {
            let _bomb = PanicOnDrop;
            std::future::pending::<()>().await;
        });
        rt.block_on(async {
            weft::spawn(weft::task::yield_now()).await.unwrap();
        });
        // The drop happens on whichever thread cancels the task (here perhaps this one):
        // it must not take a worker down, and the handle resolves either way.
        let aborted = panic::catch_unwind(panic::AssertUnwindSafe(|| handle.abort()));
        let err = rt.block_on(handle).unwrap_err();
        assert!(
            err.is_cancelled() || err.is_panic(),
            "[{name}] {err:?} (abort itself panicked: {})",
            aborted.is_err()
        );
        let out = rt.block_on(async { weft::spawn(async { 3 }).await.unwrap() });
        assert_eq!(out, 3, "[{name}] the runtime still works");
    });
}
