//! Shared helpers of weft's integration tests: every test runs on every scheduler.
//!
//! - [`for_each_runtime`] runs a test body once per scheduler (multi-thread with 1, 2 and 4
//!   workers, current-thread, `Deterministic`, and [`Fifo`], a scheduler written here against the public
//!   [`Scheduler`] trait alone), each under a watchdog, and names the scheduler in any failure.
//!   The deterministic scheduler is among them; [`for_builders_replayed`] also checks that
//!   it replays (the `weft::time` and `weft::net` tests).
//! - [`Fifo`]: one FIFO queue behind a `Mutex` + `Condvar`, two threads started through
//!   [`Env::spawn_thread`]; it lives here so that the trait is proven by use.
//! - Small tools: a drop counter, an async "wait until", a one-shot flag future woken from
//!   anywhere, polling a `JoinHandle` once with a no-op waker, reading a panic payload.

// Each test file uses its own subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use weft::runtime::Builder;
use weft::sched::{Deterministic, Dispatch, Env, Hint, Runnable, Scheduler};
use weft::task::{JoinError, JoinHandle};
use weft::Runtime;

/// The schedulers every integration test runs on; `"deterministic"` is
/// `weft::sched::Deterministic` with [`DETERMINISTIC_SEED`], on its paused clock.
pub const SCHEDULERS: [&str; 6] = [
    "multi_thread(1)",
    "multi_thread(2)",
    "multi_thread(4)",
    "current_thread",
    "fifo(2)",
    "deterministic",
];

/// The schedulers that run tasks on threads of their own (all but current-thread).
pub const THREADED: [&str; 4] = [
    "multi_thread(1)",
    "multi_thread(2)",
    "multi_thread(4)",
    "fifo(2)",
];

/// Every scheduler, the deterministic one included (what the `weft::time` and `weft::net`
/// tests name, so that each of them that runs on the current-thread scheduler runs on the
/// deterministic one too).
pub const WITH_DETERMINISTIC: [&str; 6] = SCHEDULERS;

/// `true` for the schedulers that run tasks on the thread inside `block_on` (no threads of
/// their own): current-thread and deterministic.
pub fn runs_tasks_on_caller(name: &str) -> bool {
    matches!(name, "current_thread" | "deterministic")
}

/// The seed of the `"deterministic"` runtime of [`builder`].
pub const DETERMINISTIC_SEED: u64 = 0x5EED;

/// How long one scheduler's run of a test body may take before the watchdog calls it a hang.
pub const WATCHDOG: Duration = Duration::from_secs(60);

/// A builder for the scheduler called `name` (one of [`SCHEDULERS`]), to be configured
/// further.
pub fn builder(name: &str) -> Builder {
    match name {
        "multi_thread(1)" => Builder::new_multi_thread().worker_threads(1),
        "multi_thread(2)" => Builder::new_multi_thread().worker_threads(2),
        "multi_thread(4)" => Builder::new_multi_thread().worker_threads(4),
        "current_thread" => Builder::new_current_thread(),
        "fifo(2)" => Builder::new_multi_thread().scheduler(Fifo::new(2)),
        "deterministic" => {
            Builder::new_multi_thread().scheduler(Deterministic::new(DETERMINISTIC_SEED))
        }
        other => panic!("unknown scheduler {other:?}"),
    }
}

/// A runtime with default settings for the scheduler called `name`.
pub fn runtime(name: &str) -> Runtime {
    builder(name)
        .build()
        .unwrap_or_else(|e| panic!("[{name}] could not build the runtime: {e}"))
}

/// Runs `body` on a fresh runtime of every scheduler, one after the other.
pub fn for_each_runtime(body: impl Fn(Runtime, &'static str) + Send + Sync + 'static) {
    for_each_named(&SCHEDULERS, move |name| body(runtime(name), name));
}

/// Runs `body` on a fresh runtime of each scheduler in `names`.
pub fn for_runtimes(
    names: &[&'static str],
    body: impl Fn(Runtime, &'static str) + Send + Sync + 'static,
) {
    for_each_named(names, move |name| body(runtime(name), name));
}

/// Runs `body` with a fresh [`builder`] of every scheduler, for tests that configure it.
pub fn for_each_builder(body: impl Fn(Builder, &'static str) + Send + Sync + 'static) {
    for_each_named(&SCHEDULERS, move |name| body(builder(name), name));
}

/// Runs `body` with a fresh [`builder`] of each scheduler in `names`.
pub fn for_builders(
    names: &[&'static str],
    body: impl Fn(Builder, &'static str) + Send + Sync + 'static,
) {
    for_each_named(names, move |name| body(builder(name), name));
}

/// Like [`for_builders`], but the `"deterministic"` runtime runs `body` three times, each on
/// a fresh scheduler with the same seed, and every run must replay the first: the same
/// choices in the same order (`Deterministic::fingerprint`).
pub fn for_builders_replayed(
    names: &[&'static str],
    body: impl Fn(Builder, &'static str) + Send + Sync + 'static,
) {
    for_each_named(names, move |name| {
        if name != "deterministic" {
            return body(builder(name), name);
        }
        let run = || {
            let sched = Deterministic::new(DETERMINISTIC_SEED);
            body(Builder::new_multi_thread().scheduler(sched.clone()), name);
            (sched.fingerprint(), sched.steps())
        };
        let first = run();
        assert!(first.1 > 0, "[{name}] the scheduler ran nothing");
        for n in 1..3 {
            assert_eq!(
                run(),
                first,
                "[{name}] run {n} is not a replay of run 0 (fingerprint, steps)"
            );
        }
    });
}

/// Runs `body(name)` for each of `names`, each on its own thread under the [`WATCHDOG`]:
/// a failure or a hang panics here with the scheduler's name in the message.
pub fn for_each_named(names: &[&'static str], body: impl Fn(&'static str) + Send + Sync + 'static) {
    let body = Arc::new(body);
    for &name in names {
        let (tx, rx) = mpsc::channel();
        let body = body.clone();
        let started = Instant::now();
        thread::Builder::new()
            .name(format!("test-{name}"))
            .spawn(move || {
                let result = panic::catch_unwind(AssertUnwindSafe(|| body(name)));
                let _ = tx.send(result.map_err(|p| payload_message(&*p)));
            })
            .expect("could not start the test thread");
        match rx.recv_timeout(WATCHDOG) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => panic!("[{name}] failed: {message}"),
            Err(_) => panic!(
                "[{name}] hung: no result after {:?} (the test thread is left behind)",
                started.elapsed()
            ),
        }
    }
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<a panic payload that is not a string>".to_owned()
    }
}

/// The panic message carried by `err`, which must be a panic.
pub fn join_panic_message(err: JoinError) -> String {
    assert!(err.is_panic(), "expected a panic, got {err:?}");
    payload_message(&*err.into_panic())
}

/// Runs `f`, expecting it to panic; returns the panic message.
pub fn expect_panic<R>(f: impl FnOnce() -> R) -> String {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(p) => payload_message(&*p),
    }
}

/// Polls `handle` once with a waker that does nothing.
pub fn poll_once<T>(handle: &mut JoinHandle<T>) -> Poll<Result<T, JoinError>> {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    // (`Waker::noop()` needs Rust 1.85; the workspace's MSRV is 1.80.)
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    Pin::new(handle).poll(&mut cx)
}

/// Runs `f` in a task of `rt` and returns its output (for code that is normally awaited in
/// a task rather than in `block_on`).
pub fn in_task<T: Send + 'static>(rt: &Runtime, f: impl Future<Output = T> + Send + 'static) -> T {
    rt.block_on(rt.spawn(f)).unwrap()
}

/// Counts drops: put one in a future (or an output) and read [`DropCounter::count`].
#[derive(Clone, Debug, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

/// One token counted by its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct DropToken(Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Yields (`weft::task::yield_now`) until `cond()` holds; panics after 20 s, naming `what`.
/// Works on every scheduler, the current-thread one included, on which blocking the thread
/// would stall the very tasks being waited for. (The tests call it from a task.)
pub async fn yield_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        weft::task::yield_now().await;
    }
}

/// Blocks this (non-runtime) thread until `cond()` holds; panics after 20 s, naming `what`.
pub fn spin_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// A one-shot flag: a future that completes once [`Flag::set`] is called from anywhere (a
/// task, a foreign thread), waking whoever waits. Cloning shares the flag.
#[derive(Clone, Debug, Default)]
pub struct Flag(Arc<FlagInner>);

#[derive(Debug, Default)]
pub struct FlagInner {
    set: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl Flag {
    pub fn new() -> Flag {
        Flag::default()
    }

    pub fn set(&self) {
        self.0.set.store(true, SeqCst);
        let wakers = std::mem::take(&mut *self.0.wakers.lock().unwrap());
        for w in wakers {
            w.wake();
        }
    }

    pub fn is_set(&self) -> bool {
        self.0.set.load(SeqCst)
    }

    /// Waits until the flag is set.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let flag = self.clone();
        std::future::poll_fn(move |cx| {
            if flag.is_set() {
                return Poll::Ready(());
            }
            flag.0.wakers.lock().unwrap().push(cx.waker().clone());
            if flag.is_set() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// A future that is pending forever and counts its polls.
pub fn pending_counting_polls(polls: Arc<AtomicUsize>) -> impl Future<Output = ()> + Send {
    std::future::poll_fn(move |_| {
        polls.fetch_add(1, SeqCst);
        Poll::Pending
    })
}

// ---------------------------------------------------------------------------------------
// Fifo: a custom scheduler built on the public trait alone.
// ---------------------------------------------------------------------------------------

/// A test-only scheduler: one FIFO queue behind a `Mutex` + `Condvar`, served by `threads`
/// threads started through [`Env::spawn_thread`] (so they carry the builder's name and hooks
/// and run inside the runtime context). An idle thread parks in the runtime's driver if no
/// other thread does, so that I/O and timers get driven, else on the condvar. After
/// [`Scheduler::shutdown`], what it is given is dropped (which cancels the task).
#[derive(Clone)]
pub struct Fifo(Arc<FifoInner>);

pub struct FifoInner {
    threads: usize,
    queue: Mutex<FifoQueue>,
    ready: Condvar,
    env: Mutex<Option<Env>>,
    handles: Mutex<Vec<thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct FifoQueue {
    tasks: VecDeque<Runnable>,
    shut_down: bool,
    /// A thread is parked in the driver (at most one at a time, as `Park` requires).
    in_driver: bool,
}

impl Fifo {
    pub fn new(threads: usize) -> Fifo {
        Fifo(Arc::new(FifoInner {
            threads,
            queue: Mutex::new(FifoQueue::default()),
            ready: Condvar::new(),
            env: Mutex::new(None),
            handles: Mutex::new(Vec::new()),
        }))
    }

    fn worker(&self, env: Env) {
        let inner = &self.0;
        loop {
            let mut q = inner.queue.lock().unwrap();
            loop {
                if q.shut_down {
                    return;
                }
                if let Some(task) = q.tasks.pop_front() {
                    drop(q);
                    task.run();
                    break;
                }
                if q.in_driver {
                    q = inner.ready.wait(q).unwrap();
                } else {
                    // Drive the driver while idle. `unpark` is a token, so a `schedule`
                    // between this unlock and `park` makes `park` return at once.
                    q.in_driver = true;
                    drop(q);
                    env.driver().park(None);
                    q = inner.queue.lock().unwrap();
                    q.in_driver = false;
                }
            }
        }
    }
}

impl Scheduler for Fifo {
    fn start(&self, env: &Env) -> io::Result<()> {
        *self.0.env.lock().unwrap() = Some(env.clone());
        for _ in 0..self.0.threads {
            let me = self.clone();
            let env2 = env.clone();
            let t = env.spawn_thread(Box::new(move || me.worker(env2)))?;
            self.0.handles.lock().unwrap().push(t);
        }
        Ok(())
    }

    fn shutdown(&self) {
        self.shutdown_inner()
    }

    fn num_workers(&self) -> usize {
        self.0.threads
    }
}

impl Dispatch for Fifo {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        let mut q = self.0.queue.lock().unwrap();
        if q.shut_down {
            drop(q);
            drop(task); // cancels the task (outside the lock: cancelling may schedule)
            return;
        }
        q.tasks.push_back(task);
        let in_driver = q.in_driver;
        drop(q);
        self.0.ready.notify_one();
        if in_driver {
            if let Some(env) = &*self.0.env.lock().unwrap() {
                env.driver().unpark();
            }
        }
    }
}

impl Fifo {
    fn shutdown_inner(&self) {
        let leftover = {
            let mut q = self.0.queue.lock().unwrap();
            q.shut_down = true;
            std::mem::take(&mut q.tasks)
        };
        self.0.ready.notify_all();
        if let Some(env) = &*self.0.env.lock().unwrap() {
            env.driver().unpark();
        }
        drop(leftover);
        let me = thread::current().id();
        let handles = std::mem::take(&mut *self.0.handles.lock().unwrap());
        for t in handles {
            if t.thread().id() != me {
                t.join().expect("a Fifo thread panicked");
            }
        }
        // Anything scheduled while the threads were finishing their last poll.
        let leftover = std::mem::take(&mut self.0.queue.lock().unwrap().tasks);
        drop(leftover);
        // Breaks the cycle runtime -> scheduler -> env -> driver (nothing else to free).
        *self.0.env.lock().unwrap() = None;
    }
}
