//! The owner's list: membership follows the task's life (a finished task unlinks itself, and
//! only itself, from its own owner's list), and `close_and_shutdown_all` cancels and frees
//! every task, even those nothing will ever wake.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Poll, Waker};

use common::{poll_with, ready, DropCount, Exec, Gate, Tracked, WakeCounter};
use weft_task::Id;

/// The ids of the owner's live tasks, asserting that `for_each` visits each once.
fn members(ex: &Exec) -> HashSet<Id> {
    let mut seen = HashSet::new();
    ex.for_each(|t| assert!(seen.insert(t.id()), "visited twice"));
    assert_eq!(seen.len(), ex.len());
    seen
}

#[test]
fn len_follows_spawns_and_completions() {
    let ex = Exec::new();
    assert!(ex.is_empty());
    let gates: Vec<Gate> = (0..3).map(|_| Gate::new()).collect();
    let handles: Vec<_> = gates.iter().map(|g| ex.spawn(g.wait())).collect();
    assert_eq!(ex.len(), 3);
    ex.run_until_idle();
    assert_eq!(ex.len(), 3, "pending tasks stay members");
    gates[1].open_and_wake();
    ex.run_until_idle();
    assert_eq!(ex.len(), 2, "a finished task leaves the list");
    assert!(handles[1].is_finished());
    let want: HashSet<Id> = [&handles[0], &handles[2]].iter().map(|h| h.id()).collect();
    assert_eq!(members(&ex), want);
    drop(handles);
    drop(gates);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_finished_task_unlinks_exactly_itself() {
    // One shard, so that every task has neighbours: unlink from the middle, the head (the
    // newest) and the tail (the oldest); the rest of the list stays linked and counted.
    let ex = Exec::with_shards(1);
    let fut_drops = DropCount::new();
    let gates: Vec<Gate> = (0..5).map(|_| Gate::new()).collect();
    let mut handles: Vec<_> = gates
        .iter()
        .map(|g| ex.spawn(Tracked::new(g.wait(), &fut_drops)))
        .collect();
    ex.run_until_idle();
    let mut left: HashSet<Id> = handles.iter().map(|h| h.id()).collect();
    assert_eq!(members(&ex), left);
    for i in [2, 4, 0, 3, 1] {
        gates[i].open_and_wake();
        ex.run_until_idle();
        assert!(left.remove(&handles[i].id()));
        assert_eq!(members(&ex), left, "exactly the finished task left");
        assert!(ready(&mut handles[i]).is_ok());
        for (k, h) in handles.iter().enumerate() {
            assert_eq!(h.is_finished(), !left.contains(&h.id()), "task {k}");
        }
    }
    assert_eq!(ex.len(), 0);
    assert_eq!(fut_drops.get(), 5);
    drop((handles, gates));
    ex.shutdown_and_assert_freed();
}

#[test]
fn neighbours_of_every_future_size_and_alignment_link_and_unlink() {
    // A task's list links and join waker sit in front of its header, which every task
    // pointer points at: tasks whose futures differ in size and alignment (an over-aligned
    // future moves the whole layout) must still link to each other, unlink from the middle,
    // and hand their output through the join waker kept there.
    #[repr(align(128))]
    struct Aligned(u8);
    let ex = Exec::with_shards(1);
    let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    let waits: Vec<_> = gates.iter().map(Gate::wait).collect();
    let mut waits = waits.into_iter();
    let (w0, w1, w2, w3) = (
        waits.next().unwrap(),
        waits.next().unwrap(),
        waits.next().unwrap(),
        waits.next().unwrap(),
    );
    let small = ex.spawn(async move {
        w0.await;
        1usize
    });
    let big = [3u8; 4096];
    let large = ex.spawn(async move {
        w1.await;
        big.iter().map(|&b| usize::from(b)).sum::<usize>()
    });
    let aligned = Aligned(5);
    let over_aligned = ex.spawn(async move {
        w2.await;
        assert_eq!(&aligned as *const Aligned as usize % 128, 0);
        usize::from(aligned.0)
    });
    let mut zero = ex.spawn(w3);
    let mut handles = [small, large, over_aligned];
    ex.run_until_idle();
    let ids = [handles[0].id(), handles[1].id(), handles[2].id(), zero.id()];
    assert_eq!(members(&ex), ids.into_iter().collect::<HashSet<_>>());

    // Each handle registers its join waker (kept with the links) before its task finishes,
    // and is woken exactly once by the completion.
    let join_wakers: Vec<_> = (0..3).map(|_| WakeCounter::new()).collect();
    for (h, w) in handles.iter_mut().zip(&join_wakers) {
        assert!(poll_with(h, &Waker::from(w.clone())).is_pending());
    }
    for (i, want) in [(1, 3 * 4096), (2, 5), (0, 1)] {
        gates[i].open_and_wake();
        ex.run_until_idle();
        assert_eq!(join_wakers[i].count(), 1, "task {i}'s join waker");
        assert_eq!(ready(&mut handles[i]).unwrap(), want, "task {i}");
    }
    assert_eq!(members(&ex), HashSet::from([ids[3]]));
    gates[3].open_and_wake();
    ex.run_until_idle();
    assert!(ready(&mut zero).is_ok());
    assert!(ex.is_empty());
    drop((handles, zero, gates));
    ex.shutdown_and_assert_freed();
}

#[test]
fn len_follows_completions_aborts_and_shutdown() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gates: Vec<Gate> = (0..6).map(|_| Gate::new()).collect();
    let mut handles: Vec<_> = gates
        .iter()
        .map(|g| ex.spawn(Tracked::new(g.wait(), &fut_drops)))
        .collect();
    assert_eq!(ex.len(), 6, "listed at spawn, before the first run");
    assert!(!ex.is_empty());
    ex.run_until_idle();
    assert_eq!(ex.len(), 6);

    gates[0].open_and_wake(); // completes
    ex.run_until_idle();
    assert_eq!(ex.len(), 5);

    handles[1].abort(); // cancelled by the runner
    assert_eq!(ex.len(), 5, "still listed until the cancellation runs");
    ex.run_until_idle();
    assert_eq!(ex.len(), 4);

    gates[2].wake(); // the queued Runnable is dropped: cancelled on the spot
    drop(ex.pop().unwrap());
    assert_eq!(ex.len(), 3);

    let detached = handles.pop().unwrap(); // detaching a task keeps it listed
    drop(detached);
    assert_eq!(ex.len(), 3);

    ex.close_and_shutdown_all(); // the rest
    assert_eq!(ex.len(), 0);
    assert!(ex.is_empty());
    assert_eq!(fut_drops.get(), 6);
    assert!(ready(&mut handles[0]).is_ok());
    for h in &mut handles[1..] {
        assert!(ready(h).unwrap_err().is_cancelled());
    }
    drop((handles, gates));
    ex.shutdown_and_assert_freed();
}

#[test]
fn close_and_shutdown_all_cancels_idle_tasks() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gates: Vec<Gate> = (0..8).map(|_| Gate::new()).collect();
    let mut handles: Vec<_> = gates
        .iter()
        .map(|g| ex.spawn(Tracked::new(g.wait(), &fut_drops)))
        .collect();
    ex.run_until_idle();
    gates[3].wake(); // one of them is queued at shutdown
    assert_eq!(ex.queued(), 1);

    ex.close_and_shutdown_all();
    assert!(ex.is_closed());
    assert_eq!(ex.len(), 0);
    assert_eq!(
        fut_drops.get(),
        8,
        "every future dropped on the closing thread"
    );
    for h in &mut handles {
        assert!(h.is_finished());
        assert!(ready(h).unwrap_err().is_cancelled());
    }
    // The queued Runnable finds its task already cancelled.
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gates[3].polls(), 1);
    assert_eq!(fut_drops.get(), 8);
    drop(handles);
    drop(gates);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_task_blocked_forever_is_freed_by_shutdown() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let handle = ex.spawn(Tracked::new(std::future::pending::<()>(), &fut_drops));
    drop(handle); // nobody will ever wake, await or abort it
    ex.run_until_idle();
    assert_eq!(ex.live_tasks(), 1);
    assert_eq!(fut_drops.get(), 0);
    ex.close_and_shutdown_all();
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn spawn_after_close_is_cancelled_at_once() {
    let ex = Exec::new();
    ex.close_and_shutdown_all();
    assert!(ex.is_closed());
    let fut_drops = DropCount::new();
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    let mut handle = ex.0.spawn_at(
        Tracked::new(
            async move {
                p.fetch_add(1, SeqCst);
            },
            &fut_drops,
        ),
        Some("late"),
        std::panic::Location::caller(),
    );
    assert_eq!(ex.spawns(), 0, "never dispatched");
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(polled.load(SeqCst), 0);
    assert!(handle.is_finished());
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(ex.len(), 0);
    assert_eq!(ex.queued(), 0);
    drop(handle);
    assert_eq!(ex.live_tasks(), 0, "freed with its handle");

    // `spawn` too; a handle dropped at once frees the task there and then.
    drop(ex.spawn(Tracked::new(async {}, &fut_drops)));
    assert_eq!(fut_drops.get(), 2);
    assert_eq!((ex.spawns(), ex.len(), ex.live_tasks()), (0, 0, 0));
    ex.shutdown_and_assert_freed();
}

#[test]
fn for_each_visits_every_live_task() {
    let ex = Exec::with_shards(3); // rounded up to 4 shards
    let mut want = HashSet::new();
    let mut handles = Vec::new();
    let mut runnables = Vec::new();
    for i in 0..50 {
        let (h, r) = ex.spawn_unqueued(std::future::pending::<()>());
        if i % 2 == 0 {
            want.insert(h.id());
            runnables.push(r);
        } else {
            drop(r); // cancels and completes the task, which leaves the list
            assert!(h.is_finished());
        }
        handles.push(h);
    }
    let mut seen = HashSet::new();
    ex.for_each(|t| {
        assert!(!t.is_finished() && !t.is_running());
        assert!(t.is_scheduled(), "its Runnable exists");
        assert!(seen.insert(t.id()), "visited twice");
    });
    assert_eq!(seen, want);
    assert_eq!(ex.len(), 25);
    drop(runnables);
    assert_eq!(ex.len(), 0);
    drop(handles);
    assert_eq!(ex.live_tasks(), 0);

    let gates: Vec<Gate> = (0..20).map(|_| Gate::new()).collect();
    let handles: Vec<_> = gates.iter().map(|g| ex.spawn(g.wait())).collect();
    ex.run_until_idle();
    gates[0].open_and_wake();
    ex.run_until_idle();
    let mut seen = HashSet::new();
    ex.for_each(|t| {
        assert!(!t.is_finished() && !t.is_running() && !t.is_scheduled());
        seen.insert(t.id());
    });
    let want: HashSet<_> = handles[1..].iter().map(|h| h.id()).collect();
    assert_eq!(seen, want);
    assert!(format!("{:?}", *ex).contains("len: 19"));
    drop(handles);
    drop(gates);
    ex.shutdown_and_assert_freed();
}

#[test]
fn shutdown_from_inside_a_running_task() {
    // The running task cannot be cancelled in place: it is marked cancelled, and cancelled
    // when its poll returns Pending; the idle ones are cancelled by the call itself.
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    let others: Vec<_> = gates
        .iter()
        .map(|g| ex.spawn(Tracked::new(g.wait(), &fut_drops)))
        .collect();
    ex.run_until_idle();
    let ex2 = ex.clone();
    let seen_inside = Arc::new(AtomicUsize::new(usize::MAX));
    let s = seen_inside.clone();
    let drops = fut_drops.clone();
    let mut handle = ex.spawn(Tracked::new(
        std::future::poll_fn(move |_| {
            ex2.close_and_shutdown_all();
            s.store(drops.get(), SeqCst);
            Poll::<()>::Pending
        }),
        &fut_drops,
    ));
    ex.run_until_idle();
    assert_eq!(
        seen_inside.load(SeqCst),
        4,
        "the idle tasks were cancelled during the call"
    );
    assert_eq!(fut_drops.get(), 5, "and the caller when its poll returned");
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(ex.len(), 0);
    drop((handle, others, gates));
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_task_completing_during_shutdown_keeps_its_output() {
    let ex = Exec::new();
    let ex2 = ex.clone();
    let mut handle = ex.spawn(async move {
        ex2.close_and_shutdown_all();
        "done anyway"
    });
    ex.run_until_idle();
    assert_eq!(ready(&mut handle).unwrap(), "done anyway");
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn many_shards_and_one() {
    for shards in [0, 1, 2, 5, 64] {
        let ex = Exec::with_shards(shards);
        let handles: Vec<_> = (0..17)
            .map(|_| ex.spawn(std::future::pending::<()>()))
            .collect();
        ex.run_until_idle();
        assert_eq!(ex.len(), 17);
        ex.close_and_shutdown_all();
        assert!(handles.iter().all(|h| h.is_finished()));
        drop(handles);
        ex.shutdown_and_assert_freed();
    }
}

#[test]
fn two_owners_side_by_side_never_touch_each_others_lists() {
    // One shard each, so that every task is linked to others in its own list.
    let a = Exec::with_shards(1);
    let b = Exec::with_shards(1);
    let gates: Vec<Gate> = (0..10).map(|_| Gate::new()).collect();
    let mut handles = Vec::new();
    for (i, g) in gates.iter().enumerate() {
        let ex = if i % 2 == 0 { &a } else { &b };
        handles.push(ex.spawn(g.wait()));
    }
    a.run_until_idle();
    b.run_until_idle();
    let of = |handles: &[weft_task::JoinHandle<()>], parity: usize| -> HashSet<Id> {
        handles
            .iter()
            .enumerate()
            .filter(|(i, h)| i % 2 == parity && !h.is_finished())
            .map(|(_, h)| h.id())
            .collect()
    };
    assert_eq!(members(&a), of(&handles, 0));
    assert_eq!(members(&b), of(&handles, 1));

    // Tasks of both owners finish in an interleaved order: each leaves its own list only.
    for i in [3, 0, 5, 6, 1] {
        gates[i].open_and_wake();
        let (own, other) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        assert_eq!(
            other.run_until_idle(),
            0,
            "the wake went to the task's own owner"
        );
        let before = members(other);
        assert_eq!(own.run_until_idle(), 1);
        assert!(handles[i].is_finished());
        assert_eq!(
            members(other),
            before,
            "the other owner's list is untouched"
        );
        assert_eq!(members(&a), of(&handles, 0));
        assert_eq!(members(&b), of(&handles, 1));
    }
    assert_eq!((a.len(), b.len()), (3, 2));

    // A task of `b` finishing while `a`'s list is being walked (its shard locked): no
    // deadlock, and `a` is untouched.
    gates[7].open_and_wake();
    let mut visited = 0;
    a.for_each(|_| {
        visited += 1;
        if visited == 1 {
            assert_eq!(b.run_until_idle(), 1);
        }
    });
    assert_eq!(visited, 3);
    assert!(handles[7].is_finished());
    assert_eq!(members(&a), of(&handles, 0));
    assert_eq!(members(&b), of(&handles, 1));

    // Shutting one owner down cancels its own tasks and leaves the other's alone.
    a.close_and_shutdown_all();
    assert!(a.is_closed() && !b.is_closed());
    assert_eq!((a.len(), b.len()), (0, 1));
    assert!(!handles[9].is_finished());
    gates[9].open_and_wake();
    assert_eq!(b.run_until_idle(), 1);
    assert_eq!(b.len(), 0);
    for (i, h) in handles.iter_mut().enumerate() {
        match i {
            2 | 4 | 8 => assert!(ready(h).unwrap_err().is_cancelled(), "task {i}"),
            _ => assert!(ready(h).is_ok(), "task {i}"),
        }
    }
    drop((handles, gates));
    a.shutdown_and_assert_freed();
    b.shutdown_and_assert_freed();
}
