//! Loom models of the deterministic scheduler: the real `Deterministic`, whose `block_on`
//! thread runs the tasks and sleeps in the driver when none is ready. Its hand-off from other
//! threads is `CurrentThread`'s (push to the shared queue under its lock, then unpark the
//! driver), but the consumer side differs: the shared queue is moved into the ready set only
//! before an idle park and at the periodic driver poll, and the woken main future is one of
//! the candidates drawn. The property: a task dispatched from another thread (a remote spawn,
//! a foreign wake) while that thread is drawing, about to park or parked, or woken by the
//! driver itself from inside `park`, is always run and `block_on` returns; a lost one leaves
//! the thread in the driver for ever, which loom reports as a deadlock.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sched --test loom_deterministic --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

mod support;

use std::sync::Arc;

use weft_core::loom::thread;
use weft_sched::{Deterministic, Park};

use support::{model, ready_now, thread_park, Event, IoDriver, Rt};

fn deterministic(seed: u64, driver: Arc<dyn Park>) -> Rt<Deterministic> {
    Rt::new(Deterministic::new(seed), driver).start()
}

/// A task spawned from another thread while the `block_on` thread draws, parks or is
/// parked: it runs, and the future blocked on (waiting for the task) completes.
#[test]
fn remote_spawn_is_never_lost() {
    model(|| {
        let rt = deterministic(1, thread_park());
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

/// Two tasks on the block_on thread (so the draw has a choice) wait on an event that
/// another thread fires while the thread goes idle: both wake-ups come from that thread,
/// through the shared queue, and neither is lost.
#[test]
fn foreign_wakes_are_never_lost() {
    model(|| {
        let rt = deterministic(2, thread_park());
        let event = Event::new();
        let other = Event::new();
        let a = rt.owner.spawn(event.wait());
        let b = rt.owner.spawn(other.wait());
        let waker_thread = {
            let (event, other) = (event.clone(), other.clone());
            thread::spawn(move || {
                event.fire();
                other.fire();
            })
        };
        rt.block_on(async move {
            a.await.unwrap();
            b.await.unwrap();
        });
        waker_thread.join().unwrap();
        rt.shutdown();
    });
}

/// A task waiting for I/O that becomes ready on another thread (the kernel, in effect): the
/// driver wakes it from inside `park` on the `block_on` thread (the wake goes to the ready
/// set directly), and it runs when `park` returns.
#[test]
fn driver_wake_is_run() {
    model(|| {
        let driver = IoDriver::new();
        let rt = deterministic(3, driver.clone());
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

/// The future blocked on is woken from another thread (no task at all): the main waker's
/// flag and unpark are never lost between the draw that finds nothing ready and the park.
#[test]
fn main_future_woken_from_another_thread_completes() {
    model(|| {
        let rt = deterministic(4, thread_park());
        let event = Event::new();
        let firer = {
            let event = event.clone();
            thread::spawn(move || event.fire())
        };
        rt.block_on(event.wait());
        firer.join().unwrap();
        rt.shutdown();
    });
}
