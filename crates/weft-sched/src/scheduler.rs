use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use crate::park::{Park, ThreadPark};
use crate::{Env, SchedulerMetrics};
use weft_task::Dispatch;

/// A task scheduler: decides which thread runs which [`Runnable`](weft_task::Runnable), and
/// when.
///
/// weft's runtime drives every scheduler through this trait alone, the built-in
/// [`MultiThread`](crate::MultiThread) and [`CurrentThread`](crate::CurrentThread)
/// included, so whatever they can do a user-written scheduler can do too. The runtime owns
/// the tasks (spawning, the task list, cancellation at shutdown: `weft_task::Owner`), the
/// driver (I/O, timers) and the blocking pool; the scheduler only queues runnables and runs
/// them.
///
/// Two traits, two questions: [`Dispatch`] is what a *task* needs (where do I go when I am
/// ready to run?), and every task of the runtime calls it directly, one hop; `Scheduler`
/// adds what the *runtime* needs (start, drive a `block_on`, shut down).
///
/// The lifecycle: [`Scheduler::start`] once, then any number of [`Dispatch::dispatch`]
/// calls from any thread (also before `start`: hold the tasks until then) and
/// [`Scheduler::block_on`] calls, then [`Scheduler::shutdown`].
///
/// A single-queue scheduler with one thread of its own:
///
/// ```
/// use std::collections::VecDeque;
/// use std::sync::{Arc, Condvar, Mutex};
/// use weft_sched::{Dispatch, Env, Hint, Scheduler};
/// use weft_task::Runnable;
///
/// #[derive(Default)]
/// struct Inner {
///     queue: Mutex<(VecDeque<Runnable>, bool)>, // (tasks, shut down)
///     ready: Condvar,
///     thread: Mutex<Option<std::thread::JoinHandle<()>>>,
/// }
/// #[derive(Clone, Default)]
/// struct Fifo(Arc<Inner>);
/// impl std::ops::Deref for Fifo { type Target = Inner; fn deref(&self) -> &Inner { &self.0 } }
///
/// impl Dispatch for Fifo {
///     fn dispatch(&self, task: Runnable, _hint: Hint) {
///         let mut q = self.queue.lock().unwrap();
///         if q.1 { drop(q); return drop(task) } // shut down: dropping cancels the task
///         q.0.push_back(task);
///         self.ready.notify_one();
///     }
/// }
///
/// impl Scheduler for Fifo {
///     fn start(&self, env: &Env) -> std::io::Result<()> {
///         let me = self.clone();
///         let t = env.spawn_thread(Box::new(move || loop {
///             let mut q = me.queue.lock().unwrap();
///             while q.0.is_empty() && !q.1 {
///                 q = me.ready.wait(q).unwrap();
///             }
///             let Some(task) = q.0.pop_front() else { return }; // shut down
///             drop(q);
///             task.run();
///         }))?;
///         *self.thread.lock().unwrap() = Some(t);
///         Ok(())
///     }
///     fn shutdown(&self) {
///         let tasks = {
///             let mut q = self.queue.lock().unwrap();
///             q.1 = true;
///             std::mem::take(&mut q.0)
///         };
///         self.ready.notify_all();
///         drop(tasks);
///         if let Some(t) = self.thread.lock().unwrap().take() { t.join().unwrap() }
///     }
/// }
/// # let _ = Fifo::default();
/// ```
pub trait Scheduler: Dispatch {
    /// Starts the scheduler: typically spawns its worker threads through `env`. Called once.
    /// [`Dispatch::dispatch`] may be called from any thread, including from inside a running
    /// task, before `start` and after [`Scheduler::shutdown`] (then drop the task, which
    /// cancels it). It must not block on a task.
    fn start(&self, env: &Env) -> io::Result<()>;

    /// Runs `future` to completion on the calling thread.
    ///
    /// The default polls it, parking the calling thread between polls; tasks run on the
    /// scheduler's own threads meanwhile. A scheduler without threads of its own (like
    /// [`CurrentThread`](crate::CurrentThread)) runs its tasks here instead.
    fn block_on(&self, env: &Env, future: Pin<&mut dyn Future<Output = ()>>) {
        let _ = env;
        block_on_parked(future);
    }

    /// Stops the scheduler: its threads finish their current poll and exit, queued
    /// runnables are dropped (which cancels their tasks), later [`Dispatch::dispatch`]
    /// calls drop what they are given. Returns once its threads have exited. May be called
    /// more than once.
    fn shutdown(&self);

    /// The number of threads that run tasks (for metrics and sizing the task list).
    fn num_workers(&self) -> usize {
        1
    }

    /// A snapshot of the scheduler's counters: per worker polls, steals, parks, queue depth,
    /// busy time..., and the global queue's depth (see [`SchedulerMetrics`]). Callable from
    /// any thread, at any time; it must not block on the workers.
    ///
    /// The default reports no workers: a scheduler that keeps no counters need not
    /// implement it. One that does builds its snapshot with [`SchedulerMetrics::new`] and
    /// [`WorkerMetrics::default`](crate::WorkerMetrics::default), keeping the counters in
    /// memory each worker owns (the built-in schedulers bump them with relaxed loads and
    /// stores on a padded struct per worker), so that counting costs nothing on the hot paths.
    ///
    /// ```
    /// use weft_sched::{CurrentThread, MultiThread, Scheduler};
    ///
    /// assert_eq!(MultiThread::new(3).metrics().workers.len(), 3);
    /// assert_eq!(CurrentThread::new().metrics().workers.len(), 1);
    /// assert_eq!(MultiThread::new(3).metrics().total_polls(), 0); // nothing ran yet
    /// ```
    fn metrics(&self) -> SchedulerMetrics {
        SchedulerMetrics::default()
    }

    /// Whether the runtime should start its clock paused for this scheduler (default
    /// `false`), as `Builder::start_paused(true)` does: `weft::time::Instant::now()` stands
    /// still and jumps to the next timer's deadline when the scheduler parks in the driver
    /// with no time-out. A scheduler returning `true` also allows `weft::time::pause` and
    /// `advance` on its runtime.
    ///
    /// Return `true` only if every task runs on the thread that parks, and that thread parks
    /// with no time-out only when no task is ready: that is what makes "parked" mean "every
    /// task is idle". [`Deterministic`](crate::Deterministic) returns `true`.
    ///
    /// ```
    /// use weft_sched::{CurrentThread, Deterministic, Scheduler};
    /// assert!(Deterministic::new(1).wants_paused_clock());
    /// assert!(!CurrentThread::new().wants_paused_clock());
    /// ```
    fn wants_paused_clock(&self) -> bool {
        false
    }
}

impl<S: Scheduler + ?Sized> Scheduler for StdArc<S> {
    fn start(&self, env: &Env) -> io::Result<()> {
        (**self).start(env)
    }
    fn block_on(&self, env: &Env, future: Pin<&mut dyn Future<Output = ()>>) {
        (**self).block_on(env, future)
    }
    fn shutdown(&self) {
        (**self).shutdown()
    }
    fn num_workers(&self) -> usize {
        (**self).num_workers()
    }
    fn metrics(&self) -> SchedulerMetrics {
        (**self).metrics()
    }
    fn wants_paused_clock(&self) -> bool {
        (**self).wants_paused_clock()
    }
}

struct ThreadWaker(ThreadPark);

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it completes, parking between polls.
pub(crate) fn block_on_parked(mut future: Pin<&mut dyn Future<Output = ()>>) {
    let park = StdArc::new(ThreadWaker(ThreadPark::new()));
    let waker = Waker::from(park.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(()) = weft_core::coop::budget(|| future.as_mut().poll(&mut cx)) {
            return;
        }
        park.0.park(None);
    }
}
