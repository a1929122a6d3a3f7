//! Waking a task: at most one `Runnable` per task, wakes during a poll are dispatched with
//! `Hint::Yield`, wakes after completion do nothing, and wakers may outlive the task.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use common::{ready, wake_by_value, DropCount, Exec, Gate, Tracked};

#[test]
fn wake_while_idle_schedules_exactly_once() {
    let ex = Exec::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.run_until_idle();
    assert_eq!((ex.schedules(), ex.queued()), (0, 0));

    gate.wake();
    assert_eq!(ex.schedules(), 1);
    assert_eq!(ex.queued(), 1);
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 2);
    assert_eq!(ex.yields(), 0);
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_wake_inside_defer_wakes_is_dispatched_as_deferred() {
    let ex = Exec::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.run_until_idle();

    weft_core::context::defer_wakes(|| gate.wake());
    assert_eq!((ex.deferreds(), ex.schedules()), (1, 0));
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 2);
    // Outside the closure, wakes are plain again.
    gate.wake();
    assert_eq!((ex.deferreds(), ex.schedules()), (1, 1));
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn wakes_before_the_run_coalesce_into_one_runnable() {
    let ex = Exec::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.run_until_idle();

    let w = gate.waker();
    w.wake_by_ref();
    w.wake_by_ref();
    wake_by_value(&w); // by value, while already notified: only drops its reference
    gate.wake();
    assert_eq!(ex.schedules(), 1, "a task is never queued twice");
    assert_eq!(ex.queued(), 1);
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 2);

    // Woken by value while idle: the waker's reference becomes the Runnable's.
    wake_by_value(&w);
    assert_eq!(ex.schedules(), 2);
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gate.polls(), 3);
    drop((handle, gate, w));
    ex.shutdown_and_assert_freed();
}

#[test]
fn many_wakes_of_an_idle_task_schedule_it_once() {
    // Ten wakes between two polls: one `Hint::Wake` dispatch, one more poll.
    let ex = Exec::new();
    let stash: Arc<Mutex<Option<Waker>>> = Arc::default();
    let s = stash.clone();
    let mut polls = 0;
    let handle = ex.spawn(std::future::poll_fn(move |cx| {
        polls += 1;
        *s.lock().unwrap() = Some(cx.waker().clone());
        if polls == 3 {
            Poll::Ready(polls)
        } else {
            Poll::Pending
        }
    }));
    ex.run_until_idle();
    let w = stash.lock().unwrap().clone().unwrap();
    for _ in 0..10 {
        w.wake_by_ref();
    }
    assert_eq!(ex.schedules(), 1);
    ex.run_until_idle();
    w.wake_by_ref();
    ex.run_until_idle();
    let mut handle = handle;
    assert_eq!(ready(&mut handle).unwrap(), 3);
    assert_eq!(ex.schedules(), 2);
    drop((handle, w));
    stash.lock().unwrap().take();
    ex.shutdown_and_assert_freed();
}

#[test]
fn wake_during_poll_is_dispatched_as_a_yield() {
    let ex = Exec::new();
    let mut polls = 0;
    let mut handle = ex.spawn(std::future::poll_fn(move |cx| {
        polls += 1;
        if polls < 3 {
            // Woken twice during the same poll: still one re-submission.
            cx.waker().wake_by_ref();
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(polls)
        }
    }));
    assert!(ex.run_one());
    assert_eq!(ex.yields(), 1, "re-submitted after the poll returned");
    assert_eq!(ex.schedules(), 0, "not as `Hint::Wake`");
    assert_eq!(ex.queued(), 1);
    assert_eq!(ex.run_until_idle(), 2);
    assert_eq!(ex.yields(), 2);
    assert_eq!(ready(&mut handle).unwrap(), 3);
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn wake_by_value_during_poll_is_dispatched_as_a_yield() {
    let ex = Exec::new();
    let mut polls = 0;
    let mut handle = ex.spawn(std::future::poll_fn(move |cx| {
        polls += 1;
        if polls == 1 {
            wake_by_value(cx.waker());
            Poll::Pending
        } else {
            Poll::Ready(polls)
        }
    }));
    assert_eq!(ex.run_until_idle(), 2);
    assert_eq!((ex.yields(), ex.schedules()), (1, 0));
    assert_eq!(ready(&mut handle).unwrap(), 2);
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn wake_during_a_ready_poll_does_nothing() {
    let ex = Exec::new();
    let mut handle = ex.spawn(std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Ready(1)
    }));
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!((ex.yields(), ex.schedules()), (0, 0));
    assert_eq!(ready(&mut handle).unwrap(), 1);
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn wake_after_completion_does_nothing() {
    let ex = Exec::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(gate.wait());
    ex.run_until_idle();
    gate.open_and_wake();
    ex.run_until_idle();
    assert!(handle.is_finished());
    let schedules = ex.schedules();

    let w = gate.waker();
    w.wake_by_ref();
    wake_by_value(&w);
    gate.wake();
    assert_eq!(ex.schedules(), schedules);
    assert_eq!(ex.queued(), 0);
    assert_eq!(gate.polls(), 2);
    assert!(ready(&mut handle).is_ok());
    drop((handle, w, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn wakers_may_outlive_the_task() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    ex.run_until_idle();
    let wakers: Vec<Waker> = (0..5).map(|_| gate.waker()).collect();
    gate.open_and_wake();
    ex.run_until_idle();
    drop(handle);
    gate.forget_waker();
    assert_eq!(fut_drops.get(), 1);
    ex.shutdown();
    assert_eq!(ex.live_tasks(), 1, "the wakers keep the allocation alive");

    // Waking a finished task whose every other reference is gone.
    for w in &wakers {
        w.wake_by_ref();
    }
    let mut wakers = wakers.into_iter();
    wakers.next().unwrap().wake();
    assert_eq!(ex.live_tasks(), 1);
    assert_eq!(ex.schedules(), 1, "only the gate's wake before completion");
    drop(wakers);
    assert_eq!(ex.live_tasks(), 0);
    drop(gate);
    ex.shutdown_and_assert_freed();
}

#[test]
fn last_reference_is_a_waker_of_an_idle_task() {
    // Everything but a waker is gone while the task is pending; waking it by value runs it.
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gate = Gate::new();
    let handle = ex.spawn(Tracked::new(gate.wait(), &fut_drops));
    ex.run_until_idle();
    drop(handle);
    let w = gate.waker();
    gate.forget_waker();
    gate.open();
    w.wake();
    assert_eq!(ex.run_until_idle(), 1);
    gate.forget_waker();
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    drop(gate);
    ex.shutdown_and_assert_freed();
}

#[test]
fn will_wake_of_clones() {
    let ex = Exec::new();
    let a = Gate::new();
    let b = Gate::new();
    let ha = ex.spawn(a.wait());
    let hb = ex.spawn(b.wait());
    ex.run_until_idle();
    let wa = a.waker();
    let wa2 = wa.clone();
    let wb = b.waker();
    assert!(wa.will_wake(&wa2));
    assert!(wa2.will_wake(&a.waker()));
    assert!(!wa.will_wake(&wb));
    assert!(!wb.will_wake(&wa));
    assert!(!wa.will_wake(&common::noop_waker()));
    drop((ha, hb, wa, wa2, wb, a, b));
    ex.shutdown_and_assert_freed();
}

#[test]
fn wake_from_another_thread() {
    let ex = Exec::new();
    let gate = Gate::new();
    let mut handle = ex.spawn(gate.wait());
    ex.run_until_idle();
    let g = gate.clone();
    std::thread::spawn(move || g.open_and_wake())
        .join()
        .unwrap();
    assert_eq!(ex.schedules(), 1);
    ex.run_until_idle();
    assert!(ready(&mut handle).is_ok());
    drop((handle, gate));
    ex.shutdown_and_assert_freed();
}

#[test]
fn every_poll_is_counted_against_wakes() {
    // N wakes of an idle task give exactly N more polls.
    let ex = Exec::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let stash: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (p, s) = (polls.clone(), stash.clone());
    let handle = ex.spawn(std::future::poll_fn(move |cx| {
        p.fetch_add(1, SeqCst);
        *s.lock().unwrap() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }));
    ex.run_until_idle();
    for i in 1..=20 {
        stash.lock().unwrap().as_ref().unwrap().wake_by_ref();
        ex.run_until_idle();
        assert_eq!(polls.load(SeqCst), i + 1);
    }
    assert_eq!(ex.schedules(), 20);
    drop(handle);
    stash.lock().unwrap().take();
    ex.shutdown_and_assert_freed();
}
