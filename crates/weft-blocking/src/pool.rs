//! The blocking pool: threads for work that would stall a worker (blocking system calls,
//! CPU-heavy loops, synchronous libraries), the answer to asyncio's `run_in_executor` and
//! `to_thread`.
//!
//! Jobs travel over a crossbeam channel. Threads are started on demand up to a limit and
//! exit after sitting idle for the keep-alive. The accounting (under one mutex, off the
//! task hot path) guarantees that a job never waits while a thread could take it: when a job
//! arrives, either an idle thread is claimed for it (`num_idle` -> `num_notify`) or a new
//! thread is started already claimed by it (`num_notify`), unless the limit is reached, in
//! which case it queues until a thread frees up. Invariant: threads waiting for a job =
//! `num_idle + num_notify`.
//!
//! Shutdown: jobs that have not started are cancelled (their `JoinHandle` gives a cancelled
//! `JoinError`); jobs already running cannot be interrupted, so shutdown waits for them
//! (optionally only up to a time-out, after which their threads are left to finish alone).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use weft_core::loom::thread;
use weft_task::{Dispatch, Hint, JoinHandle, Runnable};

use crate::Spawner;

/// A pool of threads for blocking work.
///
/// ```
/// use std::time::Duration;
/// use weft_blocking::{BlockingPool, Spawner};
///
/// let pool = BlockingPool::new(Spawner::default(), 4, Duration::from_secs(10));
/// let handle = pool.spawn(|| std::fs::metadata("/").is_ok());
/// # let _ = handle;
/// pool.shutdown(None);
/// ```
#[derive(Clone)]
pub struct BlockingPool {
    inner: Arc<Inner>,
}

struct Inner {
    rx: Receiver<Runnable>,
    state: Mutex<State>,
    /// Signalled when the last thread exits.
    all_exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    spawner: Spawner,
}

struct State {
    /// `None` once shut down.
    tx: Option<Sender<Runnable>>,
    num_threads: usize,
    /// Threads waiting for a job and not yet claimed by one.
    num_idle: usize,
    /// Idle threads claimed by a job that they have not received yet.
    num_notify: usize,
    threads: Vec<thread::JoinHandle<()>>,
}

impl BlockingPool {
    /// A pool of at most `max_threads` threads (at least 1), started through `spawner`, each
    /// exiting after `keep_alive` without work.
    pub fn new(spawner: Spawner, max_threads: usize, keep_alive: Duration) -> BlockingPool {
        let (tx, rx) = crossbeam_channel::unbounded();
        BlockingPool {
            inner: Arc::new(Inner {
                rx,
                state: Mutex::new(State {
                    tx: Some(tx),
                    num_threads: 0,
                    num_idle: 0,
                    num_notify: 0,
                    threads: Vec::new(),
                }),
                all_exited: Condvar::new(),
                max_threads: max_threads.max(1),
                keep_alive,
                spawner,
            }),
        }
    }

    /// Runs `f` on a pool thread; the handle resolves to its result, or to a `JoinError`
    /// if `f` panicked or the pool shut down before `f` started.
    #[track_caller]
    pub fn spawn<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (runnable, handle) = weft_task::spawn(
            BlockingTask(Some(f)),
            PoolSchedule(self.inner.clone()),
            None,
        );
        self.inner.submit(runnable);
        handle
    }

    /// The number of live pool threads.
    pub fn num_threads(&self) -> usize {
        self.inner.lock().num_threads
    }

    /// Cancels the jobs that have not started and waits for the running ones to finish:
    /// forever with `None` (or a time-out too long for an `Instant`, such as
    /// `Duration::MAX`), else up to `timeout` (threads still running then are detached).
    /// Returns `true` if every thread exited.
    pub fn shutdown(&self, timeout: Option<Duration>) -> bool {
        let threads = {
            let mut state = self.inner.lock();
            // Dropping the sender wakes every waiting thread once the queue is empty.
            state.tx = None;
            std::mem::take(&mut state.threads)
        };
        let me = thread::current().id();
        // A time-out too long for an `Instant` (`Duration::MAX`) means no limit.
        match timeout.and_then(|t| Instant::now().checked_add(t)) {
            None => {
                for t in threads {
                    if t.thread().id() != me {
                        let _ = t.join();
                    }
                }
                true
            }
            Some(deadline) => {
                // A pool thread calling shutdown cannot wait for itself.
                let target = usize::from(threads.iter().any(|t| t.thread().id() == me));
                let mut state = self.inner.lock();
                while state.num_threads > target {
                    let now = Instant::now();
                    if now >= deadline {
                        // Leave the stragglers to finish alone (their handles detach).
                        return false;
                    }
                    state = self
                        .inner
                        .all_exited
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                drop(state);
                for t in threads {
                    if t.thread().id() != me {
                        let _ = t.join();
                    }
                }
                true
            }
        }
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("BlockingPool")
            .field("max_threads", &self.inner.max_threads)
            .field("num_threads", &state.num_threads)
            .field("num_idle", &state.num_idle)
            .finish()
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn submit(self: &Arc<Self>, job: Runnable) {
        let mut state = self.lock();
        let Some(tx) = &state.tx else {
            drop(state);
            // Shut down: dropping the job cancels it.
            drop(job);
            return;
        };
        tx.send(job).expect("the pool holds the receiver");
        if state.num_idle > 0 {
            state.num_idle -= 1;
            state.num_notify += 1;
        } else if state.num_threads < self.max_threads {
            // The new thread starts out waiting and already claimed by this job (counting it
            // as idle instead would let the next job claim it and leave this one stranded).
            state.num_threads += 1;
            state.num_notify += 1;
            let inner = self.clone();
            match self.spawner.spawn(Box::new(move || inner.run())) {
                Ok(t) => state.threads.push(t),
                Err(e) => {
                    state.num_threads -= 1;
                    state.num_notify -= 1;
                    // The job stays queued; a running thread will get to it. With none, the
                    // job cannot run at all: say why instead of hanging silently.
                    if state.num_threads == 0 {
                        drop(state);
                        panic!("weft: could not start a blocking-pool thread: {e}");
                    }
                }
            }
        }
    }

    /// The body of a pool thread.
    fn run(self: Arc<Self>) {
        // Counted as waiting (and claimed) by `submit` already.
        let mut state = self.lock();
        loop {
            drop(state);
            let job = self.rx.recv_timeout(self.keep_alive);
            state = self.lock();
            match job {
                Ok(job) => {
                    // Leave the waiting count: through a claim if one is pending (claims are
                    // anonymous), else directly.
                    if state.num_notify > 0 {
                        state.num_notify -= 1;
                    } else {
                        state.num_idle -= 1;
                    }
                    let shut_down = state.tx.is_none();
                    drop(state);
                    if shut_down {
                        drop(job); // cancels it
                    } else {
                        job.run();
                    }
                    state = self.lock();
                    state.num_idle += 1;
                }
                // Idle for the whole keep-alive while an unclaimed waiting slot exists: exit.
                Err(RecvTimeoutError::Timeout) if state.num_idle > 0 => {
                    state.num_idle -= 1;
                    break;
                }
                // Every waiting thread is claimed by a job in flight: wait for it.
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    if state.num_idle > 0 {
                        state.num_idle -= 1;
                    } else {
                        state.num_notify -= 1;
                    }
                    break;
                }
            }
        }
        state.num_threads -= 1;
        let me = thread::current().id();
        if let Some(i) = state.threads.iter().position(|t| t.thread().id() == me) {
            // Exiting on keep-alive: detach our own handle.
            drop(state.threads.swap_remove(i));
        }
        self.all_exited.notify_all();
    }
}

/// The future of a blocking job: runs the closure in its one and only poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("blocking job polled twice");
        Poll::Ready(weft_core::coop::unconstrained(f))
    }
}

/// Blocking jobs are scheduled once (and again only if aborted before they ran).
struct PoolSchedule(Arc<Inner>);

impl Dispatch for PoolSchedule {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        self.0.submit(task);
    }
}
