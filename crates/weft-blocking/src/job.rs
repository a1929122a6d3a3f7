//! A blocking job as a `weft_task` task: the future that runs the closure, and the
//! `Dispatch` that hands the task's `Runnable` to the pool.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::loom::sync::Arc;
use weft_task::{Dispatch, Hint, JoinHandle, Runnable};

use crate::pool::Inner;

/// Makes the task of job `f` for the pool `inner`: its first `Runnable` (to be queued) and
/// the `JoinHandle` for the caller.
#[track_caller]
pub(crate) fn task<F, R>(f: F, inner: Arc<Inner>) -> (Runnable, JoinHandle<R>)
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    // No task list: a blocking job cannot be cancelled once it runs, and the pool cancels the
    // queued ones itself at shutdown.
    weft_task::spawn_blocking_job(BlockingTask(Some(f)), Pool(inner), None)
}

/// The future of a blocking job: runs the closure in its one and only poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("blocking job polled twice");
        // A blocking job is not cooperative: no budget applies to it.
        Poll::Ready(weft_core::coop::unconstrained(f))
    }
}

/// Where a job's `Runnable` goes: the pool's queue. A job is scheduled once, when spawned;
/// its one poll never returns `Pending`, so it is never woken.
struct Pool(Arc<Inner>);

impl Dispatch for Pool {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        crate::pool::submit(&self.0, task);
    }
}
