//! The work-stealing multi-thread scheduler.
//!
//! Each worker owns a bounded local queue (`weft_queue::Local`) and a LIFO slot; tasks
//! spawned or woken on a worker stay on it, other workers steal half a queue at a time when
//! they run dry, and tasks from outside the runtime go through the global injection queue.
//!
//! Where a task goes:
//!
//! | from            | hint    | goes to                                                    |
//! |-----------------|---------|------------------------------------------------------------|
//! | a worker        | `Wake`  | the LIFO slot (its previous occupant to the local queue)  |
//! | a worker        | `Spawn` / `Yield` / `Deferred` | the back of the local queue (the injection queue when the local queue is full) |
//! | anywhere else   | any     | the injection queue, and a sleeping worker is woken        |
//!
//! How a worker picks its next task: every `global_queue_interval` ticks the injection queue
//! first (fairness for remote work), otherwise its LIFO slot (at most `MAX_LIFO_POLLS` in
//! a row, so two tasks pinging each other cannot starve the queue), its local queue, the
//! injection queue (taking a small batch into its local queue), then it tries to steal (if
//! fewer than half of the workers are already searching), and finally parks.
//!
//! Locality: a thief leaves a victim's short queue (at most `SHORT_QUEUE` tasks) alone while
//! the victim gets through it: the queue goes empty, or the victim keeps taking tasks from
//! it (at least one every `STALL_WINDOW`); after watching for `KEEP_UP_LIMIT` the thief
//! moves on and leaves the queue to its worker. Tasks that wake each other then stay on one
//! worker and their messages in its cache, instead of every message crossing cores. A long
//! queue is stolen from at once, and a short one as soon as its worker stalls in a long poll
//! (CPU-bound work), so locality delays the spreading of CPU-bound work by the stall window
//! at most. Tasks that do not wake each other are stolen at once: those the driver queued
//! (woken by I/O or timers, marked in the victim's `Remote::driver_fed`; keeping them cost
//! the I/O rows) and those that yielded of their own accord (`Hint::Yield` without a spent
//! budget: CPU-bound work taking turns, marked in `Remote::yield_fed`). A thief that has
//! waited `SPIN_ALONE` yields its CPU between looks, in case the victim waits for that CPU
//! (more workers than CPUs). A declined steal strands nothing (`worker::keeps_up`; the loom
//! model `tests/loom_local_spawn.rs` checks it).
//!
//! Watching: a thief that left a queue alone because its worker kept up parks for at most
//! `WATCH_PERIOD` and then looks again. While such a watcher exists, a worker does not wake
//! a sleeper for a task its own tasks woke into a short queue (`Shared::is_watched`): the
//! sleeper would only find it keeping up again, and on a channel whose tasks share a worker
//! that wake-up came once per batch of messages. A task so queued just before its worker
//! stalls is stolen within `WATCH_PERIOD` plus the stall window. Neither the watch nor the
//! skip exists under loom (loom has no time to time out in): the models check the eager
//! protocol, and the skip's one ordering (the push, then a read-modify-write of the watcher
//! count; a watcher counts itself out with one before it looks) is the one `idle.rs` uses.
//!
//! Every `event_interval` ticks a worker polls the driver without blocking, so busy workers
//! still see I/O and timers.
//!
//! Parking: see `idle.rs` for the protocol that loses no wake-up. A parked worker sleeps
//! in the runtime's driver if no other worker is in it, else on its own condition variable;
//! a watcher with a timeout.
//!
//! Metrics: each worker counts in its `Remote`'s padded `WorkerCounters` (see `metrics.rs`):
//! each poll before it runs, steals and overflows where they happen, parks, unparks and busy
//! time at the park boundaries, and the thread's budget-forced yields when it parks and every
//! `event_interval` ticks. Queue depths are read when a snapshot is taken.
//!
//! Shutdown: `shutdown` sets a flag and unparks every worker; each finishes its current poll,
//! drops (cancels) what is in its queues and exits; `shutdown` joins the threads and drains
//! the injection queue. A `schedule` that races with the end of shutdown drains what it
//! pushed itself, so no runnable (and so no task) outlives the scheduler.

mod idle;
mod parker;
mod worker;

use std::fmt;
use std::io;
use std::time::Instant;

use weft_core::loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::{Arc, Mutex};
use weft_core::loom::thread;
use weft_core::CachePadded;
use weft_queue::{Inject, Steal};
use weft_task::{Dispatch, Hint, Runnable};

use crate::metrics::WorkerCounters;
use crate::{Env, Scheduler, SchedulerMetrics};

use idle::Idle;
use parker::{DriverSlot, Parker};
use worker::Core;

/// At most this many LIFO-slot polls in a row before the worker goes back to its queue.
const MAX_LIFO_POLLS: u32 = 3;

/// A thief steals from a victim with a short queue once the victim has taken nothing from
/// it for this long (see `worker::keeps_up`).
#[cfg(not(weft_loom))]
const STALL_WINDOW: std::time::Duration = std::time::Duration::from_micros(200);

/// A thief that has watched a victim keep up for this long stops watching and leaves that
/// queue alone (it parks or looks elsewhere), instead of watching the victim's cache lines
/// indefinitely.
#[cfg(not(weft_loom))]
const KEEP_UP_LIMIT: std::time::Duration = std::time::Duration::from_millis(1);

/// ... and after spinning this long it yields its CPU between looks (`thread::yield_now`):
/// with more workers than CPUs the victim it waits for may be waiting for that CPU.
#[cfg(not(weft_loom))]
const SPIN_ALONE: std::time::Duration = std::time::Duration::from_micros(20);

/// A queue longer than this is stolen from at once.
const SHORT_QUEUE: usize = 8;

/// A thief that left a victim's short queue alone parks for at most this long, then looks
/// again: while it does, the victim does not wake it for tasks its own tasks woke (see
/// `Shared::is_watched`), so a victim that stalls right after such a wake-up has its queue
/// looked at within this period (plus [`STALL_WINDOW`]).
const WATCH_PERIOD: std::time::Duration = std::time::Duration::from_micros(500);

/// The work-stealing multi-thread scheduler (weft's default).
///
/// ```
/// use weft_sched::MultiThread;
///
/// let sched = MultiThread::new(4).global_queue_interval(31);
/// assert_eq!(weft_sched::Scheduler::num_workers(&sched), 4);
/// ```
pub struct MultiThread {
    /// Built with the scheduler, so `dispatch` goes straight to it; `start` adds the driver
    /// and the threads.
    shared: Arc<Shared>,
}

#[derive(Debug, Clone, Copy)]
struct Config {
    workers: usize,
    global_queue_interval: u32,
    event_interval: u32,
}

pub(crate) struct Shared {
    /// One per worker, each on its own cache lines: a worker writes its `yield_fed` on
    /// every yield and its `driver_fed` on every driver poll that queues tasks.
    remotes: Box<[CachePadded<Remote>]>,
    inject: Inject<Runnable>,
    idle: Idle,
    driver: Arc<DriverSlot>,
    /// The cores, parked here between `start` and the moment each thread takes its own.
    cores: Mutex<Vec<Option<Box<Core>>>>,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
    is_started: AtomicBool,
    is_shutdown: AtomicBool,
    /// Set once shutdown has drained the injection queue for good.
    is_drained: AtomicBool,
    config: Config,
    /// What the workers' busy-time stamps count from.
    epoch: Instant,
    /// Workers parked with a timeout, watching victims that keep up (see `worker::park`).
    watchers: CachePadded<AtomicUsize>,
}

struct Remote {
    steal: Steal<Runnable>,
    /// Where in the queue (a `Local::pushed` count) the tasks the driver queued last end:
    /// until `steal.taken()` reaches it, the queue holds tasks woken by I/O or timers, which
    /// thieves take at once (see `worker::keeps_up`). Written by this worker only.
    driver_fed: AtomicU32,
    /// The same for the tasks that yielded of their own accord (`Hint::Yield` from a poll
    /// whose budget was not spent: CPU-bound work taking turns, which should spread):
    /// thieves take them at once too. Written by this worker only.
    yield_fed: AtomicU32,
    parker: Parker,
    /// Written by this worker only (through its `Core`'s clone); read by metrics snapshots.
    metrics: Arc<CachePadded<WorkerCounters>>,
}

impl MultiThread {
    /// A scheduler with `workers` worker threads (at least one).
    ///
    /// # Panics
    ///
    /// If `workers` is 0.
    pub fn new(workers: usize) -> MultiThread {
        assert!(
            workers > 0,
            "MultiThread needs at least one worker thread (got 0)"
        );
        MultiThread::with_config(Config {
            workers,
            global_queue_interval: 61,
            event_interval: 61,
        })
    }

    fn with_config(config: Config) -> MultiThread {
        let driver = DriverSlot::new();
        let mut remotes = Vec::with_capacity(config.workers);
        let mut cores = Vec::with_capacity(config.workers);
        for index in 0..config.workers {
            let (local, steal) = weft_queue::local();
            let metrics = Arc::new(WorkerCounters::padded());
            remotes.push(CachePadded::new(Remote {
                steal,
                driver_fed: AtomicU32::new(0),
                yield_fed: AtomicU32::new(0),
                parker: Parker::new(driver.clone()),
                metrics: metrics.clone(),
            }));
            cores.push(Some(Box::new(Core::new(index, local, metrics, &config))));
        }
        MultiThread {
            shared: Arc::new(Shared {
                remotes: remotes.into_boxed_slice(),
                inject: Inject::new(),
                idle: Idle::new(config.workers),
                driver,
                cores: Mutex::new(cores),
                threads: Mutex::new(Vec::new()),
                is_started: AtomicBool::new(false),
                is_shutdown: AtomicBool::new(false),
                is_drained: AtomicBool::new(false),
                config,
                epoch: Instant::now(),
                watchers: CachePadded::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// A scheduler with one worker per available CPU.
    pub fn with_available_parallelism() -> MultiThread {
        MultiThread::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// How many ticks between checks of the global injection queue ahead of the local one
    /// (default 61). Lower is fairer to tasks woken from outside; higher keeps hot tasks
    /// local.
    ///
    /// # Panics
    ///
    /// If `interval` is 0.
    pub fn global_queue_interval(self, interval: u32) -> MultiThread {
        assert!(interval > 0, "global_queue_interval must be at least 1");
        MultiThread::with_config(Config {
            global_queue_interval: interval,
            ..self.shared.config
        })
    }

    /// How many ticks between non-blocking polls of the driver by a busy worker (default
    /// 61).
    ///
    /// # Panics
    ///
    /// If `interval` is 0.
    pub fn event_interval(self, interval: u32) -> MultiThread {
        assert!(interval > 0, "event_interval must be at least 1");
        MultiThread::with_config(Config {
            event_interval: interval,
            ..self.shared.config
        })
    }
}

impl Dispatch for MultiThread {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        self.shared.schedule(task, hint)
    }
}

impl Scheduler for MultiThread {
    fn start(&self, env: &Env) -> io::Result<()> {
        let shared = &self.shared;
        assert!(
            !shared.is_started.swap(true, SeqCst) && shared.driver.set(env.driver().clone()),
            "MultiThread::start called twice"
        );
        for index in 0..shared.config.workers {
            let shared2 = shared.clone();
            match env.spawn_thread(Box::new(move || worker::run(shared2, index))) {
                Ok(t) => shared.threads.lock().push(t),
                Err(e) => {
                    self.shutdown();
                    return Err(e);
                }
            }
        }
        // Tasks dispatched before the workers existed sit in the injection queue, where
        // the workers, which start unparked, look first.
        Ok(())
    }

    fn shutdown(&self) {
        self.shared.shutdown();
    }

    fn num_workers(&self) -> usize {
        self.shared.config.workers
    }

    fn metrics(&self) -> SchedulerMetrics {
        let shared = &self.shared;
        let workers = shared
            .remotes
            .iter()
            .map(|r| r.metrics.snapshot(shared.epoch, r.steal.len()))
            .collect();
        SchedulerMetrics::new(workers, shared.inject.len())
    }
}

impl fmt::Debug for MultiThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.shared.config;
        f.debug_struct("MultiThread")
            .field("workers", &config.workers)
            .field("global_queue_interval", &config.global_queue_interval)
            .field("event_interval", &config.event_interval)
            .finish()
    }
}

impl Shared {
    /// On one of this scheduler's workers: its local queue; anywhere else: the injection
    /// queue.
    fn schedule(&self, task: Runnable, hint: Hint) {
        worker::with_local_core(self, |core| match core {
            Some(core) => core.schedule(self, task, hint),
            None => self.schedule_remote(task),
        })
    }

    fn schedule_remote(&self, task: Runnable) {
        self.inject.push(task);
        if self.is_drained.load(SeqCst) {
            // Shutdown already drained the queue for the last time: drain what we pushed.
            self.drain_inject();
            return;
        }
        self.notify_parked();
    }

    /// Wakes a sleeping worker to look for work, if the idle protocol says one is needed.
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// Called by a parking last searcher: wakes a worker if any queue has work. A watcher
    /// (`watching`) looks again within [`WATCH_PERIOD`] anyway, so it leaves short queues to
    /// that look: waking now would only find their workers keeping up with them again.
    fn notify_if_work_pending(&self, watching: bool) {
        let has_work = |r: &Remote| {
            let len = r.steal.len();
            len > SHORT_QUEUE || (len > 0 && !watching)
        };
        let pending = self.remotes.iter().any(|r| has_work(r)) || !self.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    /// Whether some worker watches with a timed park, so that a worker may leave a task its
    /// own tasks woke, on a short queue, to that watcher's next look instead of waking a
    /// sleeper for it: the wake-up would find the worker keeping up with its queue, and on a
    /// channel whose tasks share a worker it came once per batch of messages (1,000-1,500
    /// times in 4 x 100,000 messages, each an `eventfd` write on the busy worker). A
    /// read-modify-write after the push, like `Idle::worker_to_notify`'s: a watcher that
    /// counts itself out afterwards sees the pushed task when it looks. Never under loom.
    fn is_watched(&self) -> bool {
        !cfg!(weft_loom) && self.watchers.fetch_add(0, SeqCst) > 0
    }

    fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(SeqCst)
    }

    fn drain_inject(&self) {
        while let Some(task) = self.inject.pop() {
            drop(task);
        }
    }

    fn shutdown(&self) {
        if self.is_shutdown.swap(true, SeqCst) {
            return;
        }
        // Wake every worker; each sees the flag and leaves its park loop. (The idle counts
        // are left as they are: nothing reads them any more.)
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
        let threads = std::mem::take(&mut *self.threads.lock());
        let me = thread::current().id();
        for t in threads {
            // A runtime dropped from one of its own workers cannot wait for that worker;
            // it exits on its own once the current poll returns.
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
        // Cores never claimed by a thread (start failed half-way) hold no tasks, but drop
        // them here all the same.
        drop(std::mem::take(&mut *self.cores.lock()));
        self.drain_inject();
        self.is_drained.store(true, SeqCst);
        self.drain_inject();
    }
}
