//! Loom models of `oneshot` (`src/oneshot.rs`): the sender's `COMPLETE` racing the
//! receiver's poll (which may be storing or replacing its waker) and the receiver's close or
//! drop racing the send and `closed()`. Under every interleaving: the waiting side is woken
//! (a lost wake-up leaves `block_on` parked for ever, which loom reports as a deadlock), the
//! value arrives or comes back, and it is dropped exactly once.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_oneshot --target-dir target/loom
//! ```
//!
//! Teeth: with the receiver's poll setting `RX_TASK_SET` *before* storing its waker
//! (instead of after), loom reported "Concurrent write accesses to `UnsafeCell`" in
//! `send_races_receiver_poll` and `sender_drop_races_receiver_poll` (the sender takes the
//! waker while it is being written). Runs in well under a second at 3 preemptions.
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;
use std::task::{Context, Waker};

use weft_core::loom::thread;
use weft_core::test_support::{block_on, model};
use weft_sync::oneshot;

struct Counted(StdArc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn send_races_receiver_poll() {
    model(|| {
        let (tx, rx) = oneshot::channel();
        let t = thread::spawn(move || tx.send(7).unwrap());
        // The receiver polls once with a throwaway waker, then again with the real one:
        // the second poll replaces the waker while the send may be completing.
        let mut rx = pin!(rx);
        let first = rx.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        let got = match first {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => block_on(rx),
        };
        assert_eq!(got, Ok(7));
        t.join().unwrap();
    });
}

#[test]
fn sender_drop_races_receiver_poll() {
    model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        t.join().unwrap();
    });
}

#[test]
fn send_races_receiver_drop_value_dropped_once() {
    model(|| {
        let drops = StdArc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel();
        let value = Counted(drops.clone());
        let t = thread::spawn(move || {
            // Handed back or kept by the channel: dropped once either way.
            let _ = tx.send(value);
        });
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn closed_races_receiver_close() {
    model(|| {
        let (mut tx, mut rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || {
            rx.close();
            rx
        });
        block_on(tx.closed());
        assert!(tx.is_closed());
        assert_eq!(tx.send(1), Err(1));
        drop(t.join().unwrap());
    });
}
