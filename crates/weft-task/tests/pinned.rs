//! A task's future is pinned inside the task allocation, so it must also be *dropped* there:
//! a future that borrows its own locals across an `.await` (`while let Ok(x) =
//! queue.get().await`, `mutex.lock().await`) has pointers into itself, and its destructor
//! follows them. Every way a task can end while its future is still pending (abort, shutdown
//! of its owner, the last reference going away) must drop the future at the address it was
//! polled at.

mod common;

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use common::{poll_with, Exec};
use weft_task::{Dispatch, Hint, Runnable};

/// Pending for ever; remembers where it was polled and, when dropped, reports whether it
/// is still there: 1 = dropped in place, 2 = moved before its destructor ran.
struct StaysPut {
    polled_at: AtomicUsize,
    verdict: Arc<AtomicUsize>,
    _pinned: PhantomPinned,
}

const IN_PLACE: usize = 1;
const MOVED: usize = 2;

impl StaysPut {
    fn new() -> (StaysPut, Arc<AtomicUsize>) {
        let verdict = Arc::new(AtomicUsize::new(0));
        let fut = StaysPut {
            polled_at: AtomicUsize::new(0),
            verdict: verdict.clone(),
            _pinned: PhantomPinned,
        };
        (fut, verdict)
    }
}

impl Future for StaysPut {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let this = self.as_ref().get_ref();
        this.polled_at
            .store(this as *const StaysPut as usize, SeqCst);
        Poll::Pending
    }
}

impl Drop for StaysPut {
    fn drop(&mut self) {
        let polled_at = self.polled_at.load(SeqCst);
        if polled_at != 0 {
            let here = self as *const StaysPut as usize;
            let verdict = if here == polled_at { IN_PLACE } else { MOVED };
            self.verdict.store(verdict, SeqCst);
        }
    }
}

#[test]
fn an_aborted_task_drops_its_future_in_place() {
    let ex = Exec::new();
    let (fut, verdict) = StaysPut::new();
    let mut handle = ex.spawn(fut);
    assert_eq!(ex.run_until_idle(), 1);
    handle.abort();
    ex.run_until_idle();
    assert!(poll_with(&mut handle, std::task::Waker::noop()).is_ready());
    assert_eq!(
        verdict.load(SeqCst),
        IN_PLACE,
        "the future was moved before its drop"
    );
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn shutdown_drops_pending_futures_in_place() {
    let ex = Exec::new();
    let (fut, verdict) = StaysPut::new();
    let _handle = ex.spawn(fut);
    assert_eq!(ex.run_until_idle(), 1);
    ex.shutdown();
    assert_eq!(
        verdict.load(SeqCst),
        IN_PLACE,
        "the future was moved before its drop"
    );
}

/// A dispatcher for tasks with no owner list.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Runnable>>>);

impl Dispatch for Collect {
    fn dispatch(&self, task: Runnable, _: Hint) {
        self.0.lock().unwrap().push(task)
    }
}

#[test]
fn the_last_reference_drops_a_pending_future_in_place() {
    let queue = Collect::default();
    let (fut, verdict) = StaysPut::new();
    let (runnable, handle) = weft_task::spawn(fut, queue.clone(), None);
    runnable.run(); // polled once; it keeps no waker, so nothing can wake it again
    assert_eq!(verdict.load(SeqCst), 0);
    drop(handle); // the last reference: the task is freed with its future still pending
    assert_eq!(
        verdict.load(SeqCst),
        IN_PLACE,
        "the future was moved before its drop"
    );
}
