//! The current-thread scheduler: no threads of its own; tasks run inside `block_on`, on
//! the calling thread, interleaved with the future being blocked on.
//!
//! Tasks scheduled from the `block_on` thread go to a local queue without any
//! synchronisation; tasks scheduled from elsewhere go to a shared queue and unpark the
//! driver. Only one thread at a time runs the tasks (it holds the "core"); another thread
//! calling `block_on` meanwhile just polls its own future and takes the core over when the
//! first one returns. Tasks spawned while no thread is inside `block_on` wait until one is.
//!
//! Metrics: the one worker's counters (`metrics.rs`) are written by whichever thread holds
//! the core (one at a time, handed over under the core's mutex): a poll before it runs; the
//! forced yields and the local queue's length (which a snapshot cannot read from the core
//! itself while a thread runs it) once per batch of up to `event_interval` tasks.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc as StdArc, OnceLock};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use weft_core::context::{self, WorkerTag};
use weft_core::coop;
use weft_core::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use weft_core::loom::sync::{Arc, Mutex};
use weft_core::CachePadded;
use weft_task::{Dispatch, Hint, Runnable};

use crate::every::Every;
use crate::metrics::CoreCounters;
use crate::park::{Park, ThreadPark};
use crate::{Env, Scheduler, SchedulerMetrics};

/// The single-threaded scheduler: every task runs on the thread that calls `block_on`.
///
/// ```
/// use weft_sched::CurrentThread;
/// let sched = CurrentThread::new().global_queue_interval(31);
/// assert_eq!(weft_sched::Scheduler::num_workers(&sched), 1);
/// ```
pub struct CurrentThread {
    shared: Arc<Shared>,
}

struct Shared {
    /// Tasks scheduled from other threads.
    inject: Mutex<VecDeque<Runnable>>,
    /// The core, while no thread is running tasks.
    core: Mutex<Option<Box<Core>>>,
    /// Threads inside `block_on` waiting for the core.
    waiters: Mutex<Vec<StdArc<MainWaker>>>,
    driver: OnceLock<StdArc<dyn Park>>,
    is_shutdown: AtomicBool,
    is_drained: AtomicBool,
    global_queue_interval: u32,
    event_interval: u32,
    /// The worker's counters, written by the thread holding the core.
    metrics: CachePadded<CoreCounters>,
    /// What busy-time stamps count from.
    epoch: Instant,
}

struct Core {
    local: VecDeque<Runnable>,
    /// When the injection queue goes ahead of the local one.
    inject_every: Every,
}

struct CoreContext {
    shared: *const Shared,
    core: RefCell<Option<Box<Core>>>,
}

/// Marks a `CoreContext` in the runtime context's worker field.
static TAG: WorkerTag = WorkerTag("current-thread core");

impl Default for CurrentThread {
    fn default() -> CurrentThread {
        CurrentThread::new()
    }
}

impl CurrentThread {
    /// Creates the scheduler.
    pub fn new() -> CurrentThread {
        CurrentThread::with_intervals(31, 61)
    }

    fn with_intervals(global_queue_interval: u32, event_interval: u32) -> CurrentThread {
        CurrentThread {
            shared: Arc::new(Shared {
                inject: Mutex::new(VecDeque::new()),
                core: Mutex::new(Some(Box::new(Core {
                    local: VecDeque::new(),
                    inject_every: Every::new(global_queue_interval),
                }))),
                waiters: Mutex::new(Vec::new()),
                driver: OnceLock::new(),
                is_shutdown: AtomicBool::new(false),
                is_drained: AtomicBool::new(false),
                global_queue_interval,
                event_interval,
                metrics: CachePadded::default(),
                epoch: Instant::now(),
            }),
        }
    }

    /// How many ticks between checks of the shared queue ahead of the local one (default
    /// 31).
    ///
    /// # Panics
    ///
    /// If `interval` is 0.
    pub fn global_queue_interval(self, interval: u32) -> CurrentThread {
        assert!(interval > 0, "global_queue_interval must be at least 1");
        CurrentThread::with_intervals(interval, self.shared.event_interval)
    }

    /// How many tasks run between non-blocking polls of the driver (default 61).
    ///
    /// # Panics
    ///
    /// If `interval` is 0.
    pub fn event_interval(self, interval: u32) -> CurrentThread {
        assert!(interval > 0, "event_interval must be at least 1");
        CurrentThread::with_intervals(self.shared.global_queue_interval, interval)
    }
}

impl Dispatch for CurrentThread {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        let shared = &*self.shared;
        let Some(task) = schedule_local(shared, task) else {
            return;
        };
        shared.inject.lock().push_back(task);
        if shared.is_drained.load(SeqCst) {
            shared.drain_inject();
            return;
        }
        if let Some(driver) = shared.driver.get() {
            driver.unpark();
        }
    }
}

impl Scheduler for CurrentThread {
    fn start(&self, env: &Env) -> io::Result<()> {
        if self.shared.driver.set(env.driver().clone()).is_err() {
            panic!("CurrentThread::start called twice");
        }
        Ok(())
    }

    fn block_on(&self, env: &Env, mut future: Pin<&mut dyn Future<Output = ()>>) {
        let shared = &*self.shared;
        let main = StdArc::new(MainWaker {
            woken: AtomicBool::new(true),
            driver: env.driver().clone(),
            park: ThreadPark::new(),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            let core = shared.core.lock().take();
            if let Some(core) = core {
                return shared.run(core, &main, &mut cx, future);
            }
            // Another thread runs the tasks: poll our own future until it finishes or the
            // core comes back.
            {
                let mut waiters = shared.waiters.lock();
                if !waiters.iter().any(|w| StdArc::ptr_eq(w, &main)) {
                    waiters.push(main.clone());
                }
            }
            if main.woken.swap(false, SeqCst)
                && coop::budget(|| future.as_mut().poll(&mut cx)).is_ready()
            {
                return;
            }
            if shared.check_shutdown(&main, &mut cx, future.as_mut()) {
                return;
            }
            main.park.park(Some(Duration::from_millis(50)));
        }
    }

    fn shutdown(&self) {
        let shared = &*self.shared;
        if shared.is_shutdown.swap(true, SeqCst) {
            return;
        }
        let core = shared.core.lock().take();
        if let Some(mut core) = core {
            let leftover = std::mem::take(&mut core.local);
            drop(leftover);
        }
        shared.drain_inject();
        shared.is_drained.store(true, SeqCst);
        shared.drain_inject();
        // A thread still inside `block_on` (with or without the core) must notice.
        if let Some(driver) = shared.driver.get() {
            driver.unpark();
        }
        for waiter in std::mem::take(&mut *shared.waiters.lock()) {
            waiter.park.unpark();
        }
    }

    fn metrics(&self) -> SchedulerMetrics {
        let shared = &*self.shared;
        let global = shared.inject.lock().len();
        shared.metrics.metrics(shared.epoch, global)
    }
}

impl fmt::Debug for CurrentThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentThread")
            .field("global_queue_interval", &self.shared.global_queue_interval)
            .field("event_interval", &self.shared.event_interval)
            .finish()
    }
}

/// The waker of the future passed to `block_on`.
struct MainWaker {
    woken: AtomicBool,
    driver: StdArc<dyn Park>,
    /// Where a thread waiting for the core sleeps.
    park: ThreadPark,
}

impl Wake for MainWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.woken.store(true, SeqCst);
        self.driver.unpark();
        self.park.unpark();
    }
}

/// Puts the core back (also when the blocked-on future panics) and lets a waiting
/// `block_on` take it over.
struct ReleaseCore<'a> {
    shared: &'a Shared,
    cx: &'a CoreContext,
}

impl Drop for ReleaseCore<'_> {
    fn drop(&mut self) {
        let metrics = &self.shared.metrics.worker;
        metrics.collect_forced_yields();
        metrics.asleep(self.shared.epoch);
        let core = self.cx.core.borrow_mut().take();
        if let Some(mut core) = core {
            if self.shared.is_shutdown.load(SeqCst) {
                drop(std::mem::take(&mut core.local));
            } else {
                *self.shared.core.lock() = Some(core);
            }
        }
        for waiter in std::mem::take(&mut *self.shared.waiters.lock()) {
            waiter.park.unpark();
        }
    }
}

impl Shared {
    /// After shutdown nothing will ever wake the blocked-on future again (its tasks are
    /// cancelled, the driver is gone): give it one last poll, then say so instead of spinning.
    /// Returns `true` if that poll finished it.
    fn check_shutdown(
        &self,
        main: &MainWaker,
        cx: &mut Context<'_>,
        future: Pin<&mut dyn Future<Output = ()>>,
    ) -> bool {
        if !self.is_shutdown.load(SeqCst) {
            return false;
        }
        main.woken.store(false, SeqCst);
        if coop::budget(|| future.poll(cx)).is_ready() {
            return true;
        }
        {
            panic!(
                "weft: the current-thread runtime was shut down while this thread was in \
                 `block_on` on it, so the future can no longer make progress; keep the \
                 `Runtime` alive until every `Handle::block_on` on it has returned"
            );
        }
    }

    fn drain_inject(&self) {
        loop {
            let task = self.inject.lock().pop_front();
            match task {
                Some(task) => drop(task),
                None => return,
            }
        }
    }

    fn driver(&self) -> &StdArc<dyn Park> {
        self.driver
            .get()
            .expect("CurrentThread::block_on called before start")
    }

    fn next_task(&self, cx: &CoreContext) -> Option<Runnable> {
        let mut core = cx.core.borrow_mut();
        let core = core.as_mut().expect("core present while running");
        if core.inject_every.tick() {
            let remote = self.inject.lock().pop_front();
            remote.or_else(|| core.local.pop_front())
        } else {
            core.local
                .pop_front()
                .or_else(|| self.inject.lock().pop_front())
        }
    }

    fn run(
        &self,
        core: Box<Core>,
        main: &MainWaker,
        cx: &mut Context<'_>,
        mut future: Pin<&mut dyn Future<Output = ()>>,
    ) {
        let core_cx = CoreContext {
            shared: self,
            core: RefCell::new(Some(core)),
        };
        let _release = ReleaseCore {
            shared: self,
            cx: &core_cx,
        };
        // Dropped before `_release`, which needs the core out of the context.
        let _worker = context::set_worker(&TAG, (&core_cx as *const CoreContext).cast());
        let metrics = &self.metrics;
        metrics.worker.awake(self.epoch);
        loop {
            if main.woken.swap(false, SeqCst)
                && coop::budget(|| future.as_mut().poll(cx)).is_ready()
            {
                return;
            }
            if self.check_shutdown(main, cx, future.as_mut()) {
                return;
            }
            // Up to `event_interval` tasks between two polls of the main future, even if it
            // is woken meanwhile: a main future that keeps yielding must not starve the tasks.
            let mut idle = false;
            for _ in 0..self.event_interval {
                match self.next_task(&core_cx) {
                    Some(task) => {
                        // Counted before it runs, so a task seen finished has all its
                        // polls counted.
                        metrics.worker.add_polls(1);
                        task.run();
                    }
                    None => {
                        idle = true;
                        break;
                    }
                }
            }
            let local_len = core_cx.core.borrow().as_ref().map_or(0, |c| c.local.len());
            metrics.local_len.store(local_len, Relaxed);
            if idle && !main.woken.load(SeqCst) {
                metrics.worker.park(self.epoch);
                self.driver().park(None);
                metrics.worker.unpark(self.epoch);
            } else {
                metrics.worker.collect_forced_yields();
                self.driver().park(Some(Duration::ZERO));
            }
        }
    }
}

/// Queues `task` locally if this thread is running `shared`'s tasks; else gives it back.
fn schedule_local(shared: &Shared, task: Runnable) -> Option<Runnable> {
    let cx = context::worker(&TAG).cast::<CoreContext>();
    if cx.is_null() {
        return Some(task);
    }
    // SAFETY: the worker field carries our tag only while `Shared::run` owns the context on
    // this thread.
    let cx = unsafe { &*cx };
    if !ptr::eq(cx.shared, shared) {
        return Some(task);
    }
    let Ok(mut core) = cx.core.try_borrow_mut() else {
        return Some(task);
    };
    match core.as_mut() {
        Some(core) => {
            core.local.push_back(task);
            None
        }
        None => Some(task),
    }
}
