//! The runtime: [`Runtime`], its [`Builder`] and [`Handle`].
//!
//! A runtime is a scheduler (by default the work-stealing [`MultiThread`] one), the list of
//! its live tasks, a blocking pool and a driver the idle threads park in. Dropping it
//! cancels every task (their futures are dropped), stops its threads and waits for them.
//!
//! [`MultiThread`]: crate::sched::MultiThread

mod builder;
pub(crate) mod context;
mod debug;
mod driver;
mod dump;
mod handle;
mod metrics;

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

pub use builder::Builder;
pub use dump::Dump;
pub use handle::{EnterGuard, Handle};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
/// What debug mode reports (see
/// [`Builder::slow_poll_threshold`](crate::runtime::Builder::slow_poll_threshold)): a slow
/// poll, a thread blocked in one poll, a panic nobody retrieved.
pub use weft_core::introspect::{Report as DebugReport, TaskRef};

use weft_task::JoinHandle;

/// A weft runtime: create one, `block_on` your main future, drop it to shut down.
///
/// ```
/// let rt = weft::Runtime::new().unwrap();
/// let out = rt.block_on(async {
///     let a = weft::spawn(async { 1 });
///     let b = weft::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(out, 3);
/// ```
pub struct Runtime {
    handle: Handle,
    /// Set once shut down (by `shutdown_timeout` or `shutdown_background`), so that `Drop`
    /// does not do it again.
    done: bool,
}

impl Runtime {
    /// A multi-thread runtime with one worker per CPU, time enabled, default settings.
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().enable_all().build()
    }

    /// A builder for a multi-thread runtime; see [`Builder`].
    pub fn builder() -> Builder {
        Builder::new_multi_thread()
    }

    pub(crate) fn from_handle(handle: Handle) -> Runtime {
        Runtime {
            handle,
            done: false,
        }
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` to completion on the calling thread, with this runtime current (so
    /// [`weft::spawn`](crate::spawn) works inside it), and returns its output. Tasks run on
    /// the scheduler's workers meanwhile (with the current-thread scheduler, on this thread).
    ///
    /// # Panics
    ///
    /// If called from inside a runtime (a task, or another `block_on`): blocking there would
    /// stall the thread that must drive the future. The message says to `.await` instead.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns `future` on this runtime; see [`weft::spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` on this runtime's blocking pool; see
    /// [`weft::spawn_blocking`](crate::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `timeout` for blocking-pool jobs that are running (they
    /// cannot be interrupted; those still running afterwards are left to finish alone).
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.done = true;
        self.handle.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for running blocking-pool jobs.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.done {
            self.handle.shutdown(None);
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}
