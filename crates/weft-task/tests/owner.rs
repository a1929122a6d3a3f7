//! Bug 1: a finishing task gives up exactly its own owner-list reference, never another's.
//!
//! The old `Schedule::release` was safe user code whose returned `Task` the completion took
//! to be the task's own list reference: returning another task's freed a task still in use
//! and leaked the other. Now a task leaves its owner's list by itself, and no safe code can
//! name a list reference to hand back: the trait the harness calls is crate-private and
//! `Dispatch` has no such method (the `compile_fail` doctests on `Dispatch` and `Task` in
//! `src/lib.rs`). These tests check the behaviour: many tasks of two owners, finishing in
//! every way in an interleaved order, are each dropped and freed exactly once.
//!
//! Run `interleaved_completions_across_two_owners_free_every_task_once` under valgrind
//! memcheck to see that no freed task is touched again:
//! `valgrind --error-exitcode=1 target/debug/deps/owner-<hash> interleaved`.

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

use common::{quiet_expected_panics, ready, DropCount, DropToken, Exec, Queue, Tracked, EXPECTED};
use weft_task::{Dispatch, Id, JoinHandle, Owner};

/// A small deterministic generator (xorshift64*): the same interleaving on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// How a task of [`interleaved_completions_across_two_owners_free_every_task_once`] ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Completes; the handle takes the output.
    Output,
    /// Completes after its handle was dropped: the runner drops the output.
    Detached,
    /// Completes; the handle is dropped unread, dropping the output.
    Unread,
    /// Aborted while idle; the runner cancels it.
    Aborted,
    /// Woken, and the queued `Runnable` is dropped instead of run.
    RunnableDropped,
    /// Panics in its second poll.
    Panics,
    /// Still pending at shutdown.
    Shutdown,
}

const ENDS: [End; 7] = [
    End::Output,
    End::Detached,
    End::Unread,
    End::Aborted,
    End::RunnableDropped,
    End::Panics,
    End::Shutdown,
];

type Slot = Arc<Mutex<Option<Waker>>>;

/// A future that is `Pending` (storing its waker in `slot`) until `open` is set, then ends
/// as `end` says: with its output (a counted token), or a panic.
fn gated(
    open: Arc<AtomicBool>,
    slot: Slot,
    end: End,
    out: DropToken,
) -> impl Future<Output = DropToken> + Send + 'static {
    let mut out = Some(out);
    std::future::poll_fn(move |cx| {
        if !open.load(SeqCst) {
            *slot.lock().unwrap() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if end == End::Panics {
            panic!("{EXPECTED}: gated");
        }
        Poll::Ready(out.take().expect("polled after completion"))
    })
}

struct Spawned {
    owner: usize,
    end: End,
    id: Id,
    open: Arc<AtomicBool>,
    slot: Slot,
    handle: Option<JoinHandle<DropToken>>,
}

impl Spawned {
    /// Wakes the task through the waker its last poll stored (by value: the slot is left
    /// empty, holding no reference).
    fn wake(&self) {
        self.slot.lock().unwrap().take().expect("polled").wake();
    }
}

#[test]
fn interleaved_completions_across_two_owners_free_every_task_once() {
    quiet_expected_panics();
    const TASKS: usize = 350; // 50 of each `End`
    let owners = [Exec::with_shards(2), Exec::with_shards(2)];
    let fut_drops = DropCount::new();
    // Every future holds an output token from the start; it is dropped either as the output
    // or with the future, and must be dropped exactly once either way.
    let out_drops = DropCount::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // Spawn into either owner at random, so that each list holds a random mix.
    let mut tasks: Vec<Spawned> = (0..TASKS)
        .map(|i| {
            let end = ENDS[i % ENDS.len()];
            let owner = rng.below(2);
            let open = Arc::new(AtomicBool::new(false));
            let slot = Slot::default();
            let fut = gated(open.clone(), slot.clone(), end, out_drops.token());
            let handle = owners[owner].spawn(Tracked::new(fut, &fut_drops));
            Spawned {
                owner,
                end,
                id: handle.id(),
                open,
                slot,
                handle: Some(handle),
            }
        })
        .collect();

    // First polls, alternating between the owners at random.
    run_interleaved(&owners, &mut rng);
    assert_eq!(owners[0].len() + owners[1].len(), TASKS);
    assert_eq!(fut_drops.get(), 0);

    // End every task but the `Shutdown` ones, in a random order, running either owner's
    // queue, both interleaved, or neither at random in between: completions of both owners
    // interleave, in batches of every size.
    let mut order: Vec<usize> = (0..TASKS)
        .filter(|&i| tasks[i].end != End::Shutdown)
        .collect();
    rng.shuffle(&mut order);
    for &i in &order {
        let t = &mut tasks[i];
        let ex = &owners[t.owner];
        match t.end {
            End::Output | End::Unread | End::Panics => {
                t.open.store(true, SeqCst);
                t.wake();
            }
            End::Detached => {
                drop(t.handle.take());
                t.open.store(true, SeqCst);
                t.wake();
            }
            End::Aborted => t.handle.as_ref().unwrap().abort(),
            End::RunnableDropped => {
                t.wake();
                let r = ex.queue().queue.lock().unwrap().pop_back().unwrap();
                assert_eq!(r.id(), t.id);
                drop(r);
            }
            End::Shutdown => unreachable!(),
        }
        match rng.below(4) {
            0 => drop(owners[0].run_until_idle()),
            1 => drop(owners[1].run_until_idle()),
            2 => run_interleaved(&owners, &mut rng),
            _ => {}
        }
    }
    run_interleaved(&owners, &mut rng);

    // Each owner's list holds exactly its own `Shutdown` tasks.
    for (o, ex) in owners.iter().enumerate() {
        let want: HashSet<Id> = tasks
            .iter()
            .filter(|t| t.owner == o && t.end == End::Shutdown)
            .map(|t| t.id)
            .collect();
        let mut seen = HashSet::new();
        ex.for_each(|t| assert!(seen.insert(t.id()), "listed twice"));
        assert_eq!(seen, want, "owner {o}");
        assert_eq!(ex.len(), want.len());
    }
    let pending = TASKS / ENDS.len();
    assert_eq!(fut_drops.get(), TASKS - pending);

    // The handles: each result is the task's own.
    for t in &mut tasks {
        let Some(handle) = t.handle.as_mut() else {
            continue;
        };
        match t.end {
            End::Output => drop(ready(handle).unwrap()),
            End::Unread => assert!(handle.is_finished()),
            End::Aborted | End::RunnableDropped => {
                let err = ready(handle).unwrap_err();
                assert!(err.is_cancelled() && err.id() == t.id, "{err}");
            }
            End::Panics => assert!(ready(handle).unwrap_err().is_panic()),
            End::Shutdown => assert!(!handle.is_finished()),
            End::Detached => unreachable!("dropped"),
        }
        if t.end != End::Shutdown {
            drop(t.handle.take()); // `Unread`: the handle drops the output
        }
    }
    assert_eq!(
        out_drops.get(),
        TASKS - pending,
        "every output dropped exactly once"
    );

    let [a, b] = owners;
    a.shutdown();
    b.shutdown();
    assert_eq!(fut_drops.get(), TASKS, "every future dropped exactly once");
    assert_eq!(out_drops.get(), TASKS);
    for t in &mut tasks {
        if let Some(mut h) = t.handle.take() {
            assert!(ready(&mut h).unwrap_err().is_cancelled());
        }
        t.slot.lock().unwrap().take(); // the `Shutdown` tasks' wakers
    }
    a.shutdown_and_assert_freed();
    b.shutdown_and_assert_freed();
    assert_eq!((fut_drops.get(), out_drops.get()), (TASKS, TASKS));
}

/// Runs both owners' queues until both are empty, picking the next owner at random.
fn run_interleaved(owners: &[Exec; 2], rng: &mut Rng) {
    loop {
        let first = rng.below(2);
        if !owners[first].run_one() && !owners[1 - first].run_one() {
            return;
        }
    }
}

/// The same on three threads: two runners each pull from both owners' queues while the
/// main thread ends the tasks; tasks of one owner finish concurrently (unlinking from the
/// same shard) and tasks of both owners interleave.
#[test]
fn concurrent_completions_across_two_owners_free_every_task_once() {
    const TASKS: usize = 400;
    let owners = [Exec::with_shards(1), Exec::with_shards(1)];
    let fut_drops = DropCount::new();
    let out_drops = DropCount::new();
    let wakers: Arc<Mutex<HashMap<Id, Waker>>> = Arc::default();
    let opened: Vec<Arc<AtomicBool>> = (0..TASKS).map(|_| Arc::default()).collect();
    let mut handles: Vec<JoinHandle<DropToken>> = (0..TASKS)
        .map(|i| {
            let open = opened[i].clone();
            let stash = wakers.clone();
            let mut out = Some(out_drops.token());
            owners[i % 2].spawn(Tracked::new(
                std::future::poll_fn(move |cx| {
                    if open.load(SeqCst) {
                        return Poll::Ready(out.take().unwrap());
                    }
                    let id = weft_task::try_current_id().unwrap();
                    stash.lock().unwrap().insert(id, cx.waker().clone());
                    Poll::Pending
                }),
                &fut_drops,
            ))
        })
        .collect();
    for ex in &owners {
        ex.run_until_idle();
    }
    assert_eq!(wakers.lock().unwrap().len(), TASKS);

    let done = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let runners: Vec<_> = (0..2)
        .map(|k| {
            let owners = owners.clone();
            let (done, runs) = (done.clone(), runs.clone());
            thread::spawn(move || loop {
                let ran = owners[k].run_one() || owners[1 - k].run_one();
                if ran {
                    runs.fetch_add(1, SeqCst);
                } else if done.load(SeqCst) {
                    return;
                } else {
                    thread::yield_now();
                }
            })
        })
        .collect();

    // Half the tasks complete, a quarter are aborted, a quarter stay pending.
    let mut rng = Rng(7);
    let mut order: Vec<usize> = (0..TASKS).collect();
    rng.shuffle(&mut order);
    let (complete, rest) = order.split_at(TASKS / 2);
    let (abort, pending) = rest.split_at(TASKS / 4);
    for (n, &i) in complete.iter().enumerate() {
        opened[i].store(true, SeqCst);
        let w = wakers.lock().unwrap().remove(&handles[i].id()).unwrap();
        w.wake();
        if let Some(&j) = abort.get(n / 2).filter(|_| n % 2 == 0) {
            handles[j].abort();
        }
    }
    while owners.iter().map(|ex| ex.len()).sum::<usize>() > pending.len() {
        thread::yield_now();
    }
    done.store(true, SeqCst);
    for r in runners {
        r.join().unwrap();
    }
    assert_eq!(fut_drops.get(), TASKS - pending.len());
    for (o, ex) in owners.iter().enumerate() {
        let want: HashSet<Id> = pending
            .iter()
            .filter(|&&i| i % 2 == o)
            .map(|&i| handles[i].id())
            .collect();
        let mut seen = HashSet::new();
        ex.for_each(|t| assert!(seen.insert(t.id())));
        assert_eq!(seen, want, "owner {o} holds exactly its own pending tasks");
    }
    for &i in complete {
        drop(ready(&mut handles[i]).unwrap());
    }
    for &i in abort {
        assert!(ready(&mut handles[i]).unwrap_err().is_cancelled());
    }
    // The outputs taken, and the tokens the aborted futures held.
    assert_eq!(out_drops.get(), complete.len() + abort.len());

    let [a, b] = owners;
    a.shutdown();
    b.shutdown();
    wakers.lock().unwrap().clear();
    for &i in pending {
        assert!(ready(&mut handles[i]).unwrap_err().is_cancelled());
    }
    drop(handles);
    assert_eq!(fut_drops.get(), TASKS);
    assert_eq!(
        out_drops.get(),
        TASKS,
        "the pending tasks' output tokens went with them"
    );
    a.shutdown_and_assert_freed();
    b.shutdown_and_assert_freed();
}

/// An `Arc<Owner<D>>` coerces to `Arc<Owner<dyn Dispatch>>` (one task type for any
/// scheduler), and tasks spawned through it behave the same.
#[test]
fn an_owner_of_a_dyn_dispatcher() {
    let queue = Arc::new(Queue::default());
    let owner: Arc<Owner<dyn Dispatch>> = Arc::new(Owner::new(queue.clone()));
    let mut handle = owner.spawn(async { 5 });
    let blocked = owner.spawn(std::future::pending::<()>());
    assert_eq!(owner.len(), 2);
    assert_eq!(queue.spawns.load(SeqCst), 2);
    loop {
        let next = queue.queue.lock().unwrap().pop_front();
        match next {
            Some(r) => r.run(),
            None => break,
        }
    }
    assert_eq!(ready(&mut handle).unwrap(), 5);
    assert_eq!(owner.len(), 1);
    owner.close_and_shutdown_all();
    assert!(blocked.is_finished());
    drop((handle, blocked));
    assert_eq!(Arc::strong_count(&owner), 1);
    assert!(format!("{owner:?}").contains("len: 0"));
}
