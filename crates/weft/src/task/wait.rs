//! [`wait`]: asyncio's `wait(tasks, return_when=...)`, splitting task handles into those
//! that are done and those still pending.

use std::fmt;
use std::future::{ready, Future, IntoFuture, Ready};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weft_core::coop;
use weft_future::ReadySet;

use super::{Id, JoinError, JoinHandle};
use crate::time::Sleep;

/// When [`wait`] returns: asyncio's `return_when`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Until {
    /// As soon as one task has finished (`FIRST_COMPLETED`).
    FirstCompleted,
    /// As soon as one task has failed, or when all have finished (`FIRST_EXCEPTION`). A
    /// task fails if it panicked or was aborted (a [`JoinError`]), or if its output says so
    /// ([`Outcome::is_failure`]: an `Err` for a `Result` output).
    FirstError,
    /// When every task has finished (`ALL_COMPLETED`).
    AllCompleted,
}

/// Whether a task's output is a failure, for [`Until::FirstError`]: implemented for
/// `Result` (an `Err` is a failure) and `()` (never one).
///
/// For another output type, implement it (`impl Outcome for MyOutput {}` when no output of
/// it is a failure: the default method says `false`), or call [`wait_by`], which takes the
/// test as a closure and accepts any output type.
///
/// ```
/// use weft::task::{wait, Outcome, Until};
///
/// struct Reply { status: u16 }
/// impl Outcome for Reply {
///     fn is_failure(&self) -> bool { self.status >= 500 }
/// }
///
/// weft::run(async {
///     let handles = vec![
///         weft::spawn(async { Reply { status: 200 } }),
///         weft::spawn(async { Reply { status: 503 } }),
///     ];
///     let (done, pending) = wait(handles, Until::FirstError).await;
///     assert!(done.iter().any(|d| d.result().as_ref().is_ok_and(|r| r.status == 503)));
///     # drop(pending);
/// });
/// ```
#[diagnostic::on_unimplemented(
    message = "`wait` needs to know whether a `{Self}` output is a failure (for `Until::FirstError`)",
    label = "`{Self}` does not implement `weft::task::Outcome`",
    note = "for outputs that are not a `Result`, use `weft::task::wait_by(handles, until, |output| false)`, or implement `Outcome` for your type"
)]
pub trait Outcome {
    /// `true` if this output counts as a failure; `false` by default.
    fn is_failure(&self) -> bool {
        false
    }
}

impl<T, E> Outcome for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}

impl Outcome for () {}

/// Waits on spawned tasks until `until` holds, then returns `(done, pending)`: the tasks
/// that have finished, with their outputs, in the order they finished, and the handles of
/// those still running, in the order given. asyncio's `asyncio.wait(tasks, return_when=...)`.
///
/// The tasks in `pending` keep running (`wait` aborts nothing) and their handles can be
/// awaited, aborted or passed to `wait` again. `done` holds each finished task's
/// [`Done`]: its id and outcome, awaitable without waiting. An empty `handles` returns at
/// once with two empty vectors.
///
/// [`Until::FirstError`] asks the output of each finished task whether it is a failure
/// ([`Outcome`]: an `Err` of a `Result`); a panic or an abort always is. For outputs without
/// [`Outcome`], use [`wait_by`].
///
/// ```
/// use std::time::Duration;
/// use weft::task::{wait, Until};
/// use weft::time::sleep;
///
/// weft::run(async {
///     let handles: Vec<_> = [30u64, 10, 60_000]
///         .into_iter()
///         .map(|ms| weft::spawn(async move {
///             sleep(Duration::from_millis(ms)).await;
///             if ms == 30 { Err(format!("{ms} ms: failed")) } else { Ok(ms) }
///         }))
///         .collect();
///
///     // FIRST_COMPLETED: the 10 ms task.
///     let (done, pending) = wait(handles, Until::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!(done.into_iter().next().unwrap().await.unwrap(), Ok(10));
///     assert_eq!(pending.len(), 2);
///
///     // FIRST_EXCEPTION on the rest: the 30 ms task's Err stops it.
///     let (done, pending) = wait(pending, Until::FirstError).await;
///     assert!(done[0].result().as_ref().unwrap().is_err());
///     assert_eq!(pending.len(), 1); // the 60 s task, still running
///     pending[0].abort();
/// });
/// ```
///
/// # Time-outs
///
/// asyncio's `timeout=` is [`WaitHandles::timeout`]: when the time is up, `wait` returns what is
/// done so far and the rest as `pending`, still running. Composing with
/// [`weft::time::timeout`](crate::time::timeout()) works too, but its time-out drops the
/// `WaitHandles`, and with it the handles (the tasks run on, detached):
///
/// ```
/// use std::time::Duration;
/// use weft::task::{wait, Until};
///
/// weft::run(async {
///     let slow = || weft::spawn(weft::time::sleep(Duration::from_secs(60)));
///
///     let (done, pending) = wait(vec![slow(), slow()], Until::AllCompleted)
///         .timeout(Duration::from_millis(10))
///         .await;
///     assert!(done.is_empty());
///     assert_eq!(pending.len(), 2);
///     pending.iter().for_each(|h| h.abort());
///
///     // All or nothing: on time-out the handles are gone (detached).
///     let timed_out = weft::time::timeout(
///         Duration::from_millis(10),
///         wait(vec![slow()], Until::AllCompleted),
///     );
///     assert!(timed_out.await.is_err());
/// });
/// ```
pub fn wait<T, I>(handles: I, until: Until) -> WaitHandles<T>
where
    I: IntoIterator<Item = JoinHandle<T>>,
    T: Outcome,
{
    wait_by(handles, until, T::is_failure)
}

/// Like [`wait`], with `is_failure` saying which outputs are failures for
/// [`Until::FirstError`]: for any output type (a panic or an abort is always a failure).
///
/// ```
/// use weft::task::{wait_by, Until};
///
/// weft::run(async {
///     let handles = vec![weft::spawn(async { 1u32 }), weft::spawn(async { panic!("boom") })];
///     // Plain outputs: no output is a failure; only the panic stops the wait early.
///     let (done, pending) = wait_by(handles, Until::FirstError, |_: &u32| false).await;
///     assert!(done.iter().any(|d| d.result().as_ref().is_err_and(|e| e.is_panic())));
///     # drop(pending);
///
///     // Or a test of the output: here, zero is an error code.
///     let handles = vec![weft::spawn(async { 0u32 })];
///     let (done, _) = wait_by(handles, Until::FirstError, |code: &u32| *code == 0).await;
///     assert_eq!(done.len(), 1);
/// });
/// ```
pub fn wait_by<T, I, F>(handles: I, until: Until, is_failure: F) -> WaitHandles<T, F>
where
    I: IntoIterator<Item = JoinHandle<T>>,
    F: FnMut(&T) -> bool,
{
    let pending: Vec<_> = handles.into_iter().map(Some).collect();
    let left = pending.len();
    WaitHandles {
        ready: ReadySet::with_ready(left),
        pending,
        left,
        done: Vec::new(),
        until,
        is_failure,
        timeout: None,
        finished: false,
    }
}

/// The future of [`wait`] and [`wait_by`]: resolves to `(done, pending)`.
///
/// Only the tasks that finished are looked at when it wakes (each handle gets its own
/// waker, as in [`JoinSet`](super::JoinSet)), never the whole list. Dropping it before it
/// completes drops the handles it holds: their tasks run on, detached.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitHandles<T, F = fn(&T) -> bool> {
    /// The handles given, in order; `None` once finished (moved to `done`).
    pending: Vec<Option<JoinHandle<T>>>,
    /// Entry `i` is handle `i`.
    ready: ReadySet,
    /// Handles still in `pending`.
    left: usize,
    done: Vec<Done<T>>,
    until: Until,
    is_failure: F,
    timeout: Option<Sleep>,
    finished: bool,
}

// Nothing in a `WaitHandles` is pinned: the handles and the sleep are `Unpin`, `is_failure` is
// only called through `&mut`.
impl<T, F> Unpin for WaitHandles<T, F> {}

impl<T, F> WaitHandles<T, F> {
    /// Returns after `duration` at the latest, with what is done by then: asyncio's
    /// `wait(..., timeout=...)`. The time starts now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft::task::{wait, Until};
    ///
    /// weft::run(async {
    ///     let quick = weft::spawn(async { Ok::<_, ()>(1) });
    ///     let stuck = weft::spawn(std::future::pending());
    ///     let (done, pending) = wait(vec![quick, stuck], Until::AllCompleted)
    ///         .timeout(Duration::from_millis(20))
    ///         .await;
    ///     assert_eq!(done.len(), 1);
    ///     assert_eq!(pending.len(), 1); // still running: abort it, await it, wait again
    ///     pending[0].abort();
    /// });
    /// ```
    #[track_caller]
    pub fn timeout(mut self, duration: Duration) -> WaitHandles<T, F> {
        self.timeout = Some(crate::time::sleep(duration));
        self
    }

    /// Moves the handles that finished without waking us yet to `done`, and splits.
    fn finish(&mut self) -> (Vec<Done<T>>, Vec<JoinHandle<T>>) {
        self.finished = true;
        let mut done = std::mem::take(&mut self.done);
        let mut pending = Vec::with_capacity(self.left);
        let mut cx = Context::from_waker(Waker::noop());
        for mut handle in self.pending.drain(..).flatten() {
            if handle.is_finished() {
                // Finished: the output is there, whatever the budget says.
                let polled = coop::unconstrained(|| Pin::new(&mut handle).poll(&mut cx));
                if let Poll::Ready(result) = polled {
                    done.push(Done::new(&handle, result));
                    continue;
                }
            }
            pending.push(handle);
        }
        self.left = 0;
        (done, pending)
    }
}

impl<T, F> Future for WaitHandles<T, F>
where
    F: FnMut(&T) -> bool,
{
    type Output = (Vec<Done<T>>, Vec<JoinHandle<T>>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "`wait` polled after it completed");
        if this.left > 0 {
            // With the budget spent every handle would answer `Pending`: come back later.
            drop(std::task::ready!(coop::poll_proceed(cx)));
            let WaitHandles {
                pending,
                ready,
                left,
                done,
                until,
                is_failure,
                ..
            } = this;
            let stopped = ready.poll_next(Some(cx.waker()), |index, cx| {
                let Some(handle) = pending[index].as_mut() else {
                    return Poll::Pending; // a stale wake of a finished handle
                };
                let result = std::task::ready!(Pin::new(handle).poll(cx));
                let handle = pending[index].take().expect("checked just above");
                *left -= 1;
                let failed = match &result {
                    Ok(output) => is_failure(output),
                    Err(_) => true,
                };
                done.push(Done::new(&handle, result));
                let stop = *left == 0
                    || match until {
                        Until::FirstCompleted => true,
                        Until::FirstError => failed,
                        Until::AllCompleted => false,
                    };
                if stop {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            });
            if stopped.is_pending() {
                let timed_out = match &mut this.timeout {
                    Some(sleep) => Pin::new(sleep).poll(cx).is_ready(),
                    None => false,
                };
                if !timed_out {
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(this.finish())
    }
}

impl<T, F> fmt::Debug for WaitHandles<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitHandles")
            .field("until", &self.until)
            .field("done", &self.done.len())
            .field("pending", &self.left)
            .finish()
    }
}

/// A task that [`wait`] found finished: its id and its outcome, what awaiting its
/// `JoinHandle` gives. Awaiting a `Done` gives the outcome at once.
///
/// ```
/// weft::run(async {
///     let (done, _) = weft::task::wait(vec![weft::spawn(async {})], weft::task::Until::AllCompleted).await;
///     for task in done {
///         println!("task {} finished", task.id());
///         task.await.unwrap(); // no waiting: it is done
///     }
/// });
/// ```
pub struct Done<T> {
    id: Id,
    result: Result<T, JoinError>,
}

impl<T> Done<T> {
    fn new(handle: &JoinHandle<T>, result: Result<T, JoinError>) -> Done<T> {
        Done {
            id: handle.id(),
            result,
        }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The task's outcome: `Ok(output)`, or the [`JoinError`] if it panicked or was aborted.
    pub fn result(&self) -> &Result<T, JoinError> {
        &self.result
    }

    /// The task's outcome, taken.
    pub fn into_result(self) -> Result<T, JoinError> {
        self.result
    }
}

impl<T> IntoFuture for Done<T> {
    type Output = Result<T, JoinError>;
    type IntoFuture = Ready<Result<T, JoinError>>;

    fn into_future(self) -> Self::IntoFuture {
        ready(self.result)
    }
}

impl<T: fmt::Debug> fmt::Debug for Done<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("id", &self.id)
            .field("result", &self.result)
            .finish()
    }
}
