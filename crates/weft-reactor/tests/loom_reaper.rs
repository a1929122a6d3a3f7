//! Loom models of the child-exit handshakes (`src/process/reaper.rs`): the real `Reaper`,
//! `SigchldWait`, `Registry` and `Listener`, with `waitpid` replaced by a model child
//! (`Orphan`) and the self-pipe by `loom_common::ModelPipe`. A child's exit (its flag set,
//! then `SIGCHLD` delivered) races a child being queued as an orphan, a reaper sweeping
//! and re-arming, listeners draining the pipe, and a task waiting for the exit. Under
//! every interleaving the exit is never missed: a waiting task completes (else loom
//! reports a deadlock), and once the listeners have drained, no exited orphan is left.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-reactor --test loom_reaper --target-dir target/loom
//! ```
#![cfg(weft_loom)]

mod loom_common;

use std::future::poll_fn;
use std::task::Context;

use loom_common::{block_on, model, noop_waker, ModelPipe, PipeWakeup};
use weft_core::loom::sync::atomic::{AtomicBool, Ordering};
use weft_core::loom::sync::Arc;
use weft_core::loom::thread;
use weft_reactor::protocol::{Listener, Orphan, Reaper, Registry, SigchldWait};

const SIGCHLD: i32 = 17;
const OTHER: i32 = 10;

fn registry() -> Arc<Registry> {
    Arc::new(Registry::new(Box::new(PipeWakeup(ModelPipe::new()))))
}

/// A child process: `waitpid` sees it once it has exited.
#[derive(Default)]
struct Child {
    exited: AtomicBool,
    reaped: AtomicBool,
}

impl Child {
    fn new() -> Arc<Child> {
        Arc::new(Child::default())
    }

    /// The child exits: the kernel marks it, then sends `SIGCHLD`. (Release/acquire only:
    /// the model assumes no more of the kernel's process table than that.)
    fn exit(&self, registry: &Registry) {
        self.exited.store(true, Ordering::Release);
        registry.deliver(SIGCHLD);
    }

    /// `waitpid(pid, WNOHANG)`.
    fn has_exited(&self) -> bool {
        self.exited.load(Ordering::Acquire)
    }
}

/// The reaper's handle on a child (its `std::process::Child`).
struct Orphaned(Arc<Child>);

impl Orphan for Orphaned {
    fn try_reap(&mut self) -> bool {
        let gone = self.0.has_exited();
        if gone {
            self.0.reaped.store(true, Ordering::Release);
        }
        gone
    }
}

/// A listener of some other signal, as any task of the process may have: one poll
/// registers it, drains the pipe and runs the wake pass.
fn poll_once(listener: &mut Listener) {
    let waker = noop_waker();
    assert!(listener
        .poll_recv(&mut Context::from_waker(&waker))
        .is_pending());
}

#[test]
fn an_orphan_queued_while_it_exits_is_reaped() {
    model(|| {
        let registry = registry();
        let reaper = Reaper::<Orphaned>::new();
        let child = Child::new();
        let mut listener = Listener::new_in(registry.clone(), OTHER);
        poll_once(&mut listener);
        let dropper = {
            let (registry, reaper, child) = (registry.clone(), reaper.clone(), child.clone());
            // What dropping a `Child` does: watch SIGCHLD, then queue it.
            thread::spawn(move || {
                reaper.watch(&registry, SIGCHLD);
                reaper.push(Orphaned(child));
            })
        };
        let exit = {
            let (registry, child) = (registry.clone(), child.clone());
            thread::spawn(move || child.exit(&registry))
        };
        let drainer = thread::spawn(move || {
            poll_once(&mut listener);
            listener
        });
        dropper.join().unwrap();
        exit.join().unwrap();
        let mut listener = drainer.join().unwrap();
        poll_once(&mut listener); // the process goes on: its listeners poll again
        assert_eq!(reaper.pending(), 0, "an exited orphan was never reaped");
        assert!(child.reaped.load(Ordering::Acquire));
    });
}

#[test]
fn a_woken_reaper_misses_no_delivery_drained_elsewhere_while_it_sweeps() {
    model(|| {
        let registry = registry();
        let reaper = Reaper::<Orphaned>::new();
        reaper.watch(&registry, SIGCHLD);
        let (first, second) = (Child::new(), Child::new());
        reaper.push(Orphaned(first.clone()));
        reaper.push(Orphaned(second.clone()));
        // Two listeners (two reactors' readers of the pipe), then the first exit.
        let mut a = Listener::new_in(registry.clone(), OTHER);
        let mut b = Listener::new_in(registry.clone(), OTHER);
        poll_once(&mut a);
        poll_once(&mut b);
        first.exit(&registry);
        // `a` drains the first exit's byte, and its wake pass runs the reaper's sweep ...
        let sweeper = thread::spawn(move || {
            poll_once(&mut a);
            a
        });
        // ... while the second child exits and `b` drains that byte.
        let exit = {
            let (registry, second) = (registry.clone(), second.clone());
            thread::spawn(move || second.exit(&registry))
        };
        let drainer = thread::spawn(move || {
            poll_once(&mut b);
            b
        });
        let mut a = sweeper.join().unwrap();
        exit.join().unwrap();
        let b = drainer.join().unwrap();
        poll_once(&mut a);
        assert_eq!(reaper.pending(), 0, "an exited orphan was never reaped");
        drop((a, b));
    });
}

#[test]
fn a_child_waited_for_through_sigchld_sees_its_exit() {
    model(|| {
        let registry = registry();
        let child = Child::new();
        let exit = {
            let (registry, child) = (registry.clone(), child.clone());
            thread::spawn(move || child.exit(&registry))
        };
        let mut wait = SigchldWait::default();
        block_on(poll_fn(|cx| {
            wait.poll_exit(&registry, SIGCHLD, cx, || {
                Ok(child.has_exited().then_some(()))
            })
        }))
        .unwrap();
        exit.join().unwrap();
    });
}
