//! The output reaches the `JoinHandle`: waking its waker, replacing it, ids, names and spawn
//! locations, and who drops the output when the handle goes away.

mod common;

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use common::{poll_once, poll_with, ready, DropCount, Exec, Gate, Tracked, WakeCounter};
use weft_task::{try_current_id, Dispatch, Hint, Id, Runnable};

/// A dispatcher for tasks with no owner: for tests of the bare `weft_task::spawn`.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Runnable>>>);

impl Dispatch for Collect {
    fn dispatch(&self, task: Runnable, _: Hint) {
        self.0.lock().unwrap().push(task)
    }
}

#[test]
fn output_is_delivered_through_the_join_handle() {
    let ex = Exec::new();
    let mut handle = ex.spawn(async { 6 * 7 });
    let counter = WakeCounter::new();
    let waker = Waker::from(counter.clone());

    assert!(poll_with(&mut handle, &waker).is_pending());
    assert_eq!(counter.count(), 0);
    assert!(!handle.is_finished());

    assert_eq!(ex.run_until_idle(), 1);
    assert!(handle.is_finished());
    assert_eq!(
        counter.count(),
        1,
        "completion wakes the registered waker once"
    );
    assert_eq!(ready(&mut handle).unwrap(), 42);
    assert_eq!(counter.count(), 1);
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn join_waker_is_woken_exactly_when_the_task_completes() {
    let ex = Exec::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(gate.wait());
    let counter = WakeCounter::new();
    let waker = Waker::from(counter.clone());
    assert!(poll_with(&mut handle, &waker).is_pending());

    // Polls that return Pending do not wake the handle.
    ex.run_until_idle();
    gate.wake();
    ex.run_until_idle();
    assert_eq!(gate.polls(), 2);
    assert_eq!(counter.count(), 0);
    assert!(poll_with(&mut handle, &waker).is_pending());

    gate.open_and_wake();
    assert_eq!(
        counter.count(),
        0,
        "a wake of the task is not a wake of the handle"
    );
    ex.run_until_idle();
    assert_eq!(counter.count(), 1);
    assert!(ready(&mut handle).is_ok());
    drop(handle);
    drop(gate); // it holds a waker, i.e. a reference to the task
    ex.shutdown_and_assert_freed();
}

#[test]
fn repolling_with_another_waker_replaces_it() {
    let ex = Exec::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(gate.wait());
    ex.run_until_idle();

    let a = WakeCounter::new();
    let b = WakeCounter::new();
    let wa = Waker::from(a.clone());
    let wb = Waker::from(b.clone());

    assert!(poll_with(&mut handle, &wa).is_pending());
    assert_eq!(Arc::strong_count(&a), 3, "ours, `wa`, and the task's clone");
    // The same waker again: kept, not cloned a second time.
    assert!(poll_with(&mut handle, &wa.clone()).is_pending());
    assert_eq!(Arc::strong_count(&a), 3);

    assert!(poll_with(&mut handle, &wb).is_pending());
    assert_eq!(Arc::strong_count(&a), 2, "the replaced waker was dropped");
    assert_eq!(Arc::strong_count(&b), 3);

    gate.open_and_wake();
    ex.run_until_idle();
    assert_eq!(a.count(), 0, "only the latest waker is woken");
    assert_eq!(b.count(), 1);
    assert!(ready(&mut handle).is_ok());

    drop(handle);
    assert_eq!(
        Arc::strong_count(&b),
        2,
        "the handle's drop released the stored waker"
    );
    drop(gate); // it holds a waker, i.e. a reference to the task
    ex.shutdown_and_assert_freed();
}

#[test]
fn is_finished_follows_the_task() {
    let ex = Exec::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(gate.wait());
    let abort = handle.abort_handle();
    assert!(!handle.is_finished());
    ex.run_until_idle();
    assert!(!handle.is_finished());
    assert!(!abort.is_finished());
    gate.open_and_wake();
    assert!(!handle.is_finished(), "woken is not finished");
    ex.run_until_idle();
    assert!(handle.is_finished());
    assert!(abort.is_finished());
    assert!(ready(&mut handle).is_ok());
    assert!(
        handle.is_finished(),
        "still finished after the output was taken"
    );
    drop((handle, abort));
    drop(gate); // it holds a waker, i.e. a reference to the task
    ex.shutdown_and_assert_freed();
}

#[test]
fn ids_are_unique_and_shared_by_every_handle() {
    let sched = Collect::default();
    let mut ids = HashSet::new();
    for _ in 0..100 {
        let (runnable, handle) = weft_task::spawn(async {}, sched.clone(), None);
        let id = handle.id();
        assert_eq!(runnable.id(), id);
        assert_eq!(handle.abort_handle().id(), id);
        assert!(ids.insert(id), "id {id} handed out twice");
        drop(runnable); // cancels
        let mut handle = handle;
        let err = ready(&mut handle).unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), id);
    }
    // A task of an owner: its list entry, its `Runnable` and its handles share one id, drawn
    // from the same sequence.
    let ex = Exec::new();
    let (handle, runnable) = ex.spawn_unqueued(async {});
    let id = handle.id();
    assert_eq!(runnable.id(), id);
    let mut listed = Vec::new();
    ex.for_each(|t| listed.push(t.id()));
    assert_eq!(listed, vec![id]);
    assert!(ids.insert(id), "id {id} handed out twice");
    drop((handle, runnable));
    ex.shutdown_and_assert_freed();

    // Ids grow: a later task's id is new and above every earlier one.
    let (a, _) = weft_task::spawn(async {}, sched.clone(), None);
    let (b, _) = weft_task::spawn(async {}, sched, None);
    let (a, b) = (a.id(), b.id());
    assert!(a < b && !ids.contains(&a) && !ids.contains(&b));
    assert!(ids.iter().all(|&id| id < a));
}

#[test]
fn try_current_id_is_set_only_inside_the_poll() {
    let ex = Exec::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let in_drop = Arc::new(Mutex::new(None));

    struct RecordOnDrop(Arc<Mutex<Option<Option<Id>>>>);
    impl Drop for RecordOnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(try_current_id());
        }
    }

    let s = seen.clone();
    let guard = RecordOnDrop(in_drop.clone());
    let mut first = true;
    let mut handle = ex.spawn(std::future::poll_fn(move |cx| {
        let _keep = &guard;
        s.lock().unwrap().push(try_current_id());
        if std::mem::take(&mut first) {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(try_current_id())
        }
    }));
    let id = handle.id();
    assert_eq!(try_current_id(), None);
    let other = ex.spawn(async { try_current_id() });
    ex.run_until_idle();
    assert_eq!(try_current_id(), None, "restored after the poll");

    assert_eq!(*seen.lock().unwrap(), vec![Some(id), Some(id)]);
    assert_eq!(ready(&mut handle).unwrap(), Some(id));
    assert_eq!(
        *in_drop.lock().unwrap(),
        Some(Some(id)),
        "the future is dropped with its id set"
    );
    let mut other = other;
    let other_id = other.id();
    assert_ne!(other_id, id);
    assert_eq!(ready(&mut other).unwrap(), Some(other_id));
    drop((handle, other));
    ex.shutdown_and_assert_freed();
}

#[test]
fn nested_run_restores_the_outer_id() {
    let sched = Collect::default();
    let (inner, inner_handle) = weft_task::spawn(async { try_current_id() }, sched.clone(), None);
    let inner_id = inner_handle.id();
    let slot = Arc::new(Mutex::new(Some(inner)));
    let slot2 = slot.clone();
    let (outer, mut outer_handle) = weft_task::spawn(
        async move {
            let before = try_current_id();
            slot2.lock().unwrap().take().unwrap().run();
            (before, try_current_id())
        },
        sched,
        None,
    );
    let outer_id = outer.id();
    outer.run();
    let (before, after) = ready(&mut outer_handle).unwrap();
    assert_eq!(before, Some(outer_id));
    assert_eq!(after, Some(outer_id));
    let mut inner_handle = inner_handle;
    assert_eq!(ready(&mut inner_handle).unwrap(), Some(inner_id));
    assert!(slot.lock().unwrap().is_none());
}

#[test]
fn name_and_spawn_location() {
    // A task with no owner: the `Runnable` and the handle carry them.
    let sched = Collect::default();
    #[rustfmt::skip]
    let (line, (runnable, handle)) = (line!(), weft_task::spawn(async {}, sched.clone(), Some("worker-7")));
    assert_eq!(runnable.name(), Some("worker-7"));
    for loc in [runnable.location(), handle.location()] {
        assert_eq!(loc.file(), file!());
        assert_eq!(loc.line(), line);
    }
    let dbg = format!("{runnable:?} {handle:?}");
    assert!(dbg.contains(&handle.id().to_string()), "{dbg}");
    drop((runnable, handle));

    // A task of an owner: so does its list entry (`Owner::spawn` is `#[track_caller]`).
    let ex = Exec::new();
    #[rustfmt::skip]
    let (line, (h, r)) = (line!(), ex.spawn_unqueued(async {}));
    assert_eq!(r.name(), None);
    assert_eq!(h.location().line(), line);
    assert_eq!(r.location().line(), line);
    let mut seen = 0;
    ex.for_each(|t| {
        assert_eq!(t.name(), None);
        assert_eq!(t.location().file(), file!());
        assert_eq!(t.location().line(), line);
        seen += 1;
    });
    assert_eq!(seen, 1);
    drop((h, r));

    // `spawn_at`: a name and an explicit location.
    let at = std::panic::Location::caller();
    let h =
        ex.0.spawn_at(std::future::pending::<()>(), Some("worker-7"), at);
    let mut seen = 0;
    ex.for_each(|t| {
        assert_eq!(t.id(), h.id());
        assert_eq!(t.name(), Some("worker-7"));
        assert_eq!(t.location(), at);
        let dbg = format!("{t:?}");
        assert!(dbg.contains("worker-7"), "{dbg}");
        seen += 1;
    });
    assert_eq!(seen, 1);
    let r = ex.pop().unwrap();
    assert_eq!(r.name(), Some("worker-7"));
    assert_eq!(r.location(), at);
    assert!(format!("{r:?} {h:?}").contains(&h.id().to_string()));
    drop((h, r));
    ex.shutdown_and_assert_freed();
}

#[test]
fn handle_dropped_before_completion_the_runner_drops_the_output() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let out_drops = DropCount::new();
    let gate = Gate::new();
    let token = out_drops.clone();
    let wait = gate.wait();
    let handle = ex.spawn(Tracked::new(
        async move {
            wait.await;
            token.token()
        },
        &fut_drops,
    ));
    ex.run_until_idle();
    drop(handle);
    assert_eq!(out_drops.get(), 0);
    assert_eq!(fut_drops.get(), 0, "detached, not cancelled");

    gate.open_and_wake();
    ex.run_until_idle();
    gate.forget_waker(); // the last poll stored a waker too
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(
        out_drops.get(),
        1,
        "nobody wants the output: dropped at completion"
    );
    assert_eq!(ex.live_tasks(), 0, "the task was freed at completion");
    drop(gate); // it holds a waker, i.e. a reference to the task
    ex.shutdown_and_assert_freed();
    assert_eq!((fut_drops.get(), out_drops.get()), (1, 1));
}

#[test]
fn handle_dropped_before_the_first_run() {
    // The fast path: the state word is still exactly the initial one.
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let out_drops = DropCount::new();
    let token = out_drops.clone();
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    let handle = ex.spawn(Tracked::new(
        async move {
            p.fetch_add(1, SeqCst);
            token.token()
        },
        &fut_drops,
    ));
    drop(handle);
    ex.run_until_idle();
    assert_eq!(polled.load(SeqCst), 1, "a detached task still runs");
    assert_eq!((fut_drops.get(), out_drops.get()), (1, 1));
    ex.shutdown_and_assert_freed();
}

#[test]
fn handle_dropped_after_completion_drops_the_output() {
    let ex = Exec::new();
    let out_drops = DropCount::new();
    let token = out_drops.clone();
    let handle = ex.spawn(async move { token.token() });
    ex.run_until_idle();
    assert!(handle.is_finished());
    assert_eq!(out_drops.get(), 0, "the output waits for the handle");
    assert_eq!(ex.live_tasks(), 1, "the handle keeps the allocation");
    drop(handle);
    assert_eq!(out_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn output_taken_by_the_handle_is_dropped_once() {
    let ex = Exec::new();
    let out_drops = DropCount::new();
    let token = out_drops.clone();
    let mut handle = ex.spawn(async move { token.token() });
    ex.run_until_idle();
    let out = ready(&mut handle).unwrap();
    drop(handle);
    assert_eq!(out_drops.get(), 0, "the handle moved the output out");
    drop(out);
    assert_eq!(out_drops.get(), 1);
    ex.shutdown_and_assert_freed();
}

#[test]
#[should_panic(expected = "JoinHandle polled after it returned")]
fn polling_after_the_output_was_taken_panics() {
    let ex = Exec::new();
    let mut handle = ex.spawn(async { 1 });
    ex.run_until_idle();
    assert!(ready(&mut handle).is_ok());
    let _ = poll_once(&mut handle);
}

#[test]
fn handle_and_waker_outliving_each_other_free_the_task_once() {
    // The join waker is still registered (and the handle alive) when the task completes;
    // the handle is dropped without reading the output.
    let ex = Exec::new();
    let out_drops = DropCount::new();
    let token = out_drops.clone();
    let gate = Gate::new();
    let wait = gate.wait();
    let mut handle = ex.spawn(async move {
        wait.await;
        token.token()
    });
    ex.run_until_idle();
    let counter = WakeCounter::new();
    assert!(poll_with(&mut handle, &Waker::from(counter.clone())).is_pending());
    gate.open_and_wake();
    ex.run_until_idle();
    gate.forget_waker();
    assert_eq!(counter.count(), 1);
    assert_eq!(Arc::strong_count(&counter), 2, "the slot keeps the waker");
    drop(handle);
    assert_eq!(Arc::strong_count(&counter), 1);
    assert_eq!(out_drops.get(), 1);
    drop(gate); // it holds a waker, i.e. a reference to the task
    ex.shutdown_and_assert_freed();
}

#[test]
fn join_handle_is_send_sync_and_awaitable_from_another_task() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let ex = Exec::new();
    let gate = Gate::new();
    let wait = gate.wait();
    let inner = ex.spawn(async move {
        wait.await;
        "inner"
    });
    assert_send_sync(&inner);
    let mut outer = ex.spawn(async move { inner.await.unwrap() });
    ex.run_until_idle();
    assert!(!outer.is_finished());
    gate.open_and_wake();
    ex.run_until_idle();
    assert_eq!(ready(&mut outer).unwrap(), "inner");
    drop(outer);
    drop(gate); // it holds a waker, i.e. a reference to the task
    ex.shutdown_and_assert_freed();
}

#[test]
fn join_handle_poll_spends_coop_budget() {
    // Polled inside a task whose budget is spent, a ready JoinHandle still yields.
    let ex = Exec::new();
    let done = ex.spawn(async { 5 });
    ex.run_until_idle();
    let mut done = Some(done);
    let mut polls = 0;
    let mut outer = ex.spawn(std::future::poll_fn(move |cx| {
        polls += 1;
        if polls == 1 {
            for _ in 0..weft_core::coop::BUDGET {
                let Poll::Ready(g) = weft_core::coop::poll_proceed(cx) else {
                    unreachable!()
                };
                g.made_progress();
            }
        }
        let h = done.as_mut().unwrap();
        match std::pin::Pin::new(h).poll(cx) {
            Poll::Ready(v) => Poll::Ready((polls, v.unwrap())),
            Poll::Pending => Poll::Pending,
        }
    }));
    ex.run_until_idle();
    assert_eq!(ready(&mut outer).unwrap(), (2, 5));
    assert_eq!(ex.yields(), 1, "the spent budget made the task yield once");
    drop(outer);
    ex.shutdown_and_assert_freed();
}
