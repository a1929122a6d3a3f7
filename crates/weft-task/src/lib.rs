//! weft's task: a future, its output and its bookkeeping in one allocation, driven by one
//! atomic state word.
//!
//! This crate knows nothing about threads or queues. Its contract with a scheduler is the
//! [`Schedule`] trait: [`spawn`] makes a task and returns a [`Runnable`] (the right to poll it
//! once) and a [`JoinHandle`] (the right to its output); whenever the task is woken, a new
//! `Runnable` is handed to [`Schedule::schedule`]. A scheduler only moves `Runnable`s around
//! and calls [`Runnable::run`].
//!
//! - One allocation per task (header, scheduler handle, future-then-output); a `Waker` is the
//!   task pointer, so waking never allocates.
//! - The state word (see `state.rs` for the full rules) packs running / notified / complete /
//!   cancelled / join-interest / join-waker flags and the reference count, so a wake, an abort
//!   and a completion racing each other resolve with compare-and-swap alone, never a lock.
//!   Every race is a loom model (`tests/loom_task.rs`).
//! - A panic in a task is caught and becomes [`JoinError::is_panic`]; the thread that ran it
//!   carries on.
//! - [`TaskList`] tracks a runtime's live tasks so that shutdown cancels and frees even those
//!   blocked forever.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::collections::VecDeque;
//! use weft_task::{Runnable, Schedule, Task};
//!
//! /// The smallest executor: one FIFO queue, run on the calling thread.
//! #[derive(Clone, Default)]
//! struct Fifo(Arc<Mutex<VecDeque<Runnable>>>);
//!
//! impl Schedule for Fifo {
//!     fn schedule(&self, task: Runnable) {
//!         self.0.lock().unwrap().push_back(task);
//!     }
//!     fn release(&self, _task: &Task) -> Option<Task> {
//!         None // this executor keeps no task list
//!     }
//! }
//!
//! let fifo = Fifo::default();
//! let (_task, runnable, handle) = weft_task::spawn(
//!     async {
//!         weft_core_yield().await;
//!         1 + 1
//!     },
//!     fifo.clone(),
//!     Some("adder"),
//! );
//! fifo.schedule(runnable);
//! loop {
//!     let next = fifo.0.lock().unwrap().pop_front();
//!     match next {
//!         Some(r) => r.run(),
//!         None => break,
//!     }
//! }
//! assert!(handle.is_finished());
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
mod id;
mod join;
mod list;
mod raw;
mod runnable;
mod state;
mod waker;

pub use error::JoinError;
pub use id::{try_current_id, Id};
pub use join::{AbortHandle, JoinHandle};
pub use list::TaskList;
pub use runnable::Runnable;

use raw::Header;

/// What a task needs from whoever runs it.
///
/// Implemented by the runtime's shared state (the built-in runtime forwards to its
/// `weft_sched::Scheduler`), or by any executor built on this crate.
pub trait Schedule: Send + Sync + 'static {
    /// The task was woken: queue `task` to be run.
    fn schedule(&self, task: Runnable);

    /// The task woke itself during its own poll (a yield): queue it behind the work that is
    /// already waiting. Defaults to [`Schedule::schedule`].
    fn yield_now(&self, task: Runnable) {
        self.schedule(task);
    }

    /// The task finished: remove it from the owner list, returning the list's reference
    /// (see [`TaskList::remove`]), or `None` if the executor keeps no list.
    fn release(&self, task: &Task) -> Option<Task>;
}

/// An owned reference to a task, as kept by a [`TaskList`]: it keeps the allocation alive
/// but grants no right to poll it or read its output.
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
        self.header().location
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
    pub fn shutdown(self) {
        let ptr = self.into_raw();
        // SAFETY: our reference passes to `shutdown`, which consumes it.
        unsafe { (ptr.as_ref().vtable.shutdown)(ptr) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: our reference is released exactly once.
        unsafe { raw::drop_ref(self.ptr) }
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

/// Creates a task from `future`, to be scheduled through `scheduler`.
///
/// Returns the owner reference (give it to a [`TaskList`], or drop it), the first
/// [`Runnable`] (schedule it to start the task) and the [`JoinHandle`]. The spawn location is
/// the caller's (`#[track_caller]`).
#[track_caller]
pub fn spawn<F, S>(
    future: F,
    scheduler: S,
    name: Option<&str>,
) -> (Task, Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    spawn_at(future, scheduler, name, Location::caller())
}

/// [`spawn`] with an explicit spawn location.
pub fn spawn_at<F, S>(
    future: F,
    scheduler: S,
    name: Option<&str>,
    location: &'static Location<'static>,
) -> (Task, Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let ptr = raw::allocate(future, scheduler, name.map(Box::from), location);
    // SAFETY: a new task starts with exactly these three references (and NOTIFIED for the
    // `Runnable`, JOIN_INTEREST for the handle).
    unsafe {
        (
            Task::from_raw(ptr),
            Runnable::from_raw(ptr),
            JoinHandle::from_raw(ptr),
        )
    }
}
