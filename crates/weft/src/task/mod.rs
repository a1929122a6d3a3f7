//! Tasks: spawning, handles, ids, names, [`JoinSet`] for groups of tasks,
//! [`as_completed`] for outputs in completion order, [`scope`] for structured concurrency
//! and [`wait`] to split tasks into done and pending.
//!
//! A task is a future the runtime polls on its own, concurrently with everything else:
//! asyncio's `create_task`. [`spawn`] returns a [`JoinHandle`] to await its output, abort
//! it or ask whether it is done.
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.create_task(coro)` | [`spawn`]`(fut)` |
//! | `async with asyncio.TaskGroup() as tg:` | [`scope`]`(async \|tg\| { .. }).await` ([`TaskGroup`]) |
//! | `asyncio.gather(*tasks)` | [`join_all`](crate::future::join_all) over the handles |
//! | `gather(*tasks, return_exceptions=True)` | the same: each output is a `Result<T, JoinError>` |
//! | `asyncio.wait(tasks, return_when=...)` | [`wait`]`(handles, Until::..)` |
//! | `asyncio.wait(..., timeout=t)` | [`wait`]`(..).`[`timeout`](WaitHandles::timeout)`(t)` |
//! | `asyncio.as_completed(aws)` | [`as_completed`], or a [`JoinSet`] |
//! | `asyncio.wait_for(task, t)` (cancels it) | `time::timeout(t, handle.`[`abort_on_drop`](JoinHandle::abort_on_drop)`())` |
//! | `task.cancel()` | [`JoinHandle::abort`] |
//!
//! # gather and `return_exceptions`
//!
//! Joining the [`JoinHandle`]s of spawned tasks with
//! [`join_all`](crate::future::join_all) is `gather(..., return_exceptions=True)`: every
//! task is awaited, and a panic or abort comes back as that task's `Err(JoinError)` next
//! to the others' outputs. [`try_join_all`](crate::future::try_join_all) is the default
//! `gather`: it returns at the first `JoinError`; the other tasks run on unless their
//! handles abort on drop ([`JoinHandle::abort_on_drop`]). To stop at a task's own `Err`
//! too, and cancel the rest, use a [`scope`].
//!
//! ```
//! use weft::future::{join_all, try_join_all};
//!
//! weft::run(async {
//!     // return_exceptions=True: all outcomes, failures included, in order.
//!     let handles = vec![
//!         weft::spawn(async { 1 }),
//!         weft::spawn(async { panic!("boom") }),
//!         weft::spawn(async { 3 }),
//!     ];
//!     let outcomes = join_all(handles).await;
//!     assert_eq!(outcomes[0].as_ref().unwrap(), &1);
//!     assert!(outcomes[1].as_ref().unwrap_err().is_panic());
//!     assert_eq!(outcomes[2].as_ref().unwrap(), &3);
//!
//!     // The default: the first failure is the result, the stragglers are cancelled.
//!     let handles = vec![
//!         weft::spawn(std::future::pending::<u32>()).abort_on_drop(),
//!         weft::spawn(async { panic!("boom") }).abort_on_drop(),
//!     ];
//!     let first = try_join_all(handles).await;
//!     assert!(first.unwrap_err().is_panic());
//! });
//! ```

mod as_completed;
mod group;
mod group_error;
mod join_set;
mod wait;

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use as_completed::{as_completed, AsCompleted};
pub use group::{scope, GroupHandle, TaskGroup};
pub use group_error::{Failure, GroupError};
pub use join_set::JoinSet;
pub use wait::{wait, wait_by, Done, Outcome, Until, WaitHandles};
pub use weft_core::introspect::{Wait, WaitKind};
pub use weft_task::{AbortHandle, AbortOnDrop, Id, JoinError, JoinHandle, TaskInfo, TaskState};

use crate::runtime::{context, Handle};

/// Spawns `future` as a new task on the current runtime and returns its [`JoinHandle`]:
/// asyncio's `create_task`.
///
/// The task starts running at once, in parallel with the caller. Awaiting the handle gives
/// `Ok(output)`, or a [`JoinError`] if the task panicked (the panic never takes down a
/// worker) or was aborted. Dropping the handle lets the task run on, detached.
///
/// ```
/// weft::run(async {
///     let handle = weft::spawn(async { "done" });
///     assert_eq!(handle.await.unwrap(), "done");
///
///     let boom = weft::spawn(async { panic!("boom") });
///     assert!(boom.await.unwrap_err().is_panic());
/// });
/// ```
///
/// # Panics
///
/// Outside a runtime (use [`Handle::spawn`] with a kept handle there). Spawning on a
/// runtime that has shut down does not panic: the handle resolves to a cancelled
/// [`JoinError`].
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_named(future, None, Location::caller())
}

fn spawn_named<F>(
    future: F,
    name: Option<&str>,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn_inner(future, name, location),
        None => panic!(
            "weft::spawn called outside a weft runtime (at {location}): spawn from inside \
             `weft::run`, `Runtime::block_on` or another task, or use `Handle::spawn` with a \
             handle kept from `Runtime::handle()`"
        ),
    })
}

/// Runs the blocking function `f` on the runtime's blocking pool and returns a handle to its
/// result: asyncio's `run_in_executor` / `to_thread`.
///
/// Use it for work that would stall a worker thread: blocking system calls, synchronous
/// libraries, long computations. The pool grows on demand up to
/// [`Builder::max_blocking_threads`](crate::runtime::Builder::max_blocking_threads).
/// A blocking job cannot be interrupted once it runs; `abort` only cancels it before that.
///
/// ```
/// weft::run(async {
///     let len = weft::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()))
///         .await
///         .unwrap();
///     assert!(len.is_ok());
/// });
/// ```
///
/// # Panics
///
/// Outside a runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    // The handle is cloned out of the closure: `#[track_caller]` does not reach through a
    // closure, and the job's spawn location must be the caller's, not this line.
    let Some(handle) = context::with_current(|handle| handle.cloned()) else {
        panic!(
            "weft::spawn_blocking called outside a weft runtime (at {}): call it from inside \
             the runtime, or use `Handle::spawn_blocking`",
            Location::caller()
        )
    };
    handle.spawn_blocking(f)
}

/// Yields to the scheduler: the current task goes to the back of its worker's queue and
/// the tasks waiting there run first. asyncio's `await asyncio.sleep(0)`.
///
/// ```
/// weft::run(async {
///     for _ in 0..3 {
///         weft::task::yield_now().await;
///     }
/// });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking ourselves during our own poll is how a task yields: the scheduler gets it
        // back with `Hint::Yield` once this poll returns. Polled directly by a weft task's
        // runner, the runner is told instead, and marks the task notified in the state
        // change it makes after the poll anyway (one locked instruction less a yield).
        if !weft_core::context::yield_current(cx.waker()) {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// The id of the task this code runs in: asyncio's `current_task()`. The future given to
/// `block_on` / `weft::run` is a task too (asyncio's main task), with its own id.
///
/// ```
/// weft::run(async {
///     let handle = weft::spawn(async { weft::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
///     assert_ne!(weft::task::id(), id, "the main future has an id of its own");
/// });
/// ```
///
/// # Panics
///
/// Outside a task (see [`try_id`]).
#[track_caller]
pub fn id() -> Id {
    try_id().expect("weft::task::id() called outside of a task; use try_id() to check")
}

/// The id of the task this code runs in, or `None` outside a task.
///
/// ```
/// assert_eq!(weft::task::try_id(), None);
/// weft::run(async { assert!(weft::task::try_id().is_some()) });
/// ```
pub fn try_id() -> Option<Id> {
    weft_task::try_current_id()
}

/// The name of the task this code runs in, if it was given one (`task::Builder::name`;
/// the main future of `weft::run` and `#[weft::main]` is named `"main"`).
///
/// ```
/// weft::run(async {
///     assert_eq!(weft::task::name().as_deref(), Some("main"));
///     let named = weft::task::Builder::new()
///         .name("fetcher")
///         .spawn(async { weft::task::name() });
///     assert_eq!(named.await.unwrap().as_deref(), Some("fetcher"));
///     assert_eq!(weft::spawn(async { weft::task::name() }).await.unwrap(), None);
/// });
/// ```
pub fn name() -> Option<String> {
    weft_task::with_current_name(|name| name.map(str::to_owned))
}

/// Spawns tasks with options: a name (shown by introspection and in debugging output) or a
/// specific runtime.
///
/// Unlike tokio's, `spawn` here returns the `JoinHandle` directly: spawning cannot fail
/// (on a shut-down runtime the handle reports a cancelled `JoinError`).
///
/// ```
/// weft::run(async {
///     let handle = weft::task::Builder::new().name("fetcher").spawn(async { 7 });
///     assert_eq!(handle.await.unwrap(), 7);
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no options set.
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task.
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    /// Spawns on the current runtime; see [`spawn`].
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_named(future, self.name, Location::caller())
    }

    /// Spawns on the runtime of `handle`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_inner(future, self.name, Location::caller())
    }
}
