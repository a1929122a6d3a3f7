//! The owner of a runtime's tasks: the one spawn path, the list of live tasks, and the
//! dispatcher woken tasks go to. Every task of an owner points straight at it (`Arc`), so a
//! wake-up is one call into the dispatcher and a finished task unlinks itself from the list
//! without a round trip through anyone else's code.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, Mutex};

use weft_core::introspect::Monitor;

use crate::info::{RootTask, TaskInfo};
use crate::list::TaskList;
use crate::{raw, Dispatch, Hint, JoinHandle, Runnable, Schedule, Task};

/// Where a runtime's tasks live: spawns them, keeps the list of those still alive, and hands
/// them to its dispatcher `D` whenever they are ready to run.
///
/// Tasks keep their owner alive (they hold an `Arc` to it) and the owner's list keeps every
/// live task alive, so call [`Owner::close_and_shutdown_all`] when the runtime shuts down:
/// it cancels every task still alive (their futures are dropped), which breaks the cycle.
///
/// `D` may be unsized: an `Arc<Owner<MyScheduler>>` coerces to `Arc<Owner<dyn Trait>>`
/// for any object-safe `Trait: Dispatch`, which is how a runtime with a replaceable
/// scheduler keeps one task type.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weft_task::{Dispatch, Hint, Owner, Runnable};
///
/// #[derive(Default)]
/// struct Queue(Mutex<Vec<Runnable>>);
/// impl Dispatch for Queue {
///     fn dispatch(&self, task: Runnable, _: Hint) { self.0.lock().unwrap().push(task) }
/// }
///
/// let owner = Arc::new(Owner::new(Queue::default()));
/// let handle = owner.spawn(std::future::pending::<()>());
/// let runnable = owner.dispatcher().0.lock().unwrap().pop().unwrap();
/// runnable.run(); // polled once: now blocked forever, and nothing will wake it
/// assert_eq!(owner.len(), 1);
/// owner.close_and_shutdown_all();
/// assert_eq!(owner.len(), 0);
/// assert!(handle.is_finished()); // cancelled
/// ```
pub struct Owner<D: ?Sized> {
    list: TaskList,
    monitor: Option<Arc<Monitor>>,
    /// The futures inside `block_on` calls right now (not hot: one lock per `block_on`).
    roots: Mutex<Vec<Arc<RootTask>>>,
    dispatch: D,
}

impl<D: Dispatch> Owner<D> {
    /// An owner with a list of 4 shards.
    pub fn new(dispatch: D) -> Owner<D> {
        Owner::with_shards(dispatch, 4)
    }

    /// An owner whose task list has about `shards` shards (rounded up to a power of two, at
    /// least 1): spawns and completions on different threads rarely meet on one lock; four
    /// per worker thread keeps contention negligible.
    pub fn with_shards(dispatch: D, shards: usize) -> Owner<D> {
        Owner {
            list: TaskList::new(shards),
            monitor: None,
            roots: Mutex::new(Vec::new()),
            dispatch,
        }
    }

    /// Gives the owner debug mode's monitor: a task that panics and whose `JoinHandle` is
    /// dropped without taking the panic is reported to it.
    pub fn with_monitor(mut self, monitor: Option<Arc<Monitor>>) -> Owner<D> {
        self.monitor = monitor;
        self
    }
}

impl<D: Dispatch + ?Sized> Owner<D> {
    /// Spawns `future` as a task of this owner and dispatches it with [`Hint::Spawn`].
    ///
    /// After [`Owner::close_and_shutdown_all`] the task is cancelled at once instead (its
    /// future is dropped here) and its handle resolves to a cancelled `JoinError`.
    #[track_caller]
    pub fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_at(future, None, Location::caller())
    }

    /// [`Owner::spawn`] with a name and an explicit spawn location.
    pub fn spawn_at<F>(
        self: &Arc<Self>,
        future: F,
        name: Option<&str>,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let ptr = raw::allocate(future, self.clone(), name.map(Box::from), location);
        // SAFETY: a new task starts with exactly three references: the list's, the first
        // `Runnable`'s (NOTIFIED) and the handle's (JOIN_INTEREST).
        let (task, runnable, handle) = unsafe {
            (
                Task::from_raw(ptr),
                Runnable::from_raw(ptr),
                JoinHandle::from_raw(ptr),
            )
        };
        match self.list.bind(task) {
            Ok(()) => self.dispatch.dispatch(runnable, Hint::Spawn),
            // Closed: dropping the runnable cancels the task; the list's reference goes too.
            Err(task) => drop((runnable, task)),
        }
        handle
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &D {
        &self.dispatch
    }

    /// Closes the owner (later spawns are cancelled at once) and cancels every live task:
    /// idle tasks have their future dropped here, on the calling thread; a task running
    /// elsewhere is marked cancelled and drops its future when that poll returns.
    pub fn close_and_shutdown_all(&self) {
        self.list.close_and_shutdown_all()
    }

    /// `true` once [`Owner::close_and_shutdown_all`] was called.
    pub fn is_closed(&self) -> bool {
        self.list.is_closed()
    }

    /// The number of live tasks (spawned and not finished).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// `true` if no task is alive.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Calls `f` with every live task (one shard locked at a time: do not spawn, abort or
    /// await from inside `f`).
    pub fn for_each(&self, f: impl FnMut(&Task)) {
        self.list.for_each(f)
    }

    /// Debug mode's monitor, if the owner has one.
    pub fn monitor(&self) -> Option<&Arc<Monitor>> {
        self.monitor.as_ref()
    }

    /// A snapshot of every live task: the root tasks (futures inside `block_on`) first,
    /// then the spawned ones. Walks the list shard by shard under each shard's lock, reading
    /// each header's relaxed counters: spawning and polling pay nothing for it.
    pub fn tasks(&self) -> Vec<TaskInfo> {
        let monitor = self.monitor.as_deref();
        let timed = monitor.is_some();
        let mut out: Vec<TaskInfo> = self
            .roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|root| root.info(timed))
            .collect();
        out.reserve(self.list.len());
        self.list.for_each(|task| out.push(task.info(monitor)));
        out
    }

    /// Lists `root` among the tasks until the guard is dropped (`block_on` does this for its
    /// future).
    pub fn enter_root(&self, root: Arc<RootTask>) -> RootGuard<'_> {
        self.roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(root.clone());
        RootGuard {
            roots: &self.roots,
            monitor: self.monitor.as_deref(),
            root,
        }
    }
}

impl<D: Dispatch + ?Sized> Schedule for Arc<Owner<D>> {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        self.dispatch.dispatch(task, hint)
    }
    fn list(&self) -> Option<&TaskList> {
        Some(&self.list)
    }
    fn monitor(&self) -> Option<&Monitor> {
        self.monitor.as_deref()
    }
}

/// Keeps a [`RootTask`] listed; see [`Owner::enter_root`].
#[derive(Debug)]
pub struct RootGuard<'a> {
    roots: &'a Mutex<Vec<Arc<RootTask>>>,
    monitor: Option<&'a Monitor>,
    root: Arc<RootTask>,
}

impl RootGuard<'_> {
    /// The root task.
    pub fn root(&self) -> &Arc<RootTask> {
        &self.root
    }
}

impl Drop for RootGuard<'_> {
    fn drop(&mut self) {
        self.roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|r| !Arc::ptr_eq(r, &self.root));
        if let Some(monitor) = self.monitor {
            monitor.forget(self.root.id().as_u64());
        }
    }
}

impl<D: ?Sized> fmt::Debug for Owner<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Owner").field("tasks", &self.list).finish()
    }
}
