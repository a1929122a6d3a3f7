//! A blocking job as a `weft_task` task: the future that runs the closure. Where its
//! `Runnable` goes is the caller's `Dispatch` (the pool's queue, `pool::Pool`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_task::{Dispatch, JoinHandle, Runnable};

/// Makes the task of job `f`, scheduled through `dispatch`: its first `Runnable` (to be
/// queued) and the `JoinHandle` for the caller.
#[track_caller]
pub(crate) fn task<F, R>(f: F, dispatch: impl Dispatch) -> (Runnable, JoinHandle<R>)
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    // No task list: a blocking job cannot be cancelled once it runs, and the pool cancels the
    // queued ones itself at shutdown.
    weft_task::spawn_blocking_job(BlockingTask(Some(f)), dispatch, None)
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
