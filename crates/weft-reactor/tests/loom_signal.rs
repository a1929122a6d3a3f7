//! Loom models of the signal registry (`src/signal/registry.rs`, `src/signal/listener.rs`):
//! the real `Registry` and `Listener`, with the self-pipe and the selector replaced by an
//! in-memory pipe whose readers are real `ScheduledIo`s (`loom_common::ModelPipe`; a
//! reader's event is dropped when another reader drained the byte first, as epoll drops
//! it). A delivery races listeners that register, wait, drain or unregister. Under every
//! interleaving, every listener that existed before the delivery sees it (a lost one
//! leaves its thread blocked for ever, which loom reports as a deadlock).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-reactor --test loom_signal --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

mod loom_common;

use std::future::poll_fn;
use std::task::Context;

use loom_common::{block_on, model, noop_waker, ModelPipe, PipeWakeup};
use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_reactor::protocol::{Listener, Registry};

const SIG: i32 = 10;
const OTHER: i32 = 12;

fn registry() -> Arc<Registry> {
    Arc::new(Registry::new(Box::new(PipeWakeup(ModelPipe::new()))))
}

/// Waits for the listener's next delivery.
fn recv(listener: &mut Listener) {
    block_on(poll_fn(|cx| listener.poll_recv(cx))).unwrap();
}

#[test]
fn a_delivery_reaches_a_listener_that_is_registering() {
    // The listener exists (counting) before the delivery; its first poll (reader,
    // subscription, arm, re-check, drain) races the delivery.
    model(|| {
        let registry = registry();
        let mut listener = Listener::new_in(registry.clone(), SIG);
        let signal = {
            let registry = registry.clone();
            thread::spawn(move || registry.deliver(SIG))
        };
        recv(&mut listener);
        signal.join().unwrap();
    });
}

#[test]
fn a_delivery_drained_by_one_listener_reaches_the_other() {
    // Two listeners on two "reactors" (two readers of the pipe). Whichever drains the
    // byte must wake the other, whose own event may have vanished.
    model(|| {
        let registry = registry();
        let mut a = Listener::new_in(registry.clone(), SIG);
        let mut b = Listener::new_in(registry.clone(), SIG);
        // Both registered and waiting before the delivery.
        let waker = noop_waker();
        assert!(a.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        assert!(b.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        let other = thread::spawn(move || recv(&mut b));
        let signal = {
            let registry = registry.clone();
            thread::spawn(move || registry.deliver(SIG))
        };
        recv(&mut a);
        other.join().unwrap();
        signal.join().unwrap();
    });
}

#[test]
fn a_listener_of_another_signal_draining_the_byte_wakes_the_right_one() {
    // The byte of a SIG delivery may be drained by a listener of OTHER (any listener
    // drains the shared pipe): it must wake the SIG listener, and not report OTHER.
    model(|| {
        let registry = registry();
        let mut sig = Listener::new_in(registry.clone(), SIG);
        let mut other = Listener::new_in(registry.clone(), OTHER);
        let waker = noop_waker();
        assert!(sig.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        let drainer = thread::spawn(move || {
            let waker = noop_waker();
            let r = other.poll_recv(&mut Context::from_waker(&waker));
            assert!(r.is_pending(), "OTHER was never delivered");
            other
        });
        let signal = {
            let registry = registry.clone();
            thread::spawn(move || registry.deliver(SIG))
        };
        recv(&mut sig);
        drop(drainer.join().unwrap());
        signal.join().unwrap();
    });
}

#[test]
fn a_listener_unregistering_during_a_delivery_costs_the_others_nothing() {
    // One listener is dropped (its subscription and reader go) and a new one takes its
    // slot, while a delivery is made and drained: the listener that stays sees it.
    model(|| {
        let registry = registry();
        let mut stays = Listener::new_in(registry.clone(), SIG);
        let mut leaves = Listener::new_in(registry.clone(), SIG);
        let waker = noop_waker();
        assert!(stays
            .poll_recv(&mut Context::from_waker(&waker))
            .is_pending());
        assert!(leaves
            .poll_recv(&mut Context::from_waker(&waker))
            .is_pending());
        let churn = {
            let registry = registry.clone();
            thread::spawn(move || {
                drop(leaves);
                let mut late = Listener::new_in(registry, SIG);
                let waker = noop_waker();
                let _ = late.poll_recv(&mut Context::from_waker(&waker));
            })
        };
        let signal = {
            let registry = registry.clone();
            thread::spawn(move || registry.deliver(SIG))
        };
        recv(&mut stays);
        churn.join().unwrap();
        signal.join().unwrap();
    });
}
