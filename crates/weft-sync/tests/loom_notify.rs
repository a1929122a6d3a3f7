//! Loom models of `Notify` and `Event` (`src/notify.rs`, `src/event.rs`): a notification
//! racing the waiters that register for it and drop out, and `Event::set` racing `wait`.
//! Under every interleaving no notification is lost: a lost one leaves the waiting thread
//! parked for ever, which loom reports as a deadlock.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_notify --target-dir target/loom
//! ```
//!
//! Teeth (each seeded bug was tried, made loom fail with a deadlock, and was reverted):
//! - `notify_one_reaches_a_waiter_when_another_drops` catches a `Notified` whose drop
//!   forgets to pass on a `notify_one` it had been chosen for (`Cancelled::Notified(..)`
//!   mapped to `None` in `Drop for Notified`).
//! - `notify_waiters_wakes_a_future_created_before_it` catches a first poll that ignores
//!   the `notify_waiters` call counter (the `now != calls` check in `poll_with`).
//! - `set_wakes_every_waiter` catches a `wait` that registers without checking the flag
//!   again under the lock (the `is_set` re-check in `EventWait::poll`).
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_core::test_support::{block_on, model};
use weft_sync::{Event, Notify};

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn notify_one_reaches_a_waiter_when_another_drops() {
    model(|| {
        let notify = Arc::new(Notify::new());
        // A waiter that registers and gives up: if it was chosen, its drop passes the
        // notification on; if it took the permit itself, it sends it back, so that exactly
        // one notification stays owed to the main thread either way.
        let n = notify.clone();
        let quitter = thread::spawn(move || {
            let mut wait = Box::pin(n.notified());
            if poll_noop(wait.as_mut()).is_ready() {
                n.notify_one();
            }
            drop(wait);
        });
        let n = notify.clone();
        let notifier = thread::spawn(move || n.notify_one());
        block_on(notify.notified());
        quitter.join().unwrap();
        notifier.join().unwrap();
    });
}

#[test]
fn notify_waiters_wakes_a_future_created_before_it() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let wait = notify.notified();
        let n = notify.clone();
        let notifier = thread::spawn(move || n.notify_waiters());
        block_on(wait);
        notifier.join().unwrap();
    });
}

#[test]
fn set_wakes_every_waiter() {
    model(|| {
        let event = Arc::new(Event::new());
        let e = event.clone();
        let waiter = thread::spawn(move || block_on(e.wait()));
        let e = event.clone();
        let setter = thread::spawn(move || e.set());
        block_on(event.wait());
        assert!(event.is_set());
        waiter.join().unwrap();
        setter.join().unwrap();
    });
}
