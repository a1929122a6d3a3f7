//! The deterministic scheduler: one thread, a seeded choice of which ready task runs next,
//! and the paused clock, so that one seed replays one interleaving and another seed explores
//! another.
//!
//! It is [`CurrentThread`](crate::CurrentThread)'s shape with a different pick:
//!
//! - every task runs inside `block_on`, on the calling thread; tasks made ready on that
//!   thread (spawned, woken by another task, by a timer or by I/O readiness, which the
//!   driver fires from inside `park` on that thread) go to the core's *ready set* without
//!   synchronisation; tasks made ready on other threads go to a shared queue and unpark the
//!   driver, as in `CurrentThread`;
//! - each step draws an index from a seeded generator over the ready set *plus* the future
//!   given to `block_on` when it has been woken, and runs (polls) what it drew (`swap_remove`:
//!   the set stays a plain `Vec`);
//! - the driver is polled, and the shared queue moved into the ready set, only at fixed
//!   points: when nothing is ready (`park(None)`, where the paused clock jumps to the next
//!   timer) and every [`EVENT_INTERVAL`] steps (`park(Some(ZERO))`);
//! - it asks the runtime for the paused clock ([`Scheduler::wants_paused_clock`]), so
//!   virtual time moves only when every task is idle, by the same jumps on every run.
//!
//! So the whole schedule is a function of the seed and of what the tasks do, except for
//! events that come from outside the thread (another OS thread's wake-up, the blocking pool,
//! real sockets): *when* those arrive is up to the OS. See `docs/deterministic.md`.
//!
//! When `block_on` unwinds (the future panicked, often by unwrapping a task's panic) or the
//! scheduler is shut down during a panic, the seed is printed to stderr once, with the
//! variable that replays it.
//!
//! Metrics: one worker, counted as `CurrentThread` counts it (`metrics::CoreCounters`,
//! written by the thread holding the core): a task's poll before it runs, parks and busy
//! time around the idle park, forced yields and the ready set's size at each driver poll,
//! idle park and hand-over of the core.

use std::cell::RefCell;
use std::collections::hash_map::{DefaultHasher, RandomState};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io;
use std::pin::Pin;
use std::ptr;
// Statistics read after the fact (the fingerprint), not part of any protocol.
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc as StdArc, OnceLock};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use weft_core::context::{self, WorkerTag};
use weft_core::coop;
use weft_core::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use weft_core::loom::sync::{Arc, Mutex};
use weft_core::CachePadded;
use weft_task::{Dispatch, Hint, Runnable};

use crate::metrics::CoreCounters;
use crate::park::{Park, ThreadPark};
use crate::{Env, Scheduler, SchedulerMetrics};

/// Steps between two non-blocking polls of the driver while tasks keep being ready (so a
/// task spinning on `yield_now` until I/O arrives still lets it in).
const EVENT_INTERVAL: u32 = 61;

/// The environment variable [`Deterministic::from_env`] reads its seed from.
const SEED_VAR: &str = "WEFT_SEED";

/// A single-threaded scheduler that picks the next task pseudo-randomly from a seed, on a
/// paused clock: the same seed replays the same interleaving, another seed explores another.
///
/// Plug it in with `weft::runtime::Builder::scheduler`; the runtime then starts its clock
/// paused (timers fire in virtual time, at once, in the same order every run). When
/// `block_on` panics, the seed is printed to stderr:
/// `weft: Deterministic scheduler seed = N (rerun with WEFT_SEED=N)`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weft_sched::{Deterministic, Env, Scheduler, ThreadPark};
/// use weft_task::Owner;
///
/// // Three tasks append to a log; the seed decides the order (`weft::sched::Deterministic`
/// // with `weft::runtime::Builder::scheduler` does all of this for you).
/// fn order(seed: u64) -> Vec<u32> {
///     let owner = Arc::new(Owner::new(Deterministic::new(seed)));
///     let env = Env::new(Arc::new(ThreadPark::new()));
///     owner.dispatcher().start(&env).unwrap();
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let tasks: Vec<_> = (0..3)
///         .map(|i| {
///             let log = log.clone();
///             owner.spawn(async move { log.lock().unwrap().push(i) })
///         })
///         .collect();
///     owner.dispatcher().block_on(&env, std::pin::pin!(async {
///         for t in tasks {
///             t.await.unwrap();
///         }
///     }));
///     owner.close_and_shutdown_all();
///     owner.dispatcher().shutdown();
///     let log = log.lock().unwrap().clone();
///     log
/// }
///
/// assert_eq!(order(7), order(7)); // replayed exactly
/// let orders: std::collections::HashSet<_> = (0..20).map(order).collect();
/// assert!(orders.len() > 1); // other seeds, other interleavings
/// assert_eq!(Deterministic::new(7).seed(), 7);
/// ```
#[derive(Clone)]
pub struct Deterministic {
    shared: Arc<Shared>,
}

struct Shared {
    seed: u64,
    /// Tasks made ready on other threads.
    inject: Mutex<Vec<Runnable>>,
    /// The core, while no thread is running tasks.
    core: Mutex<Option<Box<Core>>>,
    /// Threads inside `block_on` waiting for the core.
    waiters: Mutex<Vec<StdArc<MainWaker>>>,
    driver: OnceLock<StdArc<dyn Park>>,
    is_shutdown: AtomicBool,
    is_drained: AtomicBool,
    /// The seed has been printed (once per scheduler).
    seed_printed: AtomicBool,
    /// The core's fingerprint and step count, as of the last time a thread let go of it.
    fingerprint: AtomicU64,
    steps: AtomicU64,
    /// The one worker's counters, written by the thread holding the core.
    metrics: CachePadded<CoreCounters>,
    /// What busy-time stamps count from.
    epoch: Instant,
}

struct Core {
    /// Ready tasks, in no meaningful order: each step takes a random one out.
    ready: Vec<Runnable>,
    rng: SplitMix64,
    /// Steps since the driver was last polled.
    since_poll: u32,
    /// A hash of every choice made: see [`Deterministic::fingerprint`].
    fingerprint: u64,
    /// Tasks and main-future polls run so far.
    steps: u64,
}

struct CoreContext {
    shared: *const Shared,
    core: RefCell<Option<Box<Core>>>,
}

/// Marks a `CoreContext` in the runtime context's worker field.
static TAG: WorkerTag = WorkerTag("deterministic core");

/// splitmix64 (Steele, Lea, Flood 2014): a full-period generator whose every output goes
/// through a strong mix, so that neighbouring seeds (0, 1, 2...) give unrelated streams.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

impl Deterministic {
    /// A deterministic scheduler whose choices all follow from `seed`.
    ///
    /// ```
    /// let sched = weft_sched::Deterministic::new(42);
    /// assert_eq!(sched.seed(), 42);
    /// ```
    pub fn new(seed: u64) -> Deterministic {
        Deterministic {
            shared: Arc::new(Shared {
                seed,
                inject: Mutex::new(Vec::new()),
                core: Mutex::new(Some(Box::new(Core {
                    ready: Vec::new(),
                    rng: SplitMix64(seed),
                    since_poll: 0,
                    fingerprint: 0,
                    steps: 0,
                }))),
                waiters: Mutex::new(Vec::new()),
                driver: OnceLock::new(),
                is_shutdown: AtomicBool::new(false),
                is_drained: AtomicBool::new(false),
                seed_printed: AtomicBool::new(false),
                fingerprint: AtomicU64::new(0),
                steps: AtomicU64::new(0),
                metrics: CachePadded::default(),
                epoch: Instant::now(),
            }),
        }
    }

    /// A deterministic scheduler seeded from the `WEFT_SEED` environment variable (a
    /// decimal `u64`, or hexadecimal with `0x`), or from a fresh random seed if it is not
    /// set: run a test as it is to explore, rerun it with the printed seed to replay.
    ///
    /// ```
    /// let sched = weft_sched::Deterministic::from_env();
    /// if let Ok(seed) = std::env::var("WEFT_SEED") {
    ///     assert_eq!(sched.seed().to_string(), seed);
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// If `WEFT_SEED` is set but is not a number (a typo must not silently explore a
    /// random seed instead of replaying).
    pub fn from_env() -> Deterministic {
        let seed = match std::env::var(SEED_VAR) {
            Ok(text) => parse_seed(&text).unwrap_or_else(|| {
                panic!(
                    "{SEED_VAR}={text:?} is not a seed: expected a u64 (decimal, or hex with 0x)"
                )
            }),
            Err(_) => random_seed(),
        };
        Deterministic::new(seed)
    }

    /// The seed this scheduler was created with.
    ///
    /// ```
    /// assert_eq!(weft_sched::Deterministic::new(3).seed(), 3);
    /// ```
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// A hash of every choice this scheduler has made, as of the last return from
    /// `block_on`: for each step, how many candidates were ready, which one was drawn and
    /// where it was spawned (or that it was the future given to `block_on`). Two runs of a
    /// program with the same seed have the same fingerprint unless something outside the
    /// seed changed the schedule (a wake-up from another thread, I/O readiness); a test can
    /// assert it to check that a scenario replays exactly.
    ///
    /// Give the builder a clone (clones are the same scheduler) to read it afterwards:
    ///
    /// ```
    /// # use weft_sched::Deterministic;
    /// fn run(seed: u64) -> (u64, u64) {
    ///     let sched = Deterministic::new(seed);
    ///     let probe = sched.clone();
    ///     # let owner = std::sync::Arc::new(weft_task::Owner::new(sched));
    ///     # let env = weft_sched::Env::new(std::sync::Arc::new(weft_sched::ThreadPark::new()));
    ///     # use weft_sched::Scheduler;
    ///     # owner.dispatcher().start(&env).unwrap();
    ///     # let tasks: Vec<_> = (0..4).map(|_| owner.spawn(async {})).collect();
    ///     # owner.dispatcher().block_on(&env, std::pin::pin!(async {
    ///     #     for t in tasks { t.await.unwrap(); }
    ///     # }));
    ///     # owner.close_and_shutdown_all();
    ///     # owner.dispatcher().shutdown();
    ///     // ... weft::runtime::Builder::new_multi_thread().scheduler(sched) ...
    ///     (probe.fingerprint(), probe.steps())
    /// }
    /// assert_eq!(run(1), run(1));
    /// assert!(run(1).1 >= 5); // four tasks and the main future, at least once each
    /// ```
    pub fn fingerprint(&self) -> u64 {
        self.shared.fingerprint.load(Relaxed)
    }

    /// How many steps (task polls and polls of `block_on`'s future) this scheduler has run,
    /// as of the last return from `block_on`.
    ///
    /// ```
    /// assert_eq!(weft_sched::Deterministic::new(1).steps(), 0);
    /// ```
    pub fn steps(&self) -> u64 {
        self.shared.steps.load(Relaxed)
    }
}

fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A seed that differs from run to run: std's per-process random hash keys, mixed with the
/// time and the thread.
fn random_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one((now, std::thread::current().id()))
}

impl Dispatch for Deterministic {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        let shared = &*self.shared;
        let Some(task) = schedule_local(shared, task) else {
            return;
        };
        shared.inject.lock().push(task);
        if shared.is_drained.load(SeqCst) {
            shared.drain_inject();
            return;
        }
        if let Some(driver) = shared.driver.get() {
            driver.unpark();
        }
    }
}

impl Scheduler for Deterministic {
    fn start(&self, env: &Env) -> io::Result<()> {
        if self.shared.driver.set(env.driver().clone()).is_err() {
            panic!("Deterministic::start called twice");
        }
        Ok(())
    }

    fn block_on(&self, env: &Env, mut future: Pin<&mut dyn Future<Output = ()>>) {
        let shared = &*self.shared;
        let _report = ReportSeed {
            shared,
            was_panicking: std::thread::panicking(),
        };
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
        if std::thread::panicking() {
            // The runtime is dropped while a test unwinds (an assertion after `block_on`).
            shared.report_seed();
        }
        if shared.is_shutdown.swap(true, SeqCst) {
            return;
        }
        let core = shared.core.lock().take();
        if let Some(mut core) = core {
            let leftover = std::mem::take(&mut core.ready);
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

    fn wants_paused_clock(&self) -> bool {
        true
    }
}

impl fmt::Debug for Deterministic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deterministic")
            .field("seed", &self.shared.seed)
            .finish_non_exhaustive()
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

/// Prints the seed if `block_on` unwinds.
struct ReportSeed<'a> {
    shared: &'a Shared,
    was_panicking: bool,
}

impl Drop for ReportSeed<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.was_panicking {
            self.shared.report_seed();
        }
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
        if let Some(core) = &core {
            self.shared.fingerprint.store(core.fingerprint, Relaxed);
            self.shared.steps.store(core.steps, Relaxed);
            self.shared
                .metrics
                .local_len
                .store(core.ready.len(), Relaxed);
        }
        if let Some(mut core) = core {
            if self.shared.is_shutdown.load(SeqCst) {
                drop(std::mem::take(&mut core.ready));
            } else {
                *self.shared.core.lock() = Some(core);
            }
        }
        for waiter in std::mem::take(&mut *self.shared.waiters.lock()) {
            waiter.park.unpark();
        }
    }
}

/// What one step runs.
enum Step {
    Main,
    Task(Runnable),
    /// Nothing is ready: park until something is.
    Idle,
    /// Time for the periodic driver poll.
    Poll,
}

impl Shared {
    fn report_seed(&self) {
        if !self.seed_printed.swap(true, SeqCst) {
            let seed = self.seed;
            eprintln!("weft: Deterministic scheduler seed = {seed} (rerun with {SEED_VAR}={seed})");
        }
    }

    /// After shutdown nothing will ever wake the blocked-on future again: give it one last
    /// poll, then say so instead of spinning. Returns `true` if that poll finished it.
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
        panic!(
            "weft: the deterministic runtime was shut down while this thread was in \
             `block_on` on it, so the future can no longer make progress; keep the \
             `Runtime` alive until every `Handle::block_on` on it has returned"
        );
    }

    fn drain_inject(&self) {
        loop {
            let task = self.inject.lock().pop();
            match task {
                Some(task) => drop(task),
                None => return,
            }
        }
    }

    fn driver(&self) -> &StdArc<dyn Park> {
        self.driver
            .get()
            .expect("Deterministic::block_on called before start")
    }

    /// Draws what runs next. The shared queue joins the ready set only here, before an
    /// idle park and at the periodic driver poll, so remote work enters at fixed points.
    fn next_step(&self, cx: &CoreContext, main: &MainWaker) -> Step {
        let mut core = cx.core.borrow_mut();
        let core = core.as_mut().expect("core present while running");
        if core.since_poll >= EVENT_INTERVAL {
            core.since_poll = 0;
            return Step::Poll;
        }
        let main_ready = main.woken.load(SeqCst);
        let mut n = core.ready.len() + usize::from(main_ready);
        if n == 0 {
            // Remote work, in its arrival order.
            core.ready.append(&mut self.inject.lock());
            n = core.ready.len();
            if n == 0 {
                core.since_poll = 0;
                return Step::Idle;
            }
        }
        core.since_poll += 1;
        core.steps += 1;
        let i = core.rng.below(n);
        let mut hasher = DefaultHasher::new();
        (core.fingerprint, n, i).hash(&mut hasher);
        let step = if i == core.ready.len() {
            main.woken.store(false, SeqCst);
            "block_on".hash(&mut hasher);
            Step::Main
        } else {
            let task = core.ready.swap_remove(i);
            let at = task.location();
            (at.file(), at.line(), at.column()).hash(&mut hasher);
            Step::Task(task)
        };
        core.fingerprint = hasher.finish();
        step
    }

    fn take_remote(&self, cx: &CoreContext) {
        let mut core = cx.core.borrow_mut();
        let core = core.as_mut().expect("core present while running");
        core.ready.append(&mut self.inject.lock());
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
            if self.check_shutdown(main, cx, future.as_mut()) {
                return;
            }
            match self.next_step(&core_cx, main) {
                Step::Main => {
                    if coop::budget(|| future.as_mut().poll(cx)).is_ready() {
                        return;
                    }
                }
                Step::Task(task) => {
                    // Counted before it runs, as the other schedulers do.
                    metrics.worker.add_polls(1);
                    task.run();
                }
                Step::Idle => {
                    // Every task is idle: the paused clock may jump to the next timer here.
                    metrics.local_len.store(0, Relaxed);
                    metrics.worker.park(self.epoch);
                    self.driver().park(None);
                    metrics.worker.unpark(self.epoch);
                    self.take_remote(&core_cx);
                }
                Step::Poll => {
                    let ready = core_cx.core.borrow().as_ref().map_or(0, |c| c.ready.len());
                    metrics.local_len.store(ready, Relaxed);
                    metrics.worker.collect_forced_yields();
                    self.driver().park(Some(Duration::ZERO));
                    self.take_remote(&core_cx);
                }
            }
        }
    }
}

/// Queues `task` in the ready set if this thread is running `shared`'s tasks; else gives
/// it back.
fn schedule_local(shared: &Shared, task: Runnable) -> Option<Runnable> {
    let cx = context::worker(&TAG).cast::<CoreContext>();
    if cx.is_null() {
        return Some(task);
    }
    // SAFETY: the worker field carries our tag only while `Shared::run` owns the context on
    // this thread (the guard is dropped before the context).
    let cx = unsafe { &*cx };
    if !ptr::eq(cx.shared, shared) {
        return Some(task);
    }
    let Ok(mut core) = cx.core.try_borrow_mut() else {
        return Some(task);
    };
    match core.as_mut() {
        Some(core) => {
            core.ready.push(task);
            None
        }
        None => Some(task),
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed(" 0x2a\n"), Some(42));
        assert_eq!(parse_seed("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_seed("forty-two"), None);
        assert_eq!(parse_seed(""), None);
    }

    #[test]
    fn neighbouring_seeds_give_unrelated_streams() {
        let firsts: Vec<usize> = (0..64).map(|seed| SplitMix64(seed).below(1000)).collect();
        let distinct: std::collections::HashSet<_> = firsts.iter().collect();
        assert!(distinct.len() > 50, "{firsts:?}");
        let mut a = SplitMix64(5);
        let mut b = SplitMix64(5);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64(1);
        for n in 1..200 {
            assert!(rng.below(n) < n);
        }
    }

    #[test]
    fn random_seeds_differ() {
        assert_ne!(random_seed(), random_seed());
    }
}
