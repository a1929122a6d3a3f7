//! Loom models of a dispatch racing `Scheduler::shutdown`, for both built-in schedulers. The
//! contract (`Scheduler::shutdown`): queued runnables are dropped, which cancels their
//! tasks, and a dispatch after shutdown drops what it is given. So a task dispatched from
//! another thread while the scheduler shuts down is either run or cancelled, never left in a
//! queue once `shutdown` has returned: the owner's list is empty and the task's
//! `JoinHandle` has resolved. (A stranded runnable would also keep its owner, and so the
//! scheduler, alive: loom reports the leaked `Arc`.)
//!
//! The owner is left open here, unlike at runtime shutdown (which cancels every task before
//! stopping the scheduler), so that the scheduler's own draining is what is checked.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sched --test loom_shutdown --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

mod support;

// Bookkeeping only (run counts): loom runs one thread at a time.
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use weft_core::loom::thread;
use weft_sched::Scheduler;

use support::{current_thread, model, multi_thread, ready_now, thread_park, Rt};

/// Spawns a task from another thread while `rt`'s scheduler shuts down on this one, then
/// checks that it ran or was cancelled, and that nothing of it is left.
fn late_spawn_during_shutdown<S: Scheduler>(rt: Rt<S>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let spawner = {
        let owner = rt.owner.clone();
        let runs = runs.clone();
        thread::spawn(move || {
            owner.spawn(async move {
                runs.fetch_add(1, SeqCst);
                7
            })
        })
    };
    rt.sched().shutdown();
    let mut handle = spawner.join().unwrap();
    assert_eq!(
        rt.owner.len(),
        0,
        "a task outlived its scheduler's shutdown"
    );
    assert!(handle.is_finished());
    match ready_now(&mut handle) {
        Ok(v) => assert_eq!((v, runs.load(SeqCst)), (7, 1)),
        Err(e) => {
            assert!(e.is_cancelled(), "{e:?}");
            assert_eq!(runs.load(SeqCst), 0);
        }
    }
    rt.owner.close_and_shutdown_all();
}

/// `MultiThread` (one worker): the task goes to the injection queue, where the worker may
/// run it, shutdown may drain it, or, pushed after shutdown's last drain, the dispatch
/// itself must drop it.
#[test]
fn multi_thread_late_dispatch_is_run_or_dropped() {
    model(|| late_spawn_during_shutdown(multi_thread(1, thread_park())));
}

/// `CurrentThread` (nobody in `block_on`): the task goes to the shared queue; shutdown
/// drains it, or the dispatch, pushing after the last drain, drops it itself.
#[test]
fn current_thread_late_dispatch_is_dropped() {
    model(|| late_spawn_during_shutdown(current_thread(thread_park())));
}
