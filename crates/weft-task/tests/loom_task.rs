//! Loom models of the task state machine: every race the state word arbitrates (a wake, an
//! abort, a `JoinHandle` poll or drop, a waker clone or drop, an owner's shutdown, each
//! against a poll on another thread), and every race on the owner's list (tasks unlinking
//! themselves as they finish, against each other, a spawn or a shutdown), ends with the task
//! polled to completion at most once, its output delivered or dropped exactly once, its
//! future dropped exactly once, and its allocation freed (a leaked task keeps a clone of the
//! dispatcher, a loom `Arc`, which loom reports).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-task --test loom_task --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
// Bookkeeping only (drop counts, poll counts): not part of any protocol under test. Loom runs
// one thread at a time, so these always read the latest value.
use std::sync::atomic::{AtomicBool as StdBool, AtomicUsize as StdUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use weft_core::loom::sync::atomic::AtomicBool;
use weft_core::loom::sync::{Arc, Mutex};
use weft_core::loom::thread;
use weft_task::{Dispatch, Hint, JoinError, JoinHandle, Owner, Runnable};

#[cfg(not(debug_assertions))]
compile_error!("run the loom models with `-C debug-assertions`: the state machine's invariants are debug_asserts");

use weft_core::test_support::model;

/// The smallest dispatcher: one FIFO queue (a loom mutex) behind a loom `Arc`, so that a
/// leaked task (which keeps a clone of it, directly or through its owner) is reported by
/// loom.
#[derive(Clone)]
struct Fifo(Arc<Mutex<VecDeque<Runnable>>>);

impl Dispatch for Fifo {
    fn dispatch(&self, task: Runnable, _: Hint) {
        self.0.lock().push_back(task);
    }
}

/// The executor: tasks of an [`Owner`] (one shard, so that the list's lock is the one every
/// unlink takes), or tasks with no owner (`weft_task::spawn`), dispatched to one [`Fifo`].
#[derive(Clone)]
struct Exec {
    fifo: Fifo,
    owner: Option<StdArc<Owner<Fifo>>>,
}

impl Exec {
    fn new(with_owner: bool) -> Exec {
        let fifo = Fifo(Arc::new(Mutex::new(VecDeque::new())));
        let owner = with_owner.then(|| StdArc::new(Owner::with_shards(fifo.clone(), 1)));
        Exec { fifo, owner }
    }

    fn owner(&self) -> &StdArc<Owner<Fifo>> {
        self.owner.as_ref().expect("made with an owner")
    }

    /// Makes a task; returns its handle and first `Runnable` (not queued).
    fn spawn<F>(&self, future: F) -> (JoinHandle<F::Output>, Runnable)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.owner {
            Some(owner) => {
                // Dispatched with `Hint::Spawn`; taken back out (no other thread runs yet).
                let h = owner.spawn(future);
                let r = self.fifo.0.lock().pop_back().expect("the owner is open");
                (h, r)
            }
            None => {
                let (r, h) = weft_task::spawn(future, self.fifo.clone(), None);
                (h, r)
            }
        }
    }

    /// Runs queued tasks until the queue is empty; returns how many runs that took.
    fn run_all(&self) -> usize {
        let mut runs = 0;
        loop {
            let next = self.fifo.0.lock().pop_front();
            match next {
                Some(r) => r.run(),
                None => return runs,
            }
            runs += 1;
        }
    }

    /// Asserts that every task was freed: each holds a clone of the dispatcher (through its
    /// owner, if it has one).
    fn assert_all_freed(self) {
        let Exec { fifo, owner } = self;
        if let Some(owner) = owner {
            owner.close_and_shutdown_all();
            assert_eq!(owner.len(), 0);
            assert_eq!(fifo.0.lock().len(), 0, "a Runnable was left behind");
            assert_eq!(StdArc::strong_count(&owner), 1, "a task allocation leaked");
        }
        assert_eq!(fifo.0.lock().len(), 0, "a Runnable was left behind");
        assert_eq!(Arc::strong_count(&fifo.0), 1, "a task allocation leaked");
    }
}

/// Counts drops of its tokens.
#[derive(Clone, Default)]
struct Drops(StdArc<StdUsize>);

struct Token(StdArc<StdUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

impl Drops {
    fn token(&self) -> Token {
        Token(self.0.clone())
    }
    fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// The future's side of the bookkeeping: polls, "in poll" (never two at once), drop count.
#[derive(Clone, Default)]
struct Probe {
    polls: StdArc<StdUsize>,
    in_poll: StdArc<StdBool>,
    drops: Drops,
}

impl Probe {
    /// Wraps `poll` (given the poll number, from 1) into a future that checks that it is
    /// never polled concurrently and counts its polls and its drop.
    fn future<T>(
        &self,
        mut poll: impl FnMut(usize, &mut Context<'_>) -> Poll<T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        let probe = self.clone();
        let token = self.drops.token();
        std::future::poll_fn(move |cx| {
            let _keep = &token;
            assert!(!probe.in_poll.swap(true, SeqCst), "polled twice at once");
            let n = probe.polls.fetch_add(1, SeqCst) + 1;
            let out = poll(n, cx);
            probe.in_poll.store(false, SeqCst);
            out
        })
    }

    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }
}

/// A std waker counting its wake-ups.
#[derive(Default)]
struct WakeCount(StdUsize);

impl Wake for WakeCount {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll_handle<T>(h: &mut JoinHandle<T>, waker: &Waker) -> Poll<Result<T, JoinError>> {
    Pin::new(h).poll(&mut Context::from_waker(waker))
}

#[track_caller]
fn ready<T>(h: &mut JoinHandle<T>) -> Result<T, JoinError> {
    let noop = Waker::from(StdArc::new(WakeCount::default()));
    match poll_handle(h, &noop) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!("the task did not finish"),
    }
}

/// A future that wakes itself and returns `Pending` on its first poll, then is `Ready` with
/// a counted output token.
fn yield_once_then(probe: &Probe, out: &Drops) -> impl Future<Output = Token> + Send + 'static {
    let out = out.clone();
    probe.future(move |n, cx| {
        if n == 1 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(out.token())
        }
    })
}

/// (a) The task's waker is handed to thread B, which wakes it while thread A polls the task:
/// the wake lands before, during (then the runner re-queues it with `Hint::Yield`) or after
/// that poll, and
/// the task always completes, never polled by two threads at once.
#[test]
fn wake_during_poll_from_another_thread() {
    model(|| {
        let ex = Exec::new(false);
        let probe = Probe::default();
        let go = Arc::new(AtomicBool::new(false));
        let slot: StdArc<std::sync::Mutex<Option<Waker>>> = StdArc::default();

        let (g, s) = (go.clone(), slot.clone());
        let (mut handle, first) = ex.spawn(probe.future(move |n, cx| {
            if n == 1 {
                // Keep a waker for B, and come back once: A has something to poll.
                *s.lock().unwrap() = Some(cx.waker().clone());
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if g.load(SeqCst) {
                Poll::Ready(n)
            } else {
                Poll::Pending
            }
        }));
        first.run();
        let waker = slot.lock().unwrap().take().unwrap();

        let b = thread::spawn(move || {
            go.store(true, SeqCst);
            waker.wake();
        });
        let ex2 = ex.clone();
        let a = thread::spawn(move || ex2.run_all());
        b.join().unwrap();
        a.join().unwrap();
        ex.run_all();

        let polls = ready(&mut handle).expect("completed");
        assert!(polls == 2 || polls == 3, "{polls} polls");
        assert_eq!(probe.polls(), polls, "no poll after completion");
        assert_eq!(probe.drops.get(), 1);
        drop(handle);
        ex.assert_all_freed();
    });
}

/// (b) Thread A runs the task (a yield, then completion) while thread B aborts it: the
/// handle gets the output or a cancellation (only if the task had not completed), and the
/// future is dropped exactly once either way.
#[test]
fn abort_during_poll() {
    model(|| {
        let ex = Exec::new(false);
        let probe = Probe::default();
        let out = Drops::default();
        let (mut handle, first) = ex.spawn(yield_once_then(&probe, &out));
        let abort = handle.abort_handle();

        let ex2 = ex.clone();
        let a = thread::spawn(move || {
            first.run();
            ex2.run_all();
        });
        let b = thread::spawn(move || abort.abort());
        a.join().unwrap();
        b.join().unwrap();
        ex.run_all();

        match ready(&mut handle) {
            Ok(token) => {
                assert_eq!(probe.polls(), 2);
                drop(token);
                assert_eq!(out.get(), 1);
            }
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                assert!(probe.polls() < 2, "cancelled after it completed");
                assert_eq!(out.get(), 0);
            }
        }
        assert_eq!(probe.drops.get(), 1);
        drop(handle);
        ex.assert_all_freed();
    });
}

/// What thread B does with the `JoinHandle` in (c).
#[derive(Clone, Copy)]
enum HandleEnd {
    /// Drops it; with `registered`, after storing a join waker, which the completion reads.
    Drop { registered: bool },
    /// Stores a join waker, then polls until the output shows (while thread A may still be
    /// waking the waker and handing its slot back) and drops the handle: reading gives up
    /// the handle's interest, so nothing may drop the output's bytes again.
    ReadThenDrop,
}

/// (c) Thread B is done with the `JoinHandle` while thread A completes the task: the output
/// is dropped exactly once (by whichever side comes second, or by the reader), the join
/// waker, if one was stored, is released exactly once, and the allocation is freed.
fn join_handle_done_while_completing(end: HandleEnd) {
    model(move || {
        let ex = Exec::new(false);
        let probe = Probe::default();
        let out = Drops::default();
        let o = out.clone();
        let (mut handle, first) = ex.spawn(probe.future(move |_, _| Poll::Ready(o.token())));
        let woken = StdArc::new(WakeCount::default());
        let w = Waker::from(woken.clone());
        if !matches!(end, HandleEnd::Drop { registered: false }) {
            assert!(poll_handle(&mut handle, &w).is_pending());
        }

        let a = thread::spawn(move || first.run());
        let b = thread::spawn(move || {
            if let HandleEnd::ReadThenDrop = end {
                loop {
                    match poll_handle(&mut handle, &w) {
                        Poll::Ready(r) => break drop(r.ok().expect("completed")),
                        Poll::Pending => thread::yield_now(),
                    }
                }
            }
            drop(w);
            drop(handle);
        });
        a.join().unwrap();
        b.join().unwrap();

        assert_eq!(probe.polls(), 1);
        assert_eq!(probe.drops.get(), 1);
        assert_eq!(out.get(), 1, "the output was dropped exactly once");
        assert!(woken.0.load(SeqCst) <= 1);
        assert_eq!(
            StdArc::strong_count(&woken),
            1,
            "the join waker was released"
        );
        ex.assert_all_freed();
    });
}

#[test]
fn join_handle_dropped_while_completing_no_waker() {
    join_handle_done_while_completing(HandleEnd::Drop { registered: false });
}

#[test]
fn join_handle_dropped_while_completing_with_waker() {
    join_handle_done_while_completing(HandleEnd::Drop { registered: true });
}

#[test]
fn join_handle_reads_the_output_while_completing_then_drops() {
    join_handle_done_while_completing(HandleEnd::ReadThenDrop);
}

/// Drives `f` to completion on the current loom thread, parking between polls. Unlike
/// `loom::future::block_on` (whose waker clones never `will_wake` each other), it polls with
/// one waker whose clones `will_wake` it, as a real executor does. If nothing ever wakes
/// it, loom reports a deadlock.
fn block_on<F: Future + Unpin>(mut f: F) -> F::Output {
    struct Unpark {
        thread: thread::Thread,
        notified: AtomicBool,
    }
    impl Wake for Unpark {
        fn wake(self: StdArc<Self>) {
            self.wake_by_ref()
        }
        fn wake_by_ref(self: &StdArc<Self>) {
            // A swap, not a store: loom 0.7 may order a plain store before a concurrent
            // RMW that read the older value (tokio-rs/loom#254), and report a false deadlock.
            self.notified.swap(true, SeqCst);
            self.thread.unpark();
        }
    }
    let unpark = StdArc::new(Unpark {
        thread: thread::current(),
        notified: AtomicBool::new(false),
    });
    let waker = Waker::from(unpark.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = Pin::new(&mut f).poll(&mut cx) {
            return v;
        }
        while !unpark.notified.swap(false, SeqCst) {
            thread::park();
        }
    }
}

/// (d) Thread B polls the `JoinHandle` (registering its waker; with `replace`, replacing
/// a waker registered before) while thread A completes the task: B either sees the output
/// at once or is woken and then sees it, never stuck (loom reports a deadlock otherwise);
/// the output arrives exactly once and every registered waker is released.
fn join_handle_polled_while_completing(replace: bool) {
    model(move || {
        let ex = Exec::new(false);
        let probe = Probe::default();
        let (mut handle, first) = ex.spawn(probe.future(|_, _| Poll::Ready(7_u32)));
        let woken = StdArc::new(WakeCount::default());
        if replace {
            let w = Waker::from(woken.clone());
            assert!(poll_handle(&mut handle, &w).is_pending());
        }

        let a = thread::spawn(move || first.run());
        let b = thread::spawn(move || block_on(&mut handle).map(|v| (v, handle)));
        a.join().unwrap();
        let (v, handle) = b.join().unwrap().expect("completed");
        assert_eq!(v, 7);
        assert_eq!(probe.polls(), 1);
        assert_eq!(probe.drops.get(), 1);
        assert!(woken.0.load(SeqCst) <= 1);
        drop(handle);
        assert_eq!(
            StdArc::strong_count(&woken),
            1,
            "the replaced waker was released"
        );
        ex.assert_all_freed();
    });
}

#[test]
fn join_handle_polled_while_completing_first_poll() {
    join_handle_polled_while_completing(false);
}

#[test]
fn join_handle_repolled_with_another_waker_while_completing() {
    join_handle_polled_while_completing(true);
}

/// (e) Two threads clone, drop and wake (by reference and by value) the task's wakers while
/// thread A runs it: it is polled exactly twice (one wake suffices, any number coalesce),
/// never concurrently, and the reference count ends at zero exactly once (no leak, and no
/// double free, which would show as a use-after-free of the loom objects inside).
#[test]
fn wakers_cloned_dropped_and_woken_from_two_threads() {
    model(|| {
        let ex = Exec::new(false);
        let probe = Probe::default();
        let slot: StdArc<std::sync::Mutex<Option<Waker>>> = StdArc::default();
        let s = slot.clone();
        let (mut handle, first) = ex.spawn(probe.future(move |n, cx| {
            if n == 1 {
                *s.lock().unwrap() = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(n)
            }
        }));
        first.run();
        let w1 = slot.lock().unwrap().take().unwrap();
        let w2 = w1.clone();

        let ex2 = ex.clone();
        let a = thread::spawn(move || ex2.run_all());
        let b = thread::spawn(move || {
            let c = w1.clone();
            w1.wake_by_ref();
            drop(w1);
            c.wake();
        });
        let owned = w2.clone();
        owned.wake(); // by value
        drop(w2);
        a.join().unwrap();
        b.join().unwrap();
        ex.run_all();

        assert_eq!(ready(&mut handle).expect("completed"), 2);
        assert_eq!(probe.polls(), 2);
        assert_eq!(probe.drops.get(), 1);
        drop(handle);
        ex.assert_all_freed();
    });
}

/// (f) Thread B closes the owner and shuts every task down while thread A runs the task (a
/// yield, then completion, which unlinks it from the owner's list): the task completes or is
/// cancelled, its future is dropped exactly once (by A or by B), and the list and the
/// allocation end empty.
#[test]
fn list_shutdown_while_running() {
    model(|| {
        let ex = Exec::new(true);
        let probe = Probe::default();
        let out = Drops::default();
        let (mut handle, first) = ex.spawn(yield_once_then(&probe, &out));

        let ex2 = ex.clone();
        let a = thread::spawn(move || {
            first.run();
            ex2.run_all();
        });
        let ex3 = ex.clone();
        let b = thread::spawn(move || ex3.owner().close_and_shutdown_all());
        a.join().unwrap();
        b.join().unwrap();
        ex.run_all();

        assert!(handle.is_finished());
        match ready(&mut handle) {
            Ok(token) => {
                assert_eq!(probe.polls(), 2);
                drop(token);
                assert_eq!(out.get(), 1);
            }
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                assert!(probe.polls() < 2);
                assert_eq!(out.get(), 0);
            }
        }
        assert_eq!(probe.drops.get(), 1);
        assert_eq!(ex.owner().len(), 0);
        drop(handle);
        ex.assert_all_freed();
    });
}

/// (g) A wake (thread A) and an abort (thread B) race on an idle task: exactly one of them
/// hands a `Runnable` to the scheduler, and running it cancels the task.
#[test]
fn wake_and_abort_race_on_an_idle_task() {
    model(|| {
        let ex = Exec::new(false);
        let probe = Probe::default();
        let slot: StdArc<std::sync::Mutex<Option<Waker>>> = StdArc::default();
        let s = slot.clone();
        let (mut handle, first) = ex.spawn(probe.future(move |_, cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        first.run();
        let waker = slot.lock().unwrap().take().unwrap();
        let abort = handle.abort_handle();

        let a = thread::spawn(move || waker.wake());
        let b = thread::spawn(move || abort.abort());
        a.join().unwrap();
        b.join().unwrap();

        assert_eq!(ex.run_all(), 1, "one Runnable for two notifications");
        assert!(ready(&mut handle).unwrap_err().is_cancelled());
        assert_eq!(probe.polls(), 1, "cancelled without another poll");
        assert_eq!(probe.drops.get(), 1);
        drop(handle);
        ex.assert_all_freed();
    });
}

/// (h) Two cancellations race for the future: thread A drops the task's `Runnable` (a
/// scheduler discarding its queue) while thread B shuts the owner down. Exactly one of
/// them drops the future; the task ends cancelled and freed.
#[test]
fn runnable_dropped_while_the_list_shuts_down() {
    model(|| {
        let ex = Exec::new(true);
        let probe = Probe::default();
        let (mut handle, first) = ex.spawn(probe.future(|_, _| Poll::Ready(())));

        let a = thread::spawn(move || drop(first));
        let ex2 = ex.clone();
        let b = thread::spawn(move || ex2.owner().close_and_shutdown_all());
        a.join().unwrap();
        b.join().unwrap();

        assert!(ready(&mut handle).unwrap_err().is_cancelled());
        assert_eq!(probe.polls(), 0);
        assert_eq!(probe.drops.get(), 1);
        assert_eq!(ex.owner().len(), 0);
        drop(handle);
        ex.assert_all_freed();
    });
}

/// (i) Two tasks of one owner, neighbours in its list (one shard), finish on threads A and B
/// while the main thread spawns a third into the same list: each finishing task unlinks
/// exactly itself, the list ends holding exactly the new task, and nothing leaks.
#[test]
fn two_tasks_unlink_themselves_while_a_third_is_spawned() {
    model(|| {
        let ex = Exec::new(true);
        let (p1, p2, p3) = (Probe::default(), Probe::default(), Probe::default());
        let (mut h1, r1) = ex.spawn(p1.future(|_, _| Poll::Ready(1)));
        let (mut h2, r2) = ex.spawn(p2.future(|_, _| Poll::Ready(2)));

        let a = thread::spawn(move || r1.run());
        let b = thread::spawn(move || r2.run());
        let h3 = ex.owner().spawn(p3.future(|_, _| Poll::<()>::Pending));
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(ex.run_all(), 1, "the new task's first Runnable");

        assert_eq!(ready(&mut h1).unwrap(), 1);
        assert_eq!(ready(&mut h2).unwrap(), 2);
        let mut members = Vec::new();
        ex.owner().for_each(|t| members.push(t.id()));
        assert_eq!(members, vec![h3.id()], "exactly the live task is listed");
        assert_eq!((p1.drops.get(), p2.drops.get(), p3.drops.get()), (1, 1, 0));
        drop((h1, h2, h3));
        ex.assert_all_freed();
        assert_eq!(p3.drops.get(), 1);
    });
}

/// (j) Thread B spawns a task while thread A closes the owner: the task is either refused
/// (cancelled at once by the spawn) or listed and then cancelled by the shutdown; either way
/// its future is dropped exactly once, its handle resolves to a cancellation, and it is freed.
#[test]
fn spawn_while_the_owner_closes() {
    model(|| {
        let ex = Exec::new(true);
        let probe = Probe::default();
        let fut = probe.future(|_, _| Poll::Ready(()));

        let ex2 = ex.clone();
        let a = thread::spawn(move || ex2.owner().close_and_shutdown_all());
        let ex3 = ex.clone();
        let b = thread::spawn(move || ex3.owner().spawn(fut));
        a.join().unwrap();
        let mut handle = b.join().unwrap();
        // A Runnable dispatched before the shutdown finds its task cancelled.
        assert!(ex.run_all() <= 1);

        assert!(ready(&mut handle).unwrap_err().is_cancelled());
        assert_eq!(probe.polls(), 0);
        assert_eq!(probe.drops.get(), 1);
        assert_eq!(ex.owner().len(), 0);
        drop(handle);
        ex.assert_all_freed();
    });
}
