//! What the tests and loom models of every crate below the facade share: a `block_on` that
//! parks on the shim's mutex and condition variable (so it runs unchanged under loom, at any
//! preemption bound), and a `model` that reports how many interleavings loom explored.
//! Not part of any runtime; hidden from the docs.
//!
//! ```
//! let out = weft_core::test_support::block_on(async { 1 + 1 });
//! assert_eq!(out, 2);
//! ```

use std::future::Future;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use crate::coop;
use crate::loom::sync::{Arc, Condvar, Mutex};

/// A waker with a token, on the shim's mutex and condition variable. Not `thread::park`:
/// loom aborts when an `unpark` reaches a thread blocked in `join` (loom issue #249), and a
/// late wake-up may well come while the woken thread joins another; that limited the models
/// that used it to two preemptions.
struct Parker {
    woken: Mutex<bool>,
    condvar: Condvar,
}

/// The waker side; the `Arc` is the shim's, so loom tracks it.
struct Unparker(Arc<Parker>);

impl Wake for Unparker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        *self.0.woken.lock() = true;
        self.0.condvar.notify_one();
    }
}

/// Polls `future` on this thread until it is ready, sleeping on a condition variable in
/// between; each poll gets a fresh cooperative budget, as a runtime's `block_on` gives. Under
/// loom, a wake-up that never comes is reported as a deadlock.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let parker = Arc::new(Parker {
        woken: Mutex::new(false),
        condvar: Condvar::new(),
    });
    let waker = Waker::from(StdArc::new(Unparker(parker.clone())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut cx)) {
            return out;
        }
        let mut woken = parker.woken.lock();
        while !*woken {
            woken = parker.condvar.wait(woken);
        }
        *woken = false;
    }
}

/// `loom::model`, printing how many interleavings it explored (see them with
/// `-- --nocapture`).
#[cfg(weft_loom)]
pub fn model<F: Fn() + Send + Sync + 'static>(f: F) {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let runs = StdArc::new(AtomicUsize::new(0));
    let r = runs.clone();
    crate::loom::model(move || {
        r.fetch_add(1, SeqCst);
        f()
    });
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!("{name}: {} interleavings", runs.load(SeqCst));
}
