//! weft's task: a future, its output and its bookkeeping in one allocation, driven by one
//! atomic state word.
//!
//! This crate knows nothing about threads or queues. Its contract with a scheduler is the
//! [`Dispatch`] trait: whenever a task is ready to run (spawned, woken, yielding), a
//! [`Runnable`] (the right to poll it once) is handed to [`Dispatch::dispatch`] with a
//! [`Hint`] saying why. A scheduler only moves `Runnable`s around and calls [`Runnable::run`].
//!
//! - [`Owner`] is where a runtime's tasks live: it spawns them (the one spawn path), keeps
//!   the list of live tasks so that shutdown cancels even those blocked forever, and holds
//!   the dispatcher. A task points straight at its owner: a wake-up is one call into the
//!   dispatcher, and a finished task unlinks itself from the list without asking anyone.
//! - One allocation per task (header, owner, future-then-output); a `Waker` is the task
//!   pointer, so waking never allocates.
//! - The state word (see `state.rs` for the full rules) packs running / notified / complete /
//!   cancelled / join-interest / join-waker flags and the reference count, so a wake, an abort
//!   and a completion racing each other resolve with compare-and-swap alone, never a lock.
//!   Every race is a loom model (`tests/loom_task.rs`).
//! - A panic in a task is caught and becomes [`JoinError::is_panic`]; the thread that ran it
//!   carries on.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::collections::VecDeque;
//! use weft_task::{Dispatch, Hint, Owner, Runnable};
//!
//! /// The smallest executor: one FIFO queue, run on the calling thread.
//! #[derive(Default)]
//! struct Fifo(Mutex<VecDeque<Runnable>>);
//!
//! impl Dispatch for Fifo {
//!     fn dispatch(&self, task: Runnable, _hint: Hint) {
//!         self.0.lock().unwrap().push_back(task);
//!     }
//! }
//!
//! let owner = Arc::new(Owner::new(Fifo::default()));
//! let handle = owner.spawn(async {
//!     weft_core_yield().await;
//!     1 + 1
//! });
//! assert_eq!(owner.len(), 1);
//! loop {
//!     let next = owner.dispatcher().0.lock().unwrap().pop_front();
//!     match next {
//!         Some(r) => r.run(),
//!         None => break,
//!     }
//! }
//! assert!(handle.is_finished());
//! assert_eq!(owner.len(), 0, "a finished task leaves its owner's list by itself");
//!
//! // A future that returns Pending once, waking itself first.
//! async fn weft_core_yield() {
//!     let mut yielded = false;
//!     std::future::poll_fn(|cx| {
//!         if yielded { return std::task::Poll::Ready(()) }
//!         yielded = true;
//!         cx.waker().wake_by_ref();
//!         std::task::Poll::Pending
//!     }).await
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::ptr::NonNull;

mod error;
mod header;
mod id;
mod info;
mod join;
mod list;
mod origin;
mod owner;
mod raw;
mod runnable;
mod state;
mod waker;

pub use error::JoinError;
pub use id::{try_current_id, with_current_name, Id};
pub use info::{RootTask, TaskInfo, TaskState};
pub use join::{AbortHandle, AbortOnDrop, JoinHandle};
use list::TaskList;
pub use owner::{Owner, RootGuard};
pub use runnable::Runnable;

use header::Header;
use weft_core::introspect::{Monitor, WaitKind};

/// Why a task is being handed to [`Dispatch::dispatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// A newly spawned task.
    Spawn,
    /// A task woken by another task, a timer, I/O or another thread.
    Wake,
    /// A task woken inside `weft_core::context::defer_wakes`: woken to compete for something
    /// the waker may take back first (a barging semaphore's first waiter), so run the work
    /// already waiting first, as for [`Yield`](Hint::Yield).
    Deferred,
    /// A task that was woken while it was being polled (it yielded, its budget ran out, or
    /// another thread woke it mid-poll), re-queued when that poll returned: run the work
    /// already waiting first.
    Yield,
}

/// Where a task goes when it is ready to run: the one thing a task needs from a scheduler.
///
/// Called with a [`Runnable`] when the task is spawned ([`Hint::Spawn`]), woken by someone
/// else ([`Hint::Wake`], from any thread; an abort of an idle task too; [`Hint::Deferred`]
/// when the waker asked for it to go behind the work already waiting) or woken during its
/// own poll ([`Hint::Yield`]: queue it behind the work already waiting). Queue it and call
/// [`Runnable::run`] later, on any thread; dropping it instead cancels the task. Must not
/// block on a task. A panic here unwinds into whoever woke the task, except on the yield
/// path, where [`Runnable::run`] catches it; either way the `Runnable` dropped by the
/// unwinding cancels its task.
///
/// The runtime's bookkeeping (the list of live tasks, cancellation at shutdown) is not the
/// dispatcher's business: [`Owner`] does it, so no dispatcher can get it wrong.
///
/// ```
/// use std::sync::Mutex;
/// use weft_task::{Dispatch, Hint, Runnable};
///
/// #[derive(Default)]
/// struct Collect(Mutex<Vec<(Runnable, Hint)>>);
/// impl Dispatch for Collect {
///     fn dispatch(&self, task: Runnable, hint: Hint) {
///         self.0.lock().unwrap().push((task, hint));
///     }
/// }
/// let (runnable, handle) = weft_task::spawn(async { 6 * 7 }, Collect::default(), None);
/// runnable.run();
/// assert!(handle.is_finished());
/// ```
///
/// A finishing task leaves its owner's list by itself; no dispatcher takes part, so none can
/// hand it a reference that is not its own. There is no `release` hook to implement (it let
/// safe code return another task's list reference, which freed a task still in use):
///
/// ```compile_fail,E0407
/// use weft_task::{Dispatch, Hint, Runnable, Task};
///
/// struct Sneaky;
/// impl Dispatch for Sneaky {
///     fn dispatch(&self, _: Runnable, _: Hint) {}
///     fn release(&self, _: &Task) -> Option<Task> {
///         None
///     }
/// }
/// ```
///
/// and the harness's own trait, which reaches the list, is not public:
///
/// ```compile_fail,E0603
/// use weft_task::Schedule;
/// ```
pub trait Dispatch: Send + Sync + 'static {
    /// Queues `task` to be run once.
    fn dispatch(&self, task: Runnable, hint: Hint);
}

impl<D: Dispatch + ?Sized> Dispatch for std::sync::Arc<D> {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        (**self).dispatch(task, hint)
    }
}

impl<D: Dispatch + ?Sized> Dispatch for Box<D> {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        (**self).dispatch(task, hint)
    }
}

/// What the task harness stores beside the future: a dispatcher and, for tasks of an
/// [`Owner`], the list to leave on completion. Sealed: only this crate implements it, so the
/// list reference a finishing task gives up is always its own.
pub(crate) trait Schedule: Send + Sync + 'static {
    fn dispatch(&self, task: Runnable, hint: Hint);
    fn list(&self) -> Option<&TaskList>;
    /// Debug mode's monitor, if the owner has one.
    fn monitor(&self) -> Option<&Monitor> {
        None
    }
    /// What a task awaiting this task's `JoinHandle` records as its wait.
    const JOINED_AS: WaitKind = WaitKind::Join;
}

/// A task with no owner list ([`spawn`]; with `BLOCKING`, [`spawn_blocking_job`], whose
/// awaiters record a `Blocking` wait).
pub(crate) struct Detached<D, const BLOCKING: bool>(D);

impl<D: Dispatch, const BLOCKING: bool> Schedule for Detached<D, BLOCKING> {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        self.0.dispatch(task, hint)
    }
    fn list(&self) -> Option<&TaskList> {
        None
    }
    const JOINED_AS: WaitKind = if BLOCKING {
        WaitKind::Blocking
    } else {
        WaitKind::Join
    };
}

/// An owned reference to a task, as kept by an [`Owner`]'s list: it keeps the allocation
/// alive but grants no right to poll it or read its output.
///
/// Only the list owns `Task`s; everyone else sees them borrowed ([`Owner::for_each`]), and
/// cannot make, copy or cancel one:
///
/// ```compile_fail,E0277
/// # use std::sync::Arc;
/// # use weft_task::{Dispatch, Hint, Owner, Runnable, Task};
/// # struct Drop_;
/// # impl Dispatch for Drop_ { fn dispatch(&self, _: Runnable, _: Hint) {} }
/// let owner = Arc::new(Owner::new(Drop_));
/// let mut stolen: Vec<Task> = Vec::new();
/// owner.for_each(|t| stolen.push(Task::clone(t)));
/// ```
///
/// ```compile_fail,E0624
/// # use std::sync::Arc;
/// # use weft_task::{Dispatch, Hint, Owner, Runnable};
/// # struct Drop_;
/// # impl Dispatch for Drop_ { fn dispatch(&self, _: Runnable, _: Hint) {} }
/// # let owner = Arc::new(Owner::new(Drop_));
/// owner.for_each(|t| t.shutdown());
/// ```
pub struct Task {
    ptr: NonNull<Header>,
}

// SAFETY: a `Task` is a counted reference; it only reads immutable header fields and the
// atomic state, and `shutdown` goes through the state machine.
unsafe impl Send for Task {}
// SAFETY: as above.
unsafe impl Sync for Task {}

impl Task {
    /// # Safety
    ///
    /// The caller holds a reference, which passes to the result.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task { ptr }
    }

    fn into_raw(self) -> NonNull<Header> {
        ManuallyDrop::new(self).ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: our reference keeps the header alive.
        unsafe { self.ptr.as_ref() }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header().id
    }

    /// The task's name, if it was given one.
    pub fn name(&self) -> Option<&str> {
        self.header().name()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.header().location()
    }

    /// `true` once the task has finished.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// `true` while the task is being polled.
    pub fn is_running(&self) -> bool {
        self.header().state.load().is_running()
    }

    /// `true` while the task is queued (woken and waiting for a worker).
    pub fn is_scheduled(&self) -> bool {
        let s = self.header().state.load();
        s.is_notified() && !s.is_running() && !s.is_complete()
    }

    /// Cancels the task if it is idle (dropping its future here), or marks it cancelled so
    /// that whoever is polling it drops the future when the poll returns. Consumes this
    /// reference.
    pub(crate) fn shutdown(self) {
        let ptr = self.into_raw();
        // SAFETY: our reference passes to `shutdown`, which consumes it.
        unsafe { (ptr.as_ref().vtable.shutdown)(ptr) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: our reference is released exactly once.
        unsafe { header::drop_ref(self.ptr) }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("state", &self.header().state.load())
            .finish()
    }
}

/// Creates a task with no owner list, to be run through `dispatch` (an executor that needs
/// no list of its live tasks; a runtime uses [`Owner::spawn`]).
///
/// Returns the first [`Runnable`] (dispatch or run it to start the task; dropping it
/// cancels the task) and the [`JoinHandle`]. The spawn location is the caller's
/// (`#[track_caller]`).
#[track_caller]
pub fn spawn<F, D>(future: F, dispatch: D, name: Option<&str>) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    D: Dispatch,
{
    detached(
        future,
        Detached::<D, false>(dispatch),
        name,
        Location::caller(),
    )
}

/// [`spawn`] for a blocking pool's job: the same detached task, except that a task awaiting
/// its [`JoinHandle`] records a [`WaitKind::Blocking`] wait (not `Join`), so introspection
/// tells a task waiting on a blocking job from one waiting on another task.
///
/// ```
/// use weft_task::{Dispatch, Hint, Runnable};
///
/// struct RunAtOnce;
/// impl Dispatch for RunAtOnce {
///     fn dispatch(&self, task: Runnable, _hint: Hint) {
///         task.run();
///     }
/// }
///
/// let (first, handle) = weft_task::spawn_blocking_job(async { 6 * 7 }, RunAtOnce, None);
/// first.run();
/// assert_eq!(weft::run(handle).unwrap(), 42);
/// ```
#[track_caller]
pub fn spawn_blocking_job<F, D>(
    future: F,
    dispatch: D,
    name: Option<&str>,
) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    D: Dispatch,
{
    detached(
        future,
        Detached::<D, true>(dispatch),
        name,
        Location::caller(),
    )
}

fn detached<F, S>(
    future: F,
    schedule: S,
    name: Option<&str>,
    location: &'static Location<'static>,
) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let ptr = raw::allocate(future, schedule, name.map(Box::from), location);
    // SAFETY: a new task starts with three references (and NOTIFIED for the `Runnable`,
    // JOIN_INTEREST for the handle); the third is the owner's, which a detached task has
    // none of: it is dropped at once, leaving two.
    unsafe {
        drop(Task::from_raw(ptr));
        (Runnable::from_raw(ptr), JoinHandle::from_raw(ptr))
    }
}
