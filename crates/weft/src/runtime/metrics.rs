//! [`RuntimeMetrics`]: one snapshot of a runtime's counters, gathered from the parts that
//! keep them: the scheduler (per-worker counters on each worker's own cache lines, through
//! the public `Scheduler::metrics`), the blocking pool (its counts, under its lock), the
//! timer driver (timers fired) and the reactor (I/O events delivered).
//!
//! Nothing here runs on the hot paths: the counters are bumped where the work happens, with
//! relaxed loads and stores on memory their writer owns, and only read here.

use std::time::Duration;

pub use weft_sched::WorkerMetrics;

use super::Handle;

/// A snapshot of a runtime's counters, from [`Handle::metrics`].
///
/// Counts are totals since the runtime was built; depths and thread counts are read when
/// the snapshot is taken. Each value is exact for itself, but the snapshot is not one
/// consistent cut: the runtime keeps running while it is read.
///
/// `#[non_exhaustive]`: more counters may come.
///
/// ```
/// let rt = weft::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .enable_all()
///     .build()
///     .unwrap();
/// rt.block_on(async {
///     let tasks: Vec<_> = (0..10).map(|i| weft::spawn(async move { i })).collect();
///     for t in tasks {
///         t.await.unwrap();
///     }
/// });
/// let m = rt.handle().metrics();
/// assert_eq!(m.workers.len(), 2);
/// assert!(m.total_polls() >= 10);
/// println!("{m:#?}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// One entry per scheduler worker: polls, steals, parks, local queue depth, busy
    /// time... (empty for a custom scheduler that reports none).
    pub workers: Vec<WorkerMetrics>,
    /// Tasks waiting in the scheduler's global (injection) queue.
    pub global_queue_depth: usize,
    /// Live blocking-pool threads (busy or idle).
    pub blocking_threads: usize,
    /// Blocking-pool threads waiting for work.
    pub blocking_idle: usize,
    /// `spawn_blocking` jobs waiting for a blocking-pool thread.
    pub blocking_queue_depth: usize,
    /// I/O readiness events the reactor delivered (0 with I/O disabled).
    pub io_events: u64,
    /// Timers the timer driver fired (0 with time disabled).
    pub timers_fired: u64,
    /// Live tasks: spawned and not finished ([`Handle::num_tasks`]; a task leaves the count
    /// just after its `JoinHandle` is woken).
    pub alive_tasks: usize,
}

impl RuntimeMetrics {
    /// Polls summed over every worker.
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async { weft::spawn(async {}).await.unwrap() });
    /// assert!(rt.handle().metrics().total_polls() >= 1);
    /// ```
    pub fn total_polls(&self) -> u64 {
        weft_sched::metrics::total_polls(&self.workers)
    }

    /// Tasks ready to run and waiting in a queue: the global queue plus every worker's local
    /// queue.
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().build().unwrap();
    /// // Spawned from outside the runtime while nothing runs it: they wait.
    /// let tasks: Vec<_> = (0..3).map(|_| rt.spawn(async {})).collect();
    /// assert_eq!(rt.handle().metrics().waiting_tasks(), 3);
    /// # rt.block_on(async { for t in tasks { t.await.unwrap() } });
    /// ```
    pub fn waiting_tasks(&self) -> usize {
        weft_sched::metrics::waiting_tasks(self.global_queue_depth, &self.workers)
    }

    /// Blocking-pool threads running a job: `blocking_threads - blocking_idle`.
    ///
    /// ```
    /// let rt = weft::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().metrics().blocking_busy(), 0);
    /// ```
    pub fn blocking_busy(&self) -> usize {
        self.blocking_threads.saturating_sub(self.blocking_idle)
    }

    /// Busy time summed over every worker.
    ///
    /// ```
    /// let rt = weft::Runtime::new().unwrap();
    /// rt.block_on(async { weft::spawn(async {}).await.unwrap() });
    /// assert!(rt.handle().metrics().total_busy() > std::time::Duration::ZERO);
    /// ```
    pub fn total_busy(&self) -> Duration {
        self.workers.iter().map(|w| w.busy).sum()
    }
}

impl Handle {
    /// A snapshot of the runtime's counters: per worker polls, steals and stolen tasks,
    /// parks and unparks, local queue depth, overflows to the global queue, budget-forced
    /// yields and busy time; the global queue's depth; blocking threads busy and idle and the
    /// blocking queue's depth; I/O events; timers fired; live tasks. See [`RuntimeMetrics`].
    ///
    /// Cheap enough to call once a second for a live view: it reads the counters, takes the
    /// blocking pool's lock for a moment, and allocates the `workers` vector. Counting itself
    /// is always on and costs the hot paths no shared write: each worker bumps counters on
    /// its own cache lines with relaxed loads and stores.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = weft::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .enable_all()
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     weft::time::sleep(Duration::from_millis(20)).await;
    ///     weft::spawn_blocking(|| ()).await.unwrap();
    /// });
    /// let m = rt.handle().metrics();
    /// assert_eq!(m.workers.len(), 2);
    /// assert_eq!(m.timers_fired, 1);
    /// assert!(m.blocking_threads >= 1);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        let shared = &self.shared;
        let sched = shared.owner.dispatcher().metrics();
        let blocking = shared.blocking.metrics();
        let driver = &shared.driver;
        RuntimeMetrics {
            workers: sched.workers,
            global_queue_depth: sched.global_queue_depth,
            blocking_threads: blocking.threads,
            blocking_idle: blocking.idle,
            blocking_queue_depth: blocking.queue_depth,
            io_events: driver.reactor_handle().map_or(0, |r| r.io_events()),
            timers_fired: driver.timer_handle().map_or(0, |t| t.timers_fired()),
            alive_tasks: shared.owner.len(),
        }
    }
}
