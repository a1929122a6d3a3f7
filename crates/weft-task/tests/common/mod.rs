//! A tiny test executor and the counting helpers the behaviour tests share.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll, Wake, Waker};

use weft_task::{Dispatch, Hint, JoinError, JoinHandle, Owner, Runnable};

/// The executor's dispatcher: one FIFO queue, and a count of dispatches by [`Hint`].
#[derive(Default)]
pub(crate) struct Queue {
    pub(crate) queue: Mutex<VecDeque<Runnable>>,
    /// Dispatches with `Hint::Spawn` (a new task of the owner).
    pub(crate) spawns: AtomicUsize,
    /// Dispatches with `Hint::Wake` (wakes of an idle task, remote aborts).
    pub(crate) schedules: AtomicUsize,
    /// Dispatches with `Hint::Yield` (the task woke itself during its own poll).
    pub(crate) yields: AtomicUsize,
    /// Dispatches with `Hint::Deferred` (woken inside `context::defer_wakes`).
    pub(crate) deferreds: AtomicUsize,
}

impl Dispatch for Queue {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        let counter = match hint {
            Hint::Spawn => &self.spawns,
            Hint::Wake => &self.schedules,
            Hint::Yield => &self.yields,
            Hint::Deferred => &self.deferreds,
            other => panic!("unknown hint {other:?}"),
        };
        counter.fetch_add(1, SeqCst);
        self.queue.lock().unwrap().push_back(task);
    }
}

/// A single-threaded FIFO executor: an [`Owner`] whose dispatcher is a [`Queue`]. Every task
/// holds a clone of the `Arc`, which is how the tests count live task allocations.
#[derive(Clone)]
pub(crate) struct Exec(pub(crate) Arc<Owner<Queue>>);

impl std::ops::Deref for Exec {
    type Target = Owner<Queue>;
    fn deref(&self) -> &Owner<Queue> {
        &self.0
    }
}

impl Default for Exec {
    fn default() -> Exec {
        Exec::new()
    }
}

impl Exec {
    pub(crate) fn new() -> Exec {
        Exec(Arc::new(Owner::new(Queue::default())))
    }

    /// An executor whose owner list has about `shards` shards.
    pub(crate) fn with_shards(shards: usize) -> Exec {
        Exec(Arc::new(Owner::with_shards(Queue::default(), shards)))
    }

    /// The dispatcher.
    pub(crate) fn queue(&self) -> &Queue {
        self.0.dispatcher()
    }

    /// Spawns `future` through the owner, which queues its first `Runnable` (counted as a
    /// spawn, not a schedule).
    #[track_caller]
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn_at(future, None, Location::caller())
    }

    /// Spawns `future` through the owner and takes its first `Runnable` back out of the
    /// queue, unrun.
    #[track_caller]
    pub(crate) fn spawn_unqueued<F>(&self, future: F) -> (JoinHandle<F::Output>, Runnable)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        assert!(!self.is_closed(), "the owner is open");
        let handle = self.0.spawn_at(future, None, Location::caller());
        let runnable = self
            .queue()
            .queue
            .lock()
            .unwrap()
            .pop_back()
            .expect("spawn dispatched the first Runnable");
        assert_eq!(runnable.id(), handle.id());
        (handle, runnable)
    }

    /// Pops the next queued `Runnable` (the lock is released before it is returned).
    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.queue().queue.lock().unwrap().pop_front()
    }

    /// Runs the next queued task; `false` if the queue was empty.
    pub(crate) fn run_one(&self) -> bool {
        match self.pop() {
            Some(r) => {
                r.run();
                true
            }
            None => false,
        }
    }

    /// Runs queued tasks until the queue is empty; returns how many runs that took.
    pub(crate) fn run_until_idle(&self) -> usize {
        let mut runs = 0;
        while self.run_one() {
            runs += 1;
        }
        runs
    }

    pub(crate) fn queued(&self) -> usize {
        self.queue().queue.lock().unwrap().len()
    }

    pub(crate) fn spawns(&self) -> usize {
        self.queue().spawns.load(SeqCst)
    }

    pub(crate) fn schedules(&self) -> usize {
        self.queue().schedules.load(SeqCst)
    }

    pub(crate) fn yields(&self) -> usize {
        self.queue().yields.load(SeqCst)
    }

    pub(crate) fn deferreds(&self) -> usize {
        self.queue().deferreds.load(SeqCst)
    }

    /// Closes the owner, cancels every task and drops every queued `Runnable` (outside the
    /// queue's lock: cancelling may wake other tasks). Breaks the owner <-> task cycle.
    pub(crate) fn shutdown(&self) {
        self.close_and_shutdown_all();
        loop {
            let drained: Vec<Runnable> = self.queue().queue.lock().unwrap().drain(..).collect();
            if drained.is_empty() {
                break;
            }
            drop(drained);
        }
    }

    /// Shuts down and asserts that every task allocation was freed: each task holds a clone
    /// of the owner's `Arc`, so only the caller's own reference may be left.
    #[track_caller]
    pub(crate) fn shutdown_and_assert_freed(self) {
        self.shutdown();
        assert_eq!(self.len(), 0);
        assert_eq!(
            Arc::strong_count(&self.0),
            1,
            "a task allocation (which holds a clone of the owner) was leaked"
        );
    }

    /// The number of live task allocations (each holds one clone of the owner); only
    /// meaningful while the caller holds exactly one `Exec`.
    pub(crate) fn live_tasks(&self) -> usize {
        Arc::strong_count(&self.0) - 1
    }
}

/// Counts drops of its [`DropToken`]s.
#[derive(Clone, Default, Debug)]
pub(crate) struct DropCount(Arc<AtomicUsize>);

impl DropCount {
    pub(crate) fn new() -> DropCount {
        DropCount::default()
    }

    pub(crate) fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Increments its [`DropCount`] when dropped.
#[derive(Debug)]
pub(crate) struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future whose drop is counted (it owns a [`DropToken`]).
pub(crate) struct Tracked<T> {
    fut: Pin<Box<dyn Future<Output = T> + Send>>,
    _token: DropToken,
}

impl<T> Tracked<T> {
    pub(crate) fn new(fut: impl Future<Output = T> + Send + 'static, count: &DropCount) -> Self {
        Tracked {
            fut: Box::pin(fut),
            _token: count.token(),
        }
    }
}

impl<T> Future for Tracked<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.fut.as_mut().poll(cx)
    }
}

/// A waker that counts its wake-ups.
#[derive(Default, Debug)]
pub(crate) struct WakeCounter(AtomicUsize);

impl WakeCounter {
    pub(crate) fn new() -> Arc<WakeCounter> {
        Arc::new(WakeCounter::default())
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Polls `handle` once with `waker`.
pub(crate) fn poll_with<T>(
    handle: &mut JoinHandle<T>,
    waker: &Waker,
) -> Poll<Result<T, JoinError>> {
    Pin::new(handle).poll(&mut Context::from_waker(waker))
}

/// A waker that does nothing.
pub(crate) fn noop_waker() -> Waker {
    Waker::noop().clone()
}

/// Wakes through an owned clone of `waker` (`Waker::wake`, which consumes a reference).
pub(crate) fn wake_by_value(waker: &Waker) {
    let owned = waker.clone();
    owned.wake();
}

/// Polls `handle` once with a no-op waker.
pub(crate) fn poll_once<T>(handle: &mut JoinHandle<T>) -> Poll<Result<T, JoinError>> {
    poll_with(handle, &noop_waker())
}

/// The handle's result, which must be ready.
#[track_caller]
pub(crate) fn ready<T>(handle: &mut JoinHandle<T>) -> Result<T, JoinError> {
    match poll_once(handle) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!("the JoinHandle is not ready"),
    }
}

/// A future that stores its waker on every poll and completes once [`Gate::open`] is
/// called (with the value given there); counts its polls.
#[derive(Clone, Default)]
pub(crate) struct Gate(Arc<GateInner>);

#[derive(Default)]
pub(crate) struct GateInner {
    open: Mutex<bool>,
    waker: Mutex<Option<Waker>>,
    polls: AtomicUsize,
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate::default()
    }

    /// The future to spawn.
    pub(crate) fn wait(&self) -> impl Future<Output = ()> + Send + Unpin + 'static {
        let gate = self.0.clone();
        std::future::poll_fn(move |cx| {
            gate.polls.fetch_add(1, SeqCst);
            *gate.waker.lock().unwrap() = Some(cx.waker().clone());
            if *gate.open.lock().unwrap() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    /// Lets the future complete on its next poll (does not wake it).
    pub(crate) fn open(&self) {
        *self.open.lock().unwrap() = true;
    }

    /// Opens and wakes the task.
    pub(crate) fn open_and_wake(&self) {
        self.open();
        self.wake();
    }

    /// Wakes the task through its last stored waker (by reference).
    pub(crate) fn wake(&self) {
        self.waker
            .lock()
            .unwrap()
            .as_ref()
            .expect("polled at least once")
            .wake_by_ref();
    }

    /// A clone of the last stored waker.
    pub(crate) fn waker(&self) -> Waker {
        self.waker
            .lock()
            .unwrap()
            .clone()
            .expect("polled at least once")
    }

    /// Drops the stored waker.
    pub(crate) fn forget_waker(&self) {
        self.waker.lock().unwrap().take();
    }

    pub(crate) fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }
}

impl std::ops::Deref for Gate {
    type Target = GateInner;
    fn deref(&self) -> &GateInner {
        &self.0
    }
}

/// Panic payloads that contain this marker are expected: [`quiet_expected_panics`] keeps them
/// off stderr.
pub(crate) const EXPECTED: &str = "expected test panic";

/// Installs (once) a panic hook that hides panics whose message contains [`EXPECTED`] and
/// reports every other one as usual.
pub(crate) fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if msg.is_some_and(|m| m.contains(EXPECTED)) {
                return;
            }
            default(info);
        }));
    });
}
