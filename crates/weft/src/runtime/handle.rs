use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use weft_blocking::BlockingPool;
use weft_core::introspect;
use weft_sched::{Env, Scheduler};
use weft_task::{JoinHandle, Owner, RootTask};

use super::context;
use super::driver::Driver;

/// A cheap, cloneable reference to a runtime: spawn onto it from anywhere, including from
/// threads that are not part of it.
///
/// ```
/// let rt = weft::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let from_thread = std::thread::spawn(move || handle.spawn(async { 1 + 1 }));
/// let task = from_thread.join().unwrap();
/// assert_eq!(rt.block_on(task).unwrap(), 2);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// The owner of a runtime's tasks, whatever its scheduler: every task holds an `Arc` of it.
/// The scheduler is boxed, not inline (`Owner<dyn Scheduler>`), so that the `Arc` is one
/// word, not two: every task stores one (at 104 bytes an idle task, a word was 8%).
pub(crate) type RuntimeOwner = Owner<Box<dyn Scheduler>>;

/// A runtime's parts: the owner of its tasks (the task list and the scheduler: what every
/// task points to), the blocking pool, the driver and the threads' `Env`.
pub(crate) struct Shared {
    pub(crate) owner: Arc<RuntimeOwner>,
    pub(crate) blocking: BlockingPool,
    pub(crate) driver: Arc<Driver>,
    pub(crate) env: Env,
}

impl Handle {
    /// The handle of the runtime this thread is running in.
    ///
    /// # Panics
    ///
    /// If called outside a runtime (neither a runtime thread nor inside `block_on`); see
    /// [`Handle::try_current`].
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(h) => h,
            None => panic!(
                "there is no weft runtime here: call this from inside `Runtime::block_on`, \
                 `weft::run`, or a task, or use a `Handle` kept from `Runtime::handle()`"
            ),
        }
    }

    /// The current runtime's handle, or `None` outside any runtime.
    pub fn try_current() -> Option<Handle> {
        context::with_current(|h| h.cloned())
    }

    /// Spawns `future` as a new task on this runtime. See [`weft::spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(future, None, Location::caller())
    }

    pub(crate) fn spawn_inner<F>(
        &self,
        future: F,
        name: Option<&str>,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // After shutdown the task is cancelled at once, and its handle reports a cancelled
        // `JoinError`.
        self.shared.owner.spawn_at(future, name, location)
    }

    /// Runs `f` on the blocking pool. See [`weft::spawn_blocking`](crate::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self.shared.driver.clock() {
            // On a paused clock, time must not jump ahead while a blocking job is running:
            // the job may be about to wake a task.
            Some(clock) if clock.is_paused() => {
                let inhibit = clock.inhibit_auto_advance();
                self.shared.blocking.spawn(move || {
                    let _inhibit = inhibit;
                    f()
                })
            }
            _ => self.shared.blocking.spawn(f),
        }
    }

    /// Runs `future` to completion on the calling thread, like [`Runtime::block_on`]
    /// (useful on threads that hold a handle but not the runtime).
    ///
    /// [`Runtime::block_on`]: crate::Runtime::block_on
    ///
    /// # Panics
    ///
    /// If called from inside a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = context::enter_runtime();
        let _current = context::set_current(self);
        let owner = &self.shared.owner;
        // The future is a task for introspection (asyncio's main task): it has an id, is
        // listed by `tasks()`, and in debug mode its polls are timed on this thread (which
        // runs the tasks too, on a current-thread runtime).
        let root = owner.enter_root(RootTask::new(Some("main"), Location::caller()));
        let _polls = match owner.monitor() {
            Some(monitor) if !introspect::has_poll_slot() => Some(monitor.enter_thread()),
            _ => None,
        };
        let mut output = None;
        {
            let mut future = std::pin::pin!(async {
                output = Some(future.await);
            });
            let mut main = AsRoot {
                root: root.root(),
                future: future.as_mut(),
            };
            let main = Pin::new(&mut main);
            owner.dispatcher().block_on(&self.shared.env, main);
        }
        output.expect("the scheduler returned from block_on before the future completed")
    }

    /// Makes this runtime the current one on this thread until the guard drops, so that
    /// [`weft::spawn`](crate::spawn) works from plain (non-runtime) code.
    ///
    /// ```
    /// let rt = weft::Runtime::new().unwrap();
    /// let _guard = rt.handle().enter();
    /// let task = weft::spawn(async { "spawned from outside" });
    /// # drop(_guard);
    /// # assert!(rt.block_on(task).is_ok());
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _set: context::set_current(self),
            _handle: self,
        }
    }

    /// The number of live tasks (spawned and not yet finished).
    pub fn num_tasks(&self) -> usize {
        self.shared.owner.len()
    }

    /// The number of threads the scheduler runs tasks on.
    pub fn num_workers(&self) -> usize {
        self.shared.owner.dispatcher().num_workers()
    }

    /// Cancels every task, stops the scheduler's threads and the blocking pool (waiting for
    /// running blocking jobs: forever with `None`, else up to `timeout`).
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let shared = &self.shared;
        // Destructors of the tasks dropped here may spawn or look for the current runtime:
        // they see this one (a spawn is cancelled at once: the list is closed).
        let _current = context::set_current(self);
        // Idle tasks have their future dropped here; a task running on a worker is marked
        // cancelled and dropped by that worker when its poll returns.
        shared.owner.close_and_shutdown_all();
        // Workers exit; what is still queued belongs to finished tasks and is just freed.
        shared.owner.dispatcher().shutdown();
        shared.blocking.shutdown(timeout);
        // Last: timers of blocking jobs' futures (none) and of handles kept outside.
        shared.driver.shutdown();
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("num_workers", &self.num_workers())
            .field("num_tasks", &self.num_tasks())
            .finish()
    }
}

/// Returned by [`Handle::enter`]; leaves the runtime context when dropped.
#[must_use = "the runtime context is left when the guard drops"]
pub struct EnterGuard<'a> {
    _set: context::SetCurrent,
    _handle: &'a Handle,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Polls the main future of `block_on` as its root task.
struct AsRoot<'a, 'f> {
    root: &'a RootTask,
    future: Pin<&'f mut dyn Future<Output = ()>>,
}

impl Future for AsRoot<'_, '_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.root.poll(|| this.future.as_mut().poll(cx))
    }
}
