//! `Scheduler::metrics` on the built-in schedulers: each counter moves when, and only when,
//! what it counts happens.
#![cfg(not(weft_loom))]

use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use weft_core::coop;
use weft_queue::LOCAL_QUEUE_CAPACITY;
use weft_sched::{
    CurrentThread, Deterministic, Dispatch, Env, Hint, MultiThread, Scheduler, SchedulerMetrics,
    ThreadPark,
};
use weft_task::{JoinHandle, Owner, Runnable};

struct Rt<S: Scheduler> {
    owner: Arc<Owner<S>>,
    env: Env,
}

impl<S: Scheduler> Rt<S> {
    fn new(sched: S) -> Rt<S> {
        Rt {
            owner: Arc::new(Owner::new(sched)),
            env: Env::new(Arc::new(ThreadPark::new())),
        }
    }

    fn start(self) -> Rt<S> {
        self.owner.dispatcher().start(&self.env).unwrap();
        self
    }

    fn metrics(&self) -> SchedulerMetrics {
        self.owner.dispatcher().metrics()
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let mut out = None;
        {
            let mut fut = std::pin::pin!(async { out = Some(fut.await) });
            self.owner.dispatcher().block_on(&self.env, fut.as_mut());
        }
        out.unwrap()
    }

    /// Polls `metrics` until `ok` holds (generous deadline: counters that depend on the
    /// workers' timing, such as parks, are updated when the worker gets there).
    fn wait_for(&self, what: &str, ok: impl Fn(&SchedulerMetrics) -> bool) -> SchedulerMetrics {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.metrics();
            if ok(&m) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never observed; last {m:#?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl<S: Scheduler> Drop for Rt<S> {
    fn drop(&mut self) {
        self.owner.close_and_shutdown_all();
        self.owner.dispatcher().shutdown();
    }
}

/// Returns `Pending` once (waking itself), like `weft::task::yield_now`.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// An operation that is always ready but spends budget, like a receive on a full channel.
fn budgeted_op() -> impl Future<Output = ()> {
    poll_fn(|cx| {
        let progress = std::task::ready!(coop::poll_proceed(cx));
        progress.made_progress();
        Poll::Ready(())
    })
}

fn spin_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

async fn join_all<T>(handles: Vec<JoinHandle<T>>) {
    for h in handles {
        h.await.unwrap();
    }
}

#[test]
fn an_idle_scheduler_reports_its_workers_and_nothing_else() {
    let rt = Rt::new(MultiThread::new(3));
    let m = rt.metrics();
    assert_eq!(m.workers.len(), 3);
    assert_eq!(m.total_polls(), 0);
    assert_eq!(m.waiting_tasks(), 0);
    for w in &m.workers {
        assert_eq!((w.parks, w.unparks, w.steals, w.overflows), (0, 0, 0, 0));
        assert_eq!(w.busy, Duration::ZERO, "not started: never awake");
    }
}

#[test]
fn tasks_dispatched_before_start_wait_in_the_global_queue() {
    let rt = Rt::new(MultiThread::new(2));
    let handles: Vec<_> = (0..5).map(|i| rt.owner.spawn(async move { i })).collect();
    let m = rt.metrics();
    assert_eq!(m.global_queue_depth, 5);
    assert_eq!(m.waiting_tasks(), 5);
    let rt = rt.start();
    rt.block_on(join_all(handles));
    let m = rt.wait_for("queue drained", |m| m.global_queue_depth == 0);
    assert!(m.total_polls() >= 5);
}

#[test]
fn multi_thread_counts_polls_parks_unparks_and_busy_time() {
    const TASKS: u64 = 20;
    const YIELDS: u64 = 10;
    let rt = Rt::new(MultiThread::new(2)).start();
    // Let both workers find nothing to do and go to sleep.
    rt.wait_for("both workers parked", |m| {
        m.workers.iter().all(|w| w.parks >= 1)
    });
    let handles: Vec<_> = (0..TASKS)
        .map(|_| {
            rt.owner.spawn(async {
                for _ in 0..YIELDS {
                    yield_now().await;
                }
            })
        })
        .collect();
    rt.block_on(join_all(handles));
    // Each task is polled once per yield plus once to finish.
    let m = rt.wait_for("every poll counted", |m| {
        m.total_polls() >= TASKS * (YIELDS + 1)
    });
    assert!(
        m.workers.iter().any(|w| w.unparks >= 1),
        "a worker woke for the tasks: {m:#?}"
    );
    for w in &m.workers {
        assert!(w.parks >= w.unparks && w.parks <= w.unparks + 1, "{w:#?}");
        assert!(w.busy > Duration::ZERO, "{w:#?}");
    }
    // Idle again: parks catch up, and a parked worker's busy time stands still.
    let m = rt.wait_for("idle again", |m| {
        m.workers.iter().all(|w| w.parks == w.unparks + 1)
    });
    std::thread::sleep(Duration::from_millis(20));
    let later = rt.metrics();
    for (a, b) in m.workers.iter().zip(&later.workers) {
        if a.parks == b.parks && a.unparks == b.unparks {
            assert_eq!(a.busy, b.busy, "asleep all along");
        }
    }
}

#[test]
fn a_full_local_ring_overflows_to_the_global_queue() {
    // One worker: nobody steals, so the ring fills up exactly.
    let rt = Rt::new(MultiThread::new(1)).start();
    let owner = rt.owner.clone();
    let m = rt.block_on(rt.owner.spawn(async move {
        let spawned: Vec<_> = (0..LOCAL_QUEUE_CAPACITY + 1)
            .map(|_| owner.spawn(async {}))
            .collect();
        let m = owner.dispatcher().metrics();
        (spawned, m)
    }));
    let (spawned, m) = m.unwrap();
    // The last spawn found the ring full: it went to the global queue, the ring kept the rest.
    assert_eq!(m.workers[0].overflows, 1, "{m:#?}");
    assert_eq!(m.workers[0].local_queue_depth, LOCAL_QUEUE_CAPACITY);
    assert_eq!(m.global_queue_depth, 1);
    assert_eq!(m.waiting_tasks(), LOCAL_QUEUE_CAPACITY + 1);
    rt.block_on(join_all(spawned));
}

#[test]
fn an_idle_worker_steals_from_a_busy_one() {
    let rt = Rt::new(MultiThread::new(2)).start();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let owner = rt.owner.clone();
        // One task fills its worker's queue with slow tasks; the other worker, idle, is
        // woken and steals half of them.
        let spawner = rt.owner.spawn(async move {
            let handles: Vec<_> = (0..64)
                .map(|_| owner.spawn(async { spin_for(Duration::from_micros(200)) }))
                .collect();
            join_all(handles).await;
        });
        rt.block_on(spawner).unwrap();
        let m = rt.metrics();
        let steals: u64 = m.workers.iter().map(|w| w.steals).sum();
        let stolen: u64 = m.workers.iter().map(|w| w.stolen_tasks).sum();
        if steals > 0 {
            assert!(
                stolen >= steals,
                "each steal takes at least one task: {m:#?}"
            );
            return;
        }
        assert!(Instant::now() < deadline, "no steal observed: {m:#?}");
    }
}

#[test]
fn budget_forced_yields_are_counted_multi_thread() {
    forced_yields(Rt::new(MultiThread::new(2)).start());
}

#[test]
fn budget_forced_yields_are_counted_current_thread() {
    forced_yields(Rt::new(CurrentThread::new()).start());
}

fn forced_yields<S: Scheduler>(rt: Rt<S>) {
    const OPS: usize = 10 * coop::BUDGET as usize;
    let task = rt.owner.spawn(async {
        for _ in 0..OPS {
            budgeted_op().await;
        }
    });
    rt.block_on(task).unwrap();
    // Collected when the worker parks or every `event_interval` ticks.
    let m = rt.wait_for("forced yields", |m| {
        m.workers.iter().map(|w| w.forced_yields).sum::<u64>() >= (OPS / 128 - 1) as u64
    });
    // The task yielded each time its budget ran out, and was polled again each time.
    assert!(m.total_polls() >= (OPS / 128 - 1) as u64, "{m:#?}");
}

#[test]
fn current_thread_reports_one_worker() {
    reports_one_worker(Rt::new(CurrentThread::new()).start());
}

#[test]
fn deterministic_reports_one_worker() {
    reports_one_worker(Rt::new(Deterministic::new(7)).start());
}

fn reports_one_worker<S: Scheduler>(rt: Rt<S>) {
    const TASKS: u64 = 10;
    // Spawned from outside `block_on`: they wait in the shared queue.
    let handles: Vec<_> = (0..TASKS)
        .map(|_| rt.owner.spawn(async { yield_now().await }))
        .collect();
    let m = rt.metrics();
    assert_eq!(m.workers.len(), 1);
    assert_eq!(m.global_queue_depth, TASKS as usize);
    rt.block_on(async move {
        join_all(handles).await;
        // Wait for a wake-up from another thread, so the thread parks in the driver.
        let mut started = false;
        poll_fn(move |cx| {
            if started {
                return Poll::Ready(());
            }
            started = true;
            let waker = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                waker.wake();
            });
            Poll::Pending
        })
        .await;
    });
    let m = rt.metrics();
    let w = &m.workers[0];
    assert!(w.polls >= TASKS * 2, "{w:#?}");
    assert!(w.parks >= 1 && w.unparks >= 1, "{w:#?}");
    assert_eq!(
        w.parks, w.unparks,
        "not inside block_on: awake periods closed"
    );
    assert_eq!((w.steals, w.overflows), (0, 0));
    assert!(w.busy > Duration::ZERO);
    assert_eq!(m.waiting_tasks(), 0);
}

#[test]
fn current_thread_local_queue_depth_is_published_per_batch() {
    let rt = Rt::new(CurrentThread::new().event_interval(1)).start();
    let owner = rt.owner.clone();
    let depth = rt.block_on(async move {
        // Spawned from the thread running the tasks: the local queue.
        let handles: Vec<_> = (0..5).map(|_| owner.spawn(async {})).collect();
        // One batch of one task runs before the main future is polled again.
        yield_now().await;
        let depth = owner.dispatcher().metrics().workers[0].local_queue_depth;
        join_all(handles).await;
        depth
    });
    assert_eq!(depth, 4, "five queued, one ran");
}

/// A scheduler that keeps no counters still compiles, and reports no workers.
#[test]
fn the_default_reports_no_workers() {
    struct Inline;
    impl Dispatch for Inline {
        fn dispatch(&self, task: Runnable, _hint: Hint) {
            drop(task);
        }
    }
    impl Scheduler for Inline {
        fn start(&self, _env: &Env) -> std::io::Result<()> {
            Ok(())
        }
        fn shutdown(&self) {}
    }
    let m = Inline.metrics();
    assert!(m.workers.is_empty());
    assert_eq!(m, SchedulerMetrics::default());
    let arc = Arc::new(MultiThread::new(2));
    assert_eq!(
        <Arc<MultiThread> as Scheduler>::metrics(&arc).workers.len(),
        2,
        "forwarded through Arc"
    );
}
