use std::fmt;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::ptr::NonNull;

use crate::header::Header;
use crate::Id;

/// A task that is ready to run: the only thing a scheduler ever holds.
///
/// At most one `Runnable` exists per task at any time, so a task is never queued twice. A
/// scheduler keeps it in a queue and calls [`Runnable::run`] on some thread; waking the task
/// later hands a new `Runnable` to the task's [`Dispatch`](crate::Dispatch) again. The
/// handle is one pointer, and moving it between threads costs nothing.
///
/// Dropping a `Runnable` without running it cancels the task: its future is dropped (on the
/// dropping thread) and its `JoinHandle` resolves to a cancelled `JoinError`, so a scheduler
/// that discards work at shutdown never leaves a waiter hanging.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weft_task::{Dispatch, Hint, Runnable};
///
/// /// A scheduler that only collects what it is given.
/// #[derive(Clone, Default)]
/// struct Collect(Arc<Mutex<Vec<Runnable>>>);
/// impl Dispatch for Collect {
///     fn dispatch(&self, task: Runnable, _: Hint) { self.0.lock().unwrap().push(task) }
/// }
///
/// let sched = Collect::default();
/// let (runnable, handle) = weft_task::spawn(async { 6 * 7 }, sched.clone(), None);
/// runnable.run();
/// assert!(handle.is_finished());
/// ```
pub struct Runnable {
    ptr: NonNull<Header>,
}

// SAFETY: a `Runnable` is a counted reference to a task whose future and output are `Send`;
// the state machine grants the right to poll to one holder at a time.
unsafe impl Send for Runnable {}
// SAFETY: `&Runnable` only exposes the id, name and location, which are immutable.
unsafe impl Sync for Runnable {}

impl Runnable {
    /// # Safety
    ///
    /// The caller holds a reference to the task and the right to a `Runnable` (NOTIFIED was
    /// set on its behalf); both pass to the result.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Runnable {
        Runnable { ptr }
    }

    fn header(&self) -> &Header {
        // SAFETY: the `Runnable`'s reference keeps the header alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Polls the task once on this thread, inside a fresh cooperative budget, with
    /// [`try_current_id`](crate::try_current_id) set. A panic in the task is caught and stored
    /// for its `JoinHandle`; it never unwinds into the caller.
    pub fn run(self) {
        let this = ManuallyDrop::new(self);
        // SAFETY: our reference passes to `run`, which consumes it.
        unsafe { (this.header().vtable.run)(this.ptr) }
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

    /// The raw pointer, for schedulers that keep tasks in intrusive or lock-free
    /// structures; the `Runnable` is not dropped. See [`Runnable::from_raw_ptr`].
    pub fn into_raw(self) -> NonNull<()> {
        ManuallyDrop::new(self).ptr.cast()
    }

    /// Rebuilds a `Runnable` from [`Runnable::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` must come from `into_raw` and be converted back exactly once.
    pub unsafe fn from_raw_ptr(ptr: NonNull<()>) -> Runnable {
        Runnable { ptr: ptr.cast() }
    }
}

impl Drop for Runnable {
    fn drop(&mut self) {
        // SAFETY: our reference passes to `shutdown`, which consumes it.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }
}

impl fmt::Debug for Runnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runnable")
            .field("id", &self.id())
            .field("state", &self.header().state.load())
            .finish()
    }
}
