//! Stress (run in release by `cargo xtask test`): a million tasks in fan-out trees, every
//! leaf parked on a waker that a foreign thread wakes; every task must complete exactly once.
//! A lighter version runs in debug builds, on every scheduler.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use weft::Runtime;

/// Foreign threads that wake parked leaves.
const WAKER_THREADS: usize = 4;

struct Shared {
    /// Per leaf: set by a waker thread just before it wakes the leaf.
    released: Vec<AtomicBool>,
    /// Per leaf: how many times it completed (must end at exactly 1).
    completed: Vec<AtomicU8>,
    /// Per root: how many times it completed.
    roots_completed: Vec<AtomicU8>,
}

/// The channels to the waker threads; they close (and the threads end) once the last leaf
/// and the test have dropped theirs.
type ToWakers = Arc<Vec<Sender<(usize, Waker)>>>;

/// Starts the waker threads.
fn start_wakers(shared: &Arc<Shared>) -> (ToWakers, Vec<thread::JoinHandle<usize>>) {
    let mut senders = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..WAKER_THREADS {
        let (tx, rx) = crossbeam_channel::unbounded();
        senders.push(tx);
        let shared = shared.clone();
        threads.push(thread::spawn(move || waker_thread(rx, shared)));
    }
    (Arc::new(senders), threads)
}

/// Closes the channels and joins the waker threads; returns how many wake-ups they made.
fn stop_wakers(to: ToWakers, threads: Vec<thread::JoinHandle<usize>>) -> usize {
    assert_eq!(Arc::strong_count(&to), 1, "every leaf future was dropped");
    drop(to);
    threads.into_iter().map(|t| t.join().unwrap()).sum()
}

/// A leaf: on its first poll it sends its waker to a waker thread and parks; it completes
/// once that thread has released it and woken it.
struct Leaf {
    index: usize,
    shared: Arc<Shared>,
    to: ToWakers,
    sent: bool,
}

impl Future for Leaf {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let i = self.index;
        if self.shared.released[i].load(SeqCst) {
            self.shared.completed[i].fetch_add(1, SeqCst);
            return Poll::Ready(());
        }
        if !self.sent {
            self.sent = true;
            let to = &self.to[i % WAKER_THREADS];
            to.send((i, cx.waker().clone()))
                .expect("the waker threads outlive the leaves");
        }
        // (A spurious poll before the release just parks again: the waker sent is the
        // task's, which stays valid.)
        Poll::Pending
    }
}

fn waker_thread(rx: Receiver<(usize, Waker)>, shared: Arc<Shared>) -> usize {
    let mut woken = 0;
    for (i, waker) in rx {
        shared.released[i].store(true, SeqCst);
        waker.wake();
        woken += 1;
    }
    woken
}

/// Runs `roots` root tasks, each spawning `leaves` leaf tasks, on `rt`; checks that every
/// task completed exactly once. Returns the elapsed time.
fn fan_out(rt: &Runtime, name: &str, roots: usize, leaves: usize) -> std::time::Duration {
    let total = roots * leaves;
    let shared = Arc::new(Shared {
        released: (0..total).map(|_| AtomicBool::new(false)).collect(),
        completed: (0..total).map(|_| AtomicU8::new(0)).collect(),
        roots_completed: (0..roots).map(|_| AtomicU8::new(0)).collect(),
    });
    let (to, wakers) = start_wakers(&shared);

    let started = Instant::now();
    let s = shared.clone();
    let t = to.clone();
    let leaves_done = rt.block_on(async move {
        let root_handles: Vec<_> = (0..roots)
            .map(|r| {
                let s = s.clone();
                let to = t.clone();
                weft::spawn(async move {
                    let handles: Vec<_> = (0..leaves)
                        .map(|l| {
                            weft::spawn(Leaf {
                                index: r * leaves + l,
                                shared: s.clone(),
                                to: to.clone(),
                                sent: false,
                            })
                        })
                        .collect();
                    let mut done = 0;
                    for h in handles {
                        h.await.unwrap();
                        done += 1;
                    }
                    s.roots_completed[r].fetch_add(1, SeqCst);
                    done
                })
            })
            .collect();
        let mut done = 0;
        for h in root_handles {
            done += h.await.unwrap();
        }
        done
    });
    let elapsed = started.elapsed();

    let woken = stop_wakers(to, wakers);

    assert_eq!(leaves_done, total, "[{name}]");
    assert_eq!(
        woken, total,
        "[{name}] every leaf parked once and was woken once"
    );
    let bad_leaves = shared
        .completed
        .iter()
        .filter(|c| c.load(SeqCst) != 1)
        .count();
    assert_eq!(
        bad_leaves, 0,
        "[{name}] leaves that did not complete exactly once"
    );
    let bad_roots = shared
        .roots_completed
        .iter()
        .filter(|c| c.load(SeqCst) != 1)
        .count();
    assert_eq!(
        bad_roots, 0,
        "[{name}] roots that did not complete exactly once"
    );
    elapsed
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "a million tasks: run in release (cargo xtask test)"
)]
fn a_million_parked_tasks_woken_from_foreign_threads_complete_exactly_once() {
    for name in ["multi_thread(2)", "multi_thread(4)", "current_thread"] {
        let rt = common::runtime(name);
        let elapsed = fan_out(&rt, name, 1_000, 1_000);
        let t0 = Instant::now();
        drop(rt);
        eprintln!(
            "[{name}] 1,000 roots x 1,000 leaves: {elapsed:?} (shutdown {:?})",
            t0.elapsed()
        );
    }
}

#[test]
fn fan_out_trees_woken_from_foreign_threads_on_every_scheduler() {
    common::for_each_runtime(|rt, name| {
        fan_out(&rt, name, 50, 200);
    });
}

#[test]
#[cfg_attr(debug_assertions, ignore = "run in release (cargo xtask test)")]
fn aborts_racing_with_foreign_wakeups_resolve_each_task_once() {
    // Half of the parked leaves get aborted from another thread while the waker threads
    // wake them: each must end either Ok (and completed once) or cancelled (and never
    // completed), and every future must be dropped exactly once.
    for name in [
        "multi_thread(2)",
        "multi_thread(4)",
        "current_thread",
        "fifo(2)",
    ] {
        const N: usize = 100_000;
        let rt = common::runtime(name);
        let drops = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            released: (0..N).map(|_| AtomicBool::new(false)).collect(),
            completed: (0..N).map(|_| AtomicU8::new(0)).collect(),
            roots_completed: Vec::new(),
        });
        let (to, wakers) = start_wakers(&shared);
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let leaf = Leaf {
                    index: i,
                    shared: shared.clone(),
                    to: to.clone(),
                    sent: false,
                };
                let token = Counted(drops.clone());
                rt.spawn(async move {
                    let _token = token;
                    leaf.await;
                })
            })
            .collect();
        let aborts: Vec<_> = handles
            .iter()
            .step_by(2)
            .map(|h| h.abort_handle())
            .collect();
        let aborter = thread::spawn(move || aborts.into_iter().for_each(|a| a.abort()));
        let outcomes = rt.block_on(async move {
            let mut outcomes = Vec::with_capacity(N);
            for h in handles {
                outcomes.push(match h.await {
                    Ok(()) => true,
                    Err(e) if e.is_cancelled() => false,
                    Err(e) => panic!("{e:?}"),
                });
            }
            outcomes
        });
        aborter.join().unwrap();
        drop(rt);
        stop_wakers(to, wakers);
        assert_eq!(
            drops.load(SeqCst),
            N,
            "[{name}] every future dropped exactly once"
        );
        for (i, ok) in outcomes.iter().enumerate() {
            let completed = shared.completed[i].load(SeqCst);
            assert_eq!(
                completed,
                u8::from(*ok),
                "[{name}] task {i}: Ok <=> completed once"
            );
        }
        let cancelled = outcomes.iter().filter(|ok| !**ok).count();
        eprintln!("[{name}] {cancelled} of {N} aborted before completing");
    }
}
