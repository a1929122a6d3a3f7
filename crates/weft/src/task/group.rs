//! [`scope`] and [`TaskGroup`]: structured concurrency, asyncio 3.11's `TaskGroup`.
//!
//! # How a scope runs
//!
//! The children live in a [`JoinSet`] behind the group's mutex (taken only by `spawn` in the
//! body and by the scope between polls of the body: the same task, so it is never
//! contended). A child's output goes to its [`GroupHandle`] through a oneshot; the set only
//! sees `Result<(), E>`, which is what the scope needs to tell success from failure.
//!
//! 1. While the body runs, each poll of the scope polls the body (catching a panic), then
//!    the set's finished children. A child that failed (an `Err`, a panic, or a
//!    cancellation the group did not ask for) ends this phase: the body is dropped
//!    (cancelled, as asyncio cancels the task that holds the `async with`).
//! 2. On the first failure (a child's, or the body's own `Err` or panic), every child is
//!    aborted.
//! 3. The scope then joins every child, so that each one has really stopped (its future
//!    dropped) before it returns; failures that arrive meanwhile are kept, cancellations
//!    it asked for are not failures.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::{pin, Pin};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_sync::oneshot;

use super::{AbortHandle, Failure, GroupError, Id, JoinError, JoinSet};

/// Runs `body` with a new [`TaskGroup`] and returns once the body and every child spawned
/// into the group have finished: asyncio's `async with asyncio.TaskGroup() as group:`.
///
/// - The first failure, a child's `Err` or panic or the body's own `Err`, cancels (aborts)
///   every other child and cancels the body (its future is dropped); the scope then waits
///   until every child has stopped and returns a [`GroupError`] that says which task failed
///   and carries its `Err` value or panic payload, and every failure after it.
/// - If every child and the body succeed, the scope returns the body's `Ok` value, and the
///   output of each child can be read from its [`GroupHandle`] ([`GroupHandle::output`]),
///   or awaited inside the body.
/// - A panic of the body itself cancels the children too, and is resumed once they have all
///   stopped.
/// - Dropping the scope's future before it completes (for example under
///   [`timeout`](crate::time::timeout())) aborts every child: no child outlives its scope.
///
/// Children are spawned on the current runtime, like [`spawn`](crate::spawn): they are
/// `Send + 'static` and run in parallel with the body; the group itself is borrowed by the
/// body (`async |group|`), so it cannot escape the scope.
///
/// ```
/// use std::time::Duration;
/// use weft::task::Failure;
///
/// async fn fetch(what: &str, ms: u64) -> Result<String, String> {
///     weft::time::sleep(Duration::from_millis(ms)).await;
///     if what == "bad" { Err(format!("{what}: not found")) } else { Ok(what.to_uppercase()) }
/// }
///
/// weft::run(async {
///     // Every child succeeds: outputs are read after the scope, as asyncio's task.result().
///     let (a, b) = weft::task::scope(async |group| {
///         let a = group.spawn(fetch("a", 20));
///         let b = group.spawn(fetch("b", 10));
///         Ok((a, b))
///     })
///     .await
///     .unwrap();
///     assert_eq!((a.output(), b.output()), ("A".to_owned(), "B".to_owned()));
///
///     // One child fails: the slow sibling is cancelled, and the error says who failed.
///     let err = weft::task::scope(async |group| {
///         group.spawn(fetch("slow", 60_000));
///         group.spawn_named("lookup", fetch("bad", 10));
///         Ok(())
///     })
///     .await
///     .unwrap_err();
///     match err.first() {
///         Failure::Err { name, error, .. } => {
///             assert_eq!(name.as_deref(), Some("lookup"));
///             assert_eq!(error, "bad: not found");
///         }
///         other => panic!("unexpected {other:?}"),
///     }
/// });
/// ```
///
/// Use an `async` closure (`async |group| { .. }`, or `async move |group|` to move
/// captured values in): the body borrows the group, which only an async closure can give
/// its future. The error type `E` is shared by the children and the body; annotate it
/// (`Ok::<_, E>(..)`) where nothing else names it.
///
/// Where the scope's future must be `Send` (inside [`spawn`](crate::spawn)), give `E` no
/// lifetime: an error type holding a reference, even a `&'static str`, trips a limitation
/// of today's compiler ("implementation of `AsyncFnOnce` is not general enough"). `String`,
/// `Box<dyn Error + Send + Sync>` or an enum of your own work everywhere.
///
/// # Panics
///
/// Outside a runtime, at the first `spawn`. A panic of `body` is resumed after the
/// children have stopped.
pub async fn scope<E, R, F>(body: F) -> Result<R, GroupError<E>>
where
    F: AsyncFnOnce(&TaskGroup<E>) -> Result<R, E>,
    E: Send + 'static,
{
    let mut group = TaskGroup {
        inner: Mutex::new(Inner {
            set: JoinSet::new(),
            names: HashMap::new(),
        }),
    };
    let mut failures = Vec::new();
    let ended = {
        let mut body = pin!(body(&group));
        poll_fn(|cx| group.poll_body(body.as_mut(), &mut failures, cx)).await
        // The body's future is dropped here: cancelled if it had not finished.
    };
    let inner = group
        .inner
        .get_mut()
        .unwrap_or_else(PoisonError::into_inner);
    let (value, panic) = match ended {
        Ended::Body(Ok(value)) => (Some(value), None),
        Ended::Body(Err(error)) => {
            failures.push(Failure::Body(error));
            (None, None)
        }
        Ended::Panic(payload) => (None, Some(payload)),
        Ended::ChildFailed => (None, None),
    };
    let mut cancelling = false;
    if value.is_none() {
        inner.set.abort_all();
        cancelling = true;
    }
    poll_fn(|cx| inner.poll_drain(&mut cancelling, &mut failures, cx)).await;
    if let Some(payload) = panic {
        panic::resume_unwind(payload);
    }
    match value {
        Some(value) if failures.is_empty() => Ok(value),
        _ => Err(GroupError { failures }),
    }
}

/// A group of child tasks that cannot outlive its scope: the argument of [`scope`]'s body.
///
/// [`spawn`](TaskGroup::spawn) starts a child, a future returning `Result<T, E>`, and
/// gives its [`GroupHandle`]. The children's outputs may differ in type; their error type `E`
/// is the group's.
///
/// | asyncio | weft |
/// |---|---|
/// | `async with asyncio.TaskGroup() as tg:` | `weft::task::scope(async \|tg\| { .. }).await` |
/// | `t = tg.create_task(coro())` | `let t = tg.spawn(fut);` |
/// | `tg.create_task(coro(), name="n")` | `tg.spawn_named("n", fut)` |
/// | `t.result()` after the block | `t.output()` after the scope returned `Ok` |
/// | `await t` inside the block | `t.await` inside the body |
/// | `except* ValueError as eg:` | `Err(group_error)`: [`GroupError::failures`] |
///
/// ```
/// weft::run(async {
///     let squares = weft::task::scope(async |group| {
///         let handles: Vec<_> = (1..=4u64)
///             .map(|i| group.spawn(async move { Ok::<_, std::io::Error>(i * i) }))
///             .collect();
///         // Awaiting a child inside the body gives its output.
///         let mut squares = Vec::new();
///         for handle in handles {
///             squares.push(handle.await);
///         }
///         Ok(squares)
///     })
///     .await
///     .unwrap();
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
pub struct TaskGroup<E> {
    /// Locked by `spawn` (in the body) and by the scope between polls of the body: both in
    /// the scope's task, so it is never contended.
    inner: Mutex<Inner<E>>,
}

struct Inner<E> {
    /// The children; each one's output went to its handle, the set sees whether it failed.
    set: JoinSet<Result<(), E>>,
    /// Names given with `spawn_named`, until the child is joined.
    names: HashMap<Id, Box<str>>,
}

/// How the body's phase of a scope ended.
enum Ended<R, E> {
    Body(Result<R, E>),
    Panic(Box<dyn Any + Send + 'static>),
    /// A child failed (recorded in the failures) while the body ran.
    ChildFailed,
}

impl<E: Send + 'static> TaskGroup<E> {
    fn lock(&self) -> MutexGuard<'_, Inner<E>> {
        // Poisoned only by a panic inside `spawn` (outside a runtime): the set is intact.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Spawns `future` as a child of the group on the current runtime and returns its
    /// handle: asyncio's `group.create_task(coro)`.
    ///
    /// If the child returns `Err` or panics, the group fails: the other children and the
    /// body are cancelled, and [`scope`] returns the error. Otherwise its `Ok` value is the
    /// handle's output.
    ///
    /// ```
    /// weft::run(async {
    ///     let hello = weft::task::scope(async |group| {
    ///         let hello = group.spawn(async { Ok::<_, String>("hello") });
    ///         Ok(hello)
    ///     });
    ///     assert_eq!(hello.await.unwrap().output(), "hello");
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> GroupHandle<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_inner(None, future)
    }

    /// Like [`spawn`](TaskGroup::spawn), naming the child: a failure of the child carries
    /// the name ([`Failure::name`]). asyncio's `create_task(coro, name=...)`.
    ///
    /// The task carries the name too, as [`task::Builder::name`](crate::task::Builder::name)
    /// gives it: [`weft::task::name`](crate::task::name) and the runtime's task dump show it.
    ///
    /// ```
    /// weft::run(async {
    ///     let err = weft::task::scope(async |group| {
    ///         group.spawn_named("db", async { Err::<(), _>("connection refused") });
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap_err();
    ///     assert_eq!(err.first().name(), Some("db"));
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn_named<T, F>(&self, name: &str, future: F) -> GroupHandle<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_inner(Some(name), future)
    }

    /// Runs the blocking function `f` on the blocking pool as a child of the group (see
    /// [`spawn_blocking`](crate::spawn_blocking)): its `Err` fails the group like a task's.
    /// Cancelling it only works before it has started.
    ///
    /// ```
    /// weft::run(async {
    ///     let len = weft::task::scope(async |group| {
    ///         Ok(group.spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count())))
    ///     });
    ///     assert!(len.await.unwrap().output() > 0);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn_blocking<T, F>(&self, f: F) -> GroupHandle<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let abort = self.lock().set.spawn_blocking(move || forward(f(), sender));
        GroupHandle::new(abort, receiver)
    }

    #[track_caller]
    fn spawn_inner<T, F>(&self, name: Option<&str>, future: F) -> GroupHandle<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let child = async move { forward(future.await, sender) };
        let mut inner = self.lock();
        let abort = match name {
            None => inner.set.spawn(child),
            Some(name) => {
                let abort = inner
                    .set
                    .insert(super::Builder::new().name(name).spawn(child));
                inner.names.insert(abort.id(), name.into());
                abort
            }
        };
        drop(inner);
        GroupHandle::new(abort, receiver)
    }

    /// The body's phase: polls the body, then the children that finished.
    fn poll_body<R>(
        &self,
        mut body: Pin<&mut impl Future<Output = Result<R, E>>>,
        failures: &mut Vec<Failure<E>>,
        cx: &mut Context<'_>,
    ) -> Poll<Ended<R, E>> {
        // Body first: children it spawns now are polled (and so watched) below.
        match panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx))) {
            Err(payload) => return Poll::Ready(Ended::Panic(payload)),
            Ok(Poll::Ready(result)) => return Poll::Ready(Ended::Body(result)),
            Ok(Poll::Pending) => {}
        }
        let mut inner = self.lock();
        while let Poll::Ready(Some(res)) = inner.set.poll_join_next_with_id(cx) {
            inner.record(res, false, failures);
            if !failures.is_empty() {
                return Poll::Ready(Ended::ChildFailed);
            }
        }
        Poll::Pending
    }
}

/// A child's body: its `Ok` value goes to the handle, the set sees only the outcome.
fn forward<T, E>(result: Result<T, E>, sender: oneshot::Sender<T>) -> Result<(), E> {
    // The handle may be gone: the output is then dropped.
    result.map(|value| drop(sender.send(value)))
}

impl<E> Inner<E> {
    /// Joins every child; the first failure (unless `cancelling` already) aborts the others.
    fn poll_drain(
        &mut self,
        cancelling: &mut bool,
        failures: &mut Vec<Failure<E>>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        loop {
            let Some(res) = std::task::ready!(self.set.poll_join_next_with_id(cx)) else {
                return Poll::Ready(());
            };
            let before = failures.len();
            self.record(res, *cancelling, failures);
            if failures.len() > before && !*cancelling {
                *cancelling = true;
                self.set.abort_all();
            }
        }
    }

    /// Records the outcome of a joined child in `failures` if it failed. Cancellations are
    /// failures only while the group is not cancelling its children itself.
    fn record(
        &mut self,
        res: Result<(Id, Result<(), E>), JoinError>,
        cancelling: bool,
        failures: &mut Vec<Failure<E>>,
    ) {
        let id = match &res {
            Ok((id, _)) => *id,
            Err(error) => error.id(),
        };
        let name = match self.names.is_empty() {
            true => None,
            false => self.names.remove(&id),
        };
        match res {
            Ok((_, Ok(()))) => {}
            Ok((id, Err(error))) => failures.push(Failure::Err { id, name, error }),
            Err(error) if error.is_panic() => failures.push(Failure::Panic { name, error }),
            Err(_) if cancelling => {}
            Err(_) => failures.push(Failure::Cancelled { id, name }),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .inner
            .try_lock()
            .map(|inner| inner.set.len())
            .unwrap_or_default();
        f.debug_struct("TaskGroup").field("children", &len).finish()
    }
}

/// The handle of a child of a [`TaskGroup`], from [`TaskGroup::spawn`]: its output, read
/// after the scope ([`output`](GroupHandle::output)) or awaited inside it.
///
/// Awaiting the handle gives the child's `Ok` value. If the child fails, the await never
/// completes: the failure cancels the group, and with it whoever awaits inside the group
/// (the body, or a sibling the handle was moved into). Don't move a handle out of the
/// group's tasks before the scope has returned.
///
/// ```
/// weft::run(async {
///     let (a, doubled) = weft::task::scope(async |group| {
///         let a = group.spawn(async { Ok::<_, ()>(20) });
///         let b = group.spawn(async { Ok(22) });
///         // A sibling may await another child's handle.
///         let doubled = group.spawn(async move { Ok(b.await * 2) });
///         Ok((a, doubled))
///     })
///     .await
///     .unwrap();
///     assert_eq!((a.output(), doubled.output()), (20, 44));
/// });
/// ```
pub struct GroupHandle<T> {
    abort: AbortHandle,
    receiver: oneshot::Receiver<T>,
    location: &'static Location<'static>,
}

impl<T> GroupHandle<T> {
    #[track_caller]
    fn new(abort: AbortHandle, receiver: oneshot::Receiver<T>) -> GroupHandle<T> {
        GroupHandle {
            abort,
            receiver,
            location: Location::caller(),
        }
    }

    /// The child's task id (the one a [`Failure`] names).
    pub fn id(&self) -> Id {
        self.abort.id()
    }

    /// `true` once the child has finished (succeeded, failed or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }

    /// The child's output: asyncio's `task.result()`. Always there once [`scope`] returned
    /// `Ok`.
    ///
    /// ```
    /// weft::run(async {
    ///     let child = weft::task::scope(async |group| Ok(group.spawn(async { Ok::<_, ()>(7) })));
    ///     assert_eq!(child.await.unwrap().output(), 7);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// If the child has no output to give: it has not finished yet (read it after the
    /// scope, or await the handle inside it), it failed, or it was awaited already.
    #[track_caller]
    pub fn output(mut self) -> T {
        let id = self.id();
        self.try_output().unwrap_or_else(|| {
            panic!(
                "GroupHandle::output: task {id} has no output (not finished yet, failed, or \
                 awaited already); read it after `scope` returned Ok"
            )
        })
    }

    /// The child's output if it finished with one and it was not taken yet; `None` (without
    /// waiting) otherwise.
    ///
    /// ```
    /// weft::run(async {
    ///     weft::task::scope(async |group| {
    ///         let mut gate = group.spawn(std::future::pending::<Result<(), ()>>());
    ///         assert_eq!(gate.try_output(), None); // still running
    ///         Err::<(), _>(()) // fails the group, which cancels the child
    ///     })
    ///     .await
    ///     .unwrap_err();
    /// });
    /// ```
    pub fn try_output(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T> Future for GroupHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let result = std::task::ready!(Pin::new(&mut self.receiver).poll(cx));
        match result {
            Ok(value) => Poll::Ready(value),
            // The child stopped without an output: it failed, and the group is cancelling
            // whoever awaits inside it. Nothing wakes this future again.
            Err(_) => {
                introspect::waiting_on(WaitKind::Join, self.location, None, self.id().as_u64());
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for GroupHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
