//! Panics in a task (in its poll, in its future's destructor, in its output's destructor, in
//! its join waker) become `JoinError::is_panic` or are swallowed, and a dispatcher panicking
//! as it re-queues a yielding task cancels that task: the thread that called `Runnable::run`
//! never unwinds.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};

use common::{
    poll_with, quiet_expected_panics, ready, DropCount, DropToken, Exec, Gate, Queue, Tracked,
    WakeCounter, EXPECTED,
};
use weft_task::{Dispatch, Hint, JoinError, Owner, Runnable};

/// Runs every queued task, asserting that none of the runs unwinds.
fn run_all_without_unwinding(ex: &Exec) -> usize {
    let mut runs = 0;
    while let Some(r) = ex.pop() {
        catch_unwind(AssertUnwindSafe(|| r.run())).expect("Runnable::run unwound");
        runs += 1;
    }
    runs
}

/// Panics when dropped.
struct PanicOnDrop(#[allow(dead_code)] DropToken);
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{EXPECTED}: drop");
    }
}

#[test]
fn a_panicking_poll_becomes_a_join_error() {
    quiet_expected_panics();
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let mut handle = ex.spawn(Tracked::new(
        async {
            if true {
                panic!("expected test panic: boom");
            }
        },
        &fut_drops,
    ));
    assert_eq!(run_all_without_unwinding(&ex), 1);
    assert_eq!(fut_drops.get(), 1);
    assert!(handle.is_finished());
    let err = ready(&mut handle).unwrap_err();
    assert!(err.is_panic() && !err.is_cancelled());
    assert_eq!(err.id(), handle.id());
    let shown = err.to_string();
    assert!(shown.contains(&handle.id().to_string()), "{shown}");
    assert!(shown.contains("expected test panic: boom"), "{shown}");
    let debug = format!("{err:?}");
    assert!(debug.contains("boom"), "{debug}");
    let payload = err.into_panic();
    assert_eq!(
        *payload.downcast_ref::<&str>().unwrap(),
        "expected test panic: boom"
    );
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_formatted_panic_message_is_a_string_payload() {
    quiet_expected_panics();
    let ex = Exec::new();
    let n = 3;
    let gate = Gate::new();
    let wait = gate.wait();
    let mut handle = ex.spawn(async move {
        wait.await;
        panic!("{EXPECTED} number {n}");
    });
    run_all_without_unwinding(&ex);
    assert!(
        !handle.is_finished(),
        "panics in a later poll, not the first"
    );
    gate.open_and_wake();
    run_all_without_unwinding(&ex);
    let err: JoinError = ready(&mut handle).unwrap_err();
    assert!(err.to_string().contains("number 3"));
    let payload = err.try_into_panic().unwrap();
    assert_eq!(
        payload.downcast_ref::<String>().unwrap(),
        &format!("{EXPECTED} number 3")
    );
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_non_string_payload_is_carried_as_is() {
    quiet_expected_panics();
    let ex = Exec::new();
    let mut handle = ex.spawn(async {
        std::panic::resume_unwind(Box::new(17_u64));
    });
    run_all_without_unwinding(&ex);
    let err = ready(&mut handle).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.to_string(), format!("task {} panicked", handle.id()));
    assert_eq!(*err.into_panic().downcast::<u64>().unwrap(), 17);
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_cancelled_error_is_not_a_panic() {
    let ex = Exec::new();
    let mut handle = ex.spawn(std::future::pending::<()>());
    handle.abort();
    ex.run_until_idle();
    let err = ready(&mut handle).unwrap_err();
    let err = err.try_into_panic().unwrap_err();
    assert!(err.is_cancelled());
    let io: std::io::Error = err.into();
    assert!(io.to_string().contains("was cancelled"));
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut h = ex.spawn(std::future::pending::<()>());
        h.abort();
        ex.run_until_idle();
        ready(&mut h).unwrap_err().into_panic()
    }));
    assert!(r.is_err(), "into_panic on a cancelled error panics");
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panic_in_the_future_destructor_during_cancellation() {
    quiet_expected_panics();
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let bomb = PanicOnDrop(fut_drops.token());
    let gate = Gate::new();
    let wait = gate.wait();
    let mut handle = ex.spawn(async move {
        let _bomb = bomb;
        wait.await;
    });
    run_all_without_unwinding(&ex);
    handle.abort();
    run_all_without_unwinding(&ex);
    assert_eq!(fut_drops.get(), 1);
    let err = ready(&mut handle).unwrap_err();
    assert!(
        err.is_panic(),
        "the destructor's panic is reported, not the cancellation"
    );
    assert!(err.to_string().contains("drop"));
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panic_in_the_future_destructor_when_a_runnable_is_dropped() {
    quiet_expected_panics();
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let bomb = PanicOnDrop(fut_drops.token());
    let (mut handle, runnable) = ex.spawn_unqueued(async move {
        let _bomb = bomb;
    });
    catch_unwind(AssertUnwindSafe(|| drop(runnable))).expect("dropping a Runnable unwound");
    assert_eq!(fut_drops.get(), 1);
    assert!(ready(&mut handle).unwrap_err().is_panic());
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panic_in_the_future_destructor_after_completion_replaces_the_output() {
    quiet_expected_panics();
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let out_drops = DropCount::new();
    let bomb = PanicOnDrop(fut_drops.token());
    let out = out_drops.clone();
    let mut handle = ex.spawn(std::future::poll_fn(move |_| {
        let _keep = &bomb;
        Poll::Ready(out.token())
    }));
    run_all_without_unwinding(&ex);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(
        out_drops.get(),
        1,
        "the output that lost to the panic was dropped"
    );
    assert!(ready(&mut handle).unwrap_err().is_panic());
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panicking_output_destructor_does_not_escape_the_runner() {
    quiet_expected_panics();
    let ex = Exec::new();
    let out_drops = DropCount::new();
    let out = out_drops.clone();
    let handle = ex.spawn(async move { PanicOnDrop(out.token()) });
    drop(handle); // the runner drops the output
    assert_eq!(run_all_without_unwinding(&ex), 1);
    assert_eq!(out_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panicking_output_destructor_does_not_escape_the_handle_drop() {
    quiet_expected_panics();
    let ex = Exec::new();
    let out_drops = DropCount::new();
    let out = out_drops.clone();
    let handle = ex.spawn(async move { PanicOnDrop(out.token()) });
    run_all_without_unwinding(&ex);
    assert_eq!(out_drops.get(), 0);
    catch_unwind(AssertUnwindSafe(|| drop(handle))).expect("dropping the JoinHandle unwound");
    assert_eq!(out_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panicking_join_waker_does_not_escape_the_runner() {
    quiet_expected_panics();
    struct Bad(AtomicUsize);
    impl Wake for Bad {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref()
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
            panic!("{EXPECTED}: waker");
        }
    }
    let ex = Exec::new();
    let bad = Arc::new(Bad(AtomicUsize::new(0)));
    let mut handle = ex.spawn(async { 9 });
    assert!(poll_with(&mut handle, &Waker::from(bad.clone())).is_pending());
    assert_eq!(run_all_without_unwinding(&ex), 1);
    assert_eq!(bad.0.load(SeqCst), 1);
    assert_eq!(ready(&mut handle).unwrap(), 9);
    drop(handle);
    assert_eq!(Arc::strong_count(&bad), 1, "the stored waker was released");
    ex.shutdown_and_assert_freed();
}

#[test]
fn the_worker_carries_on_after_a_panic() {
    quiet_expected_panics();
    let ex = Exec::new();
    let mut handles: Vec<_> = (0..10)
        .map(|i| {
            ex.spawn(async move {
                if i % 2 == 0 {
                    panic!("{EXPECTED} {i}");
                }
                i
            })
        })
        .collect();
    assert_eq!(run_all_without_unwinding(&ex), 10);
    for (i, h) in handles.iter_mut().enumerate() {
        match ready(h) {
            Ok(v) => assert_eq!(v, i),
            Err(e) => assert!(i % 2 == 0 && e.is_panic()),
        }
    }
    drop(handles);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_panic_in_the_destructor_of_a_forgotten_task_does_not_escape_run() {
    // Nothing but the Runnable refers to the task (no list, no handle, no waker kept): when
    // the poll returns Pending, `run` frees it, which drops the future.
    quiet_expected_panics();
    struct NoList;
    impl Dispatch for NoList {
        fn dispatch(&self, _: Runnable, _: Hint) {}
    }
    let drops = DropCount::new();
    let bomb = PanicOnDrop(drops.token());
    let (runnable, handle) = weft_task::spawn(
        std::future::poll_fn(move |_| {
            let _keep = &bomb;
            Poll::<()>::Pending
        }),
        NoList,
        None,
    );
    drop(handle);
    let r = catch_unwind(AssertUnwindSafe(|| runnable.run()));
    assert_eq!(drops.get(), 1, "the future was dropped");
    assert!(r.is_ok(), "Runnable::run unwound");
}

#[test]
fn a_panicking_join_waker_is_released_with_the_handle() {
    quiet_expected_panics();
    struct Bad;
    impl Wake for Bad {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref()
        }
        fn wake_by_ref(self: &Arc<Self>) {
            panic!("{EXPECTED}: waker");
        }
    }
    let ex = Exec::new();
    let bad = Arc::new(Bad);
    let mut handle = ex.spawn(async { 9 });
    let abort = handle.abort_handle(); // keeps the allocation alive
    assert!(poll_with(&mut handle, &Waker::from(bad.clone())).is_pending());
    run_all_without_unwinding(&ex);
    assert_eq!(ready(&mut handle).unwrap(), 9);
    drop(handle);
    assert_eq!(
        Arc::strong_count(&bad),
        1,
        "the JoinHandle is gone but the task still holds its waker"
    );
    drop(abort);
    ex.shutdown_and_assert_freed();
}

/// A dispatcher that panics when handed a task with `hint` (dropping the `Runnable` as it
/// unwinds) and queues every other task like the test executor's.
struct PanicOn {
    hint: Hint,
    queue: Queue,
    panics: AtomicUsize,
}

impl PanicOn {
    fn new(hint: Hint) -> PanicOn {
        PanicOn {
            hint,
            queue: Queue::default(),
            panics: AtomicUsize::new(0),
        }
    }

    fn owner(hint: Hint) -> Arc<Owner<PanicOn>> {
        Arc::new(Owner::new(PanicOn::new(hint)))
    }

    fn pop(&self) -> Option<Runnable> {
        self.queue.queue.lock().unwrap().pop_front()
    }

    fn queued(&self) -> usize {
        self.queue.queue.lock().unwrap().len()
    }

    fn panics(&self) -> usize {
        self.panics.load(SeqCst)
    }
}

impl Dispatch for PanicOn {
    fn dispatch(&self, task: Runnable, hint: Hint) {
        if hint == self.hint {
            self.panics.fetch_add(1, SeqCst);
            panic!("{EXPECTED}: dispatch {hint:?}");
        }
        self.queue.dispatch(task, hint)
    }
}

/// A future that wakes itself and returns `Pending` on every poll (a `yield_now` loop),
/// counting its polls.
fn yield_forever(polls: Arc<AtomicUsize>) -> impl std::future::Future<Output = u32> + Send {
    std::future::poll_fn(move |cx| {
        polls.fetch_add(1, SeqCst);
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// Bug 4: the dispatcher is user code, and a panic in it while `run` re-queues a task that
/// woke itself used to unwind out of `Runnable::run` (documented never to unwind) and leak
/// the task. Now `run` returns normally, the `Runnable` dropped by the unwinding cancels the
/// task, the task leaves its owner's list and its allocation is freed.
#[test]
fn a_dispatcher_panicking_on_yield_cancels_the_task_and_run_does_not_unwind() {
    quiet_expected_panics();
    let owner = PanicOn::owner(Hint::Yield);
    let fut_drops = DropCount::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let mut handle = owner.spawn(Tracked::new(yield_forever(polls.clone()), &fut_drops));
    let join_waker = WakeCounter::new();
    assert!(poll_with(&mut handle, &Waker::from(join_waker.clone())).is_pending());
    let runnable = owner.dispatcher().pop().expect("Hint::Spawn is queued");
    assert_eq!(owner.dispatcher().queued(), 0);

    let run = catch_unwind(AssertUnwindSafe(|| runnable.run()));
    assert!(run.is_ok(), "Runnable::run unwound");
    assert_eq!(
        owner.dispatcher().panics(),
        1,
        "the yield reached the dispatcher"
    );
    assert_eq!(polls.load(SeqCst), 1, "polled once, never again");
    assert_eq!(owner.dispatcher().queued(), 0, "nothing was queued");
    assert_eq!(fut_drops.get(), 1, "the future was dropped, once");
    assert!(handle.is_finished());
    assert_eq!(join_waker.count(), 1, "the JoinHandle's waker was woken");
    let err = ready(&mut handle).unwrap_err();
    assert!(err.is_cancelled() && !err.is_panic(), "{err}");
    assert_eq!(err.id(), handle.id());
    assert_eq!(owner.len(), 0, "the task left its owner's list");

    drop(handle);
    assert_eq!(
        Arc::strong_count(&owner),
        1,
        "the task allocation (which holds a clone of the owner) was freed"
    );
    owner.close_and_shutdown_all();
    assert_eq!(Arc::strong_count(&owner), 1);
    assert_eq!(fut_drops.get(), 1);
}

/// Bug 4, the detached flavour (no owner list): same guarantees through `weft_task::spawn`.
#[test]
fn a_dispatcher_panicking_on_yield_cancels_a_task_without_owner() {
    quiet_expected_panics();
    let dispatcher = Arc::new(PanicOn::new(Hint::Yield));
    let fut_drops = DropCount::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let (runnable, mut handle) = weft_task::spawn(
        Tracked::new(yield_forever(polls.clone()), &fut_drops),
        dispatcher.clone(),
        None,
    );
    assert!(
        catch_unwind(AssertUnwindSafe(|| runnable.run())).is_ok(),
        "Runnable::run unwound"
    );
    assert_eq!(dispatcher.panics(), 1);
    assert_eq!(polls.load(SeqCst), 1);
    assert_eq!(fut_drops.get(), 1);
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    drop(handle);
    assert_eq!(Arc::strong_count(&dispatcher), 1, "the task was freed");
}

/// A task woken by someone else (`Hint::Wake`) whose dispatcher panics: as documented, the
/// panic reaches whoever woke it, and the `Runnable` dropped by the unwinding cancels the
/// task, which leaves its owner and is freed.
#[test]
fn a_dispatcher_panicking_on_wake_unwinds_into_the_waker_and_cancels_the_task() {
    quiet_expected_panics();
    let owner = PanicOn::owner(Hint::Wake);
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let mut handle = owner.spawn(Tracked::new(gate.wait(), &fut_drops));
    owner.dispatcher().pop().unwrap().run();
    assert_eq!(gate.polls(), 1);
    let waker = gate.waker();
    gate.forget_waker();

    let woke = catch_unwind(AssertUnwindSafe(|| waker.wake_by_ref()));
    assert!(woke.is_err(), "the dispatcher's panic reaches the waker");
    assert_eq!(owner.dispatcher().panics(), 1);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(gate.polls(), 1);
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(owner.len(), 0);
    waker.wake_by_ref(); // finished: dispatches nothing
    assert_eq!(owner.dispatcher().panics(), 1);
    drop((handle, waker, gate));
    assert_eq!(Arc::strong_count(&owner), 1, "the task was freed");
}

/// A dispatcher panicking on `Hint::Spawn`: the panic leaves `Owner::spawn`, and the task it
/// made is cancelled, unlisted and freed.
#[test]
fn a_dispatcher_panicking_on_spawn_leaves_no_task_behind() {
    quiet_expected_panics();
    let owner = PanicOn::owner(Hint::Spawn);
    let fut_drops = DropCount::new();
    let spawned = catch_unwind(AssertUnwindSafe(|| {
        owner.spawn(Tracked::new(async { 1 }, &fut_drops))
    }));
    assert!(spawned.is_err());
    assert_eq!(owner.dispatcher().panics(), 1);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(owner.len(), 0);
    assert_eq!(owner.dispatcher().queued(), 0);
    assert_eq!(Arc::strong_count(&owner), 1, "the task was freed");
}
