//! Loom models of the ready list behind `join_all` and `JoinSet` (`src/ready.rs`):
//! children woken from other threads while the parent polls, registers its waker and
//! empties the stack. Under every interleaving: no wake-up is lost (a lost one leaves the
//! parent parked for ever, which loom reports as a deadlock), every child is polled again
//! after its wake, and `join_all` returns every output in order.
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test --release -p weft-future --test loom_ready --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::Mutex;
use weft_core::loom::thread;
// The parent's `block_on` sleeps on the shim's mutex and condition variable, not
// `thread::park`: loom aborts when an `unpark` reaches a thread blocked in `join` (loom issue
// #249), which kept this model at two preemptions; a lost wake-up is still a loom deadlock.
use weft_core::test_support::{block_on, model};

/// An event source a child waits on: `fire` counts up and wakes the registered waker.
struct Source {
    fired: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

impl Source {
    fn new() -> Arc<Source> {
        Arc::new(Source {
            fired: AtomicUsize::new(0),
            waker: Mutex::new(None),
        })
    }

    fn fire(&self) {
        self.fired.fetch_add(1, SeqCst);
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A child that completes with `out` once its source has fired `need` times.
struct Child {
    source: Arc<Source>,
    need: usize,
    out: usize,
}

impl Future for Child {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        if self.source.fired.load(SeqCst) >= self.need {
            return Poll::Ready(self.out);
        }
        *self.source.waker.lock() = Some(cx.waker().clone());
        // Checked again after registering: a fire in between took no waker.
        if self.source.fired.load(SeqCst) >= self.need {
            return Poll::Ready(self.out);
        }
        Poll::Pending
    }
}

/// `join_all` keeps a ready list only above 16 children: pads `children` with children
/// that are ready at once (outputs 100, 101, ...), ahead of them.
fn with_ready_children(children: Vec<Child>) -> Vec<Child> {
    let done = Source::new();
    let mut all: Vec<Child> = (0..16)
        .map(|i| Child {
            source: done.clone(),
            need: 0,
            out: 100 + i,
        })
        .collect();
    all.extend(children);
    all
}

/// The outputs `join_all(with_ready_children(..))` gives: the padding's, then `tail`.
fn padded(tail: &[usize]) -> Vec<usize> {
    (100..116).chain(tail.iter().copied()).collect()
}

#[test]
fn wakes_from_two_threads_are_never_lost() {
    model(|| {
        let (a, b) = (Source::new(), Source::new());
        let children = vec![
            Child {
                source: a.clone(),
                need: 1,
                out: 10,
            },
            Child {
                source: b.clone(),
                need: 1,
                out: 11,
            },
        ];
        let ta = thread::spawn(move || a.fire());
        let tb = thread::spawn(move || b.fire());
        let all = with_ready_children(children);
        assert_eq!(block_on(weft_future::join_all(all)), padded(&[10, 11]));
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

#[test]
fn a_child_woken_again_while_queued_or_polled_is_polled_again() {
    model(|| {
        // One child needs two fires, from two threads: its second wake may land while it
        // is still queued (deduped), while the parent polls it, or after.
        let source = Source::new();
        let children = vec![Child {
            source: source.clone(),
            need: 2,
            out: 7,
        }];
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let source = source.clone();
                thread::spawn(move || source.fire())
            })
            .collect();
        let all = with_ready_children(children);
        assert_eq!(block_on(weft_future::join_all(all)), padded(&[7]));
        threads.into_iter().for_each(|t| t.join().unwrap());
    });
}
