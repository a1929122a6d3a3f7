//! Many tasks woken concurrently from several threads while two runners poll them: no wake is
//! lost (every task completes), no task is queued twice or polled by two threads at once, and
//! every task is freed.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

use weft_task::{Dispatch, Hint, JoinHandle, Owner, Runnable};

const TASKS: usize = 10_000;
const WAKER_THREADS: usize = 4;
const WAKES_PER_THREAD: usize = 10;
/// Each task completes on the first poll that sees this many wakes.
const WAKES: usize = WAKER_THREADS * WAKES_PER_THREAD;
const RUNNERS: usize = 2;

/// The dispatcher: one FIFO queue shared by the runners.
#[derive(Default)]
struct Sched {
    queue: Mutex<VecDeque<Runnable>>,
    /// Dispatches other than the spawn's (wakes, and wakes during a poll).
    submitted: AtomicUsize,
}

impl Dispatch for Sched {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        if hint != Hint::Spawn {
            self.submitted.fetch_add(1, SeqCst);
        }
        self.queue.lock().unwrap().push_back(task);
    }
}

#[derive(Default)]
struct Probe {
    in_poll: AtomicBool,
    polls: AtomicUsize,
    wakes: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

fn task(probe: Arc<Probe>, completed: Arc<AtomicUsize>) -> impl Future<Output = usize> {
    std::future::poll_fn(move |cx| {
        assert!(
            !probe.in_poll.swap(true, SeqCst),
            "polled by two threads at once"
        );
        let polls = probe.polls.fetch_add(1, SeqCst) + 1;
        {
            let mut slot = probe.waker.lock().unwrap();
            match &*slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        // Read after publishing the waker: a wake counted later is followed by a poll.
        let done = probe.wakes.load(SeqCst) >= WAKES;
        probe.in_poll.store(false, SeqCst);
        if done {
            completed.fetch_add(1, SeqCst);
            Poll::Ready(polls)
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn concurrent_wakes_are_never_lost_nor_doubled() {
    let owner = Arc::new(Owner::new(Sched::default()));
    let completed = Arc::new(AtomicUsize::new(0));
    let probes: Arc<Vec<Arc<Probe>>> = Arc::new((0..TASKS).map(|_| Arc::default()).collect());
    let mut handles: Vec<JoinHandle<usize>> = probes
        .iter()
        .map(|p| owner.spawn(task(p.clone(), completed.clone())))
        .collect();
    assert_eq!(owner.len(), TASKS);

    let runners: Vec<_> = (0..RUNNERS)
        .map(|_| {
            let owner = owner.clone();
            let completed = completed.clone();
            thread::spawn(move || {
                let mut runs = 0_usize;
                loop {
                    let next = owner.dispatcher().queue.lock().unwrap().pop_front();
                    match next {
                        Some(r) => {
                            r.run();
                            runs += 1;
                        }
                        None if completed.load(SeqCst) == TASKS => return runs,
                        None => thread::yield_now(),
                    }
                }
            })
        })
        .collect();

    let wakers: Vec<_> = (0..WAKER_THREADS)
        .map(|t| {
            let probes = probes.clone();
            thread::spawn(move || {
                let mut left = vec![WAKES_PER_THREAD; TASKS];
                let mut remaining = TASKS * WAKES_PER_THREAD;
                let mut kind = t;
                while remaining > 0 {
                    let mut progress = false;
                    // Each thread starts at a different task so that they collide in places.
                    for k in 0..TASKS {
                        let i = (k + t * TASKS / WAKER_THREADS) % TASKS;
                        if left[i] == 0 {
                            continue;
                        }
                        let probe = &probes[i];
                        let slot = probe.waker.lock().unwrap();
                        let Some(w) = slot.as_ref() else { continue };
                        left[i] -= 1;
                        remaining -= 1;
                        progress = true;
                        probe.wakes.fetch_add(1, SeqCst);
                        kind += 1;
                        match kind % 3 {
                            0 => w.wake_by_ref(),
                            1 => {
                                let w = w.clone();
                                drop(slot);
                                w.wake();
                            }
                            _ => {
                                let w = w.clone();
                                drop(slot);
                                w.wake_by_ref();
                                drop(w.clone());
                            }
                        }
                    }
                    if !progress {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    for w in wakers {
        w.join().unwrap();
    }
    let runs: usize = runners.into_iter().map(|r| r.join().unwrap()).sum();

    let shared = owner.dispatcher();
    assert_eq!(completed.load(SeqCst), TASKS);
    assert_eq!(shared.queue.lock().unwrap().len(), 0);
    let noop = Waker::noop().clone();
    let mut total_polls = 0;
    for (h, p) in handles.iter_mut().zip(probes.iter()) {
        let mut cx = std::task::Context::from_waker(&noop);
        let polls = match std::pin::Pin::new(h).poll(&mut cx) {
            Poll::Ready(Ok(polls)) => polls,
            other => panic!("task did not complete: {other:?}"),
        };
        assert_eq!(polls, p.polls.load(SeqCst));
        assert!(
            (1..=WAKES + 1).contains(&polls),
            "{polls} polls for {WAKES} wakes"
        );
        assert_eq!(p.wakes.load(SeqCst), WAKES);
        total_polls += polls;
    }
    assert_eq!(runs, total_polls, "every run polled its task once");
    assert_eq!(
        shared.submitted.load(SeqCst) + TASKS,
        runs,
        "every Runnable handed over was run once"
    );
    assert_eq!(owner.len(), 0, "every task left its owner's list");

    drop(handles);
    for p in probes.iter() {
        p.waker.lock().unwrap().take();
    }
    assert_eq!(
        Arc::strong_count(&owner),
        1,
        "a task allocation (holding a clone of the owner) leaked"
    );
}
