//! Loom models of the current-thread scheduler: the real `CurrentThread`, whose `block_on`
//! thread runs the tasks and sleeps in the driver when it has none. The property: a task
//! dispatched from another thread (a remote spawn, a foreign wake) while that thread is idle
//! in the driver, or woken by the driver itself from inside `park`, is always run and
//! `block_on` returns; a lost one leaves the thread in the driver for ever, which loom
//! reports as a deadlock.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sched --test loom_current_thread --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

mod support;

use weft_core::loom::thread;

use support::{current_thread, model, ready_now, thread_park, Event, IoDriver};

/// A task spawned from another thread while the `block_on` thread is running or idle in
/// the driver: it runs, and the future blocked on (waiting for the task) completes.
#[test]
fn remote_spawn_is_never_lost() {
    model(|| {
        let rt = current_thread(thread_park());
        let done = Event::new();
        let spawner = {
            let owner = rt.owner.clone();
            let done = done.clone();
            thread::spawn(move || {
                owner.spawn(async move {
                    done.fire();
                    7
                })
            })
        };
        rt.block_on(done.wait());
        let mut handle = spawner.join().unwrap();
        assert_eq!(ready_now(&mut handle).unwrap(), 7);
        rt.shutdown();
    });
}

/// A task waiting on an event that another thread fires (its wake-up is dispatched from
/// that thread) while the `block_on` thread goes idle: the wake is never lost.
#[test]
fn foreign_wake_is_never_lost() {
    model(|| {
        let rt = current_thread(thread_park());
        let event = Event::new();
        let handle = rt.owner.spawn(event.wait());
        let waker_thread = {
            let event = event.clone();
            thread::spawn(move || event.fire())
        };
        rt.block_on(handle).unwrap();
        waker_thread.join().unwrap();
        rt.shutdown();
    });
}

/// A task waiting for I/O that becomes ready on another thread (the kernel, in effect): the
/// driver wakes it from inside `park` on the `block_on` thread (the wake goes to the core's
/// own queue), and it runs when `park` returns.
#[test]
fn driver_wake_is_run() {
    model(|| {
        let driver = IoDriver::new();
        let rt = current_thread(driver.clone());
        let event = Event::new();
        let handle = rt.owner.spawn(event.wait());
        let kernel = {
            let (event, driver) = (event.clone(), driver.clone());
            thread::spawn(move || event.fire_via(&driver))
        };
        rt.block_on(handle).unwrap();
        kernel.join().unwrap();
        rt.shutdown();
        driver.shutdown();
    });
}
