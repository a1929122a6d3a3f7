//! Blocking a plain thread on one of this crate's futures: the engine behind the
//! `blocking_*` methods (`blocking_send`, `blocking_recv`, `blocking_lock`, ...), for threads
//! outside any runtime (a `spawn_blocking` job feeding async tasks, a thread of a sync
//! library).
//!
//! The thread parks until the future's waker unparks it. Called on a thread that is inside
//! a weft runtime it panics instead: blocking there would stall a worker and every task
//! queued behind it (tokio panics the same way).

use std::future::Future;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use weft_core::loom::sync::atomic::{AtomicBool, Ordering};
use weft_core::loom::sync::Arc;
use weft_core::loom::thread::{self, Thread};

struct Unparker {
    thread: Thread,
    woken: Arc<AtomicBool>,
}

impl Wake for Unparker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Runs `future` to completion on this thread, parking between polls.
///
/// # Panics
///
/// Inside a weft runtime (a worker thread or a `block_on`), with a message naming `what`.
#[track_caller]
pub(crate) fn block_on<F: Future>(what: &str, future: F) -> F::Output {
    assert!(
        !weft_core::context::in_runtime(),
        "`{what}` was called inside a runtime, where blocking would stall a worker; \
         `.await` the async version instead, or call it from `spawn_blocking` or a plain thread"
    );
    let woken = Arc::new(AtomicBool::new(false));
    let waker = Waker::from(StdArc::new(Unparker {
        thread: thread::current(),
        woken: woken.clone(),
    }));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        while !woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}
