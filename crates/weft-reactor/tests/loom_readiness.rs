//! Loom models of a registration's readiness (`src/scheduled_io.rs`, `src/waiters.rs`,
//! `src/readiness.rs`), on the real `ScheduledIo` and its futures: a task storing its waker
//! or clearing readiness while the driver fires an event. Under every interleaving: no
//! wake-up is lost (a lost one leaves a parked thread for ever, which loom reports as a
//! deadlock), a clear with a stale tick never erases a newer event, and the `&self`
//! operations' turns pass on when a waiter succeeds or is dropped after its wake.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-reactor --test loom_readiness --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

mod loom_common;

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::{Context, Poll};

use loom_common::{block_on, model, noop_waker, wake_all};
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_reactor::protocol::{AsyncIo, Readiness, Ready, ScheduledIo};

/// A registration that is not read-ready (its optimistic initial readiness cleared, as a
/// first `WouldBlock` does).
fn not_readable() -> Arc<ScheduledIo> {
    let io = Arc::new(ScheduledIo::new());
    let ev = io.try_ready(Ready::READABLE).unwrap();
    io.clear_readiness(ev);
    io
}

/// What the driver does for one event: set the readiness, then wake outside the lock.
fn fire(io: &ScheduledIo) {
    let mut wakers = Vec::new();
    io.set_readiness(Ready::READABLE, &mut wakers);
    wake_all(wakers);
}

/// A listen backlog: `op` takes one connection, or says `WouldBlock`.
fn take(queue: &AtomicUsize) -> io::Result<()> {
    queue
        .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
        .map(drop)
        .map_err(|_| io::ErrorKind::WouldBlock.into())
}

#[test]
fn a_waker_stored_while_the_driver_fires_is_woken() {
    model(|| {
        let io = not_readable();
        let driver = {
            let io = io.clone();
            thread::spawn(move || fire(&io))
        };
        block_on(poll_fn(|cx| io.poll_ready(cx, Ready::READABLE))).unwrap();
        driver.join().unwrap();
    });
}

#[test]
fn a_stale_tick_never_clears_newer_readiness() {
    model(|| {
        let io = not_readable();
        // A task saw readiness at tick t (an event), then its system call said WouldBlock.
        fire(&io);
        let seen = io.try_ready(Ready::READABLE).unwrap();
        let driver = {
            let io = io.clone();
            thread::spawn(move || fire(&io)) // tick t + 1
        };
        io.clear_readiness(seen);
        driver.join().unwrap();
        assert!(
            io.try_ready(Ready::READABLE).is_ok(),
            "the clear erased an event that came after the readiness it cleared"
        );
    });
}

#[test]
fn a_clear_racing_a_fire_never_strands_a_waiter() {
    // The whole `poll_read_io` loop: see ready, the call says WouldBlock, clear, wait;
    // the event comes at any point of it.
    model(|| {
        let io = Arc::new(ScheduledIo::new()); // optimistically ready
        let queue = Arc::new(AtomicUsize::new(0));
        let driver = {
            let (io, queue) = (io.clone(), queue.clone());
            thread::spawn(move || {
                queue.fetch_add(1, SeqCst);
                fire(&io);
            })
        };
        block_on(poll_fn(|cx| loop {
            let ev = match io.poll_ready(cx, Ready::READABLE) {
                Poll::Ready(r) => r.unwrap(),
                Poll::Pending => return Poll::Pending,
            };
            match take(&queue) {
                Ok(()) => return Poll::Ready(()),
                Err(_) => io.clear_readiness(ev),
            }
        }));
        driver.join().unwrap();
    });
}

#[test]
fn a_waiter_cancelled_while_the_driver_fires_strands_no_other() {
    // Two `accept`s waiting on one listener; the older one is cancelled, perhaps after the
    // event woke it (its turn). Two connections come behind one edge: the other accept
    // gets one.
    model(|| {
        let io = not_readable();
        let queue = Arc::new(AtomicUsize::new(0));
        let mut cancelled = Box::pin(AsyncIo::new(&io, Ready::READABLE, true, || take(&queue)));
        let waker = noop_waker();
        let _ = cancelled.as_mut().poll(&mut Context::from_waker(&waker));
        let other = {
            let (io, queue) = (io.clone(), queue.clone());
            thread::spawn(move || {
                block_on(AsyncIo::new(&io, Ready::READABLE, true, || take(&queue))).unwrap()
            })
        };
        let driver = {
            let (io, queue) = (io.clone(), queue.clone());
            thread::spawn(move || {
                queue.fetch_add(2, SeqCst);
                fire(&io);
            })
        };
        drop(cancelled); // whether or not it was woken meanwhile
        other.join().unwrap();
        driver.join().unwrap();
    });
}

#[test]
fn a_waiter_that_succeeds_passes_the_turn_on() {
    // Two connections behind one edge wake one accept (the oldest); when it succeeds,
    // the other must be woken for the second.
    model(|| {
        let io = not_readable();
        let queue = Arc::new(AtomicUsize::new(0));
        let other = {
            let (io, queue) = (io.clone(), queue.clone());
            thread::spawn(move || {
                block_on(AsyncIo::new(&io, Ready::READABLE, true, || take(&queue))).unwrap()
            })
        };
        let driver = {
            let (io, queue) = (io.clone(), queue.clone());
            thread::spawn(move || {
                queue.fetch_add(2, SeqCst);
                fire(&io);
            })
        };
        block_on(AsyncIo::new(&io, Ready::READABLE, true, || take(&queue))).unwrap();
        other.join().unwrap();
        driver.join().unwrap();
        assert_eq!(queue.load(SeqCst), 0);
    });
}

#[test]
fn a_readable_waiter_dropped_while_the_driver_fires_strands_no_other() {
    model(|| {
        let io = not_readable();
        let dropped = {
            let io = io.clone();
            thread::spawn(move || {
                let mut wait = pin!(Readiness::new(&io, Ready::READABLE, true));
                let waker = noop_waker();
                let _ = wait.as_mut().poll(&mut Context::from_waker(&waker));
            })
        };
        let driver = {
            let io = io.clone();
            thread::spawn(move || fire(&io))
        };
        block_on(Readiness::new(&io, Ready::READABLE, true)).unwrap();
        dropped.join().unwrap();
        driver.join().unwrap();
    });
}
