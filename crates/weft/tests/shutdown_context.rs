//! The runtime context around shutdown: destructors that run at shutdown see their runtime;
//! a thread left in `Handle::block_on` on a dropped current-thread runtime neither hangs the
//! drop nor spins; `EnterGuard`s dropped out of order are refused with a clear message.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{expect_panic, for_each_runtime, payload_message};
use weft::runtime::{Builder, Handle};

/// Looks for the current runtime and spawns on it from its destructor.
struct SpawnsOnDrop {
    saw_runtime: Arc<Mutex<Vec<bool>>>,
}

impl Drop for SpawnsOnDrop {
    fn drop(&mut self) {
        let seen = Handle::try_current().is_some();
        self.saw_runtime.lock().unwrap().push(seen);
        if seen {
            // The runtime is shutting down: this task is cancelled at once.
            let late = Handle::current().spawn(async { 1 });
            drop(late);
            drop(weft::spawn(async {}));
        }
    }
}

#[test]
fn tasks_dropped_at_shutdown_see_their_runtime_in_destructors() {
    for_each_runtime(|rt, name| {
        let seen = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..8 {
            let guard = SpawnsOnDrop {
                saw_runtime: seen.clone(),
            };
            // Blocked forever: dropped by shutdown.
            drop(rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            }));
        }
        rt.block_on(weft::task::yield_now());
        drop(rt);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 8, "[{name}] every task was dropped");
        assert!(
            seen.iter().all(|s| *s),
            "[{name}] a destructor run by shutdown found no current runtime: {seen:?}"
        );
    });
}

#[test]
fn dropping_a_current_thread_runtime_while_another_thread_blocks_on_it() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let handle = rt.handle().clone();
    let inside = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel();
    let inside2 = inside.clone();
    let blocker = std::thread::spawn(move || {
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.block_on(async {
                inside2.store(true, SeqCst);
                // Never ready: the thread idles in the driver (epoll_wait with no timeout).
                std::future::pending::<()>().await
            })
        }));
        done_tx.send(res.map_err(|p| payload_message(&*p))).unwrap();
    });
    common::spin_until("the other thread is in block_on", || inside.load(SeqCst));
    std::thread::sleep(Duration::from_millis(50)); // let it park in the driver

    let (dropped_tx, dropped_rx) = mpsc::channel();
    std::thread::spawn(move || {
        drop(rt);
        dropped_tx.send(()).unwrap();
    });
    dropped_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("drop(Runtime) hung while another thread was in Handle::block_on");

    // The blocked thread returns (it does not spin forever) with a message that says why.
    let res = done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the thread in Handle::block_on never returned after shutdown");
    let msg = res.expect_err("a pending future cannot complete after shutdown");
    assert!(msg.contains("shut down"), "{msg}");
    blocker.join().unwrap();
}

#[test]
fn enter_guards_dropped_out_of_order_panic_with_a_clear_message() {
    let a = Builder::new_current_thread().build().unwrap();
    let b = Builder::new_current_thread().build().unwrap();
    let guard_a = a.enter();
    let guard_b = b.enter();
    let msg = expect_panic(move || drop(guard_a));
    assert!(msg.contains("out of order"), "{msg}");
    // The later guard is still in force: spawning still targets `b`, never silently `a`.
    let task = weft::spawn(async { 7 });
    drop(guard_b);
    assert_eq!(b.handle().num_tasks(), 1);
    assert_eq!(a.handle().num_tasks(), 0);
    drop(task);
}
