//! The pool: its shared state, the spawn path, the threads' loop and shutdown.
//!
//! # The protocol
//!
//! Everything lives under one mutex (off the task hot path: a blocking job costs a thread
//! hand-off anyway): the job queue (a `VecDeque`), the thread counts and the shutdown flag.
//! Idle threads spin for a moment, then sleep on the `work` condition variable.
//!
//! - `num_threads`: live threads, counted from the moment `submit` decides to start one.
//! - `num_idle`: idle threads (spinning or sleeping) that no job has claimed.
//! - `num_notify`: claims not yet taken: a job moved one idle thread from `num_idle` to here.
//!   Whichever idle thread looks first takes the claim (claims are anonymous) and goes back
//!   to the queue. `claims` mirrors it in an atomic, for the spinning threads to watch.
//! - `num_sleeping`: idle threads inside the wait on `work`. A claim signals `work` only if
//!   one sleeps; a spinning thread sees `claims`, and every idle thread checks `num_notify`
//!   under the lock before it sleeps, so no claim goes unseen.
//!
//! The spin (crossbeam's backoff: a few exponential busy-waits, then a few yields; a single
//! check under loom) is what keeps a caller that awaits one job at a time, such as a file
//! read in a loop, from paying for a sleep and a wake-up on every job.
//!
//! **Invariant: a queued job always has a thread that will look at the queue before it next
//! waits**: a busy thread (it drains the queue before it goes idle), a freshly started one
//! (it starts by draining the queue) or a claimed one. `submit` keeps it: it claims an idle
//! thread, or else starts a thread, or else (at the limit) every thread is busy.
//!
//! A thread whose keep-alive runs out exits only if it is still counted idle: it checks
//! `num_notify` first, so a job that claimed it just as it timed out (the signal lost, as
//! nobody was waiting any more) is still run. The keep-alive is a deadline computed with
//! `checked_add` (too long for an `Instant`: no deadline); one already reached does not wait
//! at all (see `Inner::wait_until`).
//!
//! **Shutdown** sets the flag, takes the queue (dropping the jobs cancels them: their
//! `JoinHandle`s resolve to a cancelled `JoinError`), wakes every idle thread, and waits on
//! `all_exited` until the threads are gone (forever, or up to a time-out after which they
//! are left to finish alone). `submit` after shutdown cancels the job at once. So every job
//! is either run or cancelled, never left waiting.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use weft_core::loom::hint::spin_loop;
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use weft_core::loom::sync::{Arc, Condvar, Mutex, MutexGuard};
use weft_core::loom::thread;
use weft_task::{Dispatch, Hint, JoinHandle, Runnable};

use crate::Spawner;

/// A pool of threads for blocking work.
///
/// Threads are started on demand, up to `max_threads`, and exit after `keep_alive` without
/// work. A job never waits in the queue while the pool could start a thread for it.
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

/// What the pool's handles and threads share.
pub(crate) struct Inner {
    state: Mutex<State>,
    /// Idle threads wait here for a claim, their keep-alive's end or shutdown.
    work: Condvar,
    /// Shutdown waits here for the threads to exit.
    all_exited: Condvar,
    /// `State::num_notify`, readable without the lock (written under it): what spinning idle
    /// threads watch.
    claims: AtomicUsize,
    max_threads: usize,
    keep_alive: Duration,
    spawner: Spawner,
}

struct State {
    /// Jobs not yet taken by a thread.
    queue: VecDeque<Runnable>,
    shutdown: bool,
    num_threads: usize,
    /// Threads waiting for work and not claimed by a job.
    num_idle: usize,
    /// Claims of idle threads by jobs, not yet taken by an idle thread.
    num_notify: usize,
    /// Idle threads in the wait on `Inner::work` (the others spin).
    num_sleeping: usize,
    /// The handles of the live threads (shutdown joins them).
    threads: Vec<thread::JoinHandle<()>>,
    /// The handle of the last thread that exited on its keep-alive: the next one to exit
    /// joins it (or shutdown does), so no exited thread is left unjoined.
    last_exited: Option<thread::JoinHandle<()>>,
}

impl BlockingPool {
    /// A pool of at most `max_threads` threads (at least 1), started through `spawner`, each
    /// exiting after `keep_alive` without work (`Duration::ZERO`: as soon as it is idle;
    /// one too long for an `Instant`, such as `Duration::MAX`: only at shutdown).
    pub fn new(spawner: Spawner, max_threads: usize, keep_alive: Duration) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    shutdown: false,
                    num_threads: 0,
                    num_idle: 0,
                    num_notify: 0,
                    num_sleeping: 0,
                    threads: Vec::new(),
                    last_exited: None,
                }),
                work: Condvar::new(),
                all_exited: Condvar::new(),
                claims: AtomicUsize::new(0),
                max_threads: max_threads.max(1),
                keep_alive,
                spawner,
            }),
        }
    }

    /// Runs `f` on a pool thread; the handle resolves to its result, or to a `JoinError`
    /// if `f` panicked or the pool shut down before `f` started.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_blocking::{BlockingPool, Spawner};
    ///
    /// let pool = BlockingPool::new(Spawner::default(), 1, Duration::from_secs(1));
    /// let job = pool.spawn(|| 6 * 7);
    /// pool.shutdown(None); // waits for the running job (it may also cancel it unstarted)
    /// assert!(job.is_finished());
    /// ```
    #[track_caller]
    pub fn spawn<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (runnable, handle) = crate::job::task(f, Pool(self.inner.clone()));
        submit(&self.inner, runnable);
        handle
    }

    /// The number of live pool threads.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_blocking::{BlockingPool, Spawner};
    ///
    /// let pool = BlockingPool::new(Spawner::default(), 4, Duration::from_secs(10));
    /// assert_eq!(pool.num_threads(), 0); // threads start on demand
    /// # pool.shutdown(None);
    /// ```
    pub fn num_threads(&self) -> usize {
        self.inner.lock().num_threads
    }

    /// A snapshot of the pool: its threads, how many are idle, and the jobs waiting for
    /// one. Takes the pool's lock for a moment (off any task's path).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use weft_blocking::{BlockingPool, Spawner};
    ///
    /// let pool = BlockingPool::new(Spawner::default(), 1, Duration::from_secs(10));
    /// let (release, wait) = mpsc::channel::<()>();
    /// let (started, running) = mpsc::channel();
    /// let _busy = pool.spawn(move || {
    ///     started.send(()).unwrap();
    ///     wait.recv().ok();
    /// });
    /// running.recv().unwrap(); // the one thread is busy...
    /// let _queued = pool.spawn(|| ()); // ...so this job waits
    ///
    /// let m = pool.metrics();
    /// assert_eq!((m.threads, m.busy, m.idle, m.queue_depth), (1, 1, 0, 1));
    /// drop(release);
    /// pool.shutdown(None);
    /// ```
    pub fn metrics(&self) -> BlockingMetrics {
        let state = self.inner.lock();
        // A claimed thread has not taken its job yet: it is still idle.
        let idle = (state.num_idle + state.num_notify).min(state.num_threads);
        BlockingMetrics {
            threads: state.num_threads,
            busy: state.num_threads - idle,
            idle,
            queue_depth: state.queue.len(),
        }
    }

    /// Cancels the jobs that have not started and waits for the running ones to finish:
    /// forever with `None` (or a time-out too long for an `Instant`, such as
    /// `Duration::MAX`), else up to `timeout`, after which the threads still running are
    /// left to finish alone. Returns `true` if every thread exited.
    ///
    /// Called from a pool thread (a job that shuts its own pool down), it waits for the
    /// other threads.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_blocking::{BlockingPool, Spawner};
    ///
    /// let pool = BlockingPool::new(Spawner::default(), 2, Duration::from_secs(10));
    /// let _job = pool.spawn(|| std::thread::sleep(Duration::from_millis(10)));
    /// assert!(pool.shutdown(Some(Duration::MAX)));
    /// assert_eq!(pool.num_threads(), 0);
    /// ```
    pub fn shutdown(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let inner = &*self.inner;
        let mut state = inner.lock();
        state.shutdown = true;
        let queued = std::mem::take(&mut state.queue);
        let mut threads = std::mem::take(&mut state.threads);
        threads.extend(state.last_exited.take());
        inner.work.notify_all();
        drop(state);
        // Cancels the jobs that never started, outside the lock (it wakes their joiners).
        drop(queued);

        let me = thread::current().id();
        // A pool thread calling shutdown cannot wait for itself.
        let target = usize::from(threads.iter().any(|t| t.thread().id() == me));
        let mut state = inner.lock();
        while state.num_threads > target {
            let (guard, timed_out) = inner.wait_until(state, &inner.all_exited, deadline);
            state = guard;
            if timed_out && state.num_threads > target {
                // Leave the stragglers to finish alone (their handles detach).
                return false;
            }
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

/// A snapshot of a [`BlockingPool`], from [`BlockingPool::metrics`].
///
/// `#[non_exhaustive]`: more fields may come.
///
/// ```
/// use std::time::Duration;
/// use weft_blocking::{BlockingPool, Spawner};
///
/// let pool = BlockingPool::new(Spawner::default(), 4, Duration::from_secs(10));
/// let m = pool.metrics();
/// assert_eq!((m.threads, m.busy, m.idle, m.queue_depth), (0, 0, 0, 0));
/// # pool.shutdown(None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockingMetrics {
    /// Live pool threads (`busy + idle`).
    pub threads: usize,
    /// Threads running a job (or about to take one from the queue).
    pub busy: usize,
    /// Threads waiting for work (spinning or asleep), until their keep-alive runs out.
    pub idle: usize,
    /// Jobs queued and not yet taken by a thread.
    pub queue_depth: usize,
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("BlockingPool")
            .field("max_threads", &self.inner.max_threads)
            .field("keep_alive", &self.inner.keep_alive)
            .field("num_threads", &state.num_threads)
            .field("num_idle", &state.num_idle)
            .field("queued", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// A thread's last steps: leave the counts, hand its own handle on.
    fn exit(&self, mut state: MutexGuard<'_, State>) {
        state.num_threads -= 1;
        let me = thread::current().id();
        // Exiting on its keep-alive, the thread still has its handle in the list (shutdown
        // takes them all): it becomes the last exited, and the previous one is joined.
        let previous = match state.threads.iter().position(|t| t.thread().id() == me) {
            Some(i) => {
                let own = state.threads.swap_remove(i);
                state.last_exited.replace(own)
            }
            None => None,
        };
        if state.shutdown {
            self.all_exited.notify_all();
        }
        drop(state);
        if let Some(t) = previous {
            let _ = t.join();
        }
    }

    /// Spins (then yields) for a few microseconds, until a job claims an idle thread: a
    /// hint only (the claim is taken under the lock), so no interleaving depends on it.
    fn spin_for_claim(&self) {
        // crossbeam's `Backoff::snooze`: 2^step busy-waits up to step 6, then yields, up to
        // step 10. Under loom, one look: the protocol, not the hint, is what the models check.
        const STEPS: u32 = if weft_core::loom::IS_LOOM { 1 } else { 11 };
        for step in 0..STEPS {
            if self.claims.load(Relaxed) > 0 {
                return;
            }
            if step < 6 {
                for _ in 0..1u32 << step {
                    spin_loop();
                }
            } else {
                thread::yield_now();
            }
        }
    }

    /// Waits on `cv` until notified or `deadline` passes (`None`: no deadline); `true` if the
    /// deadline has passed.
    ///
    /// A deadline already reached does not wait: the lock is let go and taken again, so the
    /// threads queued on it get their turn first. That is a zero keep-alive, and it is also
    /// how the loom models make a keep-alive expire: loom has no clock, and its timed wait
    /// never times out.
    fn wait_until<'a>(
        &'a self,
        guard: MutexGuard<'a, State>,
        cv: &Condvar,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, State>, bool) {
        let Some(deadline) = deadline else {
            return (cv.wait(guard), false);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            drop(guard);
            return (self.lock(), true);
        }
        let (guard, _) = cv.wait_timeout(guard, left);
        (guard, Instant::now() >= deadline)
    }
}

/// Where a job's `Runnable` goes: the pool's queue. A job is scheduled once, when spawned;
/// its one poll never returns `Pending`, so it is never woken.
struct Pool(Arc<Inner>);

impl Dispatch for Pool {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        submit(&self.0, task);
    }
}

/// Queues `job` and makes sure a thread will take it (see the module docs), or cancels
/// it if the pool is shut down.
pub(crate) fn submit(inner: &Arc<Inner>, job: Runnable) {
    let mut state = inner.lock();
    if state.shutdown {
        drop(state);
        // Dropping the job cancels it.
        drop(job);
        return;
    }
    state.queue.push_back(job);
    if state.num_idle > 0 {
        state.num_idle -= 1;
        state.num_notify += 1;
        inner.claims.store(state.num_notify, Relaxed);
        // A spinning thread sees the claim by itself; a sleeping one needs the signal.
        let wake = state.num_sleeping > 0;
        drop(state);
        if wake {
            inner.work.notify_one();
        }
    } else if state.num_threads < inner.max_threads {
        // The new thread starts by draining the queue: it counts as busy, not idle (idle
        // would let the next job claim it and leave this one stranded).
        state.num_threads += 1;
        let thread_inner = inner.clone();
        match inner.spawner.spawn(Box::new(move || run(thread_inner))) {
            Ok(t) => state.threads.push(t),
            Err(e) => {
                state.num_threads -= 1;
                // A running thread will get to the job. With none, it cannot run at all:
                // cancel it and say why instead of leaving it queued.
                if state.num_threads == 0 {
                    let job = state.queue.pop_back();
                    drop(state);
                    drop(job);
                    panic!("weft: could not start a blocking-pool thread: {e}");
                }
            }
        }
    }
    // Else every thread is busy (the limit is reached): one takes the job when it is done.
}

/// The body of a pool thread.
fn run(inner: Arc<Inner>) {
    let mut state = inner.lock();
    'work: loop {
        // Busy: drain the queue (empty once shut down: shutdown takes it).
        while let Some(job) = state.queue.pop_front() {
            drop(state);
            job.run();
            state = inner.lock();
        }
        if state.shutdown {
            break;
        }
        // Idle (claimable from now on): spin for a moment, then sleep until a claim, the
        // keep-alive's end or shutdown.
        state.num_idle += 1;
        let deadline = Instant::now().checked_add(inner.keep_alive);
        drop(state);
        inner.spin_for_claim();
        state = inner.lock();
        let mut timed_out = false;
        loop {
            // A claim first: one may have come during the spin, or just as the keep-alive
            // ran out (its signal lost: nobody was waiting any more).
            if state.num_notify > 0 {
                state.num_notify -= 1;
                inner.claims.store(state.num_notify, Relaxed);
                continue 'work;
            }
            if state.shutdown || timed_out {
                state.num_idle -= 1;
                break 'work;
            }
            // Sleep (again, after a spurious wake-up).
            state.num_sleeping += 1;
            let (guard, t) = inner.wait_until(state, &inner.work, deadline);
            state = guard;
            state.num_sleeping -= 1;
            timed_out = t;
        }
    }
    inner.exit(state);
}
