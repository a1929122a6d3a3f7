//! Loom models of `mpsc` (`src/mpsc/chan.rs`): two bounded senders racing for one slot
//! while the receiver takes batches and gives slots back (the `WAITERS` bit against the
//! receiver's `fetch_sub`), a close racing a waiting sender, and unbounded senders racing a
//! parked receiver. Under every interleaving: no message or wake-up is lost (a lost wake-up
//! leaves a `block_on` parked for ever: a loom deadlock), per-sender order holds, and every
//! slot comes back.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-sync --test loom_mpsc --target-dir target/loom
//! ```
//!
//! Teeth: with `Chan::release` ignoring the `WAITERS` bit (a freed slot never granted to
//! the queued sender), `two_senders_into_capacity_one` deadlocked; with the receiver
//! unlocking and re-locking between finding the queue empty and storing its waker,
//! `two_senders_into_capacity_one` deadlocked too (a lost wake-up). A first version, whose
//! `try_acquire` checked a separate closed flag before taking a slot, failed
//! `close_races_a_waiting_sender` (a message sent after the receiver had seen `None`);
//! `CLOSED` now lives in the slot word. About 3 s at 3 preemptions.
// loom-preemptions: 3
#![cfg(weft_loom)]

use weft_core::loom::thread;
use weft_core::test_support::{block_on, model};
use weft_sync::mpsc;

#[test]
fn two_senders_into_capacity_one() {
    model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        let senders: Vec<_> = (0..2)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || block_on(tx.send(i)).unwrap())
            })
            .collect();
        let mut got = [block_on(rx.recv()).unwrap(), block_on(rx.recv()).unwrap()];
        got.sort();
        assert_eq!(got, [0, 1]);
        senders.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(tx.capacity(), 1, "every slot came back");
    });
}

#[test]
fn close_races_a_waiting_sender() {
    model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(0).unwrap();
        let t = thread::spawn(move || block_on(tx.send(1)).map_err(|e| e.0));
        rx.close();
        // The waiting sender either got the slot freed by this receive, or failed.
        let mut got = Vec::new();
        while let Some(v) = block_on(rx.recv()) {
            got.push(v);
        }
        let sent = t.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(got, [0, 1]),
            Err(v) => {
                assert_eq!(v, 1);
                assert_eq!(got, [0]);
            }
        }
    });
}

#[test]
fn unbounded_two_senders() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        let b = thread::spawn(move || tx2.send(10).unwrap());
        let mut got = Vec::new();
        while let Some(v) = block_on(rx.recv()) {
            got.push(v);
        }
        a.join().unwrap();
        b.join().unwrap();
        let ones: Vec<_> = got.iter().copied().filter(|&v| v < 10).collect();
        assert_eq!(ones, [1, 2]);
        assert_eq!(got.len(), 3);
    });
}
