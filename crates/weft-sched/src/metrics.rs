//! Scheduler metrics: per-worker counters, and the snapshots [`Scheduler::metrics`] returns.
//!
//! Each worker keeps its counters in a `WorkerCounters` of its own, padded to a cache line
//! pair, so counting never writes memory another worker writes. A counter written only by its
//! worker (all of them, for the built-in schedulers) is bumped with a relaxed load and a
//! relaxed store, not a locked read-modify-write: a plain increment on x86-64 and Arm. A
//! snapshot reads them from any thread with relaxed loads; the values are statistics, each
//! exact for its own counter but not one consistent cut across counters.
//!
//! The counters are plain `std` atomics, also under `weft_loom`: they take part in no
//! protocol (nothing is decided on their values), and loom atomics would add a branch point
//! per poll to every scheduler model.
//!
//! Busy time is measured at the park boundaries only (the time from leaving a park to the
//! next park), never per poll: two clock reads per idle period.
//!
//! [`Scheduler::metrics`]: crate::Scheduler::metrics

use std::sync::atomic::{
    AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::{Duration, Instant};

use weft_core::CachePadded;

/// A snapshot of one worker's counters (all counts since the scheduler was built).
///
/// `#[non_exhaustive]`: more counters may come. Outside this crate, start from
/// [`WorkerMetrics::default`] and set the fields (a custom scheduler reporting its own).
///
/// ```
/// use weft_sched::WorkerMetrics;
///
/// let mut worker = WorkerMetrics::default();
/// worker.polls = 10;
/// worker.local_queue_depth = 2;
/// assert_eq!(worker.polls, 10);
/// assert_eq!(worker.steals, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Task polls run by this worker (each counted as it starts, so a task seen finished
    /// has all its polls counted).
    pub polls: u64,
    /// Successful steal operations: times this worker took a batch from another worker's
    /// queue.
    pub steals: u64,
    /// Tasks taken by those steals (each steal takes about half of the victim's queue).
    pub stolen_tasks: u64,
    /// Times the worker went to sleep for want of work (one per idle period; a spurious
    /// wake-up that sleeps again is not counted twice).
    pub parks: u64,
    /// Times the worker woke up from such a sleep to look for work.
    pub unparks: u64,
    /// Tasks in the worker's local queue when the snapshot was taken.
    pub local_queue_depth: usize,
    /// Overflows: pushes that found the local ring full (or full only while a thief was
    /// copying out of it) and so sent the new task to the global queue.
    pub overflows: u64,
    /// Budget-forced yields: polls on this worker in which a task's cooperative budget ran
    /// out and an operation returned `Pending` to make it yield (`weft_core::coop`).
    pub forced_yields: u64,
    /// Time the worker spent awake (from waking up to parking again), including the current
    /// awake period.
    pub busy: Duration,
}

/// A snapshot of a scheduler: one [`WorkerMetrics`] per worker and the global queue's depth.
///
/// The default (what [`Scheduler::metrics`](crate::Scheduler::metrics) returns for a
/// scheduler that does not report any) has no workers.
///
/// ```
/// use std::sync::Arc;
/// use weft_sched::{Env, MultiThread, Scheduler, ThreadPark};
/// use weft_task::Owner;
///
/// let owner = Arc::new(Owner::new(MultiThread::new(2)));
/// let env = Env::new(Arc::new(ThreadPark::new()));
/// owner.dispatcher().start(&env).unwrap();
/// let task = owner.spawn(async { 1 });
/// let mut out = None;
/// owner.dispatcher().block_on(&env, std::pin::pin!(async { out = Some(task.await) }));
///
/// let metrics = owner.dispatcher().metrics();
/// assert_eq!(metrics.workers.len(), 2);
/// assert!(metrics.total_polls() >= 1);
/// # owner.close_and_shutdown_all();
/// # owner.dispatcher().shutdown();
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchedulerMetrics {
    /// One entry per worker, by index.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks in the global (injection) queue when the snapshot was taken.
    pub global_queue_depth: usize,
}

impl SchedulerMetrics {
    /// A snapshot from its parts (for a custom scheduler's [`Scheduler::metrics`]).
    ///
    /// [`Scheduler::metrics`]: crate::Scheduler::metrics
    ///
    /// ```
    /// use weft_sched::{SchedulerMetrics, WorkerMetrics};
    ///
    /// let metrics = SchedulerMetrics::new(vec![WorkerMetrics::default()], 3);
    /// assert_eq!(metrics.workers.len(), 1);
    /// assert_eq!(metrics.waiting_tasks(), 3);
    /// ```
    pub fn new(workers: Vec<WorkerMetrics>, global_queue_depth: usize) -> SchedulerMetrics {
        SchedulerMetrics {
            workers,
            global_queue_depth,
        }
    }

    /// Polls summed over every worker.
    ///
    /// ```
    /// use weft_sched::{SchedulerMetrics, WorkerMetrics};
    ///
    /// let mut a = WorkerMetrics::default();
    /// a.polls = 2;
    /// let mut b = WorkerMetrics::default();
    /// b.polls = 3;
    /// assert_eq!(SchedulerMetrics::new(vec![a, b], 0).total_polls(), 5);
    /// ```
    pub fn total_polls(&self) -> u64 {
        total_polls(&self.workers)
    }

    /// Tasks waiting in a queue: the global queue plus every local queue.
    ///
    /// ```
    /// use weft_sched::{SchedulerMetrics, WorkerMetrics};
    ///
    /// let mut a = WorkerMetrics::default();
    /// a.local_queue_depth = 4;
    /// assert_eq!(SchedulerMetrics::new(vec![a], 1).waiting_tasks(), 5);
    /// ```
    pub fn waiting_tasks(&self) -> usize {
        waiting_tasks(self.global_queue_depth, &self.workers)
    }
}

/// The counters of a scheduler whose one worker is whichever thread holds its core
/// (`CurrentThread`, `Deterministic`): the worker's counters, and its local queue's length
/// as of the last batch (a snapshot cannot read the core while a thread runs it).
#[derive(Default)]
pub(crate) struct CoreCounters {
    pub(crate) worker: WorkerCounters,
    /// Statistics only, like the counters.
    pub(crate) local_len: AtomicUsize,
}

impl CoreCounters {
    /// A snapshot of the one worker, beside `global_queue_depth` tasks queued from other
    /// threads.
    pub(crate) fn metrics(&self, epoch: Instant, global_queue_depth: usize) -> SchedulerMetrics {
        let worker = self.worker.snapshot(epoch, self.local_len.load(Relaxed));
        SchedulerMetrics::new(vec![worker], global_queue_depth)
    }
}

/// One worker's live counters, written by that worker only (see the module docs).
#[derive(Default)]
pub(crate) struct WorkerCounters {
    polls: AtomicU64,
    steals: AtomicU64,
    stolen_tasks: AtomicU64,
    parks: AtomicU64,
    unparks: AtomicU64,
    overflows: AtomicU64,
    forced_yields: AtomicU64,
    /// Nanoseconds awake, summed over the finished awake periods.
    busy_ns: AtomicU64,
    /// When the current awake period began, in nanoseconds since the scheduler's epoch plus
    /// one; 0 while asleep (or not started).
    awake_since: AtomicU64,
}

/// Bumps a counter only its owner writes: a load and a store, no locked instruction.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Nanoseconds from `epoch` to now, saturated.
fn since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl WorkerCounters {
    pub(crate) fn padded() -> CachePadded<WorkerCounters> {
        CachePadded::new(WorkerCounters::default())
    }

    #[inline]
    pub(crate) fn add_polls(&self, n: u64) {
        bump(&self.polls, n);
    }

    pub(crate) fn add_steal(&self, tasks: u64) {
        #[cfg(feature = "tracing")]
        tracing::trace!(target: "weft::sched", tasks, "steal");
        bump(&self.steals, 1);
        bump(&self.stolen_tasks, tasks);
    }

    #[inline]
    pub(crate) fn add_overflow(&self) {
        bump(&self.overflows, 1);
    }

    /// Adds the forced yields counted on this thread since the last call; `true` if there
    /// were any.
    pub(crate) fn collect_forced_yields(&self) -> bool {
        let n = weft_core::coop::take_forced_yields();
        if n > 0 {
            bump(&self.forced_yields, n);
        }
        n > 0
    }

    /// The worker starts (or resumes) an awake period.
    pub(crate) fn awake(&self, epoch: Instant) {
        self.awake_since
            .store(since(epoch).saturating_add(1), Relaxed);
    }

    /// The worker leaves its awake period (it goes to sleep, or stops).
    pub(crate) fn asleep(&self, epoch: Instant) {
        let start = self.awake_since.load(Relaxed);
        if start != 0 {
            bump(&self.busy_ns, since(epoch).saturating_sub(start - 1));
            self.awake_since.store(0, Relaxed);
        }
    }

    /// Goes to sleep for want of work: ends the awake period, collects forced yields.
    pub(crate) fn park(&self, epoch: Instant) {
        #[cfg(feature = "tracing")]
        tracing::trace!(target: "weft::sched", "park");
        self.collect_forced_yields();
        self.asleep(epoch);
        // Counted last, with Release: a snapshot that sees this park (Acquire) sees the
        // awake period it ended already added to the busy time.
        self.parks
            .store(self.parks.load(Relaxed).wrapping_add(1), Release);
    }

    /// Wakes up from such a sleep.
    pub(crate) fn unpark(&self, epoch: Instant) {
        #[cfg(feature = "tracing")]
        tracing::trace!(target: "weft::sched", "unpark");
        bump(&self.unparks, 1);
        self.awake(epoch);
    }

    /// A snapshot, with `local_queue_depth` as given.
    pub(crate) fn snapshot(&self, epoch: Instant, local_queue_depth: usize) -> WorkerMetrics {
        // The park count first (see `park`): a parked worker's busy time is then final.
        let parks = self.parks.load(Acquire);
        let unparks = self.unparks.load(Relaxed);
        let mut busy_ns = self.busy_ns.load(Relaxed);
        let start = self.awake_since.load(Relaxed);
        if start != 0 {
            busy_ns = busy_ns.saturating_add(since(epoch).saturating_sub(start - 1));
        }
        WorkerMetrics {
            polls: self.polls.load(Relaxed),
            steals: self.steals.load(Relaxed),
            stolen_tasks: self.stolen_tasks.load(Relaxed),
            parks,
            unparks,
            local_queue_depth,
            overflows: self.overflows.load(Relaxed),
            forced_yields: self.forced_yields.load(Relaxed),
            busy: Duration::from_nanos(busy_ns),
        }
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up() {
        let epoch = Instant::now();
        let c = WorkerCounters::padded();
        c.add_polls(3);
        c.add_polls(2);
        c.add_steal(4);
        c.add_steal(1);
        c.add_overflow();
        let m = c.snapshot(epoch, 7);
        assert_eq!(m.polls, 5);
        assert_eq!((m.steals, m.stolen_tasks), (2, 5));
        assert_eq!(m.overflows, 1);
        assert_eq!(m.local_queue_depth, 7);
        assert_eq!(m.busy, Duration::ZERO, "never awake");
    }

    #[test]
    fn busy_time_spans_awake_periods_only() {
        let epoch = Instant::now();
        let c = WorkerCounters::padded();
        c.awake(epoch);
        std::thread::sleep(Duration::from_millis(20));
        c.park(epoch);
        let after_first = c.snapshot(epoch, 0).busy;
        assert!(after_first >= Duration::from_millis(20), "{after_first:?}");
        // Asleep: busy time stands still.
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(c.snapshot(epoch, 0).busy, after_first);
        // Awake again: the current period counts while it lasts.
        c.unpark(epoch);
        std::thread::sleep(Duration::from_millis(10));
        let during = c.snapshot(epoch, 0);
        assert!(during.busy >= after_first + Duration::from_millis(10));
        assert!(during.busy < after_first + Duration::from_millis(30) + Duration::from_secs(5));
        assert_eq!((during.parks, during.unparks), (1, 1));
    }

    #[test]
    fn forced_yields_are_collected_from_the_thread() {
        use std::task::{Context, Poll, Waker};
        use weft_core::coop;

        let _ = coop::take_forced_yields();
        let c = WorkerCounters::padded();
        let mut cx = Context::from_waker(Waker::noop());
        coop::budget(|| {
            for _ in 0..coop::BUDGET {
                if let Poll::Ready(g) = coop::poll_proceed(&mut cx) {
                    g.made_progress();
                }
            }
            assert!(coop::poll_proceed(&mut cx).is_pending());
            assert!(coop::poll_proceed(&mut cx).is_pending());
        });
        c.collect_forced_yields();
        assert_eq!(c.snapshot(Instant::now(), 0).forced_yields, 2);
        c.collect_forced_yields();
        assert_eq!(c.snapshot(Instant::now(), 0).forced_yields, 2);
    }

    #[test]
    fn counters_are_padded() {
        assert!(std::mem::align_of::<CachePadded<WorkerCounters>>() >= 128);
        assert!(std::mem::size_of::<WorkerCounters>() <= 128);
    }
}

/// Polls summed over `workers` (shared with the facade's `RuntimeMetrics`).
#[doc(hidden)]
pub fn total_polls(workers: &[WorkerMetrics]) -> u64 {
    workers.iter().map(|w| w.polls).sum()
}

/// The global queue's depth plus every local queue's (shared with the facade's
/// `RuntimeMetrics`).
#[doc(hidden)]
pub fn waiting_tasks(global_queue_depth: usize, workers: &[WorkerMetrics]) -> usize {
    global_queue_depth + workers.iter().map(|w| w.local_queue_depth).sum::<usize>()
}
