use std::fmt;
use std::io;
use std::sync::{Arc, Weak};
use std::time::Duration;

use weft_blocking::{BlockingPool, Spawner};
use weft_core::introspect::Monitor;
use weft_sched::{CurrentThread, Env, MultiThread, Park, Scheduler};
use weft_task::Owner;

use super::debug::DebugConfig;

use super::driver::Driver;
use super::handle::{RuntimeOwner, Shared};
use super::{context, Handle, Runtime};

type Hook = Arc<dyn Fn() + Send + Sync>;

/// Configures and builds a [`Runtime`].
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let started = Arc::new(AtomicUsize::new(0));
/// let counter = started.clone();
/// let rt = weft::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .on_thread_start(move || { counter.fetch_add(1, Ordering::SeqCst); })
///     .build()
///     .unwrap();
/// let name = rt.block_on(rt.spawn(async {
///     std::thread::current().name().map(str::to_owned)
/// }));
/// assert_eq!(name.unwrap().as_deref(), Some("my-worker"));
/// drop(rt); // shuts down and joins the threads: both workers have run the hook
/// assert_eq!(started.load(Ordering::SeqCst), 2);
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    thread_stack_size: Option<usize>,
    max_blocking_threads: usize,
    thread_keep_alive: Duration,
    on_thread_start: Option<Hook>,
    on_thread_stop: Option<Hook>,
    global_queue_interval: Option<u32>,
    event_interval: Option<u32>,
    enable_time: bool,
    enable_io: bool,
    start_paused: bool,
    debug: DebugConfig,
}

enum Kind {
    MultiThread,
    CurrentThread,
    Custom(MakeOwner),
}

/// Builds the owner of a custom scheduler, given debug mode's monitor.
type MakeOwner = Box<dyn FnOnce(Option<Arc<Monitor>>) -> Arc<RuntimeOwner> + Send + Sync>;

/// The owner of the runtime's tasks: a wake-up is one call into the scheduler. Four list
/// shards per worker keep spawns and completions on different workers off each other's locks.
fn owner<S: Scheduler>(scheduler: S, monitor: Option<Arc<Monitor>>) -> Arc<RuntimeOwner> {
    let shards = scheduler.num_workers().saturating_mul(4);
    let scheduler: Box<dyn Scheduler> = Box::new(scheduler);
    Arc::new(Owner::with_shards(scheduler, shards).with_monitor(monitor))
}

impl Builder {
    /// A builder for the work-stealing multi-thread scheduler (one worker per CPU unless
    /// [`Builder::worker_threads`] says otherwise).
    pub fn new_multi_thread() -> Builder {
        Builder {
            kind: Kind::MultiThread,
            worker_threads: None,
            thread_name: Arc::new(|| "weft-worker".to_owned()),
            thread_stack_size: None,
            max_blocking_threads: 512,
            thread_keep_alive: Duration::from_secs(10),
            on_thread_start: None,
            on_thread_stop: None,
            global_queue_interval: None,
            event_interval: None,
            enable_time: true,
            enable_io: true,
            start_paused: false,
            debug: DebugConfig::default(),
        }
    }

    /// Enables every driver: the timers (`weft::time`) and I/O (`weft::net`,
    /// `weft::signal`, `weft::process`). Both are **on by default** (as in asyncio and
    /// smol: a runtime from any builder can sleep and open sockets); this and
    /// [`enable_time`](Self::enable_time) / [`enable_io`](Self::enable_io) are kept so
    /// tokio-style builder chains read the same, and undo a
    /// [`disable_time`](Self::disable_time) / [`disable_io`](Self::disable_io).
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// rt.block_on(weft::time::sleep(std::time::Duration::from_millis(1))); // time is on
    /// ```
    pub fn enable_all(self) -> Builder {
        self.enable_time().enable_io()
    }

    /// Enables the I/O driver (a mio reactor, or `polling` with the `backend-polling`
    /// feature), which is on by default: sockets, signals and child processes work on this
    /// runtime.
    pub fn enable_io(mut self) -> Builder {
        self.enable_io = true;
        self
    }

    /// Enables the timers, which are on by default: `weft::time::{sleep, timeout,
    /// interval}` work on this runtime.
    pub fn enable_time(mut self) -> Builder {
        self.enable_time = true;
        self
    }

    /// Builds the runtime without the I/O driver: its idle workers sleep on a plain thread
    /// parker instead of the OS poller, and sockets, signals and child processes fail with
    /// a message naming this option.
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().disable_io().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// ```
    pub fn disable_io(mut self) -> Builder {
        self.enable_io = false;
        self
    }

    /// Builds the runtime without timers: `weft::time::{sleep, timeout, interval}` panic
    /// with a message naming this option when polled on it.
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().disable_time().build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// ```
    pub fn disable_time(mut self) -> Builder {
        self.enable_time = false;
        self
    }

    /// Starts the runtime's clock paused (and enables time): `weft::time::Instant::now()`
    /// stands still, and whenever every task is idle the clock jumps to the next timer's
    /// deadline, so a test of an hour-long timeout finishes at once, deterministically.
    /// See `weft::time::{pause, resume, advance}`.
    ///
    /// Only for the current-thread scheduler (where "the thread that parks is idle" means
    /// "every task is idle") or a custom one whose `Scheduler::wants_paused_clock` says it
    /// is like it (`weft::sched::Deterministic`, which starts paused even without this);
    /// `build` fails otherwise.
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        if paused {
            self.enable_time = true;
        }
        self
    }

    /// A builder for the current-thread scheduler: tasks run on the thread that calls
    /// `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new_multi_thread().current_thread()
    }

    /// Switches to the multi-thread scheduler.
    pub fn multi_thread(mut self) -> Builder {
        self.kind = Kind::MultiThread;
        self
    }

    /// Switches to the current-thread scheduler.
    pub fn current_thread(mut self) -> Builder {
        self.kind = Kind::CurrentThread;
        self
    }

    /// Uses `scheduler` instead of a built-in one. The runtime drives it only through the
    /// [`Scheduler`] trait, exactly as it drives the built-in ones; worker-thread settings of
    /// this builder (name, stack size, start/stop hooks) apply to the threads it starts
    /// through its [`Env`].
    pub fn scheduler(mut self, scheduler: impl Scheduler) -> Builder {
        self.kind = Kind::Custom(Box::new(move |monitor| owner(scheduler, monitor)));
        self
    }

    /// The number of worker threads of the multi-thread scheduler.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    pub fn worker_threads(mut self, n: usize) -> Builder {
        assert!(n > 0, "worker_threads must be at least 1 (got 0)");
        self.worker_threads = Some(n);
        self
    }

    /// The name of the runtime's threads (default `weft-worker`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        let name: String = name.into();
        self.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function producing the name of each new runtime thread.
    pub fn thread_name_fn(mut self, f: impl Fn() -> String + Send + Sync + 'static) -> Builder {
        self.thread_name = Arc::new(f);
        self
    }

    /// The stack size of the runtime's threads, in bytes.
    pub fn thread_stack_size(mut self, bytes: usize) -> Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// The most threads the blocking pool may run at once (default 512).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        assert!(n > 0, "max_blocking_threads must be at least 1 (got 0)");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for work before exiting (default 10 s).
    pub fn thread_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.thread_keep_alive = keep_alive;
        self
    }

    /// Runs `f` on every runtime thread (workers and blocking pool) when it starts.
    pub fn on_thread_start(mut self, f: impl Fn() + Send + Sync + 'static) -> Builder {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on every runtime thread just before it exits.
    pub fn on_thread_stop(mut self, f: impl Fn() + Send + Sync + 'static) -> Builder {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// How often (in scheduler ticks) a worker checks the global queue before its own
    /// (default 61 for multi-thread, 31 for current-thread).
    ///
    /// # Panics
    ///
    /// If `ticks` is 0.
    pub fn global_queue_interval(mut self, ticks: u32) -> Builder {
        assert!(
            ticks > 0,
            "global_queue_interval must be at least 1 (got 0)"
        );
        self.global_queue_interval = Some(ticks);
        self
    }

    /// How often (in scheduler ticks) a busy worker polls for I/O and timers (default 61).
    ///
    /// # Panics
    ///
    /// If `ticks` is 0.
    pub fn event_interval(mut self, ticks: u32) -> Builder {
        assert!(ticks > 0, "event_interval must be at least 1 (got 0)");
        self.event_interval = Some(ticks);
        self
    }

    /// Turns debug mode on with the slow-poll threshold `threshold` (asyncio's
    /// `loop.slow_callback_duration`): a poll that takes longer is reported naming the task,
    /// where it was spawned and how long the poll took; a worker still stuck in one poll
    /// longer than that while other tasks wait is reported while it is stuck; and a task that
    /// panicked and whose `JoinHandle` was dropped without being awaited is reported.
    /// Reports go to `tracing` (feature `tracing`) or standard error, or to
    /// [`on_debug_report`](Builder::on_debug_report).
    ///
    /// Debug mode is on by default in debug builds (threshold 100 ms) and off in release
    /// builds; the environment variable `WEFT_DEBUG=1` or `WEFT_DEBUG=0` overrides that default
    /// (asyncio's `PYTHONASYNCIODEBUG`), and this method or [`debug`](Builder::debug)
    /// override the environment. In debug mode every poll reads the clock twice (about
    /// 60 ns), and [`TaskInfo::busy`](crate::task::TaskInfo::busy) is counted.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let seen = reports.clone();
    /// let rt = weft::runtime::Builder::new_current_thread()
    ///     .slow_poll_threshold(Duration::from_millis(20))
    ///     .on_debug_report(move |r| seen.lock().unwrap().push(r.to_string()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     weft::task::Builder::new()
    ///         .name("sleepy")
    ///         .spawn(async { std::thread::sleep(Duration::from_millis(50)) })
    ///         .await
    ///         .unwrap();
    /// });
    /// let reports = reports.lock().unwrap();
    /// assert!(reports.iter().any(|r| r.starts_with("slow poll: task") && r.contains("\"sleepy\"")));
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.debug.enabled = Some(true);
        self.debug.threshold = threshold;
        self
    }

    /// Turns debug mode on or off (see
    /// [`slow_poll_threshold`](Builder::slow_poll_threshold); the threshold stays 100 ms
    /// unless set there).
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().debug(false).build().unwrap();
    /// assert!(!rt.handle().is_debug());
    /// ```
    pub fn debug(mut self, enabled: bool) -> Builder {
        self.debug.enabled = Some(enabled);
        self
    }

    /// Sends debug-mode reports to `f` instead of `tracing` or standard error (asyncio's
    /// `loop.set_exception_handler`). It is called on the thread that noticed: a worker, a
    /// thread dropping a `JoinHandle`, or weft's watchdog thread; a panic inside it is
    /// contained. It does not turn debug mode on.
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread()
    ///     .debug(true)
    ///     .on_debug_report(|report| eprintln!("[my app] {report}"))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn on_debug_report(
        mut self,
        f: impl Fn(&crate::runtime::DebugReport) + Send + Sync + 'static,
    ) -> Builder {
        self.debug.sink = Some(Arc::new(f));
        self
    }

    /// Builds the runtime and starts its threads.
    pub fn build(self) -> io::Result<Runtime> {
        let current_thread = matches!(self.kind, Kind::CurrentThread);
        if self.start_paused && !self.enable_time {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Builder::start_paused(true) needs the timers, which Builder::disable_time() \
                 turned off",
            ));
        }
        let monitor = self.debug.monitor();
        let owner = match self.kind {
            Kind::MultiThread => {
                let workers = self
                    .worker_threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                let mut mt = MultiThread::new(workers);
                if let Some(n) = self.global_queue_interval {
                    mt = mt.global_queue_interval(n);
                }
                if let Some(n) = self.event_interval {
                    mt = mt.event_interval(n);
                }
                owner(mt, monitor)
            }
            Kind::CurrentThread => {
                let mut ct = CurrentThread::new();
                if let Some(n) = self.global_queue_interval {
                    ct = ct.global_queue_interval(n);
                }
                if let Some(n) = self.event_interval {
                    ct = ct.event_interval(n);
                }
                owner(ct, monitor)
            }
            Kind::Custom(make) => make(monitor),
        };
        // A scheduler may ask for the paused clock (`Deterministic` does); it then runs every
        // task on the thread that parks, as current-thread does.
        let wants_paused = owner.dispatcher().wants_paused_clock();
        let pausable = current_thread || wants_paused;
        if self.start_paused && !pausable {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Builder::start_paused(true) needs the current-thread scheduler \
                 (Builder::new_current_thread()): a paused clock jumps ahead only when every \
                 task is idle, which only a single-threaded runtime can tell",
            ));
        }
        // One timer-wheel shard per thread that runs tasks; a single-threaded runtime (the
        // only kind whose clock may be paused) keeps one.
        let timer_shards = if pausable {
            1
        } else {
            owner.dispatcher().num_workers()
        };
        let driver = Arc::new(Driver::new(
            self.enable_time,
            self.start_paused || (wants_paused && self.enable_time),
            pausable,
            self.enable_io,
            timer_shards,
        )?);
        let threads = ThreadConfig {
            name: self.thread_name,
            stack_size: self.thread_stack_size,
            on_start: self.on_thread_start,
            on_stop: self.on_thread_stop,
        };
        let shared = Arc::new_cyclic(|weak: &Weak<Shared>| {
            let env = Env::with_spawner(
                driver.clone() as Arc<dyn Park>,
                threads.spawner(weak.clone(), true),
            );
            Shared {
                owner,
                blocking: BlockingPool::new(
                    Spawner::new(threads.spawner(weak.clone(), false)),
                    self.max_blocking_threads,
                    self.thread_keep_alive,
                ),
                driver,
                env,
            }
        });
        let handle = Handle { shared };
        if let Some(monitor) = handle.shared.owner.monitor() {
            super::debug::watch(monitor, &handle);
        }
        // A runtime that fails to start must still stop what it did start.
        let rt = Runtime::from_handle(handle);
        let shared = &rt.handle().shared;
        shared.owner.dispatcher().start(&shared.env)?;
        Ok(rt)
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new_multi_thread()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::MultiThread => "multi_thread",
            Kind::CurrentThread => "current_thread",
            Kind::Custom(_) => "custom",
        };
        f.debug_struct("Builder")
            .field("kind", &kind)
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.thread_keep_alive)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("event_interval", &self.event_interval)
            .field("enable_time", &self.enable_time)
            .field("enable_io", &self.enable_io)
            .field("start_paused", &self.start_paused)
            .finish_non_exhaustive()
    }
}

/// How runtime threads are started.
struct ThreadConfig {
    name: Arc<dyn Fn() -> String + Send + Sync>,
    stack_size: Option<usize>,
    on_start: Option<Hook>,
    on_stop: Option<Hook>,
}

impl ThreadConfig {
    /// The spawn function handed to schedulers through their `Env` (and to the blocking pool
    /// as its `Spawner`). It holds the runtime weakly, so the runtime's own `Env` does not
    /// keep it alive.
    fn spawner(
        &self,
        shared: Weak<Shared>,
        is_worker: bool,
    ) -> impl Fn(Box<dyn FnOnce() + Send>) -> io::Result<weft_core::loom::thread::JoinHandle<()>>
           + Send
           + Sync
           + 'static {
        let name = self.name.clone();
        let stack_size = self.stack_size;
        let on_start = self.on_start.clone();
        let on_stop = self.on_stop.clone();
        move |f| {
            let mut builder = weft_core::loom::thread::Builder::new().name(name());
            if let Some(size) = stack_size {
                builder = builder.stack_size(size);
            }
            let shared = shared.clone();
            let on_start = on_start.clone();
            let on_stop = on_stop.clone();
            builder.spawn(move || {
                let handle = shared.upgrade().map(|shared| Handle { shared });
                let _current = handle.as_ref().map(context::set_current);
                // Workers count as "inside the runtime" (block_on there would deadlock);
                // blocking-pool threads do not: blocking is what they are for.
                let _worker = is_worker.then(context::enter_worker);
                // Debug mode times the polls of worker threads (blocking threads poll none).
                let _polls = handle
                    .as_ref()
                    .and_then(|h| h.shared.owner.monitor())
                    .filter(|_| is_worker)
                    .map(|m| m.enter_thread());
                drop(handle);
                if let Some(f) = &on_start {
                    f();
                }
                f();
                if let Some(f) = &on_stop {
                    f();
                }
            })
        }
    }
}
