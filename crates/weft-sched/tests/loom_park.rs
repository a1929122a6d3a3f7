//! Loom models of the multi-thread scheduler's idle protocol: the real `MultiThread`, with
//! its real workers, parkers and idle bookkeeping, under every interleaving loom explores.
//! The property: a task made runnable from outside (a remote spawn, a wake from a foreign
//! thread) or by the driver while a worker is parked in it is always run, even when it
//! races with every worker going to sleep; and shutdown always ends the workers. A lost
//! task leaves `block_on` parked for ever, which loom reports as a deadlock.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-sched --test loom_park --target-dir target/loom
//! ```
#![cfg(weft_loom)]

mod support;

// Bookkeeping only (run counts): loom runs one thread at a time.
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use support::{model, multi_thread, thread_park, Event, IoDriver, WaitIo};

/// Two workers, a task spawned from outside the runtime: it runs exactly once and its
/// handle completes, however the spawn interleaves with the workers parking.
#[test]
fn remote_spawn_is_never_lost() {
    model(|| {
        let rt = multi_thread(2, thread_park());
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let handle = rt.owner.spawn(async move {
            r.fetch_add(1, SeqCst);
            7
        });
        assert_eq!(rt.block_on(handle).unwrap(), 7);
        assert_eq!(runs.load(SeqCst), 1);
        rt.shutdown();
    });
}

/// A task waiting on an event that a foreign thread (here the model's main thread, which is
/// not a worker) fires while the workers run the task or go idle: the wake is never lost.
#[test]
fn foreign_wake_is_never_lost() {
    model(|| {
        let rt = multi_thread(2, thread_park());
        let event = Event::new();
        let handle = rt.owner.spawn(event.wait());
        event.fire();
        rt.block_on(handle).unwrap();
        rt.shutdown();
    });
}

/// A task waiting for I/O, woken by the driver from inside `park` on whichever worker is
/// parked in it (the wake lands in that worker's own LIFO slot, which no other worker can
/// steal): the worker must notice the task when `park` returns, though nobody notified it,
/// and run it.
#[test]
fn driver_wake_onto_a_parked_worker_is_run() {
    model(|| {
        let driver = IoDriver::new();
        let rt = multi_thread(2, driver.clone());
        let handle = rt.owner.spawn(WaitIo::new(driver));
        rt.block_on(handle).unwrap();
        rt.shutdown();
    });
}
