//! Shutdown frees every task: run under valgrind by `cargo xtask leak`
//! (`valgrind --leak-check=full target/release/examples/leak_check`), which fails on any byte
//! definitely lost.
//!
//! On each scheduler: 10,000 tasks blocked forever, 10,000 that complete, detached tasks,
//! blocking jobs (finished, running at shutdown, queued at shutdown), a panicking task, an
//! aborted one, and handles kept past the runtime; then the runtime is dropped, before
//! `main` returns, so no runtime thread is alive when the process exits.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use weft::runtime::Builder;

/// Counts the futures dropped, to check shutdown dropped every blocked one.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

const BLOCKED: usize = 10_000;
const COMPLETING: usize = 10_000;

fn exercise(name: &str, builder: Builder) {
    let rt = builder
        .max_blocking_threads(4)
        .build()
        .expect("build the runtime");
    let dropped = Arc::new(AtomicUsize::new(0));

    // Tasks spawned from outside before anything runs.
    for _ in 0..100 {
        let token = Counted(dropped.clone());
        drop(rt.spawn(async move {
            let _token = token;
            std::future::pending::<()>().await;
        }));
    }

    let d = dropped.clone();
    let kept = rt.block_on(async move {
        // Blocked forever: dropped by shutdown.
        for _ in 0..BLOCKED {
            let token = Counted(d.clone());
            drop(weft::spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            }));
        }
        // Completing, with outputs that own heap memory; half awaited, half detached.
        let handles: Vec<_> = (0..COMPLETING)
            .map(|i| weft::spawn(async move { vec![i as u8; 16] }))
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(h.await.unwrap().len(), 16);
            }
        }
        // Blocking jobs: finished ones, and one still running at shutdown (it sleeps).
        for i in 0..8u64 {
            assert_eq!(weft::spawn_blocking(move || i * 2).await.unwrap(), i * 2);
        }
        drop(weft::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(50))
        }));
        // A panicking task, a panicking blocking job, an aborted task.
        assert!(weft::spawn(async { panic!("leak_check: expected panic") })
            .await
            .unwrap_err()
            .is_panic());
        assert!(
            weft::spawn_blocking(|| panic!("leak_check: expected blocking panic"))
                .await
                .unwrap_err()
                .is_panic()
        );
        let aborted = weft::spawn(std::future::pending::<()>());
        aborted.abort();
        assert!(aborted.await.unwrap_err().is_cancelled());
        // Handles kept past the runtime: one to a blocked task, one to a finished task.
        let blocked = weft::spawn(std::future::pending::<String>());
        let finished = weft::spawn(async { String::from("finished, never read") });
        weft::task::yield_now().await;
        (blocked, finished)
    });

    // Jobs still queued at shutdown: more than the pool may run at once.
    for _ in 0..16 {
        drop(rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(5))));
    }
    let handle = rt.handle().clone();
    drop(rt);
    // Spawning after shutdown: the future is dropped at once.
    drop(handle.spawn(async { String::from("refused") }));
    drop(handle);
    drop(kept);

    let expected = BLOCKED + 100;
    let got = dropped.load(SeqCst);
    assert_eq!(
        got, expected,
        "{name}: every blocked future dropped by shutdown"
    );
    println!("{name}: ok ({got} blocked futures dropped by shutdown)");
}

fn main() {
    // The expected panics would print their messages; keep the output short.
    std::panic::set_hook(Box::new(|_| {}));
    exercise(
        "multi_thread(4)",
        Builder::new_multi_thread().worker_threads(4),
    );
    exercise(
        "multi_thread(1)",
        Builder::new_multi_thread().worker_threads(1),
    );
    exercise("current_thread", Builder::new_current_thread());
    let _ = std::panic::take_hook();
    println!("leak_check: done");
}
