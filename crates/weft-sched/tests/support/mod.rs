//! What the scheduler's loom models (`tests/loom_*.rs`) share: a runtime made of the real
//! pieces (an `Owner` over the real scheduler, started through an `Env` whose threads are
//! loom threads), a `block_on`, an event a task can wait on, and a test driver that fires
//! wakers from inside `park` the way the I/O driver does.
//!
//! Not a test target of its own (cargo builds only `tests/*.rs` and `tests/*/main.rs`); each
//! model file includes it with `mod support;`.
#![allow(dead_code)] // each model file uses a part

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weft_core::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use weft_core::loom::sync::{Condvar, Mutex};
use weft_sched::{CurrentThread, Env, MultiThread, Park, Scheduler, ThreadPark};
use weft_task::Owner;

pub(crate) use weft_core::test_support::model;

#[cfg(not(debug_assertions))]
compile_error!(
    "run the loom models with `-C debug-assertions`: the schedulers' invariants are debug_asserts"
);

/// A runtime: the owner of its tasks (one list shard: fewer locks for loom to permute) over
/// scheduler `S`, and the environment it was started with.
pub(crate) struct Rt<S: Scheduler> {
    pub(crate) owner: Arc<Owner<S>>,
    pub(crate) env: Env,
}

impl<S: Scheduler> Rt<S> {
    /// A runtime not started yet: tasks spawned now wait for [`Rt::start`].
    pub(crate) fn new(sched: S, driver: Arc<dyn Park>) -> Rt<S> {
        Rt {
            owner: Arc::new(Owner::with_shards(sched, 1)),
            env: Env::new(driver),
        }
    }

    /// `Scheduler::start`: the workers, if any, begin.
    pub(crate) fn start(self) -> Rt<S> {
        self.sched().start(&self.env).unwrap();
        self
    }

    pub(crate) fn sched(&self) -> &S {
        self.owner.dispatcher()
    }

    /// `Scheduler::block_on`, returning the future's output.
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let mut out = None;
        {
            let mut fut = std::pin::pin!(async { out = Some(fut.await) });
            self.sched().block_on(&self.env, fut.as_mut());
        }
        out.expect("block_on returned before its future finished")
    }

    /// The runtime's shutdown order: cancel every task, then stop the scheduler.
    pub(crate) fn shutdown(&self) {
        self.owner.close_and_shutdown_all();
        self.sched().shutdown();
    }
}

/// The real `MultiThread` with `workers` loom threads, parking in `driver`.
pub(crate) fn multi_thread(workers: usize, driver: Arc<dyn Park>) -> Rt<MultiThread> {
    Rt::new(MultiThread::new(workers), driver).start()
}

/// The real `CurrentThread`, parking in `driver`.
pub(crate) fn current_thread(driver: Arc<dyn Park>) -> Rt<CurrentThread> {
    Rt::new(CurrentThread::new(), driver).start()
}

/// A driver with nothing to drive (a loom mutex, condvar and token).
pub(crate) fn thread_park() -> Arc<dyn Park> {
    Arc::new(ThreadPark::new())
}

/// A one-shot event: [`Event::wait`] is pending until [`Event::fire`] (from any thread).
pub(crate) struct Event {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Event {
    pub(crate) fn new() -> Arc<Event> {
        Arc::new(Event {
            fired: AtomicBool::new(false),
            waker: Mutex::new(None),
        })
    }

    pub(crate) fn fire(&self) {
        self.fired.store(true, SeqCst);
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Fires the event the way I/O readiness does: the waiting waker is handed to `driver`,
    /// which wakes it from inside its next `park`, on whichever thread is parked in it.
    pub(crate) fn fire_via(&self, driver: &IoDriver) {
        self.fired.store(true, SeqCst);
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            driver.ready(waker);
        }
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(SeqCst)
    }

    pub(crate) fn wait(self: &Arc<Self>) -> Wait {
        Wait(self.clone())
    }
}

/// The future of [`Event::wait`].
pub(crate) struct Wait(Arc<Event>);

impl Future for Wait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.is_fired() {
            return Poll::Ready(());
        }
        *self.0.waker.lock() = Some(cx.waker().clone());
        // Checked again after registering: a fire in between took no waker.
        if self.0.is_fired() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// A stand-in for the I/O driver: [`IoDriver::ready`] is an event source becoming ready (it
/// makes the thread blocked in the driver return, as readiness makes `epoll_wait` return),
/// and whichever thread is in [`Park::park`] then fires the waiting wakers from inside
/// `park`, on its own thread, as the reactor does.
pub(crate) struct IoDriver {
    token: ThreadPark,
    ready: Mutex<Vec<Waker>>,
}

impl IoDriver {
    pub(crate) fn new() -> Arc<IoDriver> {
        Arc::new(IoDriver {
            token: ThreadPark::new(),
            ready: Mutex::new(Vec::new()),
        })
    }

    /// Drops the wakers not fired yet, as a driver drops its registrations when it shuts
    /// down (a waker of a finished task may be left here, and the task's owner holds this
    /// driver: without this, loom would report the cycle as a leak).
    pub(crate) fn shutdown(&self) {
        drop(std::mem::take(&mut *self.ready.lock()));
    }

    /// `waker`'s source is ready: the driver fires it at its next `park`.
    pub(crate) fn ready(&self, waker: Waker) {
        self.ready.lock().push(waker);
        self.token.unpark();
    }
}

impl Park for IoDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.token.park(timeout);
        let ready = std::mem::take(&mut *self.ready.lock());

        for waker in ready {
            waker.wake();
        }
    }

    fn unpark(&self) {
        self.token.unpark();
    }
}

/// A task that waits for I/O: its first poll registers with the driver (whose source is
/// ready at once) and returns `Pending`; the driver's wake-up, fired from inside `park`,
/// makes the next poll return.
pub(crate) struct WaitIo {
    driver: Arc<IoDriver>,
    registered: bool,
}

impl WaitIo {
    pub(crate) fn new(driver: Arc<IoDriver>) -> WaitIo {
        WaitIo {
            driver,
            registered: false,
        }
    }
}

impl Future for WaitIo {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.registered {
            return Poll::Ready(());
        }
        self.registered = true;
        self.driver.ready(cx.waker().clone());
        Poll::Pending
    }
}

/// A gate a thread can block on (a loom mutex and condvar): it models a task that keeps its
/// worker busy (a long poll) until another thread opens the gate.
pub(crate) struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    pub(crate) fn new() -> Arc<Gate> {
        Arc::new(Gate {
            open: Mutex::new(false),
            cv: Condvar::new(),
        })
    }

    pub(crate) fn open(&self) {
        *self.open.lock() = true;
        self.cv.notify_all();
    }

    /// Blocks the calling thread until the gate is open.
    pub(crate) fn wait_blocking(&self) {
        let mut open = self.open.lock();
        while !*open {
            open = self.cv.wait(open);
        }
    }
}

/// Polls a `JoinHandle` (or any future) once, expecting it to be finished.
pub(crate) fn ready_now<F: Future + Unpin>(fut: &mut F) -> F::Output {
    match Pin::new(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("not finished"),
    }
}
