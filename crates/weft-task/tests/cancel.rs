//! Cancelling a task: `abort` before, between and during polls, after completion, through
//! `AbortHandle`s, and by dropping its `Runnable`. The future is dropped exactly once, on the
//! thread that cancels it or that runs it next.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use common::{poll_with, ready, DropCount, Exec, Gate, Tracked, WakeCounter};
use weft_task::{try_current_id, AbortHandle, Id};

#[test]
fn abort_before_the_first_run() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    assert_eq!(ex.spawns(), 1);
    handle.abort();
    assert_eq!(ex.schedules(), 0, "the first Runnable is already queued");
    assert_eq!(ex.queued(), 1);
    assert_eq!(fut_drops.get(), 0, "dropped by whoever runs the Runnable");
    assert!(!handle.is_finished());

    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 0, "never polled");
    assert_eq!(fut_drops.get(), 1);
    assert!(handle.is_finished());
    let err = ready(&mut handle).unwrap_err();
    assert!(err.is_cancelled() && !err.is_panic());
    assert_eq!(err.id(), handle.id());
    assert_eq!(
        err.to_string(),
        format!("task {} was cancelled", handle.id())
    );
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_while_idle_resubmits_and_the_runner_drops_the_future() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    ex.run_until_idle();
    let counter = WakeCounter::new();
    assert!(poll_with(&mut handle, &Waker::from(counter.clone())).is_pending());

    handle.abort();
    assert_eq!(
        ex.schedules(),
        1,
        "the abort hands a Runnable to the scheduler"
    );
    assert_eq!(fut_drops.get(), 0);
    assert!(!handle.is_finished());
    handle.abort(); // a second abort changes nothing
    assert_eq!(ex.schedules(), 1);

    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 1, "not polled again");
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(counter.count(), 1, "the join waker is woken");
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_while_queued_does_not_queue_twice() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    ex.run_until_idle();
    gate.wake();
    assert_eq!(ex.schedules(), 1);
    handle.abort();
    assert_eq!(ex.schedules(), 1);
    assert_eq!(ex.queued(), 1);
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 1);
    assert_eq!(fut_drops.get(), 1);
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

/// A future that aborts its own task through the `AbortHandle` in `slot` on every poll,
/// then returns `Ready(7)` if `ready_after_abort`, else `Pending`.
fn self_aborting(
    slot: Arc<Mutex<Option<AbortHandle>>>,
    polls: Arc<AtomicUsize>,
    ready_after_abort: bool,
) -> impl std::future::Future<Output = u32> + Send + 'static {
    std::future::poll_fn(move |_cx| {
        polls.fetch_add(1, SeqCst);
        slot.lock()
            .unwrap()
            .as_ref()
            .expect("abort handle installed")
            .abort();
        if ready_after_abort {
            Poll::Ready(7)
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn abort_during_poll_cancels_when_the_poll_returns() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let slot: Arc<Mutex<Option<AbortHandle>>> = Arc::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let mut handle = ex.spawn(Tracked::new(
        self_aborting(slot.clone(), polls.clone(), false),
        &fut_drops,
    ));
    *slot.lock().unwrap() = Some(handle.abort_handle());

    assert_eq!(
        ex.run_until_idle(),
        1,
        "cancelled right after the poll, not re-queued"
    );
    assert_eq!(polls.load(SeqCst), 1);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!((ex.schedules(), ex.yields()), (0, 0));
    assert!(handle.is_finished());
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(fut_drops.get(), 1, "dropped exactly once");
    slot.lock().unwrap().take();
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_during_a_poll_that_completes_keeps_the_output() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let slot: Arc<Mutex<Option<AbortHandle>>> = Arc::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let mut handle = ex.spawn(Tracked::new(
        self_aborting(slot.clone(), polls.clone(), true),
        &fut_drops,
    ));
    *slot.lock().unwrap() = Some(handle.abort_handle());
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(
        ready(&mut handle).unwrap(),
        7,
        "the task finished before it saw the abort"
    );
    slot.lock().unwrap().take();
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_after_completion_is_a_no_op() {
    let ex = Exec::new();
    let out_drops = DropCount::new();
    let token = out_drops.clone();
    let mut handle = ex.spawn(async move { (5, token.token()) });
    let abort = handle.abort_handle();
    ex.run_until_idle();
    handle.abort();
    abort.abort();
    assert_eq!(ex.schedules(), 0);
    assert_eq!(ex.queued(), 0);
    assert_eq!(out_drops.get(), 0);
    let (v, _t) = ready(&mut handle).unwrap();
    assert_eq!(v, 5);
    drop((handle, abort));
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_handles_clone_and_drop() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    let a = handle.abort_handle();
    let b = a.clone();
    let c = b.clone();
    assert_eq!(a.id(), handle.id());
    assert_eq!(c.id(), handle.id());
    assert!(format!("{c:?}").contains(&handle.id().to_string()));
    drop(a);
    ex.run_until_idle();
    assert!(!b.is_finished());
    b.abort();
    drop(b);
    assert_eq!(ex.schedules(), 1);
    ex.run_until_idle();
    assert!(c.is_finished());
    assert_eq!(fut_drops.get(), 1);
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    drop(handle);
    drop(gate);
    assert_eq!(ex.live_tasks(), 1, "an AbortHandle keeps the allocation");
    drop(c);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_handle_outliving_a_detached_task() {
    let ex = Exec::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    let abort = handle.abort_handle();
    drop(handle);
    ex.run_until_idle();
    abort.abort();
    ex.run_until_idle();
    assert!(abort.is_finished());
    drop(gate);
    assert_eq!(ex.live_tasks(), 1);
    drop(abort);
    ex.shutdown_and_assert_freed();
}

#[test]
fn dropping_a_runnable_cancels_the_task() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let dropped_with: Arc<Mutex<Option<Option<Id>>>> = Arc::default();
    struct Record(Arc<Mutex<Option<Option<Id>>>>);
    impl Drop for Record {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(try_current_id());
        }
    }
    let record = Record(dropped_with.clone());
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let (mut handle, runnable) = ex.spawn_unqueued(Tracked::new(
        async move {
            let _r = &record;
            p.fetch_add(1, SeqCst);
        },
        &fut_drops,
    ));
    let counter = WakeCounter::new();
    assert!(poll_with(&mut handle, &Waker::from(counter.clone())).is_pending());
    drop(runnable);
    assert_eq!(polls.load(SeqCst), 0);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(*dropped_with.lock().unwrap(), Some(Some(handle.id())));
    assert_eq!(counter.count(), 1);
    assert!(handle.is_finished());
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(ex.len(), 0, "left its owner's list");
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn dropping_a_later_runnable_cancels_the_task() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    ex.run_until_idle();
    gate.wake();
    let r = ex.pop().unwrap();
    assert_eq!(r.id(), handle.id());
    drop(r);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(gate.polls(), 1);
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    gate.wake(); // a wake after the cancellation schedules nothing
    assert_eq!(ex.queued(), 0);
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn dropping_a_runnable_of_a_detached_task_frees_it() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let (handle, runnable) = ex.spawn_unqueued(Tracked::new(async {}, &fut_drops));
    drop(handle);
    drop(runnable);
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn runnable_raw_round_trip() {
    let ex = Exec::new();
    let (mut handle, runnable) = ex.spawn_unqueued(async { 3 });
    let id = runnable.id();
    let raw = runnable.into_raw();
    assert_eq!(ex.live_tasks(), 1);
    // SAFETY: `raw` came from `into_raw` and is converted back once.
    let runnable = unsafe { weft_task::Runnable::from_raw_ptr(raw) };
    assert_eq!(runnable.id(), id);
    runnable.run();
    assert_eq!(ready(&mut handle).unwrap(), 3);
    drop(handle);
    ex.shutdown_and_assert_freed();
}
